"""Area of each polygon inside a given axis-aligned box, from its edges, vectorised.

``area(A ∩ box(B))`` bounds ``area(A ∩ B)`` from above far more tightly than the overlap of the
two boxes, and costs a few numpy operations per edge instead of a GEOS overlay per pair (which
builds the intersection's rings: ~20 µs even for two 12-vertex polygons). Duplicate detection
uses it to skip the exact intersection of pairs that cannot reach the IoU threshold.

How: a point is inside a polygon when the edges *above* it, weighted -1 going right and +1
going left (for a counter-clockwise shell; opposite for holes), sum to 1. Integrating that over
the box's height gives, for each edge, the integral over its x-span within the box of
``clamp(y_edge(x), y0, y1) - y0``, which is closed-form for a straight edge. Holes, multiparts
and any winding are handled by the weights; polygons must be valid (rings do not cross), as
``geo.geometry.clean_geometries`` makes every imported 图斑.
"""

from __future__ import annotations

import numpy as np
import shapely

POLYGONAL_TYPE_IDS = (3, 6)  # Polygon, MultiPolygon


def _edges(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(owner index, x0 y0 x1 y1 per edge, weight) for the non-vertical edges of ``geoms``."""
    parts, part_of = shapely.get_parts(geoms, return_index=True)
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    xy, ring_of = shapely.get_coordinates(rings, return_index=True)
    same = ring_of[:-1] == ring_of[1:]  # consecutive coordinates of one ring form an edge
    x0, y0, x1, y1 = xy[:-1, 0][same], xy[:-1, 1][same], xy[1:, 0][same], xy[1:, 1][same]
    ring = ring_of[:-1][same]
    # Shoelace sign of each ring; get_rings lists each part's shell first, then its holes.
    twice_area = np.bincount(ring, weights=x0 * y1 - x1 * y0, minlength=len(rings))
    shell = np.r_[True, ring_part[1:] != ring_part[:-1]]
    role = np.where((twice_area > 0) == shell, 1.0, -1.0)
    weight = -np.sign(x1 - x0) * role[ring]
    keep = weight != 0
    owner = part_of[ring_part[ring[keep]]]
    return owner, np.column_stack((x0, y0, x1, y1))[keep], weight[keep]


def _positive_part(fa: np.ndarray, fb: np.ndarray) -> np.ndarray:
    """Mean over an interval of max(f, 0) for f linear from ``fa`` to ``fb``."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(
            fa * fb >= 0,
            np.maximum((fa + fb) / 2, 0.0),
            np.maximum(fa, fb) ** 2 / (2 * (np.abs(fa) + np.abs(fb))),
        )


def area_in_boxes(geoms: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """``area(geoms[k] ∩ box k)`` for boxes given as rows (minx, miny, maxx, maxy).

    Planar, in the coordinates' units. Non-polygonal, empty and missing geometries give 0.

    Examples
    --------
    >>> from shapely import box
    >>> area_in_boxes(np.array([box(0, 0, 2, 2)]), np.array([[1.0, 1.0, 5.0, 1.5]])).tolist()
    [0.5]
    """
    geoms = np.asarray(geoms, dtype=object)
    boxes = np.asarray(boxes, dtype=float).reshape(-1, 4)
    out = np.zeros(len(geoms))
    ok = np.isin(shapely.get_type_id(geoms), POLYGONAL_TYPE_IDS) & ~shapely.is_empty(geoms)
    idx = np.flatnonzero(ok)
    if len(idx) == 0:
        return out
    owner, e, w = _edges(geoms[idx])
    bx = boxes[idx][owner]
    # Relative to the box corner: the terms stay the size of the box, not of the coordinates.
    ex0, ex1 = e[:, 0] - bx[:, 0], e[:, 2] - bx[:, 0]
    ey0, ey1 = e[:, 1] - bx[:, 1], e[:, 3] - bx[:, 1]
    width, height = bx[:, 2] - bx[:, 0], bx[:, 3] - bx[:, 1]
    lo = np.maximum(np.minimum(ex0, ex1), 0.0)
    hi = np.minimum(np.maximum(ex0, ex1), width)
    span = hi - lo
    slope = (ey1 - ey0) / (ex1 - ex0)  # no vertical edges here
    ya, yb = ey0 + (lo - ex0) * slope, ey0 + (hi - ex0) * slope
    # mean of clamp(y, 0, height) = mean(y) - mean(max(y - height, 0)) + mean(max(-y, 0))
    mean = (ya + yb) / 2 - _positive_part(ya - height, yb - height) + _positive_part(-ya, -yb)
    term = np.where(span > 0, span * mean * w, 0.0)
    out[idx] = np.bincount(owner, weights=term, minlength=len(idx))
    return np.maximum(out, 0.0)
