"""Each backend's spatial index (SQLite R*Tree, PostGIS GiST) behind storage/spatial.py: present,
used by the planner, kept in step, and giving exactly the rows a brute-force box check gives."""

from __future__ import annotations

import math
import random

import geopandas as gpd
import numpy as np
import pytest
import shapely
from sqlalchemy import delete, func, select, text, update

from geo.area import ellipsoidal_area_m2
from storage import spatial
from storage.engine import PostgisMissing, migrate, postgis_version
from storage.imports import import_file, import_reference
from storage.map_queries import FeatureFilter, MapView
from storage.tables import cases, ref_features
from tests import factories
from tests.conftest import NOW
from tests.storage.test_linking_and_hints import meta

LON, LAT = factories.FENGRUN_LONLAT


def _random_boxes(rng: random.Random, n: int) -> list[shapely.Polygon]:
    """``n`` boxes of random size (1 m to 300 m) scattered over a few km around Fengrun."""
    out = []
    for _ in range(n):
        x, y = LON + rng.uniform(-0.03, 0.03), LAT + rng.uniform(-0.02, 0.02)
        w, h = rng.uniform(1e-5, 3e-3), rng.uniform(1e-5, 3e-3)
        out.append(shapely.box(x, y, x + w, y + h))
    return out


@pytest.fixture
def scattered(store, tmp_path):
    """A batch of 200 random boxes and a reference layer of 60 more; returns the batch id."""
    rng = random.Random(20191015)
    boxes = _random_boxes(rng, 200)
    frame = gpd.GeoDataFrame(
        {"TBBH": [f"R{i:04d}" for i in range(len(boxes))], "XZQDM": ["130208"] * len(boxes)},
        geometry=boxes,
        crs="EPSG:4490",
    )
    batch, _ = import_file(
        store, factories.write(frame, tmp_path / "r.gpkg"), meta(), actor="t", now=NOW
    )
    refs = gpd.GeoDataFrame(
        {"DLBM": ["0101"] * 60}, geometry=_random_boxes(rng, 60), crs="EPSG:4490"
    )

    import_reference(
        store,
        factories.write(refs, tmp_path / "farm.gpkg"),
        "farmland",
        name="永久基本农田",
        version="1",
        actor="t",
        now=NOW,
    )
    return batch["id"]


def _stored_boxes(conn, table) -> dict[int, tuple[float, ...]]:
    rows = conn.execute(select(table.c.id, *spatial.bbox_columns(table))).all()
    return {r[0]: tuple(r[1:]) for r in rows}


def _brute(boxes, q) -> set[int]:
    minx, miny, maxx, maxy = q
    return {
        i
        for i, (x0, y0, x1, y1) in boxes.items()
        if x1 >= minx and x0 <= maxx and y1 >= miny and y0 <= maxy
    }


def _query_boxes(rng: random.Random, boxes) -> list[tuple[float, float, float, float]]:
    """Random views, and views that touch a stored box's edge or miss it by one ulp: the index
    keeps single-precision boxes, so only the exact check can tell those apart."""
    out = []
    for _ in range(40):
        x, y = LON + rng.uniform(-0.035, 0.035), LAT + rng.uniform(-0.025, 0.025)
        out.append((x, y, x + rng.uniform(0, 0.02), y + rng.uniform(0, 0.015)))
    for x0, y0, x1, y1 in rng.sample(sorted(boxes.values()), 15):
        out.append((x1, y0, x1 + 0.001, y1))  # touches the east edge: meets
        out.append((math.nextafter(x1, math.inf), y0, x1 + 0.001, y1))  # one ulp east: misses
        out.append((x0 - 0.001, y1 + 1e-9, x0, y1 + 0.001))  # just north of it: misses
    return out


@pytest.mark.parametrize("table", [cases, ref_features], ids=["cases", "ref_features"])
def test_overlaps_gives_exactly_the_brute_force_box_check(store, scattered, table):
    rng = random.Random(7)
    with store.engine.connect() as conn:
        boxes = _stored_boxes(conn, table)
        assert len(boxes) >= 50
        nonempty = 0
        for q in _query_boxes(rng, boxes):
            got = set(conn.execute(select(table.c.id).where(spatial.overlaps(table, q))).scalars())
            assert got == _brute(boxes, q), q
            nonempty += bool(got)
    assert nonempty > 20  # the views are not all empty, so equality says something


