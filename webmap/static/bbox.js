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
