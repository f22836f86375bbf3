"""The Alembic migrations build exactly the schema the code's tables describe, on each backend."""

from __future__ import annotations

from datetime import date

import shapely
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, select

from storage import spatial
from storage.engine import alembic_config, make_engine, migrate
from storage.map_queries import FeatureFilter, MapView
from storage.refs import RefStore
from storage.tables import cases, metadata, ref_features
from storage.types import UTCDateTime
from tests.conftest import NOW


def test_migrated_schema_matches_the_tables(store):
    with store.engine.connect() as conn:
        opts = {"include_object": spatial.beside_metadata(conn.dialect.name)}
        diff = compare_metadata(MigrationContext.configure(conn, opts=opts), metadata)
    assert diff == []


# --- 0009: spatial indexes, data kept both ways ----------------------------------------------

BEFORE = "0008_enforcement_decided_on"
_T = sa.table  # tables as 0008 knows them: geometry is WKB in a blob/bytea column
_batches = _T(
    "batches",
    *(sa.column(c) for c in ("id", "programme", "period", "authority", "source_name")),
    *(sa.column(c) for c in ("source_sha256", "source_crs", "encoding", "feature_count")),
    *(sa.column(c) for c in ("area_m2", "minx", "miny", "maxx", "maxy", "imported_by")),
    sa.column("issued_on", sa.Date),
    sa.column("due_on", sa.Date),
    sa.column("imported_at", UTCDateTime),
)
_cases = _T(
    "cases",
    *(sa.column(c) for c in ("id", "batch_id", "programme", "code", "xzqdm", "state")),
    *(sa.column(c) for c in ("minx", "miny", "maxx", "maxy", "area_m2", "area_mu", "version")),
    *(sa.column(c) for c in ("returned_count", "review_returns", "photo_count")),
    sa.column("attributes", sa.JSON),
    sa.column("geom", sa.LargeBinary),
    sa.column("updated_at", UTCDateTime),
)
_layers = _T(
    "ref_layers",
    *(sa.column(c) for c in ("id", "kind", "name", "version", "source_name", "source_sha256")),
    *(sa.column(c) for c in ("source_crs", "encoding", "feature_count", "imported_by")),
    *(sa.column(c) for c in ("minx", "miny", "maxx", "maxy")),
    sa.column("imported_at", UTCDateTime),
    sa.column("report", sa.JSON),
)
_features = _T(
    "ref_features",
    *(sa.column(c) for c in ("id", "layer_id", "ident", "label", "minx", "miny", "maxx", "maxy")),
    sa.column("attributes", sa.JSON),
    sa.column("geom", sa.LargeBinary),
)

X0, Y0 = 118.10, 39.83
SHAPES = {  # code: geometry, as an 0008 store holds them
    "P": shapely.box(X0, Y0, X0 + 0.001, Y0 + 0.001),
    "M": shapely.MultiPolygon(
        [
            shapely.box(X0 + 0.01, Y0, X0 + 0.011, Y0 + 0.001),
            shapely.box(X0 + 0.02, Y0, X0 + 0.021, Y0 + 0.001),
        ]
    ),
    "M1": shapely.MultiPolygon([shapely.box(X0 + 0.03, Y0, X0 + 0.031, Y0 + 0.001)]),
    "T": shapely.Point(X0 + 0.04, Y0 + 0.0005),
}


def _box(g) -> dict:
    return spatial.extent_values(g.bounds)


def _fill_0008(conn) -> None:
    conn.execute(
        _batches.insert().values(
            id=1,
            programme="mining",
            period="2019Q3",
            authority="省厅",
            source_name="k.shp",
            source_sha256="0" * 64,
            source_crs="EPSG:4490",
            encoding="utf-8",
            feature_count=4,
            area_m2=1.0,
            imported_by="t",
            issued_on=date(2019, 10, 15),
            due_on=date(2019, 11, 30),
            imported_at=NOW,
            **_box(shapely.GeometryCollection(list(SHAPES.values()))),
        )
    )
    for i, (code, g) in enumerate(SHAPES.items(), start=1):
        conn.execute(
            _cases.insert().values(
                id=i,
                batch_id=1,
                programme="mining",
                code=code,
                xzqdm="130208",
                state="issued",
                area_m2=100.0,
                area_mu=0.15,
                version=0,
                returned_count=0,
                review_returns=0,
                photo_count=0,
                attributes={},
                geom=shapely.to_wkb(g),
                updated_at=NOW,
                **_box(g),
            )
        )
    conn.execute(
        _layers.insert().values(
            id=1,
            kind="farmland",
            name="永久基本农田",
            version="1",
            source_name="f.shp",
            source_sha256="1" * 64,
            source_crs="EPSG:4490",
            encoding="utf-8",
            feature_count=1,
            imported_by="t",
            imported_at=NOW,
            report={},
            **_box(SHAPES["P"]),
        )
    )
    conn.execute(
        _features.insert().values(
            id=1,
            layer_id=1,
            ident="JB1",
            label="0101",
            attributes={},
            geom=shapely.to_wkb(SHAPES["P"]),
            **_box(SHAPES["P"]),
        )
    )


def _downgrade(engine, revision: str) -> None:
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)


def test_0009_keeps_the_geometries_and_indexes_them_and_goes_back(database_url):
    engine = make_engine(database_url)
    migrate(engine, BEFORE)
    with engine.begin() as conn:
        _fill_0008(conn)
    migrate(engine)  # to 0009
    with engine.connect() as conn:
        rows = {r.code: r for r in conn.execute(select(cases).order_by(cases.c.id))}
        ref = conn.execute(select(ref_features)).one()
    for code, g in SHAPES.items():
        back = spatial.geometry(rows[code]._mapping)
        assert back.equals(g), code
        if code != "M1":  # a one-part MultiPolygon reads back as its Polygon on PostGIS
            assert back.geom_type == g.geom_type, code
    assert spatial.geometry(ref._mapping).equals(SHAPES["P"])
    # Found through the new index, each by a box around it only.
    view = MapView(engine)
    for code, g in SHAPES.items():
        box = tuple(v + d for v, d in zip(g.bounds, (-1e-6, -1e-6, 1e-6, 1e-6), strict=True))
        found = view.features(batch_id=1, where=FeatureFilter(bbox=box))
        assert [f["code"] for f in found] == [code]
    refs = RefStore(engine)  # the reference layer through its own index
    assert refs.count(1, SHAPES["P"].bounds) == 1 and refs.count(1, SHAPES["T"].bounds) == 0

    _downgrade(engine, BEFORE)
    with engine.connect() as conn:
        blobs = dict(conn.execute(select(_cases.c.code, _cases.c.geom)).all())
        ref_blob = conn.execute(select(_features.c.geom)).scalar_one()
        names = set(sa.inspect(conn).get_table_names())
        indexes = {i["name"] for i in sa.inspect(conn).get_indexes("cases")}
    for code, g in SHAPES.items():
        assert shapely.from_wkb(blobs[code]).equals(g), code
        if code != "M1":
            assert bytes(blobs[code]) == shapely.to_wkb(g), code
    assert bytes(ref_blob) == shapely.to_wkb(SHAPES["P"])
    assert not names & set(spatial.RTREES.values()) and "ix_cases_bbox" in indexes
    migrate(engine)  # and up again
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(cases)).scalar_one() == len(SHAPES)
    engine.dispose()
