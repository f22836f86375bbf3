"""The map's viewport queries on each backend's spatial index, against the old plan.

N synthetic 图斑 (``benchmarks/make_data.py``, default 100 000, scattered over a 40 x 40 km
county) are imported once into a SQLite store and once into a PostgreSQL/PostGIS store (a
throw-away schema of database ``test`` on 127.0.0.1, dropped afterwards). Then, at K seeded
village-sized views (1/500 of the county, the size of a village: ~200 图斑 at 100k, ~2 000 at
1M), each query is timed:

* ``count``: how many 图斑 of the batch are in the view (``MapView.count``);
* ``page+GeoJSON``: the view's 图斑 with their case rows, geometries decoded and written as
  GeoJSON (``MapView.page`` and ``shapely.to_geojson``, as ``GET /api/batches/{id}/features``
  does);
* ``county count``: the whole county in view, as the map asks before it draws anything:
  ``count_upto`` the map's cap of 3 000 (what the API runs now) and a full count (before).

Plans compared, all in the same run on the same stores:

* ``sqlite rtree (CROSS JOIN)``: what Tuban runs now (``storage.spatial.within``);
* ``sqlite rtree (id IN)``: the other way of writing it (``storage.spatial.overlaps`` beside
  the batch condition), to show why ``within`` forces the join order;
* ``sqlite bbox columns (old)``: the BASELINE, the query before migration 0009: the four
  float comparisons beside ``batch_id``, with the old B-tree ``ix_cases_bbox`` recreated for
  it. SQLite's planner prefers the (batch_id, code) index and tests every row's box;
* ``postgis gist``: what Tuban runs on PostgreSQL (``&&`` on the GiST index).

It also times the two ways of getting geometries into PostGIS with COPY: hex EWKB straight into
the geometry column, against WKB into a bytea staging column and ``INSERT ... SELECT
ST_Multi(ST_GeomFromWKB(...))`` (what ``storage.bulk.insert_rows`` does, chosen by this figure).

Wall time is per query (p50/p95 over K views, after one warm-up pass); CPU is this process's
(user + system) mean per query: for PostGIS the server's CPU is not in it. Not a test: nothing
in CI runs it.

    .venv/bin/python benchmarks/spatial_bench.py [--n 100000] [--views 40] [--keep]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import shapely

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import make_data  # noqa: E402
from sqlalchemy import and_, create_engine, func, select, text  # noqa: E402

from geo.batch import BatchMeta  # noqa: E402
from geo.model import Programme  # noqa: E402
from storage import spatial  # noqa: E402
from storage.engine import make_engine, migrate, sqlite_url  # noqa: E402
from storage.imports import import_file  # noqa: E402
from storage.map_queries import FeatureFilter, MapView  # noqa: E402
from storage.repository import CaseStore  # noqa: E402
from storage.tables import cases  # noqa: E402

PG_URL = os.environ.get("TUBAN_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
NOW = datetime(2024, 4, 2, tzinfo=UTC)
CAP = 3000  # the map's feature_limit


def village_views(k: int, seed: int = 7) -> list[tuple[float, float, float, float]]:
    """``k`` seeded boxes of a village's size (1/500 of the county) inside the county."""
    from pyproj import Transformer

    to_lonlat = Transformer.from_crs(make_data.SRC_CRS, make_data.REF_CRS, always_xy=True)
    x0, y0, x1, y1 = make_data.county_box()
    side = (x1 - x0) / np.sqrt(500)
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(k):
        x, y = rng.uniform(x0, x1 - side), rng.uniform(y0, y1 - side)
        (a, c), (b, d) = to_lonlat.transform([x, x + side], [y, y + side])
        out.append((float(a), float(b), float(c), float(d)))
    return out


def county_view() -> tuple[float, float, float, float]:
    """The whole county (and its edge) in lon/lat."""
    return (117.8, 39.6, 118.4, 40.1)


def timed(fn: Callable[[], Any], views: list, repeat_warm: bool = True) -> dict[str, float]:
    """p50/p95 wall and mean CPU (ms) of ``fn(view)`` over the views; the result sizes."""
    if repeat_warm:
        for v in views:
            fn(v)
    walls, cpus, sizes = [], [], []
    for v in views:
        t0, c0 = time.perf_counter(), time.process_time()
        n = fn(v)
        walls.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
        sizes.append(n)
    q = statistics.quantiles(walls, n=20) if len(walls) > 1 else walls * 19
    return {
        "p50": statistics.median(walls) * 1e3,
        "p95": q[18] * 1e3,
        "cpu": statistics.mean(cpus) * 1e3,
        "rows": statistics.mean(sizes),
    }


def load(url: str, path: Path) -> tuple[CaseStore, int, float]:
    """A migrated store at ``url`` holding the parcels of ``path``; the import's seconds."""
    engine = make_engine(url)
    migrate(engine)
    store = CaseStore(engine)
    meta = BatchMeta(Programme.LAND, "2024Q1", "bench", date(2024, 4, 1), date(2024, 6, 30))
    t0 = time.perf_counter()
    batch, _ = import_file(store, path, meta, actor="bench", now=NOW)
    return store, int(batch["id"]), time.perf_counter() - t0


