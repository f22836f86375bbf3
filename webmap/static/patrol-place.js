// Where a patrol finding or a report is: the phone's GPS fix (followed while the form is open,
// accuracy shown), a point clicked on the map (举报 at the desk), or an outline drawn on the map
// (leaflet-geoman, loaded on the first draw as for 核查's extent). One place at a time, shown on
// the map and in words under the buttons.
// Test hooks: "finding-use-gps", "finding-pick", "finding-draw", "finding-where" (data-kind
// none|point|polygon, data-by gps|pick|draw, data-accuracy, data-lon, data-lat); the point is a
// path "finding-point", the outline "finding-outline".

import { h } from './dom.js';
import { drawingTools, polygonArea } from './extent.js';
import { fmt2, M2_PER_MU } from './labels.js';
import { t } from './messages.js';
import { outline, pointAt } from './patrol-finding.js';

const L = window.L;
const POINT_STYLE = { color: '#8f4700', weight: 3, fillColor: '#ffbe7d', fillOpacity: 0.9, radius: 10 };
const OUTLINE_STYLE = { color: '#8f4700', weight: 3, dashArray: '6 4' };

/**
 * createPlacePicker(map, locator, {onError(text), frame([lon, lat])}) → {element(withPick), start(by), geometry(),
 * reset(), capturesMap()}; by: 'gps' | 'pick' | 'draw'.
 */
export function createPlacePicker(map, locator, { onError = () => {}, frame = () => {} } = {}) {
  let place = null; // {kind: 'point'|'polygon', geometry, accuracy}
  let by = null;
  let unsubscribe = null;
  let drawn = null;
  let where = null; // the words under the buttons
  const marker = L.circleMarker([0, 0], { ...POINT_STYLE, interactive: false });

  function show() {
    if (!where) return;
    where.dataset.kind = place ? place.kind : 'none';
    where.dataset.by = by || '';
    for (const k of ['accuracy', 'lon', 'lat']) delete where.dataset[k];
    if (!place) {
      where.textContent = { pick: t('patrol.pickHint'), gps: t('patrol.locating'), draw: t('patrol.drawHint') }[by] || t('patrol.noPlace');
      return;
    }
    if (place.kind === 'polygon') {
      const m2 = polygonArea(place.geometry);
      where.textContent = t('patrol.placeOutline', { m2: fmt2(m2), mu: fmt2(m2 / M2_PER_MU) });
      return;
    }
    const [lon, lat] = place.geometry.coordinates;
    Object.assign(where.dataset, { lon: String(lon), lat: String(lat) });
    const xy = { lon: lon.toFixed(6), lat: lat.toFixed(6) };
    if (place.accuracy === undefined) {
      where.textContent = t('patrol.placePoint', xy);
      return;
    }
    where.dataset.accuracy = String(Math.round(place.accuracy));
    where.textContent = t('patrol.placeGps', { ...xy, n: Math.round(place.accuracy) });
  }

  function clearOutline() {
    if (map.pm) map.pm.disableDraw();
    if (drawn) drawn.remove();
    drawn = null;
  }

  function setPoint(position, accuracy) {
    clearOutline();
    place = { kind: 'point', geometry: pointAt(position), accuracy };
    marker.setLatLng([position.lat, position.lon]);
    if (!map.hasLayer(marker)) marker.addTo(map);
    marker.getElement()?.setAttribute('data-testid', 'finding-point');
    show();
  }

  function reset() {
    if (unsubscribe) unsubscribe();
    unsubscribe = null;
    clearOutline();
    marker.remove();
    place = null;
    by = null;
  }

  async function draw() {
    let pm;
    try {
      pm = await drawingTools(map);
    } catch (err) {
      onError(err.message);
      return;
    }
    if (by !== 'draw') return;
    pm.enableDraw('Polygon', { pathOptions: OUTLINE_STYLE, finishOn: null });
    map.once('pm:create', (e) => {
      if (by !== 'draw') {
        e.layer.remove();
        return;
      }
      drawn = e.layer;
      drawn.getElement()?.setAttribute('data-testid', 'finding-outline');
      place = { kind: 'polygon', geometry: outline(drawn.toGeoJSON().geometry) };
      show();
    });
  }

  /** Take the place from the GPS (following each fix), a click on the map, or a drawn outline. */
  function start(next) {
    reset();
    by = next;
    show();
    if (next === 'gps') {
      let first = true;
      const follow = (p) => {
        if (!p || by !== 'gps') return;
        setPoint(p, p.accuracy);
        // The first fix is shown above the sheet; later ones move the dot, not the map.
        if (first) frame([p.lon, p.lat]);
        first = false;
      };
      unsubscribe = locator.subscribe(follow);
      if (locator.position) follow(locator.position);
      else locator.start({ pan: false });
    } else if (next === 'draw') {
      draw();
    }
  }

  map.on('click', (e) => {
    if (by === 'pick') setPoint({ lon: e.latlng.lng, lat: e.latlng.lat });
  });

  function element(withPick) {
    where = h('p', { class: 'finding-where', 'data-testid': 'finding-where', role: 'status', 'aria-live': 'polite' });
    const button = (testid, text, next) => h('button', { type: 'button', 'data-testid': testid, onclick: () => start(next) }, text);
    show();
    return h('fieldset', { class: 'field finding-place' },
      h('legend', {}, t('patrol.place'), h('span', { class: 'req', 'aria-hidden': 'true' }, ' *')),
      h('div', { class: 'place-tools', role: 'group' },
        button('finding-use-gps', t('patrol.useGps'), 'gps'),
        withPick ? button('finding-pick', t('patrol.pickOnMap'), 'pick') : null,
        button('finding-draw', t('patrol.drawOutline'), 'draw')),
      where);
  }

  return {
    element,
    start,
    reset,
    geometry: () => (place ? place.geometry : null),
    /** While a point is picked or an outline drawn, a click on the map is that place. */
    capturesMap: () => by === 'pick' || by === 'draw',
  };
}
