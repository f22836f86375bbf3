// The Leaflet map: no basemap unless configured (offline), the 图斑 in view coloured by state,
// 违法 outlined red, 逾期 outlined magenta. Only the 图斑 in the current view are drawn (app.js
// fetches them per viewport); the legend counts the whole batch (GET /api/batches/{id}/summary).
// Leaflet is loaded as the vendored classic script (window.L) before this module runs.

import { fill, h } from './dom.js';
import {
  ILLEGAL_OUTLINE, OVERDUE_OUTLINE, REISSUE_DASH, colourFor, darken, refKind,
} from './labels.js';
import { judgmentLabel, stateLabel, statesFor } from './meta.js';
import { OVERVIEW_BELOW_ZOOM, createBatchTiles, loadTileRenderer } from './tile-layer.js';
import { t } from './messages.js';

const L = window.L;

/** 丰润区 centre: the view before any batch is loaded. */
const HOME = { center: [39.83, 118.12], zoom: 10 };

/** A point 图斑 (a finding's GPS fix): a dot big enough for a finger, styled as a polygon is. */
const pointLayer = (feature, latlng) => L.circleMarker(latlng, { radius: 9 });

/** Below this zoom most 图斑 are a few pixels wide: thicker outlines keep them visible. */
const DETAIL_ZOOM = 14;

function styleFor(props, selected, zoom, overdue = false) {
  const illegal = props.judgment === 'illegal';
  const fill = colourFor(props.state);
  const overview = zoom < DETAIL_ZOOM;
  const base = overview ? 2.5 : 1.2;
  // 违法 (red) wins over 逾期 (magenta): an overdue illegal 图斑 is still told by its tooltip.
  const outline = illegal ? ILLEGAL_OUTLINE : (overdue ? OVERDUE_OUTLINE : null);
  return {
    fillColor: fill,
    fillOpacity: selected ? 0.85 : 0.65,
    color: outline || (selected ? '#000000' : (overview ? fill : darken(fill, 0.35))),
    weight: selected ? base + 2 : (outline ? base + 1.5 : base),
    opacity: 1,
    // A 图斑 issued again (same code or overlapping an earlier one): dashed outline.
    dashArray: props.reissue_of_batch ? REISSUE_DASH : null,
  };
}

function place(props) {
  return [props.township_name, props.village_name].filter(Boolean).join(' ');
}

function describe(props, overdue) {
  const where = place(props);
  return t('map.polygon', { value: props.code ?? props.case_id, state: stateLabel(props.state, props.state_label) }) +
    (props.judgment === 'illegal' ? t('map.sep', { judgment: judgmentLabel(props.judgment) }) : '') + (overdue ? t('map.overdue') : '') +
    (props.reissue_of_batch ? t('map.issuedAgain') : '') +
    (where ? t('map.sep2', { where }) : '');
}

/** Tooltip content: code, state, 乡镇/村 and the 重复下发 origin when known. */
function tooltipContent(props, batchName, overdue) {
  const where = place(props);
  const origin = props.reissue_of_batch ? batchName(props.reissue_of_batch) : null;
  return h('div', { class: 'map-tip' },
    h('strong', {}, t('map.polygon2', { value: props.code ?? props.case_id })),
    h('div', {}, stateLabel(props.state, props.state_label),
      props.judgment === 'illegal' ? h('span', { class: 'tip-illegal' }, ` · ${judgmentLabel(props.judgment)}`) : null,
      overdue ? h('span', { class: 'tip-overdue' }, t('map.overdue2')) : null),
    where ? h('div', { 'data-testid': 'tip-place' }, where) : null,
    props.reissue_of_batch
      ? h('div', { class: 'tip-reissue' }, origin ? t('map.issuedAgainFirst', { origin }) : t('map.issuedAgain2'))
      : null);
}

/** A small line sample in a reference layer's outline style (legend and layer control). */
export function lineSwatch(style) {
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.setAttribute('class', 'line-swatch');
  svg.setAttribute('width', '22');
  svg.setAttribute('height', '14');
  svg.setAttribute('aria-hidden', 'true');
  const rect = document.createElementNS('http://www.w3.org/2000/svg', 'rect');
  const w = Math.min(style.weight || 1, 3);
  for (const [k, v] of Object.entries({
    x: w / 2 + 1, y: w / 2 + 1, width: 20 - w, height: 12 - w, fill: 'none',
    stroke: style.color, 'stroke-width': w, 'stroke-dasharray': style.dashArray || null,
  })) if (v !== null) rect.setAttribute(k, String(v));
  svg.append(rect);
  return svg;
}

