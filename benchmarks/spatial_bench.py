"""The map's viewport queries on each backend's spatial index, against the old plan.

N synthetic 图斑 (``benchmarks/make_data.py``, default 100 000, scattered over a 40 x 40 km
county) are imported once into a SQLite store and once into a PostgreSQL/PostGIS store (a
throw-away schema of database ``test`` on 127.0.0.1, dropped afterwards). Then, at K seeded
village-sized views (1/500 of the county, the size of a village: ~200 图斑 at 100k, ~2 000 at
1M), each query is timed:

* ``count``: how many 图斑 of the batch are in the view (``MapView.count``);
* ``page+GeoJSON``: the view's 图斑 with their whole case rows, geometries decoded and written
  as GeoJSON (``MapView.page`` and ``shapely.to_geojson``, as ``GET /api/batches/{id}/features``
  did before issue 13); with ``--api`` also ``route's page+body``, what the route does now
  (the route's columns, geometry as GeoJSON text, the FeatureCollection by orjson);
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
import shutil
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

from api.geojson import feature_collection_text  # noqa: E402
from api.routes.batches import FEATURE_COLUMNS, feature_properties  # noqa: E402
from geo.batch import BatchMeta  # noqa: E402
from geo.model import Programme  # noqa: E402
from storage import spatial  # noqa: E402
from storage.engine import make_engine, migrate, sqlite_url  # noqa: E402
from storage.imports import import_file  # noqa: E402
from storage.map_queries import GEOJSON, FeatureFilter, MapView  # noqa: E402
from storage.repository import CaseStore  # noqa: E402
from storage.tables import cases  # noqa: E402

PG_URL = os.environ.get("TUBAN_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
NOW = datetime(2024, 4, 2, tzinfo=UTC)
CAP = 3000  # the map's feature_limit
PASSWORD = "bench-only-password"  # of the benchmark store's one account


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


def direct_load(url: str, path: Path, copies: int = 1) -> tuple[int, float]:
    """The parcels of ``path`` written straight into a migrated store at ``url`` as one land
    batch, ``copies`` times side by side (copy k shifted east by k county widths, codes
    suffixed ``-k``): (batch id, seconds).

    With the store's own bulk helpers (``storage.bulk.insert_rows``: COPY through
    ``storage.spatial.staged_insert`` on PostGIS; executemany with the R*Tree filled once after
    it on SQLite: ``bulk.indexes_deferred``), not the import pipeline: no checks, duplicates,
    hints or daily counts, so a 10M store (ten copies of the 1M county) takes minutes. Each
    village view then holds as many 图斑 as at 1M (~2 000), in a store ten times larger.
    """
    import pyogrio
    from sqlalchemy import insert

    from storage import bulk
    from storage.tables import batches

    frame = pyogrio.read_dataframe(path).to_crs(make_data.REF_CRS)
    geoms = frame.geometry.to_numpy()
    x0, y0, x1, y1 = (float(v) for v in shapely.total_bounds(geoms))
    width = float(x1 - x0) * 1.05  # copies do not touch
    codes = frame["TBBH"].astype(str).to_numpy()
    area = frame["JCMJ"].to_numpy(dtype=float)
    attrs = [bulk.to_json({"BHLX": b}) for b in frame["BHLX"].astype(str)]
    engine = make_engine(url)
    migrate(engine)
    t0 = time.perf_counter()
    with engine.begin() as conn:
        batch_id = conn.execute(
            insert(batches).values(
                programme=Programme.LAND.value, period="2024Q1", authority="bench",
                issued_on=date(2024, 4, 1), due_on=date(2024, 6, 30), source_name=path.name,
                source_sha256="0" * 64, source_crs=make_data.REF_CRS, encoding="utf-8",
                feature_count=len(frame) * copies, new_cases=len(frame) * copies,
                area_m2=float(area.sum()) * copies, minx=x0, miny=y0,
                maxx=x0 + width * copies, maxy=y1, imported_at=NOW,
                imported_by="bench",
            )
        ).inserted_primary_key[0]  # fmt: skip
        const = {
            "batch_id": batch_id, "programme": Programme.LAND.value, "xzqdm": make_data.COUNTY,
            "state": "issued", "version": 0, "returned_count": 0,
            "updated_at": bulk.bind_constant(conn, cases, "updated_at", NOW),
        }  # fmt: skip
        incoming = len(frame) * copies
        with bulk.indexes_deferred(conn, cases, incoming):  # and the R*Tree, on SQLite
            for k in range(copies):
                moved = shapely.transform(geoms, lambda xy, dx=k * width: xy + (dx, 0.0))
                for lo in range(0, len(frame), 200_000):
                    part = slice(lo, lo + 200_000)
                    cols = {
                        **{c: [v] * len(area[part]) for c, v in const.items()},
                        "code": [f"{c}-{k}" for c in codes[part]],
                        "attributes": attrs[part],
                        **spatial.geometry_values(moved[part]),
                        "area_m2": area[part].tolist(),
                        "area_mu": (area[part] / 666.67).tolist(),
                    }
                    rows = list(zip(*cols.values(), strict=True))
                    bulk.insert_rows(conn, cases, list(cols), rows)
                print(f"  copy {k + 1}/{copies} written ({time.perf_counter() - t0:.0f} s)")
    bulk.analyze(engine, cases)
    engine.dispose()
    return int(batch_id), time.perf_counter() - t0


def page_statements(url: str, batch_id: int, box: tuple[float, ...], cap: int) -> list:
    """The SQL ``MapView.page`` runs for the features endpoint at view ``box`` (count up to
    the cap, then the page), as (statement, parameters) for the driver."""
    from sqlalchemy import event

    engine = make_engine(url)
    seen: list = []

    @event.listens_for(engine, "before_cursor_execute")
    def keep(conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool) -> None:
        seen.append((statement, params))

    MapView(engine).page(
        batch_id=batch_id,
        where=FeatureFilter(bbox=box),
        limit=cap,
        offset=0,
        count_upto=cap,
        columns=FEATURE_COLUMNS,  # the route's: the same statements, geometry text and all
    )
    engine.dispose()
    return seen


def api_and_sql(url: str, batch_id: int, views: list, tmp: Path) -> dict[str, dict]:
    """The features endpoint over HTTP on 127.0.0.1 (``tuban serve``, bearer token, GeoJSON
    body read) against the bare SQL of the same request (the statements ``MapView.page`` runs,
    replayed on a DBAPI cursor with every row fetched: no decoding, no JSON), same views."""
    import httpx
    import load_bench

    from runtime.compose import build
    from runtime.settings import Settings

    services = build(Settings(database_url=url, photos_dir=tmp / "photos"))
    if not any(u.username == "bench" for u in services.users.list()):
        services.users.add(username="bench", display_name="基准", password=PASSWORD,
                           roles=["admin"], by="bench", now=NOW)  # fmt: skip
    services.close()
    store = load_bench.Store(url, tmp, [], [], [batch_id])
    proc = load_bench.start_server(store, load_bench.free_port(), tmp / "access.log")
    replays = {v: page_statements(url, batch_id, v, CAP) for v in views}
    engine = make_engine(url)
    try:
        base = f"http://127.0.0.1:{proc.args[proc.args.index('--port') + 1]}"
        login = httpx.post(f"{base}/api/auth/login",
                           json={"username": "bench", "password": PASSWORD})  # fmt: skip
        login.raise_for_status()
        headers = {"Authorization": f"Bearer {login.json()['token']}"}
        with httpx.Client(base_url=base, headers=headers, timeout=60) as client:

            def api(v: tuple[float, ...]) -> int:
                r = client.get(f"/api/batches/{batch_id}/features",
                               params={"bbox": ",".join(map(str, v))})  # fmt: skip
                r.raise_for_status()
                # the body read, not parsed: parsing 2 MB of JSON is the client's cost
                return r.content.count(b'"Feature"')

            api_fig = timed(api, views)
        with engine.connect() as conn:
            cur = conn.connection.driver_connection.cursor()

            def bare(v: tuple[float, ...]) -> int:
                rows = 0
                for statement, params in replays[v]:
                    cur.execute(statement, params)
                    rows = max(rows, len(cur.fetchall()))
                return rows  # the page's

            sql_fig = timed(bare, views)
            cur.close()
    finally:
        engine.dispose()
        proc.kill()
        proc.wait(timeout=10)
    return {"HTTP API (GeoJSON)": api_fig, "bare SQL, same statements": sql_fig}


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


def route_body(view: MapView, batch_id: int, views: list) -> dict[str, float]:
    """In this process, what the features route does before HTTP: ``MapView.page`` of the
    route's columns (geometry as GeoJSON text) and the FeatureCollection body."""

    def body(v):
        rows, _ = view.page(batch_id=batch_id, where=FeatureFilter(bbox=v), columns=FEATURE_COLUMNS)
        feature_collection_text([r[GEOJSON] for r in rows], [feature_properties(r) for r in rows])
        return len(rows)

    return timed(body, views)


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
    ap.add_argument("--skip-sqlite", action="store_true")
    ap.add_argument("--keep", action="store_true", help="keep the stores (prints where)")
    ap.add_argument(
        "--api",
        action="store_true",
        help="write the store directly (direct_load), time the HTTP API against "
        "its bare SQL and the current plan only (no baseline, no COPY test)",
    )
    ap.add_argument(
        "--tiles",
        type=int,
        default=1,
        help="with --api: copies of the N-图斑 county side by side (10: 10N)",
    )
    args = ap.parse_args()
    print(
        f"machine: {platform.node()} {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}; python {platform.python_version()}"
    )
    path = make_data.ensure(args.n)["parcels"]
    results: dict[str, dict] = {}
    if args.api:
        results = api_run(args, path)
    else:
        if not args.copy_only and not args.skip_sqlite:
            tmp = Path(tempfile.mkdtemp(prefix="spatial-bench-"))
            store, batch_id, secs = load(sqlite_url(tmp / "bench.sqlite"), path)
            print(f"SQLite import of {args.n}: {secs:.1f} s ({tmp / 'bench.sqlite'})")
            results.update(sqlite_plans(store, batch_id, village_views(args.views)))
            store.engine.dispose()
        if not args.skip_postgis:
            results.update(postgis(args, path))
    if results:
        print_table(results, args.n * (args.tiles if args.api else 1))


