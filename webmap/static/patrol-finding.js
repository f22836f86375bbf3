// A patrol finding or report as POST /api/patrol/findings (or /reports) takes it, DOM-free
// (webmap/tests/patrol-model.test.js): the phone's own id of it (client_ref), its place as GeoJSON
// rounded to what a phone's fix can say, texts trimmed. Loaded with the sheet that records it.

/** The sender's id of a finding: a resend answers the case the first send made. */
export function newClientRef(cryptoApi = globalThis.crypto) {
  if (cryptoApi && typeof cryptoApi.randomUUID === 'function') return cryptoApi.randomUUID();
  const hex = [...(cryptoApi ? cryptoApi.getRandomValues(new Uint8Array(16)) : [])]
    .map((b) => b.toString(16).padStart(2, '0')).join('');
  return hex || `r${Date.now().toString(36)}${Math.random().toString(36).slice(2)}`;
}

/** Lon/lat to 7 decimals (about a centimetre): what a phone's fix can say. */
function rounded(coords) {
  return Array.isArray(coords[0]) ? coords.map(rounded) : coords.map((v) => Math.round(v * 1e7) / 1e7);
}

/** A GeoJSON point from a position {lon, lat}. */
export function pointAt(position) {
  return { type: 'Point', coordinates: rounded([position.lon, position.lat]) };
}

/** A drawn outline as the API takes it: a Polygon with its coordinates rounded. */
export function outline(geometry) {
  if (!geometry || !/Polygon$/.test(geometry.type)) return null;
  return { type: geometry.type, coordinates: rounded(geometry.coordinates) };
}

// A report's reporter and what they said; a patrol finding has none (the server drops them too).
const REPORT_TEXTS = ['reporter_name', 'reporter_contact', 'content'];

/**
 * The body of POST /api/patrol/findings (no `source`) or /reports (`source`, `received_at`):
 * texts trimmed and empty ones left out.
 */
export function findingBody({ source = null, violation, geometry, foundAt, clientRef, ...texts }) {
  const body = { violation, geometry };
  if (source) {
    body.source = source;
    body.received_at = foundAt;
  } else if (foundAt) {
    body.found_at = foundAt;
  }
  for (const k of ['note', ...(source ? REPORT_TEXTS : [])]) {
    const v = String(texts[k] ?? '').trim();
    if (v) body[k] = v;
  }
  if (clientRef) body.client_ref = clientRef;
  return body;
}