/**
 * Legend control: the programme's states with counts, 违法 and 重复下发 outlines, and the
 * reference layers that are switched on. Collapsible (collapsed at first on phones).
 */
function createLegend() {
  const control = L.control({ position: 'bottomright' });
  let box;
  let toggle;
  let content;
  let last = { programme: null, counts: {}, reissued: 0, overdue: false };
  let refs = [];
  let overlays = [];
  let patrol = [];
  let patrolTitle = '';
  control.onAdd = () => {
    const phone = window.matchMedia('(max-width: 720px)').matches;
    content = h('div', { class: 'legend-body', id: 'legend-body', hidden: phone });
    toggle = h('button', {
      type: 'button', class: 'legend-title', 'aria-expanded': String(!phone),
      'aria-controls': 'legend-body', 'data-testid': 'legend-toggle',
    }, t('map.legend'));
    toggle.addEventListener('click', () => {
      const open = toggle.getAttribute('aria-expanded') !== 'true';
      toggle.setAttribute('aria-expanded', String(open));
      content.hidden = !open;
    });
    box = h('div', { class: 'legend', 'data-testid': 'legend', role: 'group', 'aria-label': t('map.legend') },
      toggle, content);
    L.DomEvent.disableClickPropagation(box);
    L.DomEvent.disableScrollPropagation(box);
    return box;
  };
  function draw() {
    const { programme, counts, reissued, overdue } = last;
    const states = [...statesFor(programme)];
    for (const s of Object.keys(counts)) if (!states.includes(s)) states.push(s);
    fill(content,
      states.map((s) => h('div', { class: 'legend-row', 'data-state': s, 'data-count': String(counts[s] || 0) },
        h('span', { class: 'swatch', style: `background:${colourFor(s)}` }),
        h('span', {}, t('map.sep3', { s: stateLabel(s), value: counts[s] || 0 })))),
      programme === 'change_survey' ? null : h('div', { class: 'legend-row' },
        h('span', { class: 'swatch swatch-illegal', style: `border-color:${ILLEGAL_OUTLINE}` }),
        h('span', {}, t('map.redOutlineIllegal'))),
      overdue ? h('div', { class: 'legend-row', 'data-testid': 'legend-overdue' },
        h('span', { class: 'swatch swatch-illegal', style: `border-color:${OVERDUE_OUTLINE}` }),
        h('span', {}, t('map.magentaOutlineOverdue'))) : null,
      programme === 'change_survey' && !reissued ? null
        : h('div', { class: 'legend-row', 'data-testid': 'legend-reissue' },
          h('span', { class: 'swatch swatch-reissue' }),
          h('span', {}, t('map.dashedOutlineIssuedAgain', { reissued }))),
      patrol.length ? h('div', { class: 'legend-subtitle', 'data-testid': 'legend-patrol' }, patrolTitle) : null,
      patrol.map((r) => h('div', { class: 'legend-row', 'data-patrol-status': r.status, 'data-count': String(r.count) },
        h('span', { class: r.dashed ? 'swatch swatch-patrol dashed' : 'swatch swatch-patrol', style: `border-color:${r.color}` }),
        h('span', {}, t('map.sep3', { s: r.label, value: r.count })))),
      overlays.length ? h('div', { class: 'legend-subtitle' }, t('map.overlaidBatches')) : null,
      overlays.map((o) => h('div', { class: 'legend-row', 'data-overlay-batch': String(o.id) },
        h('span', { class: 'swatch swatch-overlay' }), h('span', {}, o.label))),
      refs.length ? h('div', { class: 'legend-subtitle' }, t('map.referenceLayers')) : null,
      refs.map((r) => h('div', { class: 'legend-row', 'data-ref-kind': r.kind },
        lineSwatch(refKind(r.kind).style), h('span', {}, r.label))));
  }
  /** counts: {state: n} of the whole batch; layers: the drawn ones (重复下发 in view). */
  control.render = (programme, counts, layers, overdue = false) => {
    let reissued = 0;
    for (const layer of layers) if (layer.feature.properties.reissue_of_batch) reissued += 1;
    last = { programme, counts: counts || {}, reissued, overdue };
    draw();
  };
  /** entries: [{id, label}] of the batches overlaid on the current one. */
  control.setOverlays = (entries) => {
    overlays = entries;
    draw();
  };
  /** rows: [{status, label, color, count, dashed}] of the 动态巡查 layer (none when it is off),
   * under `title`. */
  control.setPatrol = (rows, title = '') => {
    patrol = rows;
    patrolTitle = title;
    draw();
  };
  /** entries: [{kind, label}] of the reference layers currently switched on. */
  control.setRefs = (entries) => {
    refs = entries;
    draw();
  };
  return control;
}

