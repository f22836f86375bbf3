// A dense batch drawn from the server's vector tiles (GET /api/tiles/batch-{id}/{z}/{x}/{y}.mvt,
// layer "cases") with the vendored protomaps-leaflet renderer (window.protomapsL, loaded as a
// classic script, loaded on first use by loadTileRenderer: most views never need it). Used when more 图斑 are in view than the GeoJSON cap: the
// browser then holds pixels and a small index per tile, not a DOM path per 图斑. The style is
// the GeoJSON layer's (map.js hands its style function in); clicking picks the feature under
// the pointer.
//
// A dense tile below zoom 15 comes as layer "overview" instead (storage/tiles.py, docs/api.md):
// one point per occupied cell (32 px) with n (how many 图斑), state (the most urgent among
// them) and overdue. It is drawn as a circle in the state's colour, its area growing with n,
// outlined when any is overdue, labelled with n; a click on it zooms in towards the polygons.

import { OVERDUE_OUTLINE } from './labels.js';
import { loadScript } from './load-script.js';

const RENDERER = new URL('vendor/protomaps-leaflet/protomaps-leaflet.js', import.meta.url).href;

/** Load protomaps-leaflet (window.protomapsL) once. */
export function loadTileRenderer() {
  return window.protomapsL ? Promise.resolve() : loadScript(RENDERER);
}
import { language } from './messages.js';

/** The server draws no batch tile below this zoom (storage/tiles.py BATCH_MIN_ZOOM). */
export const TILE_MIN_ZOOM = 12;
/** Overview tiles exist below this zoom only (storage/tiles.py OVERVIEW_BELOW_ZOOM). */
export const OVERVIEW_BELOW_ZOOM = 15;

/** A cell's circle radius in px: area grows with the count, within the 32 px cell. */
export function cellRadius(n) {
  const count = Number.isFinite(n) && n > 0 ? n : 1;
  return Math.min(15, 8 + 2 * Math.log10(count));
}

/** The label of a cell: the count, shortened above 9 999 (1.2万). */
export function cellLabel(n) {
  if (!Number.isFinite(n) || n < 0) return '';
  // Intl's compact notation says it the reader's way: 1.2万 in Chinese, 12K in English.
  return n >= 10000
    ? new Intl.NumberFormat(language(), { notation: 'compact', maximumFractionDigits: 1 }).format(n)
    : String(Math.round(n));
}

/**
 * A Leaflet layer of batch ``batchId``'s tiles; ``state`` (optional) draws only that state;
 * ``styleOf(props, zoom)`` gives a feature's Leaflet path style (fillColor, fillOpacity, color,
 * weight) from its tile attributes. Returns {layer, pick(latlng) → case id (string) or null}.
 */
export function createBatchTiles(batchId, { state = null, styleOf }) {
  const P = window.protomapsL;
  const base = new URL(`api/tiles/batch-${encodeURIComponent(batchId)}/`, document.baseURI);
  const cellStyle = (z, f) => styleOf({ state: f.props.state }, z, Boolean(f.props.overdue));
  const layer = P.leafletLayer({
    url: `${base.href}{z}/{x}/{y}.mvt`,
    attribution: '',
    levelDiff: 0, // one request per displayed tile, at the zoom shown
    maxDataZoom: 18,
    minZoom: TILE_MIN_ZOOM,
    labelRules: [{
      dataLayer: 'overview',
      // The text symbolizer reads string properties only: the count as text, set here once.
      filter: (_z, f) => {
        if (f.props.label === undefined) f.props.label = cellLabel(f.props.n);
        return true;
      },
      symbolizer: new P.CenteredTextSymbolizer({
        labelProps: ['label'],
        font: '600 10px sans-serif',
        fill: '#111111',
        stroke: '#ffffff',
        width: 1,
      }),
    }],
    paintRules: [{
      // A cell counts every state: with a state filter on it is drawn grey (zoom in to filter).
      dataLayer: 'overview',
      symbolizer: new P.CircleSymbolizer({
        radius: (_z, f) => cellRadius(f.props.n),
        fill: (z, f) => (state ? '#9e9e9e' : cellStyle(z, f).fillColor),
        opacity: 0.75,
        stroke: (_z, f) => (f.props.overdue ? OVERDUE_OUTLINE : '#ffffff'),
        width: (_z, f) => (f.props.overdue ? 2 : 1),
      }),
    }, {
      dataLayer: 'cases',
      filter: (_z, f) => !state || f.props.state === state,
      symbolizer: new P.PolygonSymbolizer({
        fill: (z, f) => styleOf(f.props, z).fillColor,
        stroke: (z, f) => styleOf(f.props, z).color,
        width: (z, f) => styleOf(f.props, z).weight,
        opacity: (z, f) => styleOf(f.props, z).fillOpacity,
      }),
    }],
  });

  /** The overview cell at ``latlng`` ({n, state, overdue}), or null. */
  function cellAt(latlng) {
    const found = layer.queryTileFeaturesDebug(latlng.lng, latlng.lat, 16);
    for (const hits of found.values()) {
      for (const { feature, layerName } of hits) {
        if (layerName === 'overview') return { ...feature.props };
      }
    }
    return null;
  }

  /** The case id of the 图斑 at ``latlng`` (the topmost when several), or null. */
  function pick(latlng) {
    const found = layer.queryTileFeaturesDebug(latlng.lng, latlng.lat, 4);
    for (const hits of found.values()) {
      for (let i = hits.length - 1; i >= 0; i -= 1) {
        const { feature, layerName } = hits[i];
        if (layerName !== 'cases') continue;
        if (state && feature.props.state !== state) continue;
        return String(feature.props.case_id);
      }
    }
    return null;
  }
  return { layer, pick, cellAt };
}
