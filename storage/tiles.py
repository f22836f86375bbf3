"""Vector tiles (Mapbox Vector Tile, MVT) of a batch's 图斑 and of a reference layer.

A tile (z, x, y) is a square of the Web Mercator grid (EPSG:3857). Its rows are those whose
bounding box meets the square grown by ``BUFFER`` (the bbox predicate of ``storage.spatial``, so
no geometry outside the tile is read), with the visibility rule of ``storage.visibility`` in the
same ``WHERE``: a verifier's tile holds only what the verifier may see.

PostgreSQL encodes the tile in one ``ST_AsMVT`` query; SQLite reads the same rows and encodes
them with ``mapbox-vector-tile`` after transforming, clipping, simplifying and orienting every
geometry at once with shapely (vectorised: no per-row Python work before the encoder).

Layers (stable names, documented in docs/api.md):

- ``cases``: one feature per 图斑 of the batch (its own and those it issued again), feature id
  = case id; attributes ``case_id``, ``code``, ``state``, ``programme``, ``judgment`` (absent
  when none), ``overdue`` (bool, the work-list rule ``storage.worklists.overdue_condition``) and
  ``reissue`` (bool).
- ``overview``: instead of ``cases``, for a tile below zoom ``OVERVIEW_BELOW_ZOOM`` meeting more
  than ``overview_rows`` 图斑 (the encoder's cost grows with the polygons, and at those zooms
  most of them are under a pixel). The tile is cut into ``OVERVIEW_GRID`` × ``OVERVIEW_GRID``
  cells; a 图斑 belongs to the cell holding the centre of its bounding box (so to exactly one
  tile of the zoom, and a tile's cells add up to the 图斑 centred in it). One point feature per
  occupied cell, at the cell's centre, feature id = row × grid + column; attributes ``n`` (how
  many), ``state`` (the most urgent state among them, ``URGENCY``) and ``overdue`` (bool: any of
  them overdue). Counted in one grouped query on the bbox columns (no geometry read), the same
  SQL on both backends, with the visibility rule in its ``WHERE``; the cell edges are computed
  here once, so both backends compare the same numbers.
- ``refs``: one feature per feature of the reference layer, id = its row id; attributes
  ``id``, ``code`` (its identifier) and ``name`` (its label).
"""

from __future__ import annotations

import math
import operator
from dataclasses import dataclass
from datetime import date
from functools import reduce
from typing import Any

import mapbox_vector_tile
import numpy as np
import shapely
from mapbox_vector_tile.encoder import on_invalid_geometry_make_valid
from sqlalchemy import (
    ColumnElement,
    Engine,
    Select,
    Table,
    case,
    false,
    func,
    literal_column,
    select,
    true,
    union_all,
)

from geo.errors import NotFound
from geo.model import State
from storage import facts, spatial
from storage.map_queries import FeatureFilter, check_batch, first_reissues, own_rows
from storage.tables import assignments, batches, cases, ref_features, ref_layers, reissues
from storage.tile_cache import TileCache
from storage.visibility import Scope
from storage.worklists import overdue_condition