/** A drawn 图斑's bounds; a point (a patrol finding's GPS fix) is its own tiny box. */
export function boundsOf(layer) {
  if (layer.getBounds) return layer.getBounds();
  const at = layer.getLatLng();
  return L.latLngBounds(at, at);
}

/**
 * Show an opened 图斑 whole and large enough to work on, in the part of the map that is not
 * under the bottom sheet (`bottom` CSS px): zoom to it unless it already is. False while the
 * map has no size (another tab shows).
 */
function frameLayer(map, layer, bottom) {
  const size = map.getSize();
  if (!size.x || !size.y) return false;
  const pad = 24;
  const high = size.y - bottom;
  if (high < 4 * pad) return true; // the sheet covers the map: nothing to frame into
  const bounds = boundsOf(layer);
  const nw = map.latLngToContainerPoint(bounds.getNorthWest());
  const se = map.latLngToContainerPoint(bounds.getSouthEast());
  const inside = nw.x >= pad && nw.y >= pad && se.x <= size.x - pad && se.y <= high - pad;
  const large = Math.max(se.x - nw.x, se.y - nw.y) >= Math.min(size.x, high) / 4;
  if (!(inside && large)) {
    map.fitBounds(bounds, {
      paddingTopLeft: [pad, pad], paddingBottomRight: [pad, pad + bottom], maxZoom: layer.getBounds ? 18 : 17, animate: false,
    });
  }
  return true;
}

/** show(batchId, opts) once protomaps-leaflet is loaded; offline before its first use the
 * polygons stay off and the map asks to zoom in. Only the latest call is carried out. */
function withRenderer(show) {
  let wanted = 0;
  return (batchId, opts = {}) => {
    const mine = ++wanted;
    if (batchId === null || window.protomapsL) show(batchId, opts);
    else loadTileRenderer().then(() => mine === wanted && show(batchId, opts), () => {});
  };
}

/**
 * Create the map view. onSelect(caseId) is called when a polygon is clicked or activated
 * from the keyboard.
 */
