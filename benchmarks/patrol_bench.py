"""Recording a patrol finding, against a verification, on a store of N 图斑.

A store (SQLite, or PostGIS with ``--pg``) gets N synthetic 图斑 (``benchmarks/make_data.py``,
scattered over the 40 x 40 km county) and the county's townships, villages and farmland. Then,
in the same run and on the same store:

* ``finding``: ``PatrolStore.create`` of K findings at seeded points of the county, half of them
  inside an existing 图斑 (what a verifier's phone sends): validation, the reference layers'
  hints around the point, the site search (a box query on the spatial index and the site rule),
  the case row, the find event with its audit-chain link and the daily counts, one transaction;
* ``verify`` (BASELINE): ``CaseStore.apply_action`` verifying K existing 图斑: the case row read,
  the workflow, the event with its chain link and the daily counts, one transaction. It does
  not look at the reference layers or search for a site, which is what ``finding`` adds.

Printed: wall time per call (p50/p95) and this process's CPU per call (user + system; on PostGIS
the server's CPU is not in it), and the ratio finding/verify of the medians. Not a test: nothing
in CI runs it.

    .venv/bin/python benchmarks/patrol_bench.py [--n 100000] [--k 200] [--pg]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import shapely
from pyproj import Transformer

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import make_data  # noqa: E402

from geo.batch import BatchMeta  # noqa: E402
from geo.model import Programme  # noqa: E402
from geo.patrol import parse_finding  # noqa: E402
from storage.engine import make_engine, migrate  # noqa: E402
from storage.imports import import_file, import_reference  # noqa: E402
from storage.patrol import PatrolStore  # noqa: E402
from storage.repository import CaseStore  # noqa: E402

NOW = datetime(2019, 10, 20, 1, 0, tzinfo=UTC)
PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def _store(pg: bool, tmp: Path) -> tuple[str, object]:
    if not pg:
        return f"sqlite:///{tmp / 'bench.sqlite'}", None
    from sqlalchemy import create_engine, text

    schema = f"bench_patrol_{int(time.time())}"
    admin = create_engine(PG, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f"CREATE SCHEMA {schema}"))
    return f"{PG}?options=-csearch_path%3D{schema}%2Cpublic", (admin, schema)


def _load(store: CaseStore, n: int) -> list[int]:
    paths = make_data.ensure(n, quiet=True)
    for kind in ("township", "village", "farmland"):
        import_reference(store, paths[kind], kind, name=kind, version="2019", actor="b", now=NOW)
    meta = BatchMeta(Programme.MINING, "2019Q3", "省厅", NOW.date(), NOW.date() + timedelta(40))
    b, _ = import_file(store, paths["parcels"], meta, actor="b", now=NOW)
    return [int(f["id"]) for f in store.features(b["id"])]


def _points(store: CaseStore, ids: list[int], k: int, rng: np.random.Generator) -> list[dict]:
    """K seeded points in CGCS2000 lon/lat: half inside existing 图斑, half anywhere."""
    to_lonlat = Transformer.from_crs(4527, 4490, always_xy=True)
    minx, miny, maxx, maxy = make_data.county_box()
    out = []
    for i in range(k):
        if i % 2 == 0:
            row = store.get_case_row(int(rng.choice(ids)))
            c = shapely.point_on_surface(shapely.from_wkb(row["geom"]))
            out.append({"type": "Point", "coordinates": [c.x, c.y]})
        else:
            x, y = to_lonlat.transform(rng.uniform(minx, maxx), rng.uniform(miny, maxy))
            out.append({"type": "Point", "coordinates": [x, y]})
    return out


def _timed(calls) -> tuple[list[float], list[float]]:
    walls, cpus = [], []
    for call in calls:
        w0, c0 = time.perf_counter(), time.process_time()
        call()
        walls.append(time.perf_counter() - w0)
        cpus.append(time.process_time() - c0)
    return walls, cpus


def _line(name: str, walls: list[float], cpus: list[float]) -> str:
    p50 = statistics.median(walls) * 1000
    p95 = float(np.percentile(walls, 95)) * 1000
    cpu = statistics.mean(cpus) * 1000
    return f"{name:<22} {p50:8.1f} ms p50 {p95:8.1f} ms p95 {cpu:8.1f} ms CPU/call"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=100_000, help="图斑 in the store")
    ap.add_argument("--k", type=int, default=200, help="calls timed per kind")
    ap.add_argument("--pg", action="store_true", help="PostGIS instead of SQLite")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="patrol-bench-"))
    url, pg = _store(args.pg, tmp)
    try:
        engine = make_engine(url)
        migrate(engine)
        store = CaseStore(engine)
        t0 = time.perf_counter()
        ids = _load(store, args.n)
        print(
            f"loaded {len(ids)} 图斑 + references in {time.perf_counter() - t0:.1f} s ({url[:10]}…)"
        )
        rng = np.random.default_rng(16)
        points = _points(store, ids, args.k, rng)
        patrol = PatrolStore(engine)
        at = [NOW + timedelta(minutes=i) for i in range(args.k)]
        findings = [
            lambda p=p, t=t: patrol.create(
                parse_finding({"violation": "illegal_mining", "geometry": p}, now=t),
                actor="bench",
                now=t,
            )
            for p, t in zip(points, at, strict=True)
        ]
        targets = [int(i) for i in rng.choice(ids, size=args.k, replace=False)]
        verifies = [
            lambda c=c, t=t: store.apply_action(
                c,
                "verify",
                actor="bench",
                expected_version=0,
                now=t,
                payload={"judgment": "illegal", "reason": "unlicensed_mining"},
            )  # fmt: skip
            for c, t in zip(targets, at, strict=True)
        ]
        f = _timed(findings)
        v = _timed(verifies)
        print(_line("finding (create)", *f))
        print(_line("verify (BASELINE)", *v))
        print(
            f"ratio finding/verify (p50): {statistics.median(f[0]) / statistics.median(v[0]):.2f}"
        )
        engine.dispose()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        if pg:
            from sqlalchemy import text

            admin, schema = pg
            with admin.connect() as c:
                c.execute(text(f"DROP SCHEMA {schema} CASCADE"))


if __name__ == "__main__":
    main()