def old_box(box: tuple[float, float, float, float]) -> Any:
    """The predicate before migration 0009: the four float comparisons on the bbox columns."""
    minx, miny, maxx, maxy = box
    return and_(
        cases.c.maxx >= minx, cases.c.minx <= maxx, cases.c.maxy >= miny, cases.c.miny <= maxy
    )


def page_geojson(conn: Any, stmt: Any) -> int:
    """Rows of ``stmt`` (whole case rows), geometries decoded and written as GeoJSON."""
    rows = conn.execute(stmt).all()
    geoms = spatial.geometries([r.geom for r in rows])
    text_ = shapely.to_geojson(geoms) if len(geoms) else []
    return len(text_)


def sqlite_plans(store: CaseStore, batch_id: int, views: list) -> dict[str, dict]:
    view = MapView(store.engine)
    out: dict[str, dict] = {}
    rtree_in = select(cases.c.id).where(cases.c.batch_id == batch_id)
    with store.engine.connect() as conn:

        def count_in(v):
            q = rtree_in.where(spatial.overlaps(cases, v)).subquery()
            return conn.execute(select(func.count()).select_from(q)).scalar_one()

        def page_in(v):
            q = select(cases).where(cases.c.batch_id == batch_id, spatial.overlaps(cases, v))
            return page_geojson(conn, q.order_by(cases.c.id))

        out["sqlite rtree (id IN)"] = {
            "count": timed(count_in, views),
            "page+GeoJSON": timed(page_in, views),
        }
    out["sqlite rtree (CROSS JOIN)"] = current_plan(view, batch_id, views)
    # The baseline: the old predicate with the old B-tree back in place.
    with store.engine.begin() as conn:
        conn.exec_driver_sql("CREATE INDEX ix_cases_bbox ON cases (minx, maxx, miny, maxy)")
    with store.engine.connect() as conn:

        def count_old(v):
            q = select(func.count()).where(cases.c.batch_id == batch_id, old_box(v))
            return conn.execute(q.select_from(cases)).scalar_one()

        def page_old(v):
            q = select(cases).where(cases.c.batch_id == batch_id, old_box(v))
            return page_geojson(conn, q.order_by(cases.c.id))

        plan = " | ".join(
            r[-1]
            for r in conn.exec_driver_sql(
                "EXPLAIN QUERY PLAN SELECT count(*) FROM cases WHERE batch_id = 1 AND "
                "maxx >= 0 AND minx <= 1 AND maxy >= 0 AND miny <= 1"
            )
        )
        print(f"  baseline plan (SQLite): {plan}")
        out["sqlite bbox columns (old)"] = {
            "count": timed(count_old, views),
            "page+GeoJSON": timed(page_old, views),
            "county count (full)": timed(count_old, [county_view()] * 5),
        }
    with store.engine.begin() as conn:
        conn.exec_driver_sql("DROP INDEX ix_cases_bbox")
    return out


def current_plan(view: MapView, batch_id: int, views: list) -> dict[str, dict]:
    """What the API runs now: ``MapView.count``/``page`` and the bounded county count."""

    def count(v):
        return view.count(batch_id=batch_id, where=FeatureFilter(bbox=v))

    def page(v):
        rows, _ = view.page(batch_id=batch_id, where=FeatureFilter(bbox=v))
        geoms = spatial.geometries([r["geom"] for r in rows])
        return len(shapely.to_geojson(geoms)) if len(geoms) else 0

    def county_upto(v):
        _, n = view.page(batch_id=batch_id, where=FeatureFilter(bbox=v), limit=0, count_upto=CAP)
        return CAP + 1 if n is None else n

    return {
        "count": timed(count, views),
        "page+GeoJSON": timed(page, views),
        "county count_upto": timed(county_upto, [county_view()] * 5),
        "county count (full)": timed(count, [county_view()] * 5),
    }


def hex_ewkb(geoms: np.ndarray) -> list[str]:
    """Hex EWKB with SRID 4490, polygons promoted to MultiPolygon: what a COPY straight into a
    geometry(MultiPolygon, 4490) column takes (bytes.hex(): GEOS's hex writer is slower)."""
    single = shapely.get_type_id(geoms) == 3
    shapes = geoms.copy()
    shapes[single] = shapely.multipolygons(geoms[single], indices=np.arange(single.sum()))
    ewkb = shapely.to_wkb(shapely.set_srid(shapes, 4490), include_srid=True)
    return [b.hex() for b in ewkb.tolist()]


