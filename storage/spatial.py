"""The spatial seam: how geometries and their bounding boxes are stored, and predicates on them.

Geometries are in CGCS2000 (EPSG:4490) lon/lat. Each row also carries its bounding box in four
float columns, the exact box every predicate is checked against. Which index finds the rows is
the backend's: on SQLite an R*Tree virtual table beside the table (``cases_rtree``,
``ref_features_rtree``, kept in step by triggers, migration 0009); on PostgreSQL the geometry
column itself is PostGIS ``geometry(MultiPolygon, 4490)`` with a GiST index, and point 图斑
(CSV/XLSX deliveries of a centre point) live in a second column ``geom_point geometry(Point,
4490)``, exactly one of the two set. Callers see none of this: they read ``geom`` as WKB and
speak of boxes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np
import shapely
from geoalchemy2 import Geometry
from sqlalchemy import (
    Boolean,
    ColumnElement,
    Connection,
    Join,
    LargeBinary,
    Select,
    Table,
    and_,
    case,
    column,
    func,
    or_,
    select,
    table,
    true,
)
from sqlalchemy.engine.interfaces import Dialect
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.type_api import TypeEngine
from sqlalchemy.sql.visitors import InternalTraversal
from sqlalchemy.types import NullType, TypeDecorator

BBOX_COLUMNS = ("minx", "miny", "maxx", "maxy")
GEOMETRY_COLUMN = "geom"
# PostgreSQL only: a point 图斑 cannot go in a MultiPolygon column. Not in the table metadata, so
# no caller ever selects it; reading ``geom`` returns whichever of the two is set.
POINT_COLUMN = "geom_point"
SRID = 4490
# Decimals of a coordinate in GeoJSON read from the store: 1e-7 degree is about 1 cm.
GEOJSON_DECIMALS = 7

Box = tuple[float, float, float, float]

# Tables with a spatial index, and the R*Tree that indexes each on SQLite (keyed by row id).
RTREES = {"cases": "cases_rtree", "ref_features": "ref_features_rtree"}
# The tables that hold point 图斑 besides polygons.
WITH_POINTS = ("cases",)


class StoredGeometry(TypeDecorator[bytes]):
    """A geometry column: WKB on SQLite, PostGIS ``geometry(MultiPolygon, 4490)`` on PostgreSQL.

    Either way the column reads as WKB (PostGIS: ``ST_AsBinary``, a one-part MultiPolygon as the
    Polygon it equals, a point from ``geom_point`` when ``points``) and a bound WKB value is
    promoted to a MultiPolygon on the way in. Bulk writes hand ``geometry_values`` to
    ``storage.bulk.insert_rows`` (on PostGIS through ``staged_insert``).
    """

    impl = LargeBinary
    cache_ok = True

    def __init__(self, points: bool = False) -> None:
        super().__init__()
        self.points = points

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        """The PostGIS column type on PostgreSQL (DDL, reflection), a blob elsewhere."""
        if dialect.name == "postgresql":
            return dialect.type_descriptor(Geometry("MULTIPOLYGON", srid=SRID, spatial_index=False))
        return dialect.type_descriptor(LargeBinary())

    def bind_processor(self, dialect: Dialect) -> None:
        """WKB bytes go to the driver as they are (the SQL wraps them on PostGIS)."""
        return None

    def result_processor(self, dialect: Dialect, coltype: object) -> None:
        """WKB bytes come back as the driver gives them."""
        return None

    def bind_expression(self, bindvalue: Any) -> ColumnElement[Any]:
        """On PostGIS, WKB made a MultiPolygon of SRID 4490."""
        return _ToStored(bindvalue)

    def column_expression(self, colexpr: Any) -> ColumnElement[Any]:
        """On PostGIS, the stored geometry as WKB (see the class docstring)."""
        return _FromStored(colexpr, self.points)


class _ToStored(ColumnElement[bytes]):
    inherit_cache = True
    type = LargeBinary()
    _traverse_internals = [("value", InternalTraversal.dp_clauseelement)]

    def __init__(self, value: Any) -> None:
        self.value = value


@compiles(_ToStored)
def _to_stored_blob(element: _ToStored, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(element.value, **kw)


@compiles(_ToStored, "postgresql")
def _to_stored_postgis(element: _ToStored, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(func.ST_Multi(func.ST_GeomFromWKB(element.value, SRID)), **kw)


class _FromStored(ColumnElement[bytes]):
    inherit_cache = True
    type = LargeBinary()
    _traverse_internals = [
        ("col", InternalTraversal.dp_clauseelement),
        ("points", InternalTraversal.dp_boolean),
    ]

    def __init__(self, col: Any, points: bool) -> None:
        self.col = col
        self.points = points


@compiles(_FromStored)
def _from_stored_blob(element: _FromStored, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(element.col, **kw)


def _read_shape(g: Any, points: bool) -> Any:
    """PostGIS: the stored geometry as callers read it (see ``StoredGeometry``)."""
    # A one-part MultiPolygon reads back as its Polygon: what an import of a polygon handed in.
    shape: Any = case((func.ST_NumGeometries(g) == 1, func.ST_GeometryN(g, 1)), else_=g)
    if points and getattr(g, "table", None) is not None:
        shape = func.coalesce(shape, column(POINT_COLUMN, _selectable=g.table))
    return shape


@compiles(_FromStored, "postgresql")
def _from_stored_postgis(element: _FromStored, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(func.ST_AsBinary(_read_shape(element.col, element.points)), **kw)


class _AsGeoJSON(ColumnElement[Any]):
    inherit_cache = True
    type = NullType()  # text on PostGIS, WKB bytes elsewhere: handed on as the driver gives it
    _traverse_internals = [("col", InternalTraversal.dp_clauseelement)]

    def __init__(self, col: Any) -> None:
        self.col = col

    @property
    def _from_objects(self) -> list[Any]:
        return self.col._from_objects


@compiles(_AsGeoJSON)
def _as_geojson_blob(element: _AsGeoJSON, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(element.col, **kw)


@compiles(_AsGeoJSON, "postgresql")
def _as_geojson_postgis(element: _AsGeoJSON, compiler: SQLCompiler, **kw: Any) -> str:
    col = element.col
    if isinstance(col.type, StoredGeometry):
        shape = _read_shape(col, col.type.points)
    else:  # a column of WKB (reissues)
        shape = func.ST_GeomFromWKB(col, SRID)
    # Option 0: no bbox, no CRS member (GeoJSON's default CRS is lon/lat, as CGCS2000 is here).
    return compiler.process(func.ST_AsGeoJSON(shape, GEOJSON_DECIMALS, 0), **kw)


def as_geojson(col: Any) -> ColumnElement[Any]:
    """A geometry column read as GeoJSON text: written by PostGIS (``ST_AsGeoJSON``, rounded
    to ``GEOJSON_DECIMALS``); on SQLite the stored WKB, which ``geojson_texts`` turns into the
    same text. Select it with ``.label(...)``."""
    return _AsGeoJSON(col)


def geojson_texts(dialect: str, values: Sequence[Any]) -> list[str | None]:
    """The GeoJSON text of each value read through ``as_geojson`` on ``dialect``.

    On SQLite the WKB is decoded and written in one vectorised call each, coordinates rounded
    to ``GEOJSON_DECIMALS`` as PostGIS writes them. The two can differ in the last place where
    a coordinate is (nearly) halfway between two decimals, numpy rounding the binary value half
    to even; and PostGIS writes a coordinate below 1e-7 in magnitude unrounded, in exponent
    form. Neither happens to a lon/lat in China beyond 1e-7 degree (~1 cm). Stored geometries
    are 2D (``geo.geometry`` drops Z on import).
    """
    if dialect == "postgresql":
        return list(values)
    if not len(values):
        return []
    geoms = shapely.from_wkb(list(values))
    # Every coordinate of the page in one array: rounding them costs about a tenth of GEOS's
    # own per-geometry ``set_precision``.
    rounded = np.round(shapely.get_coordinates(geoms), GEOJSON_DECIMALS)
    texts: list[str | None] = shapely.to_geojson(shapely.set_coordinates(geoms, rounded)).tolist()
    return texts


def postgis_shape(t: Table) -> ColumnElement[Any]:
    """PostgreSQL only: the PostGIS geometry of ``t``'s rows, for SQL that works on shapes
    (ST_AsMVT). Points come from ``geom_point``; a table still holding WKB is decoded."""
    col = t.c[GEOMETRY_COLUMN]
    if not isinstance(col.type, StoredGeometry):
        return func.ST_GeomFromWKB(col, SRID)
    if col.type.points:
        return func.coalesce(col, column(POINT_COLUMN, _selectable=t))
    return col


def geometry_values(geoms: Any) -> dict[str, list[Any]]:
    """Storage values of an array of shapely geometries: WKB and the four bbox columns.

    The same on both backends: on PostGIS, ``storage.bulk.insert_rows`` copies the WKB into a
    staging table and ``staged_insert`` makes the geometry columns from it.
    """
    arr = np.asarray(geoms, dtype=object)
    b = shapely.bounds(arr) if len(arr) else np.empty((0, 4))
    out: dict[str, list[Any]] = {GEOMETRY_COLUMN: shapely.to_wkb(arr).tolist() if len(arr) else []}
    for k, name in enumerate(BBOX_COLUMNS):
        out[name] = b[:, k].tolist()
    return out


def postgis_table(conn: Connection, t: Table) -> bool:
    """Whether ``t`` has a PostGIS geometry column on ``conn`` (bulk writes then go through
    ``staged_insert``)."""
    if conn.dialect.name != "postgresql" or GEOMETRY_COLUMN not in t.c:
        return False
    return isinstance(t.c[GEOMETRY_COLUMN].type, StoredGeometry)


def staged_insert(t: Table, columns: Sequence[str], stage: str) -> tuple[list[str], str]:
    """SQL for a bulk write of ``columns`` (``geom`` as WKB) into PostGIS table ``t``.

    Returns (statements creating ``stage``: a temporary table of ``columns`` with ``geom`` as
    bytea and a row counter, dropped at commit; the INSERT moving its rows into ``t`` in COPY
    order). The geometry is made by the server: ``ST_GeomFromWKB(geom, 4490)``, polygons
    promoted with ``ST_Multi``, points into ``geom_point``. Measured against a COPY of hex EWKB
    straight into the geometry column (benchmarks/spatial_bench.py): 1.4-1.9 times as fast, a
    third of the client's CPU.
    """
    q = ", ".join(f'"{c}"' for c in columns)
    create = [
        f'CREATE TEMP TABLE "{stage}" ON COMMIT DROP AS SELECT {q} FROM "{t.name}" WITH NO DATA',
        f'ALTER TABLE "{stage}" ALTER COLUMN {GEOMETRY_COLUMN} TYPE bytea USING NULL, '
        "ADD COLUMN stage_row bigserial",
    ]
    rest = [f'"{c}"' for c in columns if c != GEOMETRY_COLUMN]
    shape = f"ST_GeomFromWKB(s.{GEOMETRY_COLUMN}, {SRID})"
    values = [f"s.{c}" for c in rest]
    if t.name in WITH_POINTS:
        targets = [*rest, GEOMETRY_COLUMN, POINT_COLUMN]
        values += [
            "CASE WHEN GeometryType(w.g) = 'POINT' THEN NULL ELSE ST_Multi(w.g) END",
            "CASE WHEN GeometryType(w.g) = 'POINT' THEN w.g END",
        ]
    else:
        targets = [*rest, GEOMETRY_COLUMN]
        values.append("ST_Multi(w.g)")
    insert = (
        f'INSERT INTO "{t.name}" ({", ".join(targets)}) SELECT {", ".join(values)} '
        f'FROM "{stage}" s CROSS JOIN LATERAL (SELECT {shape} AS g) w ORDER BY s.stage_row'
    )
    return create, insert


def extent_values(bounds: Sequence[float]) -> dict[str, float]:
    """The bbox columns of a whole layer or batch, from (minx, miny, maxx, maxy)."""
    return {name: float(v) for name, v in zip(BBOX_COLUMNS, bounds, strict=True)}


def bbox_of(row: Mapping[str, Any]) -> list[float]:
    """A stored row's bounding box as [minx, miny, maxx, maxy] (lon/lat, CGCS2000)."""
    return [row[name] for name in BBOX_COLUMNS]


