// Bounding boxes [west, south, east, north] in degrees, DOM-free.

/** The box grown by `share` of its size on each side, rounded outward to ~1 m (stable URLs). */
export function grow(box, share) {
  const dx = (box[2] - box[0]) * share;
  const dy = (box[3] - box[1]) * share;
  return [Math.floor((box[0] - dx) * 1e5) / 1e5, Math.floor((box[1] - dy) * 1e5) / 1e5,
    Math.ceil((box[2] + dx) * 1e5) / 1e5, Math.ceil((box[3] + dy) * 1e5) / 1e5];
}

/** Does `outer` cover `inner`? */
export function contains(outer, inner) {
  return outer[0] <= inner[0] && outer[1] <= inner[1] && outer[2] >= inner[2] && outer[3] >= inner[3];
}

/** Do boxes `a` and `b` share any point (edges included)? */
export function intersects(a, b) {
  return a[0] <= b[2] && b[0] <= a[2] && a[1] <= b[3] && b[1] <= a[3];
}

/** The box of a GeoJSON geometry's coordinates (an empty geometry: an inverted box). */
export function geometryBox(geometry) {
  const b = [Infinity, Infinity, -Infinity, -Infinity];
  const walk = (x) => {
    if (typeof x[0] === 'number') {
      b[0] = Math.min(b[0], x[0]); b[1] = Math.min(b[1], x[1]);
      b[2] = Math.max(b[2], x[0]); b[3] = Math.max(b[3], x[1]);
    } else x.forEach(walk);
  };
  if (geometry && geometry.coordinates) walk(geometry.coordinates);
  return b;
}
