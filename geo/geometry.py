"""Geometry hygiene for delivered 图斑: drop Z/M, repair invalid rings, reject what has no area."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import shapely

POLYGONAL = (shapely.GeometryType.POLYGON, shapely.GeometryType.MULTIPOLYGON)
PUNCTUAL = (shapely.GeometryType.POINT,)


@dataclass
class CleanResult:
    """Cleaned geometries plus, by 0-based row, what was repaired and what was rejected."""

    geoms: np.ndarray
    repaired: dict[int, str] = field(default_factory=dict)
    rejected: dict[int, str] = field(default_factory=dict)


# GEOS's words for why a geometry is invalid (its TopologyValidationError), as the report says
# them; the place GEOS names follows in the file's own coordinates.
INVALID_REASONS = {
    "Self-intersection": "自相交",
    "Ring Self-intersection": "环自相交",
    "Hole lies outside shell": "内环在外环之外",
    "Holes are nested": "内环相互嵌套",
    "Interior is disconnected": "面内部被分割为不连通的部分",
    "Nested shells": "外环相互嵌套",
    "Duplicate Rings": "环重复",
    "Too few distinct points in geometry component": "组成部分的不同点过少",
    "Invalid Coordinate": "坐标无效",
    "Ring is not closed": "环未闭合",
    "Repeated Point": "重复点",
    "Topology Validation Error": "拓扑错误",
}
GEOMETRY_TYPES = {
    "Point": "点",
    "MultiPoint": "多点",
    "LineString": "线",
    "LinearRing": "线环",
    "MultiLineString": "多线",
    "GeometryCollection": "几何集合",
}
_REASON = re.compile(r"^(?P<what>[^\[]+?)\s*(?:\[(?P<where>[^\]]*)\])?$")


def invalid_reason(geom: shapely.Geometry) -> str:
    """Why ``geom`` is invalid, in Chinese, with the place GEOS found the fault:
    "自相交，位置 (0.5 0.5)"; a reason GEOS words in a way not listed is kept as it is."""
    said = shapely.is_valid_reason(geom)
    m = _REASON.match(said or "")
    if m is None or m["what"] not in INVALID_REASONS:
        return said
    where = f"，位置 ({m['where']})" if m["where"] else ""
    return INVALID_REASONS[m["what"]] + where


def _polygonal_part(g: shapely.Geometry) -> shapely.Geometry | None:
    """The polygons in a make_valid result (which may mix in lines and points)."""
    parts = [p for p in shapely.get_parts(g) if shapely.get_type_id(p) in POLYGONAL]
    if not parts:
        return None
    polys = [q for p in parts for q in shapely.get_parts(p)]
    return polys[0] if len(polys) == 1 else shapely.MultiPolygon(polys)


def clean_geometries(geoms: np.ndarray, *, allow_points: bool = False) -> CleanResult:
    """Force 2D, repair invalid polygons with ``make_valid`` and reject unusable rows.

    Rejected: missing or empty geometry, lines, points (unless ``allow_points``, for lists of
    图斑 given by centre coordinates), and polygons with zero area. Repaired rows keep their
    polygonal part; the reason names what was wrong (e.g. "自相交，位置 (x y)").
    """
    geoms = np.asarray(geoms, dtype=object)
    if shapely.has_z(geoms).any():  # force_2d copies every geometry: only when there is a Z
        geoms = shapely.force_2d(geoms)
    out = CleanResult(geoms=geoms.copy())
    types = shapely.get_type_id(geoms)
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    polygonal = np.isin(types, POLYGONAL)
    punctual = np.isin(types, PUNCTUAL) & allow_points
    valid = shapely.is_valid(geoms)
    area = shapely.area(geoms)
    # Vectorised triage; only the (few) problem rows are visited one by one.
    for i in np.flatnonzero(missing):
        out.rejected[int(i)] = "几何为空"
    for i in np.flatnonzero(~missing & ~polygonal & ~punctual):
        kind = geoms[i].geom_type
        out.rejected[int(i)] = f"几何类型为{GEOMETRY_TYPES.get(kind, kind)}（{kind}），应为面"
    for i in np.flatnonzero(~missing & polygonal & ~valid):
        if not np.isfinite(shapely.get_coordinates(geoms[i])).all():  # GEOS cannot repair these
            out.rejected[int(i)] = "坐标含 NaN 或无穷大"
            continue
        reason = invalid_reason(geoms[i])
        fixed = _polygonal_part(shapely.make_valid(geoms[i]))
        if fixed is None or shapely.area(fixed) == 0:
            out.rejected[int(i)] = f"几何无效且无法修复为面：{reason}"
        else:
            out.geoms[i] = fixed
            out.repaired[int(i)] = reason
    for i in np.flatnonzero(~missing & polygonal & valid & (area == 0)):
        out.rejected[int(i)] = "面积为零"
    out.rejected = dict(sorted(out.rejected.items()))
    return out