export function createMapView(container, { onSelect, batchName = () => null, isOverdue = () => false }) {
  const map = L.map(container, { zoomControl: false, attributionControl: true, keyboard: true });
  map.attributionControl.setPrefix('Leaflet');
  L.control.zoom({ zoomInTitle: t('map.zoom'), zoomOutTitle: t('map.zoomOut'), position: 'topleft' }).addTo(map);
  L.control.scale({ imperial: false, position: 'bottomleft' }).addTo(map);
  map.setView(HOME.center, HOME.zoom);

  const legend = createLegend().addTo(map);
  let lastDetail = null;
  map.on('zoomend', () => {
    const detail = map.getZoom() >= DETAIL_ZOOM;
    if (detail !== lastDetail) {
      lastDetail = detail;
      for (const layer of layers.values()) restyle(layer);
    }
  });
  const layers = new Map(); // case id (string) -> L.Path
  // A dense batch drawn from vector tiles instead (tile-layer.js): {batchId, state, layer, pick}.
  let tiles = null;
  const tileStates = new Map(); // case id -> state last seen, to redraw the tiles when it moves
  map.on('click', (e) => {
    const id = tiles && tiles.pick(e.latlng);
    if (id) {
      onSelect(id);
      return;
    }
    // An overview cell stands for many 图斑: zoom in on it until the polygons come.
    const cell = tiles && tiles.cellAt(e.latlng);
    if (cell) map.setView(e.latlng, Math.min(map.getZoom() + 2, OVERVIEW_BELOW_ZOOM));
  });
  let group = null;
  let programme = null;
  let counts = {};
  let selectedId = null;
  // While the map is hidden (another tab shows) it has no size: fitting waits until it shows.
  let pendingFit = null; // {bbox}
  let pendingFocus = null; // case id

  function decorate(layer) {
    const el = layer.getElement && layer.getElement();
    if (!el) return;
    const p = layer.feature.properties;
    el.setAttribute('data-case-id', String(layer.feature.id ?? p.case_id));
    el.setAttribute('data-state', p.state || '');
    el.setAttribute('data-judgment', p.judgment || '');
    if (p.reissue_of_batch) el.setAttribute('data-reissue-of', String(p.reissue_of_batch));
    else el.removeAttribute('data-reissue-of');
    const overdue = isOverdue(p);
    if (overdue) el.setAttribute('data-overdue', 'true');
    else el.removeAttribute('data-overdue');
    el.setAttribute('role', 'button');
    el.setAttribute('tabindex', '0');
    el.setAttribute('aria-label', describe(p, overdue));
    // The label names the 乡镇 and 村 (data): the language tests skip it.
    el.setAttribute('data-value-label', '');
  }

  function restyle(layer) {
    const id = String(layer.feature.id ?? layer.feature.properties.case_id);
    const p = layer.feature.properties;
    layer.setStyle(styleFor(p, id === selectedId, map.getZoom(), isOverdue(p)));
    decorate(layer);
  }

  function renderLegend() {
    legend.render(programme, counts, layers.values(), true);
  }

  /**
   * Replace the drawn polygons with a FeatureCollection (the 图斑 in view); the selection is
   * kept when the selected 图斑 is still drawn. bbox: fit the map to it (a batch just chosen).
   */
  function setFeatures(collection, prog, bbox = null) {
    if (group) group.remove();
    layers.clear();
    programme = prog;
    group = L.geoJSON(collection, {
      style: (f) => styleFor(f.properties, String(f.id ?? f.properties.case_id) === selectedId, map.getZoom(), isOverdue(f.properties)),
      pointToLayer: pointLayer,
      onEachFeature: (feature, layer) => {
        const id = String(feature.id ?? feature.properties.case_id);
        layers.set(id, layer);
        layer.bindTooltip(() => tooltipContent(feature.properties, batchName, isOverdue(feature.properties)),
          { sticky: true, direction: 'top' });
        layer.on('click', () => onSelect(id));
      },
    }).addTo(map);
    for (const layer of layers.values()) {
      decorate(layer);
      layer.getElement()?.addEventListener('keydown', (e) => {
        if (e.key === 'Enter' || e.key === ' ') {
          e.preventDefault();
          layer.fire('click');
        }
      });
    }
    renderLegend();
    if (selectedId !== null && layers.has(selectedId)) layers.get(selectedId).bringToFront();
    if (bbox) fit(bbox);
  }

  /** The whole batch's counts by state (the legend); programme for its state list. */
  function setCounts(stateCounts, prog) {
    counts = { ...(stateCounts || {}) };
    if (prog) programme = prog;
    renderLegend();
  }

  function fit(bbox) {
    const size = map.getSize();
    if (!size.x || !size.y) {
      pendingFit = { bbox };
      return;
    }
    pendingFit = null;
    if (Array.isArray(bbox) && bbox.length === 4 && bbox.every(Number.isFinite)) {
      const [minx, miny, maxx, maxy] = bbox;
      map.fitBounds([[miny, minx], [maxy, maxx]], { padding: [16, 16], animate: false });
    } else if (group && group.getLayers().length) {
      map.fitBounds(group.getBounds(), { padding: [16, 16], animate: false });
    }
  }

  /** Draw batch ``batchId`` from vector tiles (only ``state`` when given); null removes them. */
  function drawTiles(batchId, { state = null } = {}) {
    if (tiles && batchId !== null && tiles.batchId === batchId && tiles.state === state) return;
    if (!tiles || tiles.batchId !== batchId) tileStates.clear();
    if (tiles) tiles.layer.remove();
    tiles = null;
    if (batchId === null) return;
    // The tiles carry the server's overdue flag (the GET /api/overdue rule) beside the state.
    const styleOf = (props, zoom) => styleFor(props, false, zoom, Boolean(props.overdue));
    tiles = { batchId, state, ...createBatchTiles(batchId, { state, styleOf }) };
    tiles.layer.addTo(map);
  }

  const showTiles = withRenderer(drawTiles);

  /** A case changed while its batch is drawn from tiles: fetch them again (new ETags). */
  function tileCaseChanged(c) {
    const id = String(c.id);
    const was = tileStates.get(id);
    if (c.state !== undefined) tileStates.set(id, c.state);
    if (!tiles || was === undefined || c.state === undefined || was === c.state) return;
    const { batchId, state } = tiles;
    tiles.layer.remove();
    tiles = null;
    showTiles(batchId, { state });
  }

  /** Update one polygon in place from a case (GET /api/cases/{id} shape). */
  function updateCase(c) {
    tileCaseChanged(c);
    const layer = layers.get(String(c.id));
    if (!layer) return;
    const was = layer.feature.properties.state;
    // Only what the caller knows: a 立案 summary carries the state but not the judgment.
    for (const key of ['state', 'state_label', 'judgment', 'version']) {
      if (c[key] !== undefined) layer.feature.properties[key] = c[key];
    }
    if (c.state !== undefined && c.state_label === undefined) delete layer.feature.properties.state_label;
    if (c.state !== undefined && was !== c.state) {
      counts[was] = Math.max(0, (counts[was] || 1) - 1);
      counts[c.state] = (counts[c.state] || 0) + 1;
    }
    restyle(layer);
    renderLegend();
  }

  function select(id) {
    const previous = selectedId !== null ? layers.get(selectedId) : null;
    selectedId = id === null ? null : String(id);
    if (previous) restyle(previous);
    const layer = selectedId !== null ? layers.get(selectedId) : null;
    if (layer) {
      restyle(layer);
      layer.bringToFront();
    }
  }

  /** Zoom to a 图斑; while the map is hidden (another tab shows) wait until it is shown. */
  function focusCase(id) {
    const layer = layers.get(String(id));
    if (!layer) return;
    const size = map.getSize();
    if (!size.x || !size.y) {
      pendingFocus = String(id);
      return;
    }
    pendingFocus = null;
    const zoom = Number.isFinite(map.getZoom()) ? map.getZoom() : 15;
    map.fitBounds(boundsOf(layer), { maxZoom: Math.max(zoom, 15), padding: [40, 40] });
  }

  /** Zoom to an opened 图斑 (frameLayer); while the map is hidden, once it is shown. */
  function frameCase(id, { bottom = 0 } = {}) {
    const layer = layers.get(String(id));
    if (!layer) return;
    pendingFocus = frameLayer(map, layer, bottom) ? null : String(id);
  }

  /** Zoom to a bbox [minlon, minlat, maxlon, maxlat] (a 图斑 not drawn yet). */
  function focusBox(bbox) {
    const [minx, miny, maxx, maxy] = bbox;
    map.fitBounds([[miny, minx], [maxy, maxx]], { maxZoom: 16, padding: [40, 40], animate: false });
  }

  function invalidate() {
    map.invalidateSize({ pan: false });
    if (pendingFit) fit(pendingFit.bbox);
    if (pendingFocus !== null && layers.has(pendingFocus)) focusCase(pendingFocus);
  }

  const features = () => [...layers.entries()].map(([id, layer]) => ({ id, ...layer.feature.properties }));

  return {
    map,
    layers,
    legend,
    setFeatures,
    setCounts,
    clear: () => setFeatures({ type: 'FeatureCollection', features: [] }, programme),
    showTiles,
    tilesShown: () => (tiles ? tiles.batchId : null),
    /** The overview cell drawn at (lat, lon) ({n, state, overdue}) or null. */
    tileCellAt: (lat, lon) => (tiles ? tiles.cellAt(L.latLng(lat, lon)) : null),
    updateCase,
    select,
    focusCase,
    frameCase,
    focusBox,
    features,
    fit,
    invalidate,
  };
}