# Part of every tile's ETag: bump it when the same data would give other tile bytes (layers,
# attributes, zooms, simplification), so browsers holding old tiles do not get 304.
FORMAT = "tuban-mvt-2"
CASES_LAYER = "cases"
OVERVIEW_LAYER = "overview"
REFS_LAYER = "refs"
EXTENT = 4096  # tile units across a tile (the MVT default)
BUFFER = 64  # tile units drawn beyond each edge, so outlines do not stop short at tile seams
MAX_ZOOM = 22
# Below these zooms a tile of a dense batch (or a large reference layer) would carry most of the
# county's polygons, each under a pixel: no tile is made (HTTP 204) and the map asks to zoom in.
BATCH_MIN_ZOOM = 12
REF_MIN_ZOOM = 10
# Simplification in tile units (1/16 px at 256 px a tile): fixed on the tile grid, so ground
# detail follows the zoom; slivers that collapse on the integer grid drop out of the tile.
SIMPLIFY = 1.0
# Overview tiles (see the module docstring): zooms below this one, tiles meeting more than this
# many 图斑 (measured at 1M 图斑: a z12 tile of 34 000 polygons took 1.8 s on PostGIS and 3.1 s on
# SQLite; benchmarks/README.md), cut into this many cells a side (32 px cells on a 256 px tile,
# room for a count label).
OVERVIEW_BELOW_ZOOM = 15
OVERVIEW_ROWS = 5000
OVERVIEW_GRID = 8
# Which state an overview cell shows when its 图斑 differ: sent back first (someone must act
# again), then untouched, then the workflow's order; finished ones last.
URGENCY = (
    State.REWORK,
    State.RETURNED,
    State.ISSUED,
    State.VERIFIED,
    State.APPROVED,
    State.FILED,
    State.PENALISED,
    State.RECTIFIED,
    State.EVIDENCE_COLLECTED,
    State.SUBMITTED,
    State.CLOSED,
    State.PASSED,
)

_R = 6378137.0  # the sphere of EPSG:3857
_HALF = math.pi * _R


@dataclass(frozen=True)
class Tile:
    """A tile address, checked: 0 <= z <= MAX_ZOOM and 0 <= x, y < 2**z."""

    z: int
    x: int
    y: int

    def __post_init__(self) -> None:
        n = 1 << self.z if 0 <= self.z <= MAX_ZOOM else 0
        if not (0 <= self.x < n and 0 <= self.y < n):
            name = f"{self.z}/{self.x}/{self.y}"
            raise NotFound(f"没有瓦片 {name}", tile=name)

    def mercator(self) -> tuple[float, float, float, float]:
        """(minx, miny, maxx, maxy) in EPSG:3857 metres, as ``ST_TileEnvelope``."""
        size = 2 * _HALF / (1 << self.z)
        minx, maxy = -_HALF + self.x * size, _HALF - self.y * size
        return minx, maxy - size, minx + size, maxy

    def lonlat_box(self) -> spatial.Box:
        """The buffered tile as a lon/lat box for the bbox predicate."""
        minx, miny, maxx, maxy = self.mercator()
        pad = (maxx - minx) * BUFFER / EXTENT
        lon = np.degrees(np.array([minx - pad, maxx + pad]) / _R)
        lat = np.degrees(np.arctan(np.sinh(np.array([miny - pad, maxy + pad]) / _R)))
        return float(lon[0]), float(lat[0]), float(lon[1]), float(lat[1])

    def cell_edges(self, grid: int) -> tuple[list[float], list[float]]:
        """The edges of a ``grid`` × ``grid`` cutting of the tile in lon/lat: longitudes west to
        east and latitudes north to south, ``grid + 1`` each. Computed from the global cell index,
        so the edge two neighbouring tiles share is the same number in both."""
        size = 2 * _HALF / ((1 << self.z) * grid)
        k = np.arange(grid + 1)
        mx = -_HALF + (self.x * grid + k) * size
        my = _HALF - (self.y * grid + k) * size
        lon = np.degrees(mx / _R)
        lat = np.degrees(np.arctan(np.sinh(my / _R)))
        return lon.tolist(), lat.tolist()

    def lonlat_bounds(self) -> spatial.Box:
        """The tile itself (no buffer) as a lon/lat box."""
        lon, lat = self.cell_edges(1)
        return lon[0], lat[1], lon[1], lat[0]


def postgis_geometry(table: Table) -> ColumnElement[Any]:
    """The PostGIS geometry of ``table``'s geometry column (CGCS2000, EPSG:4490).

    How the column is stored is storage/spatial.py's business (PostGIS columns for cases and
    reference features, points beside them; WKB for re-issues).
    """
    return spatial.postgis_shape(table)