def test_the_map_count_and_pages_agree_with_the_brute_force_check(store, scattered):
    view = MapView(store.engine)
    with store.engine.connect() as conn:
        boxes = _stored_boxes(conn, cases)
    q = (LON - 0.01, LAT - 0.01, LON + 0.01, LAT + 0.01)
    expected = _brute(boxes, q)
    rows, matched = view.page(batch_id=scattered, where=FeatureFilter(bbox=q))
    assert {r["id"] for r in rows} == expected and matched == len(expected) > 0


def _plan(conn, stmt) -> str:
    sql = str(stmt.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
    if conn.dialect.name == "sqlite":
        return " ".join(r[-1] for r in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}"))
    conn.exec_driver_sql("SET LOCAL enable_seqscan = off")  # a tiny table: scanning is cheaper
    return " ".join(r[0] for r in conn.exec_driver_sql(f"EXPLAIN {sql}"))


def test_the_viewport_query_uses_the_spatial_index(store, scattered):
    q = (LON - 0.005, LAT - 0.005, LON + 0.005, LAT + 0.005)
    # The map's form: a batch (indexed too) and a box; the box must drive the query.
    own = spatial.within(select(cases.c.id).where(cases.c.batch_id == scattered), cases, q)
    layer = select(ref_features.c.id).where(ref_features.c.layer_id == 1)
    refs = spatial.within(layer, ref_features, q)
    near = select(cases.c.id).where(spatial.overlaps(cases, q))  # the plain predicate
    with store.engine.begin() as conn:
        plans = _plan(conn, own), _plan(conn, refs), _plan(conn, near)
    if store.engine.dialect.name == "sqlite":
        rtrees = ["cases_rtree", "ref_features_rtree", "cases_rtree"]
        for plan, rtree in zip(plans, rtrees, strict=True):
            assert f"SCAN {rtree} VIRTUAL TABLE INDEX" in plan, plan
            assert "INTEGER PRIMARY KEY" in plan, plan  # each hit looked up by id, no scan
    else:
        gists = ["ix_cases_geom", "ix_ref_features_geom", "ix_cases_geom"]
        for plan, gist in zip(plans, gists, strict=True):
            assert gist in plan, plan
        assert "ix_cases_geom_point" in plans[0]  # point 图斑 are found through their own


def test_the_spatial_index_is_there(store):
    with store.engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            names = set(
                conn.exec_driver_sql(
                    "SELECT name FROM sqlite_master WHERE sql LIKE '%USING rtree%'"
                ).scalars()
            )
            assert names == set(spatial.RTREES.values())
        else:
            q = "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema()"
            defs = dict(conn.exec_driver_sql(q).all())
            for name in spatial.SPATIAL_INDEXES:
                assert "USING gist" in defs[name], name


def test_the_rtree_follows_inserts_updates_and_deletes(store, scattered):
    if store.engine.dialect.name != "sqlite":
        pytest.skip("the R*Tree is SQLite's; PostGIS indexes the geometry column itself")
    far = (LON + 1.0, LAT + 1.0, LON + 1.001, LAT + 1.001)
    with store.engine.begin() as conn:
        cid = conn.execute(select(cases.c.id).limit(1)).scalar_one()
        conn.execute(update(cases).where(cases.c.id == cid).values(**spatial.extent_values(far)))
        found = conn.execute(select(cases.c.id).where(spatial.overlaps(cases, far))).scalars()
        assert list(found) == [cid]
        rt = spatial.rtree(cases)
        conn.execute(delete(cases).where(cases.c.id == cid))
        assert conn.execute(select(rt.c.id).where(rt.c.id == cid)).first() is None
        n_rt = conn.execute(select(func.count()).select_from(rt)).scalar_one()
        assert n_rt == conn.execute(select(func.count()).select_from(cases)).scalar_one()
        conn.rollback()


def test_count_upto_stops_one_past_the_cap(store, scattered):
    with store.engine.connect() as conn:
        n = conn.execute(select(func.count()).select_from(cases)).scalar_one()
        q = select(cases.c.id)
        for cap in (0, 1, 5, n - 1, n, n + 10):
            assert spatial.count_upto(conn, q, cap) == min(n, cap + 1)


def test_a_page_counts_no_further_than_asked(store, scattered):
    view = MapView(store.engine)
    _, total = view.page(batch_id=scattered)
    assert total is not None and total > 30
    rows, matched = view.page(batch_id=scattered, limit=10, count_upto=20)
    assert len(rows) == 10 and matched is None  # more than 20: not counted on
    rows, matched = view.page(batch_id=scattered, limit=10, count_upto=total)
    assert matched == total
    # A page past the bound still comes back whole: the bound grows to offset + limit.
    seen = []
    for offset in range(0, total, 25):
        page, _ = view.page(batch_id=scattered, limit=25, offset=offset, count_upto=30)
        seen += [r["id"] for r in page]
    assert len(seen) == len(set(seen)) == total


def test_postgis_columns_have_their_type_and_srid(store, tmp_path):
    if store.engine.dialect.name != "postgresql":
        pytest.skip("SQLite stores WKB")
    frame = factories.squares(2)
    frame.loc[2] = ["K3", "130208", "新增开采", 1.0, _two_squares()]
    import_file(store, factories.write(frame, tmp_path / "k.gpkg"), meta(), actor="t", now=NOW)
    with store.engine.connect() as conn:
        columns = set(
            conn.exec_driver_sql(
                "SELECT f_table_name, f_geometry_column, type, srid FROM geometry_columns "
                "WHERE f_table_schema = current_schema()"
            ).all()
        )
        stored = conn.exec_driver_sql(
            "SELECT GeometryType(geom), ST_SRID(geom), ST_NumGeometries(geom) FROM cases "
            "ORDER BY id"
        ).all()
        rows = conn.execute(select(cases).order_by(cases.c.id)).all()
    assert columns == {
        ("cases", "geom", "MULTIPOLYGON", 4490),
        ("cases", "geom_point", "POINT", 4490),
        ("ref_features", "geom", "MULTIPOLYGON", 4490),
    }
    assert stored == [
        ("MULTIPOLYGON", 4490, 1),
        ("MULTIPOLYGON", 4490, 1),
        ("MULTIPOLYGON", 4490, 2),
    ]
    # Read back as the polygons handed in (a one-part MultiPolygon is the Polygon it equals).
    shapes = [spatial.geometry(r._mapping) for r in rows]
    assert [g.geom_type for g in shapes] == ["Polygon", "Polygon", "MultiPolygon"]
    areas = ellipsoidal_area_m2(np.array(shapes, dtype=object))
    assert [round(a, 2) for a in areas] == [round(r.area_m2, 2) for r in rows]


def _two_squares() -> shapely.MultiPolygon:
    x, y = factories.FENGRUN_X + 3000, factories.FENGRUN_Y
    return shapely.MultiPolygon(
        [shapely.box(x, y, x + 100, y + 100), shapely.box(x + 300, y, x + 400, y + 100)]
    )


def test_point_tuban_are_stored_found_and_read_back(store, tmp_path):
    csv = tmp_path / "points.csv"
    csv.write_text(
        "TBBH,XZQDM,经度,纬度,JCMJ\nP1,130208,118.1,39.83,1200\nP2,130208,118.12,39.84,800\n",
        encoding="utf-8",
    )
    batch, _ = import_file(store, csv, meta(), actor="t", now=NOW, crs="EPSG:4490")
    view = MapView(store.engine)
    near = FeatureFilter(bbox=(118.099, 39.829, 118.101, 39.831))
    rows, matched = view.page(batch_id=batch["id"], where=near)
    assert matched == 1 and [r["code"] for r in rows] == ["P1"]
    point = spatial.geometry(rows[0])
    assert point.geom_type == "Point" and (point.x, point.y) == (118.1, 39.83)
    assert rows[0]["area_m2"] == 1200
    if store.engine.dialect.name == "postgresql":
        with store.engine.begin() as conn:
            kinds = conn.exec_driver_sql(
                "SELECT geom IS NULL, GeometryType(geom_point) FROM cases"
            ).all()
            assert kinds == [(True, "POINT"), (True, "POINT")]
        with pytest.raises(Exception, match="ck_cases_one_geometry"), store.engine.begin() as conn:
            conn.execute(text("UPDATE cases SET geom_point = NULL"))


def test_a_missing_postgis_is_named_with_its_package_and_statement(store, monkeypatch):
    if store.engine.dialect.name != "postgresql":
        pytest.skip("PostGIS is PostgreSQL's")
    with store.engine.connect() as conn:
        assert postgis_version(conn)  # the catalogue lookup the check relies on finds it here
    # A server without the extension answers that lookup with no row.
    monkeypatch.setattr("storage.engine.postgis_version", lambda conn: None)
    with pytest.raises(PostgisMissing) as err:
        migrate(store.engine)
    assert "postgresql-15-postgis-3" in str(err.value)
    assert "CREATE EXTENSION postgis" in str(err.value)


def _rtree_state(conn) -> tuple[set[str], list[tuple], list[tuple]]:
    """The R*Tree triggers, and the cases' boxes as the R*Tree and as the table hold them."""
    triggers = set(
        conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'trigger'").scalars()
    )
    rt = spatial.rtree(cases)
    in_tree = conn.execute(select(rt).order_by(rt.c.id)).all()
    in_table = conn.execute(select(cases.c.id, *spatial.bbox_columns(cases)).order_by(cases.c.id))
    return triggers, [tuple(r) for r in in_tree], [tuple(r) for r in in_table]


def test_a_large_import_fills_the_rtree_once_and_a_failed_one_leaves_it(
    store, tmp_path, monkeypatch
):
    if store.engine.dialect.name != "sqlite":
        pytest.skip("the R*Tree is SQLite's")
    from storage import batch_writer, bulk

    monkeypatch.setattr(bulk, "DEFER_MIN_ROWS", 10)  # these imports count as large
    first = factories.write(factories.grid(40), tmp_path / "a.gpkg")
    import_file(store, first, meta(), actor="t", now=NOW)
    with store.engine.connect() as conn:
        triggers, in_tree, in_table = _rtree_state(conn)
    assert {f"cases_rtree_{k}" for k in ("insert", "update", "delete")} <= triggers
    assert len(in_tree) == len(in_table) == 40
    # Single precision, rounded outwards: each stored box lies inside its tree box.
    for (i, x0, y0, x1, y1), (j, minx, miny, maxx, maxy) in zip(in_tree, in_table, strict=True):
        assert i == j and x0 <= minx and maxx <= x1 and y0 <= miny and maxy <= y1

    def fail(*_a, **_k):
        raise RuntimeError("killed after the insert")

    monkeypatch.setattr(batch_writer, "_book_issued", fail)
    second = factories.write(factories.grid(60, step=90.0), tmp_path / "b.gpkg")
    with pytest.raises(RuntimeError):
        import_file(store, second, meta(period="2019Q4"), actor="t", now=NOW)
    with store.engine.connect() as conn:
        assert _rtree_state(conn) == (triggers, in_tree, in_table)


def test_a_geometry_written_through_sqlalchemy_reads_back_the_same(store, scattered):
    """Writes outside the bulk path (an UPDATE of ``geom``) are made a PostGIS MultiPolygon by
    the column type and read back as the Polygon written."""
    square = shapely.box(LON, LAT, LON + 0.001, LAT + 0.001)
    with store.engine.begin() as conn:
        fid = conn.execute(select(ref_features.c.id).limit(1)).scalar_one()
        conn.execute(
            update(ref_features)
            .where(ref_features.c.id == fid)
            .values(geom=shapely.to_wkb(square), **spatial.extent_values(square.bounds))
        )
        back = conn.execute(select(ref_features.c.geom).where(ref_features.c.id == fid)).scalar()
        if conn.dialect.name == "postgresql":
            kind = conn.exec_driver_sql(
                f"SELECT GeometryType(geom) FROM ref_features WHERE id = {fid}"
            ).scalar()
            assert kind == "MULTIPOLYGON"
    assert shapely.from_wkb(back).equals(square) and shapely.from_wkb(back).geom_type == "Polygon"
