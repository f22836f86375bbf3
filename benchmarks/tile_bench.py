"""Vector-tile benchmark: one z12 tile through the HTTP API against its bare encoding, then
C concurrent loopback clients browsing random tiles for T seconds, per backend, with the
server's tile cache.

For each backend (SQLite, then PostgreSQL + PostGIS in a throwaway schema) a fresh store gets
N synthetic 图斑 (``benchmarks/make_data.py``, imported with ``storage.imports.import_file``)
and an administrator; ``tuban serve`` starts on 127.0.0.1.

1. One tile, the server's tile cache off (``TUBAN_TILE_CACHE_MB=0``, so every fetch renders):
   the z12 tile at the county centre, fetched ``--repeat`` times through
   ``GET /api/tiles/batch-<id>/12/x/y.mvt`` (session check, ETag, visibility and rendering
   included, no If-None-Match) against the bare work for the same tile, in this process. The
   API serves polygons (layer ``cases``) or, for a tile of more than ``OVERVIEW_ROWS`` 图斑, an
   overview (layer ``overview``); each is compared with a bare counterpart of the same kind,
   and the bare polygon tile is printed in both cases:

   * PostGIS, polygons: one hand-written ``ST_AsMVT(ST_AsMVTGeom(ST_Transform(geom, 3857),
     ST_TileEnvelope(z, x, y)))`` query over the batch's rows whose geometry meets the tile's
     envelope (``&&``, the GiST index; the same attributes, no visibility, no re-issues, no
     overdue join); overview: the same rows' bbox centres through ``ST_Transform`` to 3857,
     grouped by ``floor`` on the cell size, counted, ``ST_AsMVT`` of one point per cell;
   * SQLite, polygons: the rows found through the R*Tree (``cases_rtree``) read with sqlite3,
     projected to EPSG:3857 with shapely, and ``mapbox_vector_tile.encode`` with its own
     quantisation and winding checks (the library used as its README shows); overview: the
     same rows' bbox columns, cells counted with numpy, ``mapbox_vector_tile.encode``.

   Medians of wall time; the ratio is API / bare, measured in the same run.
2. Browsing, the server restarted with its tile cache at ``--cache-mb`` (default 256): C
   clients (httpx, async, 2 connections each like a browser tab, all signed in as the same
   administrator, so one scope) each request random tiles of the county at z12-z16 for T
   seconds, sending back the ETag of a tile they fetched before (as a browser cache
   revalidates). Per status: counts; latency p50/p95; throughput; the server's CPU seconds
   beside the wall time; the share of 200/204 answers served from the server's cache
   (``X-Tile-Cache: hit``) and of overview tiles.

Bounded: every request has a 30 s timeout, the server is killed at the end, only 127.0.0.1.

    .venv/bin/python benchmarks/tile_bench.py [--n 100000] [--clients 20] [--seconds 60]
        [--backend both] [--repeat 7] [--cache-mb 256]
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
for p in (ROOT, HERE):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))

import load_bench  # noqa: E402
import make_data  # noqa: E402

ADMIN = ("bench", "Tuban-tile-bench-2024!")
NOW = datetime(2024, 4, 2, 9, 0, tzinfo=UTC)
ZOOMS = (12, 13, 14, 15, 16)
BARE_ATTRIBUTES = ("case_id", "code", "state", "programme", "judgment")


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int, int]:
    """The (z, x, y) of the tile holding a point."""
    n = 1 << z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return z, x, y


def county_tiles() -> list[tuple[int, int, int]]:
    """Every tile at ZOOMS that meets the county box (what a user browsing it could ask)."""
    from pyproj import Transformer

    to_lonlat = Transformer.from_crs(make_data.SRC_CRS, make_data.REF_CRS, always_xy=True)
    box = make_data.county_box()
    minx, miny = to_lonlat.transform(box[0], box[1])
    maxx, maxy = to_lonlat.transform(box[2], box[3])
    out = []
    for z in ZOOMS:
        _, x0, y0 = tile_of(minx, maxy, z)
        _, x1, y1 = tile_of(maxx, miny, z)
        out += [(z, x, y) for x in range(x0, x1 + 1) for y in range(y0, y1 + 1)]
    return out


def make_store(backend: str, tmp: Path, parcels: Path) -> tuple[str, int, Any]:
    """A fresh store holding the parcels as one batch and the bench admin: (url, batch, drop)."""
    from geo.batch import BatchMeta
    from geo.model import Programme
    from runtime.compose import build
    from runtime.settings import Settings
    from storage.imports import import_file

    drop = None
    if backend == "sqlite":
        url = f"sqlite:///{tmp / 'tiles.sqlite'}"
    else:
        url, drop = load_bench.pg_schema()  # PostGIS (public) second in its search path
    services = build(Settings(database_url=url, photos_dir=tmp / "photos"))
    meta = BatchMeta(Programme.LAND, "2024Q1", "bench", date(2024, 4, 1), date(2024, 6, 30))
    t0 = time.perf_counter()
    batch, _ = import_file(services.cases, parcels, meta, actor="bench", now=NOW)
    print(f"  imported {batch['feature_count']} 图斑 in {time.perf_counter() - t0:.0f} s")
    services.users.add(
        username=ADMIN[0], display_name="基准", password=ADMIN[1], roles=["admin"],
        by="bench", now=NOW,
    )  # fmt: skip
    services.close()
    return url, int(batch["id"]), drop


def bare_postgis(conn: Any, batch: int, tile: tuple[int, int, int]) -> bytes:
    """The hand-written ST_AsMVT of the tile on an open connection: ``&&`` on the GiST-indexed
    geometry column, ST_AsMVTGeom, ST_AsMVT."""
    from sqlalchemy import text

    from storage.tiles import Tile

    z, x, y = tile
    minx, miny, maxx, maxy = Tile(z, x, y).lonlat_box()
    sql = text(
        """SELECT ST_AsMVT(t, 'cases', 4096, 'geom', 'id') FROM (
             SELECT id, id AS case_id, code, state, programme, judgment,
                    ST_AsMVTGeom(ST_Transform(geom, 3857),
                                 ST_TileEnvelope(:z, :x, :y), 4096, 64, true) AS geom
             FROM cases
             WHERE batch_id = :b
               AND geom && ST_MakeEnvelope(:minx, :miny, :maxx, :maxy, 4490)) AS t
           WHERE geom IS NOT NULL"""
    )
    params = dict(z=z, x=x, y=y, b=batch, minx=minx, miny=miny, maxx=maxx, maxy=maxy)
    return bytes(conn.execute(sql, params).scalar() or b"")


def bare_postgis_overview(conn: Any, batch: int, tile: tuple[int, int, int]) -> bytes:
    """A hand-written overview: bbox centres of the rows meeting the tile (``&&``) to 3857,
    grouped by cell with ``floor``, one ``ST_AsMVT`` point per occupied cell with its count."""
    from sqlalchemy import text

    from storage.tiles import OVERVIEW_GRID, Tile

    t = Tile(*tile)
    minx, miny, maxx, maxy = t.lonlat_bounds()
    mminx, _, mmaxx, mmaxy = t.mercator()
    cell = (mmaxx - mminx) / OVERVIEW_GRID
    step = 4096 // OVERVIEW_GRID
    sql = text(
        """WITH p AS (
             SELECT ST_Transform(ST_SetSRID(ST_MakePoint((minx + maxx) / 2, (miny + maxy) / 2),
                                            4490), 3857) AS p
             FROM cases
             WHERE batch_id = :b
               AND geom && ST_MakeEnvelope(:minx, :miny, :maxx, :maxy, 4490)),
           c AS (
             SELECT floor((ST_X(p) - :mminx) / :cell)::int AS i,
                    floor((:mmaxy - ST_Y(p)) / :cell)::int AS j, count(*) AS n
             FROM p GROUP BY 1, 2)
           SELECT ST_AsMVT(q, 'overview', 4096, 'geom') FROM (
             SELECT n, ST_MakePoint((i + 0.5) * :step, (j + 0.5) * :step) AS geom
             FROM c WHERE i BETWEEN 0 AND :last AND j BETWEEN 0 AND :last) AS q"""
    )
    params = dict(b=batch, minx=minx, miny=miny, maxx=maxx, maxy=maxy, mminx=mminx,
                  mmaxy=mmaxy, cell=cell, step=step, last=OVERVIEW_GRID - 1)  # fmt: skip
    return bytes(conn.execute(sql, params).scalar() or b"")


def bare_sqlite_overview(conn: Any, batch: int, tile: tuple[int, int, int]) -> bytes:
    """The bbox columns of the rows found through the R*Tree, cells counted with numpy,
    ``mapbox_vector_tile.encode`` of one point per occupied cell."""
    import mapbox_vector_tile
    import numpy as np
    import shapely

    from storage.tiles import OVERVIEW_GRID, Tile

    t = Tile(*tile)
    minx, miny, maxx, maxy = t.lonlat_bounds()
    b = np.array(
        conn.execute(
            """SELECT c.minx, c.miny, c.maxx, c.maxy
               FROM cases_rtree AS r CROSS JOIN cases AS c ON c.id = r.id
               WHERE r.maxx >= ? AND r.minx <= ? AND r.maxy >= ? AND r.miny <= ?
                 AND c.batch_id = ?""",
            (minx, maxx, miny, maxy, batch),
        ).fetchall(),
        dtype=float,
    ).reshape(-1, 4)
    r = 6378137.0
    mx = r * np.radians((b[:, 0] + b[:, 2]) / 2)
    my = r * np.log(np.tan(np.pi / 4 + np.radians((b[:, 1] + b[:, 3]) / 2) / 2))
    mminx, _, mmaxx, mmaxy = t.mercator()
    cell = (mmaxx - mminx) / OVERVIEW_GRID
    i = np.floor((mx - mminx) / cell).astype(int)
    j = np.floor((mmaxy - my) / cell).astype(int)
    inside = (i >= 0) & (i < OVERVIEW_GRID) & (j >= 0) & (j < OVERVIEW_GRID)
    counts = np.bincount(j[inside] * OVERVIEW_GRID + i[inside], minlength=OVERVIEW_GRID**2)
    step = 4096 // OVERVIEW_GRID
    feats = [
        {
            "geometry": shapely.Point(
                (k % OVERVIEW_GRID + 0.5) * step, (k // OVERVIEW_GRID + 0.5) * step
            ),  # fmt: skip
            "id": int(k),
            "properties": {"n": int(counts[k])},
        }
        for k in np.flatnonzero(counts)
    ]
    return mapbox_vector_tile.encode(
        {"name": "overview", "features": feats}, default_options={"y_coord_down": True}
    )


def bare_sqlite(conn: Any, batch: int, tile: tuple[int, int, int]) -> bytes:
    """Rows read on an open sqlite3 connection, shapely to EPSG:3857, mapbox_vector_tile.encode
    with its own quantisation and winding checks."""
    import mapbox_vector_tile
    import numpy as np
    import shapely

    from storage.tiles import Tile

    t = Tile(*tile)
    minx, miny, maxx, maxy = t.lonlat_box()
    rows = conn.execute(
        """SELECT c.id, c.code, c.state, c.programme, c.judgment, c.geom
           FROM cases_rtree AS r CROSS JOIN cases AS c ON c.id = r.id
           WHERE r.maxx >= ? AND r.minx <= ? AND r.maxy >= ? AND r.miny <= ?
             AND c.batch_id = ?""",
        (minx, maxx, miny, maxy, batch),
    ).fetchall()
    geoms = shapely.from_wkb([r[5] for r in rows])
    r = 6378137.0

    def merc(xy: np.ndarray) -> np.ndarray:
        lat = np.radians(xy[:, 1])
        return np.column_stack((r * np.radians(xy[:, 0]), r * np.log(np.tan(np.pi / 4 + lat / 2))))

    geoms = shapely.transform(geoms, merc)
    feats = [
        {
            "geometry": g,
            "id": row[0],
            "properties": {
                k: v for k, v in zip(BARE_ATTRIBUTES, row[:5], strict=True) if v is not None
            },
        }
        for row, g in zip(rows, geoms, strict=True)
    ]
    return mapbox_vector_tile.encode(
        {"name": "cases", "features": feats}, default_options={"quantize_bounds": t.mercator()}
    )


def timed(fn: Any, repeat: int) -> tuple[float, float, Any]:
    """Median wall and CPU seconds (this process) of ``repeat`` calls, and the last result."""
    walls, cpus, out = [], [], None
    for _ in range(repeat):
        w, c = time.perf_counter(), time.process_time()
        out = fn()
        walls.append(time.perf_counter() - w)
        cpus.append(time.process_time() - c)
    return statistics.median(walls), statistics.median(cpus), out


def sign_in(base: str) -> str:
    r = httpx.post(f"{base}/api/auth/login", json={"username": ADMIN[0], "password": ADMIN[1]})
    r.raise_for_status()
    return str(r.json()["token"])


@contextmanager
def _connection(backend: str, url: str) -> Iterator[Any]:
    """One open connection for the bare queries (the server keeps a pool: no connect timed)."""
    if backend == "sqlite":
        import sqlite3

        with closing(sqlite3.connect(url.removeprefix("sqlite:///"))) as conn:
            yield conn
        return
    from storage.engine import make_engine

    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            yield conn
    finally:
        engine.dispose()


def one_tile(backend: str, url: str, base: str, token: str, batch: int, repeat: int) -> dict:
    """The z12 tile at the county centre: API vs bare, medians of ``repeat`` (after a warm-up).
    The server's cache must be off, so that every API fetch renders the tile."""
    import mapbox_vector_tile

    tile = tile_of(*make_data.CENTRE_LONLAT, 12)
    path = f"{base}/api/tiles/batch-{batch}/{tile[0]}/{tile[1]}/{tile[2]}.mvt"
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(timeout=120) as client, _connection(backend, url) as conn:

        def api() -> bytes:
            r = client.get(path, headers=headers)
            r.raise_for_status()
            assert r.headers.get("x-tile-cache") != "hit", "run with the tile cache off"
            return r.content

        polygons = bare_postgis if backend == "postgresql" else bare_sqlite
        overview = bare_postgis_overview if backend == "postgresql" else bare_sqlite_overview
        first = api()
        layers = mapbox_vector_tile.decode(first) if first else {}
        kind = "overview" if "overview" in layers else "cases"
        bare = overview if kind == "overview" else polygons
        bare(conn, batch, tile)  # warm caches alike
        a_wall, a_cpu, a_body = timed(api, repeat)
        b_wall, b_cpu, b_body = timed(lambda: bare(conn, batch, tile), repeat)
        p_wall, _, p_body = (
            timed(lambda: polygons(conn, batch, tile), repeat)
            if kind == "overview"
            else (b_wall, b_cpu, b_body)
        )
    feats = layers.get(kind, {"features": []})["features"]
    n = sum(f["properties"]["n"] for f in feats) if kind == "overview" else len(feats)
    bare_layers = mapbox_vector_tile.decode(b_body) if b_body else {}
    bare_feats = bare_layers.get(kind, {"features": []})["features"]
    bare_n = sum(f["properties"]["n"] for f in bare_feats) if kind == "overview" else None
    return {
        "tile": "/".join(map(str, tile)),
        "kind": kind,
        "features": len(feats),
        "tuban": n,
        "bare_tuban": bare_n,
        "api_ms": a_wall * 1e3,
        "api_client_cpu_ms": a_cpu * 1e3,
        "api_bytes": len(a_body),
        "bare_ms": b_wall * 1e3,
        "bare_cpu_ms": b_cpu * 1e3,
        "bare_bytes": len(b_body),
        "ratio": a_wall / b_wall if b_wall else float("nan"),
        "polygons_ms": p_wall * 1e3,
        "polygons_bytes": len(p_body),
    }