def _batch_rows(batch_id: int, f: FeatureFilter, today: date, shape: Any) -> Select[Any]:
    """The batch's 图斑 meeting ``f``: its own, then those it issued again (their own shape and
    code, the state of the case they joined), as in ``storage.map_queries``. ``shape(table)``
    gives the columns of the row's own shape (its tile geometry, or its bbox)."""
    common = (
        cases.c.id.label("fid"),
        cases.c.id.label("case_id"),
        cases.c.state,
        cases.c.programme,
        cases.c.judgment,
        overdue_condition(today).label("overdue"),
    )
    own = own_rows(
        select(*common, cases.c.code, false().label("reissue"), *shape(cases)).join(
            batches, batches.c.id == cases.c.batch_id
        ),
        batch_id,
        f,
    )
    again = (
        select(*common, reissues.c.code, true().label("reissue"), *shape(reissues))
        .select_from(reissues)
        .join(cases, cases.c.id == reissues.c.case_id)
        .join(batches, batches.c.id == cases.c.batch_id)
        .where(reissues.c.id.in_(first_reissues(batch_id, f)))
    )
    return union_all(own, again)  # type: ignore[return-value]


def _ref_rows(layer_id: int, box: spatial.Box, geom: Any) -> Select[Any]:
    return select(
        ref_features.c.id.label("fid"),
        ref_features.c.id,
        ref_features.c.ident.label("code"),
        ref_features.c.label.label("name"),
        *geom(ref_features),
    ).where(ref_features.c.layer_id == layer_id, spatial.overlaps(ref_features, box))


def _mvt_sql(rows: Select[Any], layer: str) -> Select[Any]:
    """One PostGIS query: every row's geometry in tile coordinates, aggregated by ST_AsMVT."""
    sub = rows.subquery("tile_rows")
    return select(func.ST_AsMVT(literal_column("tile_rows"), layer, EXTENT, "geom", "fid")).where(
        sub.c.geom.is_not(None)
    )


def _mvt_geom(tile: Tile) -> Any:
    envelope = func.ST_TileEnvelope(tile.z, tile.x, tile.y)

    def geom(table: Table) -> list[Any]:
        projected = func.ST_Transform(postgis_geometry(table), 3857)
        return [func.ST_AsMVTGeom(projected, envelope, EXTENT, BUFFER, True).label("geom")]

    return geom


def _wkb(table: Table) -> list[Any]:
    return [table.c[spatial.GEOMETRY_COLUMN].label("geom")]


def _overview_sql(batch_id: int, f: FeatureFilter, today: date, tile: Tile) -> Select[Any]:
    """Per occupied cell of ``tile``: column, row, how many 图斑, whether any is overdue, and the
    rank in ``URGENCY`` of the most urgent state. The 图斑 are those whose bbox centre lies in
    the tile (west and north edges in, east and south out, as the next tile takes them)."""
    rows = _batch_rows(batch_id, f, today, spatial.bbox_columns).subquery("tile_rows")
    lon, lat = tile.cell_edges(OVERVIEW_GRID)
    cx, cy = spatial.bbox_centre(rows)
    col = reduce(operator.add, [case((cx >= e, 1), else_=0) for e in lon[1:-1]])
    row = reduce(operator.add, [case((cy <= e, 1), else_=0) for e in lat[1:-1]])
    rank = case({s.value: k for k, s in enumerate(URGENCY)}, value=rows.c.state, else_=len(URGENCY))
    return (
        select(
            col.label("col"),
            row.label("row"),
            func.count().label("n"),
            func.max(case((rows.c.overdue, 1), else_=0)).label("overdue"),
            func.min(rank).label("rank"),
        )
        .where(cx >= lon[0], cx < lon[-1], cy <= lat[0], cy > lat[-1])
        .group_by(col, row)
    )