def bbox_columns(t: Table) -> list[Any]:
    """The bbox columns of ``t``, to select beside other columns."""
    return [t.c[name] for name in BBOX_COLUMNS]


def bbox_centre(t: Any) -> tuple[Any, Any]:
    """The centre (lon, lat) of each row's bounding box, as SQL on ``t`` (a table or subquery
    with the bbox columns): where an overview tile counts the row."""
    return (t.c.minx + t.c.maxx) * 0.5, (t.c.miny + t.c.maxy) * 0.5


def geometry(row: Mapping[str, Any]) -> shapely.Geometry:
    """The shapely geometry of a stored row."""
    return shapely.from_wkb(row[GEOMETRY_COLUMN])


def centres(values: Sequence[bytes]) -> list[list[float]]:
    """[lon, lat] of a point inside each stored geometry (WKB): where a verifier is sent. A
    point on the surface, not the centroid, so a bent or ring-shaped 图斑 gets a point on the
    ground it covers (the same point as the CSV export's centre columns)."""
    points = shapely.point_on_surface(geometries(values))
    return [[round(float(p.x), 7), round(float(p.y), 7)] for p in points]


def geometries(values: Sequence[bytes]) -> np.ndarray:
    """Stored geometries (WKB) as an array of shapely geometries (empty array for none)."""
    if not len(values):
        return np.array([], dtype=object)
    return shapely.from_wkb(list(values))