def api_run(args: argparse.Namespace, path: Path) -> dict[str, dict]:
    """--api: per backend, a directly written store of N x tiles 图斑, the current plan's
    count and page+GeoJSON in this process, and the HTTP API against its bare SQL."""
    total = args.n * args.tiles
    views = village_views(args.views)
    results: dict[str, dict] = {}
    backends = [b for b, skip in (("postgresql", args.skip_postgis), ("sqlite", args.skip_sqlite))
                if not skip]  # fmt: skip
    for backend in backends:
        tmp = Path(tempfile.mkdtemp(prefix="spatial-bench-"))
        schema, admin = None, None
        if backend == "sqlite":
            url = sqlite_url(tmp / "bench.sqlite")
        else:
            schema = f"bench_{uuid.uuid4().hex[:8]}"
            admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text(f'CREATE SCHEMA "{schema}"'))
            url = f"{PG_URL}?options=-csearch_path%3D{schema}%2Cpublic"
        try:
            label = "postgis gist" if backend == "postgresql" else "sqlite rtree (CROSS JOIN)"
            batch_id, secs = direct_load(url, path, args.tiles)
            where = schema or tmp / "bench.sqlite"
            print(f"{backend}: {total:,} 图斑 written directly in {secs:.0f} s ({where}); "
                  f"load {os.getloadavg()[0]:.2f}")  # fmt: skip
            engine = make_engine(url)
            plan = current_plan(MapView(engine), batch_id, views)
            plan["route's page+body"] = route_body(MapView(engine), batch_id, views)
            engine.dispose()
            keys = ("count", "page+GeoJSON", "route's page+body", "county count_upto")
            results[label] = {k: plan[k] for k in keys}
            figs = api_and_sql(url, batch_id, views, tmp)
            results[f"{backend}: HTTP API (GeoJSON)"] = {"features": figs["HTTP API (GeoJSON)"]}
            results[f"{backend}: bare SQL"] = {"features": figs["bare SQL, same statements"]}
            api, bare = figs["HTTP API (GeoJSON)"], figs["bare SQL, same statements"]
            print(f"  {backend} features endpoint: p95 {api['p95']:.1f} ms (target < 50), "
                  f"p50 {api['p50']:.1f} ms; bare SQL p50 {bare['p50']:.1f} ms, p95 "
                  f"{bare['p95']:.1f} ms; API / SQL p50 {api['p50'] / bare['p50']:.2f}x, p95 "
                  f"{api['p95'] / bare['p95']:.2f}x (target <= 2x); load "
                  f"{os.getloadavg()[0]:.2f}")  # fmt: skip
        finally:
            if not args.keep:  # the SQLite store of 10M is gigabytes
                shutil.rmtree(tmp, ignore_errors=True)
            if admin is not None:
                if not args.keep:
                    with admin.connect() as conn:
                        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
                admin.dispose()
    return results


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