def overview_features(cells: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], np.ndarray]:
    """Rows (``fid`` and attributes) and point geometries of an overview tile, from the grouped
    query's cells; a state outside ``URGENCY`` (none today) is left out of the attributes."""
    step = EXTENT // OVERVIEW_GRID
    rows, points = [], []
    for c in sorted(cells, key=lambda c: (c["row"], c["col"])):
        rank = int(c["rank"])
        rows.append(
            {
                "fid": int(c["row"]) * OVERVIEW_GRID + int(c["col"]),
                "n": int(c["n"]),
                "state": URGENCY[rank].value if rank < len(URGENCY) else None,
                "overdue": bool(c["overdue"]),
            }
        )
        points.append(((int(c["col"]) + 0.5) * step, (int(c["row"]) + 0.5) * step))
    return rows, shapely.points(points) if points else np.array([], dtype=object)


def tile_geometries(wkb: list[bytes], tile: Tile) -> np.ndarray:
    """Stored geometries in ``tile``'s coordinates (y down, 0..EXTENT), clipped to the buffered
    tile, simplified on its grid and oriented as MVT wants (exterior rings clockwise on screen);
    geometries that vanish at this zoom come back empty. All rows at once, in shapely's C loops."""
    geoms = spatial.geometries(wkb)
    if not len(geoms):
        return geoms
    minx, _, maxx, maxy = tile.mercator()
    scale = EXTENT / (maxx - minx)

    def to_tile(xy: np.ndarray) -> np.ndarray:
        lon, lat = np.radians(xy[:, 0]), np.radians(np.clip(xy[:, 1], -85.06, 85.06))
        mx = _R * lon
        my = _R * np.log(np.tan(np.pi / 4 + lat / 2))
        return np.column_stack(((mx - minx) * scale, (maxy - my) * scale))

    geoms = shapely.transform(geoms, to_tile)
    geoms = shapely.clip_by_rect(geoms, -BUFFER, -BUFFER, EXTENT + BUFFER, EXTENT + BUFFER)
    geoms = shapely.simplify(geoms, SIMPLIFY)
    geoms = shapely.set_precision(geoms, 1.0)  # the integer grid; also makes them valid
    return shapely.orient_polygons(geoms, exterior_cw=False)


def encode(layer: str, rows: list[dict[str, Any]], geoms: np.ndarray) -> bytes:
    """An MVT of one layer: ``rows`` (with ``fid`` and attributes) beside their tile geometries;
    empty geometries and None attributes are left out."""
    keep = ~shapely.is_empty(geoms) if len(geoms) else np.zeros(0, dtype=bool)
    features = [
        {
            "geometry": g,
            "id": r["fid"],
            "properties": {k: v for k, v in r.items() if k != "fid" and v is not None},
        }
        for r, g, k in zip(rows, geoms, keep, strict=True)
        if k
    ]
    if not features:
        return b""
    options = {
        "extents": EXTENT,
        "y_coord_down": True,
        "check_winding_order": False,  # oriented above, for every geometry at once
        "on_invalid_geometry": on_invalid_geometry_make_valid,
    }
    return bytes(mapbox_vector_tile.encode({"name": layer, "features": features}, None, options))