@dataclass
class Browse:
    """What the browsing clients saw."""

    latency: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    errors: int = 0
    cache_hits: int = 0
    rendered: int = 0  # answers with a body or 204, hits included
    overviews: int = 0


async def browse(
    base: str, token: str, batch: int, clients: int, seconds: float, pid: int
) -> tuple[Browse, float, float]:
    """``clients`` clients requesting random county tiles for ``seconds``; returns what they
    saw, the wall seconds and the server's CPU seconds over them."""
    tiles = county_tiles()
    seen = Browse()
    loop = asyncio.get_running_loop()

    async def one(client: httpx.AsyncClient, until: float) -> None:
        etags: dict[str, str] = {}
        while loop.time() < until:
            z, x, y = random.choice(tiles)
            path = f"/api/tiles/batch-{batch}/{z}/{x}/{y}.mvt"
            headers = {"If-None-Match": etags[path]} if path in etags else {}
            t0 = time.perf_counter()
            try:
                r = await client.get(path, headers=headers)
            except httpx.HTTPError:
                seen.errors += 1
                continue
            seen.latency.append(time.perf_counter() - t0)
            seen.statuses[r.status_code] = seen.statuses.get(r.status_code, 0) + 1
            if r.status_code >= 400:
                seen.errors += 1
                continue
            if r.status_code in (200, 204):
                seen.rendered += 1
                seen.cache_hits += r.headers.get("x-tile-cache") == "hit"
                # the layer's name is the first field of the tile's first layer
                seen.overviews += b"overview" in r.content[:16]
            if "etag" in r.headers:
                etags[path] = r.headers["etag"]

    conns = [load_bench.user_client(base, token) for _ in range(clients)]
    wall0, cpu0 = time.perf_counter(), load_bench.cpu_seconds(pid)
    until = loop.time() + seconds
    try:
        await asyncio.gather(*(one(c, until) for c in conns))
    finally:
        for c in conns:
            await c.aclose()
    return seen, time.perf_counter() - wall0, load_bench.cpu_seconds(pid) - cpu0


