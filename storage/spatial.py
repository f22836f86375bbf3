"""The spatial seam: how geometries and their bounding boxes are stored, and predicates on them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import shapely
from sqlalchemy import ColumnElement, Table, and_, true

# Geometries are WKB in CGCS2000 (EPSG:4490); each row also carries its bounding box in these
# columns, indexed, so that a viewport query never reads a geometry it does not return. A PostGIS
# backend replaces this module: the callers speak only of boxes and geometries.
BBOX_COLUMNS = ("minx", "miny", "maxx", "maxy")
GEOMETRY_COLUMN = "geom"

Box = tuple[float, float, float, float]


def geometry_values(geoms: Any) -> dict[str, list[Any]]:
    """Storage values of an array of shapely geometries: WKB and the four bbox columns."""
    arr = np.asarray(geoms, dtype=object)
    b = shapely.bounds(arr) if len(arr) else np.empty((0, 4))
    out: dict[str, list[Any]] = {GEOMETRY_COLUMN: shapely.to_wkb(arr).tolist() if len(arr) else []}
    for k, name in enumerate(BBOX_COLUMNS):
        out[name] = b[:, k].tolist()
    return out


def extent_values(bounds: Sequence[float]) -> dict[str, float]:
    """The bbox columns of a whole layer or batch, from (minx, miny, maxx, maxy)."""
    return {name: float(v) for name, v in zip(BBOX_COLUMNS, bounds, strict=True)}


def bbox_of(row: Mapping[str, Any]) -> list[float]:
    """A stored row's bounding box as [minx, miny, maxx, maxy] (lon/lat, CGCS2000)."""
    return [row[name] for name in BBOX_COLUMNS]


def bbox_columns(table: Table) -> list[Any]:
    """The bbox columns of ``table``, to select beside other columns."""
    return [table.c[name] for name in BBOX_COLUMNS]


def geometry(row: Mapping[str, Any]) -> shapely.Geometry:
    """The shapely geometry of a stored row."""
    return shapely.from_wkb(row[GEOMETRY_COLUMN])


def geometries(values: Sequence[bytes]) -> np.ndarray:
    """Stored geometries (WKB) as an array of shapely geometries (empty array for none)."""
    if not len(values):
        return np.array([], dtype=object)
    return shapely.from_wkb(list(values))


def overlaps(table: Table, box: Box | None) -> ColumnElement[bool]:
    """Rows of ``table`` whose bounding box meets ``box`` (every row when ``box`` is None).

    Boxes touching at an edge count as meeting: a 图斑 on the viewport's border is drawn.
    """
    if box is None:
        return true()
    minx, miny, maxx, maxy = box
    return and_(
        table.c.maxx >= minx, table.c.minx <= maxx, table.c.maxy >= miny, table.c.miny <= maxy
    )