class _ByBackend(ColumnElement[bool]):
    """A condition written once per backend, the one compiled chosen by the dialect."""

    inherit_cache = True
    type = Boolean()
    _is_implicitly_boolean = True  # a condition, not a boolean value to compare with 1
    _traverse_internals = [
        ("sqlite", InternalTraversal.dp_clauseelement),
        ("postgresql", InternalTraversal.dp_clauseelement),
    ]

    def __init__(self, sqlite: ColumnElement[bool], postgresql: ColumnElement[bool]) -> None:
        self.sqlite = sqlite
        self.postgresql = postgresql

    @property
    def _from_objects(self) -> list[Any]:
        return self.sqlite._from_objects


@compiles(_ByBackend)
def _by_backend_sqlite(element: _ByBackend, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(element.sqlite.self_group(), **kw)  # parenthesised in an AND


@compiles(_ByBackend, "postgresql")
def _by_backend_postgresql(element: _ByBackend, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(element.postgresql.self_group(), **kw)


def rtree(t: Table) -> Any:
    """The R*Tree of ``t`` on SQLite, as a selectable (id and the box)."""
    return table(RTREES[t.name], column("id"), *(column(c) for c in BBOX_COLUMNS))


def _rtree_hits(t: Table, box: Box) -> ColumnElement[bool]:
    minx, miny, maxx, maxy = box
    rt = rtree(t)
    # The row-id list drives the query: SQLite looks each id up by primary key, and the
    # (batch_id, code) index is no longer the cheaper plan for a small box.
    hits = select(rt.c.id).where(
        rt.c.maxx >= minx, rt.c.minx <= maxx, rt.c.maxy >= miny, rt.c.miny <= maxy
    )
    return t.c.id.in_(hits)


def _gist_hits(t: Table, box: Box) -> ColumnElement[bool]:
    env = func.ST_MakeEnvelope(*box, SRID)
    hit: ColumnElement[bool] = t.c[GEOMETRY_COLUMN].op("&&")(env)
    if t.name in WITH_POINTS:
        hit = or_(hit, column(POINT_COLUMN, _selectable=t).op("&&")(env))
    return hit


def overlaps(t: Table, box: Box | None) -> ColumnElement[bool]:
    """Rows of ``t`` whose bounding box meets ``box`` (every row when ``box`` is None).

    Boxes touching at an edge count as meeting: a 图斑 on the viewport's border is drawn. The
    spatial index (R*Tree on SQLite, GiST ``&&`` on PostGIS) finds the candidates; both keep
    boxes in single precision, rounded outwards, so the exact box columns decide.
    """
    if box is None:
        return true()
    minx, miny, maxx, maxy = box
    exact = and_(t.c.maxx >= minx, t.c.minx <= maxx, t.c.maxy >= miny, t.c.miny <= maxy)
    if t.name not in RTREES:
        return exact
    return and_(_ByBackend(_rtree_hits(t, box), _gist_hits(t, box)), exact)


class _BoxJoin(Join):
    """``t`` joined to its R*Tree so that SQLite starts from the R*Tree; just ``t`` elsewhere."""

    inherit_cache = True


@compiles(_BoxJoin)
def _box_join_sqlite(element: _BoxJoin, compiler: SQLCompiler, **kw: Any) -> str:
    # CROSS JOIN: SQLite never reorders it, so the R*Tree is the outer loop and each hit is
    # one primary-key lookup. A plain join or ``id IN (...)`` lets the planner start from any
    # other index of the query (batch_id, state, layer_id); the R*Tree module guesses a box
    # holds a quarter of the table, so it often does, and tests every row of the batch.
    kw["asfrom"] = True
    left, right = compiler.process(element.left, **kw), compiler.process(element.right, **kw)
    assert element.onclause is not None  # built with one by ``within``
    return f"{left} CROSS JOIN {right} ON {compiler.process(element.onclause, **kw)}"


@compiles(_BoxJoin, "postgresql")
def _box_join_postgresql(element: _BoxJoin, compiler: SQLCompiler, **kw: Any) -> str:
    kw["asfrom"] = True
    return compiler.process(element.right, **kw)


def within(query: Select[Any], t: Table, box: Box | None) -> Select[Any]:
    """``query`` (selecting from ``t``) narrowed to rows of ``t`` whose box meets ``box``, with
    the spatial index driving it: the form for a query that has other indexed conditions too
    (a batch, a layer, states). Same rows as ``query.where(overlaps(t, box))``."""
    if box is None:
        return query
    if t.name not in RTREES:
        return query.where(overlaps(t, box))
    minx, miny, maxx, maxy = box
    rt = rtree(t)
    in_rtree = and_(rt.c.maxx >= minx, rt.c.minx <= maxx, rt.c.maxy >= miny, rt.c.miny <= maxy)
    exact = and_(t.c.maxx >= minx, t.c.minx <= maxx, t.c.maxy >= miny, t.c.miny <= maxy)
    joined = query.select_from(_BoxJoin(rt, t, rt.c.id == t.c.id))
    return joined.where(_ByBackend(in_rtree, _gist_hits(t, box)), exact)


def count_upto(conn: Connection, query: Select[Any], cap: int) -> int:
    """How many rows ``query`` yields, counting no further than ``cap + 1``.

    A county view asks only whether more than the map's cap are in view: this costs O(cap)
    rows read, where a full count reads every row in the box.
    """
    bounded = select(func.count()).select_from(query.limit(cap + 1).subquery())
    return int(conn.execute(bounded).scalar_one())


@contextmanager
def rtree_deferred(conn: Connection, t: Table) -> Iterator[None]:
    """On SQLite, leave ``t``'s R*Tree out of a bulk insert and fill it once afterwards.

    A trigger per inserted row costs about twice as much as one ``INSERT ... SELECT`` of the new
    rows after the insert (100 000 rows: +4.1 s against +2.0 s on the benchmark machine).
    Inside the caller's transaction, so a failed insert rolls back to the triggers and the tree
    as they were. For inserts only: a row updated or deleted meanwhile would not reach the tree.
    """
    if conn.dialect.name != "sqlite" or t.name not in RTREES:
        yield
        return
    rt = RTREES[t.name]
    before = conn.exec_driver_sql(f'SELECT max(id) FROM "{t.name}"').scalar() or 0
    for kind in ("insert", "update", "delete"):
        conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {rt}_{kind}")
    yield
    conn.exec_driver_sql(
        f"INSERT INTO {rt} (id, minx, maxx, miny, maxy) "
        f'SELECT id, minx, maxx, miny, maxy FROM "{t.name}" WHERE id > ?',
        (before,),
    )
    for statement in rtree_triggers(t.name):
        conn.exec_driver_sql(statement)


def rtree_ddl(t: str) -> list[str]:
    """SQLite statements creating ``t``'s R*Tree, filling it from the bbox columns, and the
    triggers keeping it in step with ``t``.

    A migration that recreates ``t`` (Alembic ``batch_alter_table`` on SQLite copies the table
    and drops its triggers) must run ``rtree_triggers(t)`` again afterwards.
    """
    rt = RTREES[t]
    return [
        f"CREATE VIRTUAL TABLE {rt} USING rtree(id, minx, maxx, miny, maxy)",
        f"INSERT INTO {rt} (id, minx, maxx, miny, maxy) SELECT id, minx, maxx, miny, maxy FROM {t}",
        *rtree_triggers(t),
    ]


def rtree_triggers(t: str) -> list[str]:
    """The triggers keeping ``t``'s R*Tree in step with its bbox columns (idempotent)."""
    rt = RTREES[t]
    values = "new.id, new.minx, new.maxx, new.miny, new.maxy"
    return [
        f"CREATE TRIGGER IF NOT EXISTS {rt}_insert AFTER INSERT ON {t} BEGIN "
        f"INSERT INTO {rt} (id, minx, maxx, miny, maxy) VALUES ({values}); END",
        f"CREATE TRIGGER IF NOT EXISTS {rt}_update AFTER UPDATE OF id, minx, miny, maxx, maxy "
        f"ON {t} BEGIN DELETE FROM {rt} WHERE id = old.id; "
        f"INSERT INTO {rt} (id, minx, maxx, miny, maxy) VALUES ({values}); END",
        f"CREATE TRIGGER IF NOT EXISTS {rt}_delete AFTER DELETE ON {t} BEGIN "
        f"DELETE FROM {rt} WHERE id = old.id; END",
    ]


# What the spatial index adds beside the table metadata, per backend: SQLite's R*Tree tables
# (and the shadow tables the rtree module keeps), PostGIS's point column and GiST indexes.
SPATIAL_INDEXES = ("ix_cases_geom", "ix_cases_geom_point", "ix_ref_features_geom")


def beside_metadata(dialect: str) -> Callable[..., bool]:
    """An Alembic ``include_object`` hook leaving out what the tables do not describe on
    ``dialect``: the R*Tree tables on SQLite, the GiST indexes and the geometry columns on
    PostGIS (their type and nullability are this module's; tests/storage/test_postgis.py checks
    them there)."""

    def include(obj: Any, name: str | None, type_: str, reflected: bool, _to: Any) -> bool:
        if type_ == "table":  # spatial_ref_sys: PostGIS's own, seen through the search path
            own = name == "spatial_ref_sys" or any(
                (name or "").startswith(rt) for rt in RTREES.values()
            )
            return not own
        if type_ == "index":
            return name not in SPATIAL_INDEXES
        if type_ == "column" and dialect == "postgresql":
            table_name = getattr(getattr(obj, "table", None), "name", None)
            return not (table_name in RTREES and name in (GEOMETRY_COLUMN, POINT_COLUMN))
        return True

    return include