def copy_ways(url: str, n: int, repeat: int) -> dict[str, list[dict]]:
    """COPY of ``n`` polygons into PostGIS: hex EWKB straight in, or WKB via a staging column;
    each way ``repeat`` times, alternating, into emptied tables."""
    parcels = make_data.make_parcels(n).to_crs(make_data.REF_CRS).geometry.to_numpy()
    engine = make_engine(url)
    out: dict[str, list[dict]] = {"hex EWKB into geometry": [], "WKB staging + INSERT SELECT": []}
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE copy_direct (g geometry(MultiPolygon, 4490))")
        conn.exec_driver_sql("CREATE TABLE copy_final (g geometry(MultiPolygon, 4490))")
        conn.exec_driver_sql("CREATE TABLE copy_stage (wkb bytea)")
    for _ in range(repeat):
        for name, runs in out.items():
            with engine.begin() as conn:
                conn.exec_driver_sql("TRUNCATE copy_direct, copy_final, copy_stage")
            with engine.begin() as conn:
                raw = conn.connection.driver_connection
                t0, c0 = time.perf_counter(), time.process_time()
                if name.startswith("hex"):
                    values = hex_ewkb(parcels)
                    with raw.cursor() as cur, cur.copy("COPY copy_direct (g) FROM STDIN") as cp:
                        for v in values:
                            cp.write_row((v,))
                else:
                    wkb = shapely.to_wkb(parcels).tolist()
                    with raw.cursor() as cur, cur.copy("COPY copy_stage (wkb) FROM STDIN") as cp:
                        for v in wkb:
                            cp.write_row((v,))
                    conn.exec_driver_sql(
                        "INSERT INTO copy_final SELECT ST_Multi(ST_GeomFromWKB(wkb, 4490)) "
                        "FROM copy_stage"
                    )
                runs.append({"wall_s": time.perf_counter() - t0, "cpu_s": time.process_time() - c0})
    engine.dispose()
    return out


def print_table(results: dict[str, dict], n: int) -> None:
    print(f"\nviewport queries, {n} 图斑 (ms per query; CPU: this process, mean)")
    print(f"{'plan':30} {'query':22} {'p50':>9} {'p95':>9} {'CPU':>9} {'rows':>8}")
    for plan, queries in results.items():
        for q, f in queries.items():
            print(
                f"{plan:30} {q:22} {f['p50']:9.2f} {f['p95']:9.2f} {f['cpu']:9.2f} {f['rows']:8.0f}"
            )
    base = results.get("sqlite bbox columns (old)")
    if base:
        print("\nratios (same run): baseline p50 / plan p50")
        for plan, queries in results.items():
            for q in ("count", "page+GeoJSON"):
                if plan != "sqlite bbox columns (old)" and q in queries:
                    print(f"  {plan:30} {q:14} {base[q]['p50'] / queries[q]['p50']:7.1f}x")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--views", type=int, default=40, help="village views timed (K)")
    ap.add_argument("--copy-n", type=int, default=100_000, help="polygons in the COPY test")
    ap.add_argument("--copy-repeat", type=int, default=3, help="runs of each COPY way")
    ap.add_argument("--copy-only", action="store_true", help="only the COPY comparison")
    ap.add_argument("--skip-postgis", action="store_true")
    ap.add_argument("--keep", action="store_true", help="keep the stores (prints where)")
    args = ap.parse_args()
    print(
        f"machine: {platform.node()} {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}; python {platform.python_version()}"
    )
    path = make_data.ensure(args.n)["parcels"]
    results: dict[str, dict] = {}
    if not args.copy_only:
        tmp = Path(tempfile.mkdtemp(prefix="spatial-bench-"))
        store, batch_id, secs = load(sqlite_url(tmp / "bench.sqlite"), path)
        print(f"SQLite import of {args.n}: {secs:.1f} s ({tmp / 'bench.sqlite'})")
        results.update(sqlite_plans(store, batch_id, village_views(args.views)))
        store.engine.dispose()
    if not args.skip_postgis:
        results.update(postgis(args, path))
    if results:
        print_table(results, args.n)


def postgis(args: argparse.Namespace, path: Path) -> dict[str, dict]:
    """The PostGIS figures, in a throw-away schema of database test."""
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = f"{PG_URL}?options=-csearch_path%3D{schema}%2Cpublic"
    results = {}
    try:
        if not args.copy_only:
            pg, pg_batch, secs = load(url, path)
            print(f"PostGIS import of {args.n}: {secs:.1f} s (schema {schema})")
            views = village_views(args.views)
            results["postgis gist"] = current_plan(MapView(pg.engine), pg_batch, views)
            pg.engine.dispose()
        copies = copy_ways(url, args.copy_n, args.copy_repeat)
        print(f"\nCOPY of {args.copy_n} polygons into PostGIS (one transaction each)")
        for name, runs in copies.items():
            walls = " ".join(f"{r['wall_s']:5.2f}" for r in runs)
            cpus = " ".join(f"{r['cpu_s']:5.2f}" for r in runs)
            print(f"  {name:30} wall s: {walls}   client CPU s: {cpus}")
    finally:
        if not args.keep:
            with admin.connect() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
    return results


if __name__ == "__main__":
    main()