def run_backend(backend: str, args: argparse.Namespace, parcels: Path) -> dict:
    """Both measurements on one backend, its store made and dropped here: the single tile with
    the server's cache off, then browsing after a restart with the cache at ``--cache-mb``."""
    print(f"{backend}:")
    with tempfile.TemporaryDirectory(prefix="tuban-tiles-") as tmp_name:
        tmp = Path(tmp_name)
        url, batch, drop = make_store(backend, tmp, parcels)
        store = load_bench.Store(url, tmp, [], [], [batch])
        try:
            with serving(store, tmp, cache_mb=0) as (base, token, _):
                single = one_tile(backend, url, base, token, batch, args.repeat)
            with serving(store, tmp, cache_mb=args.cache_mb) as (base, token, pid):
                seen, wall, cpu = asyncio.run(
                    browse(base, token, batch, args.clients, args.seconds, pid)
                )
        finally:
            if drop:
                drop()
    n = len(seen.latency)
    return {
        "single": single,
        "browse": {
            "requests": n,
            "statuses": dict(sorted(seen.statuses.items())),
            "errors": seen.errors,
            "per_s": n / wall if wall else 0.0,
            "p50_ms": load_bench.percentile(seen.latency, 50) * 1e3,
            "p95_ms": load_bench.percentile(seen.latency, 95) * 1e3,
            "wall_s": wall,
            "server_cpu_s": cpu,
            "hit_share": seen.cache_hits / seen.rendered if seen.rendered else 0.0,
            "overview_share": seen.overviews / seen.rendered if seen.rendered else 0.0,
        },
    }


