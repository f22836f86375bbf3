// A dense batch drawn from the server's vector tiles (GET /api/tiles/batch-{id}/{z}/{x}/{y}.mvt,
// layer "cases") with the vendored protomaps-leaflet renderer (window.protomapsL, loaded as a
// classic script like Leaflet). Used when more 图斑 are in view than the GeoJSON cap: the
// browser then holds pixels and a small index per tile, not a DOM path per 图斑. The style is
// the GeoJSON layer's (map.js hands its style function in); clicking picks the feature under
// the pointer.

/** The server draws no batch tile below this zoom (storage/tiles.py BATCH_MIN_ZOOM). */
export const TILE_MIN_ZOOM = 12;

/**
 * A Leaflet layer of batch ``batchId``'s tiles; ``state`` (optional) draws only that state;
 * ``styleOf(props, zoom)`` gives a feature's Leaflet path style (fillColor, fillOpacity, color,
 * weight) from its tile attributes. Returns {layer, pick(latlng) → case id (string) or null}.
 */
export function createBatchTiles(batchId, { state = null, styleOf }) {
  const P = window.protomapsL;
  const base = new URL(`api/tiles/batch-${encodeURIComponent(batchId)}/`, document.baseURI);
  const layer = P.leafletLayer({
    url: `${base.href}{z}/{x}/{y}.mvt`,
    attribution: '',
    levelDiff: 0, // one request per displayed tile, at the zoom shown
    maxDataZoom: 18,
    minZoom: TILE_MIN_ZOOM,
    paintRules: [{
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
  return { layer, pick };
}
