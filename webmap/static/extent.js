// 实测违法范围: draw or edit the measured illegal extent of a 图斑 on the map (vendored
// leaflet-geoman-free), sent with 核查 as `illegal_geometry` (GeoJSON polygon, EPSG:4490 lon/lat;
// the server computes its ellipsoidal area). The saved extent of the open case is shown as a
// red dashed outline. The plugin (≈ 80 KB compressed) loads on the first draw, not with the
// page: most visits never draw (the service worker keeps it once loaded; the offline task pack
// loads it ahead with preloadDrawing()).
// Test hooks: data-testid="extent-tool" (data-state = none|drawing|drawn|editing), "extent-draw",
// "extent-from-case", "extent-edit", "extent-clear", "extent-area"; the drawn path has
// data-extent="draft", the saved one data-extent="saved".

import { h } from './dom.js';
import { fmt2 } from './labels.js';
import { loadScript } from './load-script.js';
import { t } from './messages.js';

const L = window.L;
const EXTENT_STYLE = { color: '#d7191c', weight: 2.5, dashArray: '6 4', fillColor: '#d7191c', fillOpacity: 0.12 };
const EARTH_R = 6378137;
// Beside this module under the same content-hashed path (api/assets.py).
const GEOMAN = new URL('vendor/leaflet-geoman/leaflet-geoman.min.js', import.meta.url).href;
const GEOMAN_CSS = new URL('vendor/leaflet-geoman/leaflet-geoman.css', import.meta.url).href;

/** Load leaflet-geoman once (first draw, or the offline task pack ahead of going offline). */
export function preloadDrawing() {
  if (L.PM) return Promise.resolve();
  return loadScript(GEOMAN, { css: GEOMAN_CSS }).catch(() => {
    throw new Error(t('extent.toolNotLoaded'));
  });
}

/** Spherical area (m²) of a ring of [lon, lat]: close enough to show while drawing. */
function ringArea(ring) {
  let sum = 0;
  for (let i = 0; i < ring.length; i += 1) {
    const [x1, y1] = ring[i];
    const [x2, y2] = ring[(i + 1) % ring.length];
    sum += ((x2 - x1) * Math.PI / 180) * (2 + Math.sin(y1 * Math.PI / 180) + Math.sin(y2 * Math.PI / 180));
  }
  return Math.abs(sum * EARTH_R * EARTH_R / 2);
}

/** Approximate area (m²) of a drawn Polygon/MultiPolygon, to show while drawing. */
export function polygonArea(geometry) {
  if (!geometry) return 0;
  const polys = geometry.type === 'MultiPolygon' ? geometry.coordinates : [geometry.coordinates];
  return polys.reduce((a, rings) => a + ringArea(rings[0]) - rings.slice(1).reduce((b, r) => b + ringArea(r), 0), 0);
}

/** The map's drawing tools, loading the plugin first when needed (its hook missed this map);
 * shared by the extent of 核查 and the outline of a patrol finding. */
export async function drawingTools(map) {
  await preloadDrawing();
  if (!map.pm) {
    map.pm = new L.PM.Map(map);
    map.pm.setLang('zh');
    map.pm.setGlobalOptions({ pathOptions: EXTENT_STYLE, snappable: false, continueDrawing: false });
  }
  return map.pm;
}

/**
 * createExtentEditor(map) → {tool(caseData, caseLayer) → {element, geometry()}, showSaved(c), stop()}
 * Only one tool is live at a time (the open case's verify form).
 */