@contextmanager
def serving(store: Any, tmp: Path, *, cache_mb: int) -> Iterator[tuple[str, str, int]]:
    """``tuban serve`` on the store with its tile cache at ``cache_mb``: (base URL, a token,
    the server's pid); killed on the way out."""
    os.environ["TUBAN_TILE_CACHE_MB"] = str(cache_mb)  # the server inherits the environment
    proc = load_bench.start_server(store, load_bench.free_port(), tmp / f"access-{cache_mb}.log")
    try:
        port = proc.args[proc.args.index("--port") + 1]
        base = f"http://127.0.0.1:{port}"
        yield base, sign_in(base), proc.pid
    finally:
        proc.kill()
        proc.wait(timeout=10)


def report(n: int, args: argparse.Namespace, figures: dict[str, dict]) -> None:
    """The two tables."""
    print(
        f"\nmachine: {platform.node()}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f};"
        f" {n} 图斑; medians of {args.repeat}"
    )
    print(
        "\none z12 tile, server cache off: API (HTTP, session check, ETag, visibility) vs bare"
        " encoding of the same kind, same run; 'polygons ms': the bare polygon tile"
    )
    print(
        f"{'backend':<11}{'tile':>14}{'layer':>9}{'feats':>7}{'图斑':>8}{'api ms':>9}"
        f"{'bare ms':>9}{'ratio':>7}{'api KB':>8}{'bare KB':>8}{'polygons ms':>12}"
        f"{'poly KB':>8}"
    )
    for backend, f in figures.items():
        s = f["single"]
        print(
            f"{backend:<11}{s['tile']:>14}{s['kind']:>9}{s['features']:>7}{s['tuban']:>8}"
            f"{s['api_ms']:>9.1f}{s['bare_ms']:>9.1f}{s['ratio']:>7.2f}"
            f"{s['api_bytes'] / 1e3:>8.0f}{s['bare_bytes'] / 1e3:>8.0f}"
            f"{s['polygons_ms']:>12.1f}{s['polygons_bytes'] / 1e3:>8.0f}"
        )
        if s["bare_tuban"] is not None:
            print(f"{'':<11}  bare overview counts {s['bare_tuban']} 图斑")
    print(
        f"\nbrowsing: {args.clients} clients, random county tiles z{ZOOMS[0]}-{ZOOMS[-1]},"
        f" {args.seconds:.0f} s, ETags sent back, server cache {args.cache_mb} MB"
    )
    print(
        f"{'backend':<11}{'requests':>9}{'req/s':>8}{'p50 ms':>8}{'p95 ms':>8}{'errors':>7}"
        f"{'wall s':>8}{'srv cpu s':>10}{'hits':>6}{'overv':>6}  statuses"
    )
    for backend, f in figures.items():
        b = f["browse"]
        print(
            f"{backend:<11}{b['requests']:>9}{b['per_s']:>8.1f}{b['p50_ms']:>8.1f}"
            f"{b['p95_ms']:>8.1f}{b['errors']:>7}{b['wall_s']:>8.1f}{b['server_cpu_s']:>10.1f}"
            f"{b['hit_share']:>6.0%}{b['overview_share']:>6.0%}  {b['statuses']}"
        )


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; print the tables."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    ap.add_argument("--cache-mb", type=int, default=256, help="the server's tile cache (MB)")
    args = ap.parse_args(argv)
    if not 1 <= args.clients <= 100 or not 0 < args.seconds <= 600:
        ap.error("clients must be 1-100 and seconds 0-600 (a bounded loopback load)")
    parcels = make_data.ensure(args.n)["parcels"]
    backends = ("sqlite", "postgresql") if args.backend == "both" else (args.backend,)
    figures = {b: run_backend(b, args, parcels) for b in backends}
    report(args.n, args, figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