class TileSource:
    """Tiles of batches and reference layers on one engine, with what their ETags hang on.

    ``cache`` keeps encoded tiles by ETag for the API (``storage.tile_cache``; none by default);
    ``overview_rows``: above this many 图斑 a tile below ``OVERVIEW_BELOW_ZOOM`` is an overview.
    """

    def __init__(
        self, engine: Engine, *, cache_bytes: int = 0, overview_rows: int = OVERVIEW_ROWS
    ) -> None:
        self.engine = engine
        self.postgis = engine.dialect.name == "postgresql"
        self.cache = TileCache(cache_bytes)
        self.overview_rows = overview_rows

    def batch_version(self, batch_id: int, scope: Scope) -> tuple[Any, ...]:
        """What a batch tile for ``scope`` depends on: the store's generation (it moves with
        every case, event, payment and batch, as for the indicator cache) and, for a verifier,
        their assignments. NotFound when there is no such batch."""
        generation, mine = self.batch_state(batch_id, scope)
        return (*generation, *mine)

    def batch_state(self, batch_id: int, scope: Scope) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
        """``batch_version`` in its two parts: (the store's generation, the verifier's
        assignments or ``()``). The first is the cache's epoch."""
        with self.engine.connect() as conn:
            check_batch(conn, batch_id)
            mine: tuple[Any, ...] = ()
            if not scope.everything:
                q = select(func.count(), func.max(assignments.c.assigned_at)).where(
                    assignments.c.user_id == scope.user_id
                )
                mine = tuple(conn.execute(q).one())
        return tuple(facts.generation(self.engine)), mine

    def ref_version(self, layer_id: int) -> tuple[Any, ...]:
        """A stored reference layer never changes (a new version is a new layer): its id and
        import time. NotFound when there is no such layer."""
        with self.engine.connect() as conn:
            q = select(ref_layers.c.id, ref_layers.c.imported_at).where(ref_layers.c.id == layer_id)
            row = conn.execute(q).first()
        if row is None:
            raise NotFound(f"没有参考图层 {layer_id}", layer_id=layer_id)
        return tuple(row)

    def batch_tile(self, batch_id: int, tile: Tile, *, scope: Scope, today: date) -> bytes:
        """The ``cases`` layer of the batch in ``tile``, or its ``overview`` layer when the tile
        is dense (b"" when empty or below the zoom)."""
        if tile.z < BATCH_MIN_ZOOM:
            return b""
        if tile.z < OVERVIEW_BELOW_ZOOM:
            cells = self.overview_cells(batch_id, tile, scope=scope, today=today)
            if sum(c["n"] for c in cells) > self.overview_rows:
                rows, points = overview_features(cells)
                return encode(OVERVIEW_LAYER, rows, points)
        f = FeatureFilter(bbox=tile.lonlat_box(), scope=scope)
        if self.postgis:
            return self._postgis(_batch_rows(batch_id, f, today, _mvt_geom(tile)), CASES_LAYER)
        return self._encoded(_batch_rows(batch_id, f, today, _wkb), CASES_LAYER, tile)

    def overview_cells(
        self, batch_id: int, tile: Tile, *, scope: Scope, today: date
    ) -> list[dict[str, Any]]:
        """The occupied cells of ``tile``'s overview: ``col``, ``row``, ``n``, ``overdue`` (0/1)
        and ``rank`` (index in ``URGENCY``), whatever the tile's density."""
        f = FeatureFilter(bbox=tile.lonlat_bounds(), scope=scope)
        with self.engine.connect() as conn:
            found = conn.execute(_overview_sql(batch_id, f, today, tile))
            return [{k: int(v) for k, v in r._mapping.items()} for r in found]

    def ref_tile(self, layer_id: int, tile: Tile) -> bytes:
        """The ``refs`` layer of a reference layer in ``tile`` (b"" when empty or too far out)."""
        if tile.z < REF_MIN_ZOOM:
            return b""
        box = tile.lonlat_box()
        if self.postgis:
            return self._postgis(_ref_rows(layer_id, box, _mvt_geom(tile)), REFS_LAYER)
        return self._encoded(_ref_rows(layer_id, box, _wkb), REFS_LAYER, tile)

    def _postgis(self, rows: Select[Any], layer: str) -> bytes:
        with self.engine.connect() as conn:
            out = conn.execute(_mvt_sql(rows, layer)).scalar()
        return bytes(out or b"")

    def _encoded(self, rows: Select[Any], layer: str, tile: Tile) -> bytes:
        with self.engine.connect() as conn:
            found = [dict(r._mapping) for r in conn.execute(rows)]
        geoms = tile_geometries([r.pop("geom") for r in found], tile)
        for r in found:
            if "overdue" in r:  # SQLite answers a condition with 0/1
                r["overdue"], r["reissue"] = bool(r["overdue"]), bool(r["reissue"])
        return encode(layer, found, geoms)