export function createExtentEditor(map) {
  const ready = () => drawingTools(map);
  let saved = null; // the open case's stored extent (read-only outline)
  let draft = null; // the layer being drawn / edited
  let live = null; // {setState}

  function mark(layer, kind) {
    const el = layer.getElement && layer.getElement();
    if (el) el.setAttribute('data-extent', kind);
  }

  function stop() {
    if (map.pm) {
      map.pm.disableDraw();
    }
    if (draft) {
      if (draft.pm) draft.pm.disable();
      draft.remove();
    }
    draft = null;
    live = null;
  }

  function showSaved(c) {
    if (saved) saved.remove();
    saved = null;
    const g = c && c.milestones && c.milestones.illegal_geometry;
    if (g && g.type) {
      saved = L.geoJSON(g, { style: () => ({ ...EXTENT_STYLE, fillOpacity: 0.05 }), interactive: false }).addTo(map);
      saved.eachLayer((l) => mark(l, 'saved'));
    }
  }

  function tool(c, caseLayer) {
    stop();
    const status = h('span', { class: 'muted', 'data-testid': 'extent-area', 'aria-live': 'polite' }, t('extent.notDrawn'));
    const drawBtn = h('button', { type: 'button', 'data-testid': 'extent-draw' }, t('extent.drawExtent'));
    const fromCase = h('button', { type: 'button', 'data-testid': 'extent-from-case' }, t('extent.startFromPolygon'));
    const editBtn = h('button', { type: 'button', 'data-testid': 'extent-edit', disabled: true }, t('extent.editExtent'));
    const clearBtn = h('button', { type: 'button', 'data-testid': 'extent-clear', disabled: true }, t('extent.clearExtent'));
    const box = h('fieldset', { class: 'extent', 'data-testid': 'extent-tool', 'data-state': 'none' },
      h('legend', {}, t('extent.measuredIllegalExtentOptional')),
      h('p', { class: 'hint muted', id: 'extent-hint' },
        t('extent.whenIllegalExtentDiffers')),
      h('div', { class: 'extent-tools', role: 'group', 'aria-describedby': 'extent-hint' }, drawBtn, fromCase, editBtn, clearBtn),
      status);
    const me = {};
    live = me;

    function setState(state) {
      box.dataset.state = state;
      const g = geometry();
      status.textContent = g ? t('extent.drawnAboutMMu', { value: fmt2(polygonArea(g)), value2: fmt2(polygonArea(g) / (10000 / 15)) }) : t('extent.notDrawn');
      editBtn.disabled = !draft;
      clearBtn.disabled = !draft;
      editBtn.textContent = state === 'editing' ? t('extent.finishEditing') : t('extent.editExtent');
    }

    function adopt(layer) {
      if (draft) draft.remove();
      draft = layer;
      layer.setStyle && layer.setStyle(EXTENT_STYLE);
      mark(layer, 'draft');
      layer.on('pm:edit pm:markerdragend pm:vertexadded pm:vertexremoved', () => live === me && setState(box.dataset.state));
    }

    /** Run fn once the plugin is there; a failure to load is said in the tool's status line. */
    const withTools = (fn) => async () => {
      try {
        await ready();
      } catch (err) {
        status.textContent = err.message;
        return;
      }
      if (live === me) fn();
    };

    drawBtn.addEventListener('click', withTools(() => {
      if (draft) draft.remove();
      draft = null;
      map.pm.enableDraw('Polygon', { pathOptions: EXTENT_STYLE, finishOn: null });
      map.once('pm:create', (e) => {
        if (live !== me) {
          e.layer.remove();
          return;
        }
        adopt(e.layer);
        setState('drawn');
      });
      setState('drawing');
    }));
    fromCase.addEventListener('click', withTools(() => {
      const source = caseLayer && caseLayer();
      if (!source) return;
      const copy = L.geoJSON(source.toGeoJSON()).getLayers()[0];
      copy.addTo(map);
      adopt(copy);
      copy.pm.enable({ allowSelfIntersection: false });
      setState('editing');
    }));
    editBtn.addEventListener('click', withTools(() => {
      if (!draft) return;
      if (draft.pm.enabled()) {
        draft.pm.disable();
        setState('drawn');
      } else {
        draft.pm.enable({ allowSelfIntersection: false });
        setState('editing');
      }
    }));
    clearBtn.addEventListener('click', () => {
      if (draft) {
        draft.pm.disable();
        draft.remove();
      }
      draft = null;
      setState('none');
    });

    function geometry() {
      if (!draft || live !== me) return null;
      const gj = draft.toGeoJSON();
      return gj && gj.geometry && /Polygon$/.test(gj.geometry.type) ? gj.geometry : null;
    }
    me.element = box;
    me.geometry = geometry;
    return me;
  }

  return { tool, showSaved, stop, polygonArea };
}
