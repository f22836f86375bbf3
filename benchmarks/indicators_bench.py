"""Indicator benchmark: goal tables, drill-down and the daily-count rebuild over N 图斑.

Prints figures; it is not a test. On a generated store of N cases (default 100k; ~4.4 events
each), on SQLite or PostgreSQL, each measurement in a fresh process, with wall time, CPU time
and the peak RSS of the step:

* cold: the daily counts summed and every bound metric of every goal table computed (target
  < 1 s over 10M); warm: the same with the counts in memory; plain pandas for comparison;
* as of a past quarter end: the same from the counts up to that day;
* drill-down of one value (GET /api/projects/{project}/rows/{row}/cases, first page of 50)
  through the app (in-process ASGI HTTP: FastAPI, auth, pydantic), live and as of a past day;
  baseline: the bare SQL of the same query (storage.drill.selection: count + page) on a plain
  connection; target < 1 s at 1M and 10M;
* drill=true (every value's ids, one query per bound metric) through the app, and the per-case
  frames it read before (storage.facts + geo, what drill=true did until this change);
* the daily-count rebuild from the event log (storage.daily_counts.rebuild; target < 30 s at
  1M).

    .venv/bin/python benchmarks/indicators_bench.py --n 100000 [--backend postgresql]

The store is generated once (seeded, bulk inserts: SQLite executemany, PostgreSQL COPY) into
benchmarks/out/ (SQLite) or schema ``bench_indicators_<n>`` of TUBAN_TEST_PG_URL's database,
and reused; ``--fresh`` makes it again.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import sqlite3
import statistics
import subprocess
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

OUT = ROOT / "benchmarks" / "out"
GOALS = ROOT / "sample_data" / "goals" / "fengrun-2019.yaml"
PG_URL = os.environ.get("TUBAN_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
GENERATOR = 3  # bump when the generated data change: older stores are made again
QUARTERS = [
    ("2019Q1", "2019-01-10", "2019-03-31"),
    ("2019Q2", "2019-04-10", "2019-06-30"),
    ("2019Q3", "2019-07-10", "2019-09-30"),
    ("2019Q4", "2019-10-10", "2019-12-20"),
]
# Paths a case walks, by kind; each case stops somewhere along its path (seeded).
PATHS = {
    "illegal": (
        ["add_photo", "add_photo", "verify", "approve", "file", "penalise", "rectify", "close"],
        ["issued", "issued", "verified", "approved", "filed", "penalised", "rectified", "closed"],
    ),
    "legal": (
        ["add_photo", "add_photo", "verify", "approve", "close"],
        ["issued", "issued", "verified", "approved", "closed"],
    ),
    "survey": (
        ["add_photo", "add_photo", "add_photo", "collect_evidence", "submit", "pass"],
        ["issued", "issued", "issued", "evidence_collected", "submitted", "passed"],
    ),
}
KINDS = list(PATHS)
STEPS = max(len(a) for a, _ in PATHS.values())
# Stored geometry is a WKB polygon of ~50 vertices in a real store; its size is what a scan of
# the cases table reads past, so the benchmark store carries blobs of that size.
GEOM = bytes(range(256)) * 3 + bytes(32)
# (programme, year): the value drilled into: 已核查 of the 卫片 table, the largest list.
DRILL = ("mining_enforcement", "verified_of_issued")
PASSWORD = "bench-only-password"  # of the benchmark store's one account


# --- the store -----------------------------------------------------------------------------


def _table(i: int) -> np.ndarray:
    """kind × step table of path column ``i`` (0 actions, 1 states), None past a path's end."""
    out = np.full((len(KINDS), STEPS), None, dtype=object)
    for k, name in enumerate(KINDS):
        col = PATHS[name][i]
        out[k, : len(col)] = col
    return out


def _step_of(action: str) -> np.ndarray:
    """Per kind, the step at which ``action`` happens (STEPS when never)."""
    return np.array([PATHS[k][0].index(action) if action in PATHS[k][0] else STEPS
                     for k in KINDS])  # fmt: skip


def _utc_text(seconds: np.ndarray, pg: bool) -> np.ndarray:
    t = pd.to_datetime(seconds, unit="s").strftime("%Y-%m-%d %H:%M:%S")
    return np.asarray(t + ("+00" if pg else ".000000"), dtype=object)


def make_data(n: int, pg: bool, seed: int = 7) -> tuple[list[tuple], pd.DataFrame, pd.DataFrame]:
    """Batches, cases and events of a seeded store, as arrays (no per-case Python loop)."""
    rng = np.random.default_rng(seed)
    batches = []
    bid = 0
    for prog in ("mining", "land"):
        for period, issued, due in QUARTERS:
            bid += 1
            batches.append((bid, prog, period, issued, due))
    bid += 1
    batches.append((bid, "change_survey", "2019", "2019-06-01", "2019-12-31"))
    # programme by batch: 8 卫片 batches share 70 %, the change survey 30 %
    batch_of = rng.integers(1, bid, n)
    batch_of[rng.random(n) < 0.3] = bid
    prog = np.array([b[1] for b in batches], dtype=object)[batch_of - 1]
    issued = np.array([np.datetime64(b[3]) for b in batches])[batch_of - 1]
    town = rng.integers(1, 21, n)
    weipian = prog != "change_survey"
    illegal = weipian & (rng.random(n) < 0.25)
    kind = np.where(~weipian, 2, np.where(illegal, 0, 1))
    full = np.array([len(PATHS[k][0]) for k in KINDS])[kind]
    # most cases are far along (a year's work), some untouched: about 4.4 events per case
    length = np.maximum(full - rng.integers(0, 3, n), 0)
    length[rng.random(n) < 0.08] = 0
    start = issued.astype("datetime64[s]").astype(np.int64) + 86400 * 3
    times = start[:, None] + np.cumsum(rng.integers(3600, 86400 * 20, (n, STEPS)), axis=1)
    taken = np.arange(STEPS)[None, :] < length[:, None]
    ev_case, ev_step = np.nonzero(taken)  # row-major: by case, then step
    ids = np.arange(1, n + 1)
    judgment = np.where(illegal, "illegal", np.where(ids % 3 == 0, "other", "legal")).astype(object)
    verified = length > _step_of("verify")[kind]
    judgment[~(weipian & verified)] = None
    actions, states = _table(0), _table(1)
    ev_action = actions[kind[ev_case], ev_step]
    ev_at = _utc_text(times[ev_case, ev_step], pg)
    # a 立案 records its date in the event's after, as apply() does: the as-of facts read it there
    after = np.full(len(ev_at), "{}", dtype=object)
    filing = ev_action == "file"
    after[filing] = [f'{{"filed_on": "{t[:10]}"}}' for t in ev_at[filing]]
    events = pd.DataFrame({
        "case_id": ids[ev_case], "seq": ev_step + 1, "action": ev_action, "actor": "bench",
        "at": ev_at, "before": "{}", "after": after,
        "payload": "{}", "state": states[kind[ev_case], ev_step],
        "judgment": np.where(ev_action == "verify", judgment[ev_case], None),
    })  # fmt: skip

    def when(action: str) -> np.ndarray:
        step = _step_of(action)[kind]
        done = length > step
        out = np.full(n, None, dtype=object)
        out[done] = _utc_text(times[np.nonzero(done)[0], step[done]], pg)
        return out

    walked = np.concatenate([np.zeros((len(KINDS), 1), int), (actions == "add_photo")], axis=1)
    photos = np.cumsum(walked.astype(int), axis=1)  # photos after each number of steps
    filed = when("file")
    checked = when("pass")
    area = rng.uniform(200, 40_000, n)
    before = np.where(rng.random(n) < 0.5, "0103", "0201").astype(object)
    before[prog != "land"] = None
    state = np.where(length > 0, states[kind, np.maximum(length - 1, 0)], "issued")
    cases = pd.DataFrame({
        "id": ids, "batch_id": batch_of, "programme": prog, "code": [f"B{i}" for i in ids],
        "xzqdm": "130208",
        "attributes": [json.dumps({"QSXDL": b}) if b else "{}" for b in before],
        "geom": None, "minx": 0.0, "miny": 0.0, "maxx": 0.0, "maxy": 0.0,
        "area_m2": area, "area_mu": area / 666.67, "state": state, "version": length,
        "judgment": judgment, "verified_at": when("verify"),
        "filed_on": [f[:10] if f else None for f in filed], "closed_at": when("close"),
        "evidence_at": when("collect_evidence"), "submitted_at": when("submit"),
        "checked_at": checked, "updated_at": _utc_text(np.array([1577750400]), pg)[0],
        "township_code": [f"1302080{t:02d}" for t in town],
        "township_name": [f"乡镇{t}" for t in town],
        "enforcement_id": np.where([f is not None for f in filed], ids, None),
        "approved_first_time": np.where(length > _step_of("approve")[kind], True, None),
        "land_class_ok": np.where([c is not None for c in checked], True, None),
        "photo_count": photos[kind, length], "delivered_land_class": before,
    })  # fmt: skip
    return batches, cases, events


def _insert_batches(cur: Any, batches: list[tuple], mark: str) -> None:
    m = mark
    sql = (
        "INSERT INTO batches (id, programme, period, authority, issued_on, due_on, source_name,"
        " source_sha256, source_crs, encoding, feature_count, minx, miny, maxx, maxy,"
        f" imported_at, imported_by, area_m2) VALUES ({m},{m},{m},'省厅',{m},{m},'bench',{m},"
        f"'EPSG:4490','utf-8',0,0,0,0,0,{m},'bench',0)"
    )
    stamp = _utc_text(np.array([1546300800]), pg=mark != "?")[0]  # 2019-01-01 00:00 UTC
    cur.executemany(sql, [(*b, f"{b[0]:064x}", stamp) for b in batches])


def _write_sqlite(path: Path, batches: list, cases: pd.DataFrame, events: pd.DataFrame) -> None:
    con = sqlite3.connect(path)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=OFF")
    _insert_batches(con, batches, "?")
    for name, frame in (("cases", cases), ("case_events", events)):
        cols = list(frame.columns)
        sql = f"INSERT INTO {name} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
        for lo in range(0, len(frame), 200_000):
            part = frame.iloc[lo : lo + 200_000]
            rows = zip(*(_plain(part[c]) for c in cols), strict=True)
            con.executemany(sql, rows)
        con.commit()
    con.execute("ANALYZE")
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()


def _plain(s: pd.Series) -> list:
    """A column as Python values with None for missing (what the DBAPI drivers take)."""
    if s.name == "geom":
        return [GEOM] * len(s)
    values = s.to_numpy(dtype=object, copy=True)
    values[pd.isna(values)] = None
    return values.tolist()


def _pg_geom() -> str:
    """A MultiPolygon of ~50 vertices (SRID 4490) as hex EWKB, which a COPY into the PostGIS
    geometry column takes as it is: about the size of GEOM once stored."""
    import shapely

    ring = shapely.Point(118.1, 39.8).buffer(0.001, quad_segs=12)
    shape = shapely.set_srid(shapely.MultiPolygon([ring]), 4490)
    return shapely.to_wkb(shape, hex=True, include_srid=True)


def _write_pg(url: str, batches: list, cases: pd.DataFrame, events: pd.DataFrame) -> None:
    from sqlalchemy import create_engine

    engine = create_engine(url)
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        _insert_batches(cur, batches, "%s")
        for name, frame in (("cases", cases), ("case_events", events)):
            cols = list(frame.columns)
            copy_sql = f"COPY {name} ({', '.join(cols)}) FROM STDIN WITH (FORMAT csv)"
            for lo in range(0, len(frame), 200_000):
                part = frame.iloc[lo : lo + 200_000].copy()
                if "geom" in part:
                    part["geom"] = _pg_geom()
                buf = io.StringIO()
                part.to_csv(buf, header=False, index=False)
                with cur.copy(copy_sql) as copy:
                    copy.write(buf.getvalue())
        raw.commit()
        cur.execute("ANALYZE")
        raw.commit()
    finally:
        raw.close()
        engine.dispose()


def store_url(backend: str, n: int) -> str:
    if backend == "sqlite":
        return f"sqlite:///{OUT / f'indicators-{n}-v{GENERATOR}.sqlite'}"
    # public: PostGIS's types and functions live there
    return f"{PG_URL}?options=-csearch_path%3Dbench_indicators_{n}_v{GENERATOR}%2Cpublic"


def _exists(backend: str, n: int) -> bool:
    """Whether a finished store of ``n`` 图斑 is there (all cases and the daily counts)."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import SQLAlchemyError

    if backend == "sqlite" and not (OUT / f"indicators-{n}-v{GENERATOR}.sqlite").exists():
        return False
    engine = create_engine(store_url(backend, n))
    try:
        with engine.connect() as conn:
            cases = conn.execute(text("SELECT count(*) FROM cases")).scalar_one()
            days = conn.execute(text("SELECT count(*) FROM indicator_daily")).scalar_one()
    except SQLAlchemyError:
        return False
    finally:
        engine.dispose()
    return cases == n and days > 0


def generate(backend: str, n: int) -> None:
    """A fresh store of ``n`` 图斑 with its daily counts."""
    from sqlalchemy import create_engine, text

    from storage import daily_counts
    from storage.engine import make_engine, migrate

    OUT.mkdir(parents=True, exist_ok=True)
    url = store_url(backend, n)
    if backend == "sqlite":
        path = OUT / f"indicators-{n}-v{GENERATOR}.sqlite"
        for p in OUT.glob(path.name + "*"):
            p.unlink()
    else:
        schema = f"bench_indicators_{n}_v{GENERATOR}"
        admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        admin.dispose()
    engine = make_engine(url)
    migrate(engine)
    engine.dispose()
    t = time.perf_counter()
    batches, cases, events = make_data(n, pg=backend != "sqlite")
    made = time.perf_counter() - t
    t = time.perf_counter()
    if backend == "sqlite":
        _write_sqlite(path, batches, cases, events)
    else:
        _write_pg(url, batches, cases, events)
    print(f"generated {n:,} cases / {len(events):,} events: arrays {made:.1f} s, "
          f"bulk write {time.perf_counter() - t:.1f} s")  # fmt: skip
    engine = make_engine(url)
    t = time.perf_counter()
    rows = daily_counts.rebuild(engine)
    print(f"daily counts: {rows:,} rows in {time.perf_counter() - t:.1f} s")
    engine.dispose()


# --- measurements, each in its own process ------------------------------------------------


def _vm(field: str) -> float:
    """A /proc/self/status figure in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1000
    return float("nan")


def _timed(fn: Any) -> tuple[Any, dict]:
    """Run ``fn``: its result and wall s, CPU s, RSS before and peak RSS during (MB)."""
    before = _vm("VmRSS")
    try:  # reset the peak mark so that VmHWM is this step's
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass
    c0, t0 = time.process_time(), time.perf_counter()
    out = fn()
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    return out, {"wall_s": wall, "cpu_s": cpu, "rss_before_mb": before, "peak_mb": _vm("VmHWM")}


def all_projects(counts: pd.DataFrame, payments: pd.DataFrame) -> int:
    from geo.goals import load_goals
    from geo.indicators import compute_project

    return sum(
        len(row.values)
        for p in load_goals(GOALS).projects
        for row in compute_project(p, counts, payments)
    )


def plain_pandas(df: pd.DataFrame) -> dict:
    """The same numbers the bound metrics give, as one would write them by hand."""
    d = df[df["period"].astype(str).str.startswith("2019")].copy()
    local = d["verified_at"].dt.tz_convert("Asia/Shanghai").dt.tz_localize(None).dt.normalize()
    d["on_time"] = d["verified_at"].notna() & (local <= pd.to_datetime(d["due_on"]))
    d["verified"] = d["verified_at"].notna()
    d["illegal"] = d["judgment"] == "illegal"
    d["filed"] = d["illegal"] & d["filed_on"].notna()
    d["closed"] = d["illegal"] & (d["state"] == "closed")
    d["evidence"] = d["evidence_at"].notna()
    d["complete"] = d["evidence"] & (d["photo_count"] >= 2)
    d["checked"] = d["checked_at"].notna()
    d["passed"] = d["state"] == "passed"
    cols = ["verified", "on_time", "illegal", "filed", "closed", "evidence", "complete",
            "checked", "passed"]  # fmt: skip
    return d.groupby("programme")[cols].sum().to_dict()


def _cold(url: str, day: date | None, repeat: int) -> dict:
    from sqlalchemy import create_engine

    from storage import daily_counts, facts

    engine = create_engine(url)

    def run() -> tuple:
        counts = daily_counts.counts(engine, as_of=day)
        pays = facts.payments_frame(engine, as_of=day)
        return counts, pays, all_projects(counts, pays)

    (counts, pays, n), out = _timed(run)
    out.update(values=n, groups=len(counts), cases=int(counts["issued"].sum()))
    warm = []
    for _ in range(repeat):
        s = time.perf_counter()
        all_projects(counts, pays)
        warm.append(time.perf_counter() - s)
    out["warm_ms"] = 1000 * statistics.median(warm)
    return out


def _pandas(url: str, repeat: int) -> dict:
    from sqlalchemy import create_engine

    from storage import facts

    per_case = facts.live_facts(create_engine(url))
    base = []
    for _ in range(max(3, repeat // 3)):
        s = time.perf_counter()
        plain_pandas(per_case)
        base.append(time.perf_counter() - s)
    return {"pandas_ms": 1000 * statistics.median(base)}


def _client(url: str) -> Any:
    """The app on ``url`` with a signed-in 统计 account (made once, cheap hashing)."""
    from argon2 import PasswordHasher
    from fastapi.testclient import TestClient

    from api.main import create_app
    from runtime.settings import DEFAULT_GOALS_DIR, Settings

    app = create_app(Settings(database_url=url, goals_dir=DEFAULT_GOALS_DIR))
    app.state.users.hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    if not any(u.username == "bench" for u in app.state.users.list()):
        now = pd.Timestamp.now(tz="UTC").to_pydatetime()
        app.state.users.add(username="bench", display_name="bench", password=PASSWORD,
                            roles=["admin"], by="bench", now=now)  # fmt: skip
    client = TestClient(app)
    client.__enter__()
    r = client.post("/api/auth/login", json={"username": "bench", "password": PASSWORD})
    client.headers["Authorization"] = f"Bearer {r.json()['token']}"
    return client


def _drill(url: str, day: date | None, repeat: int) -> dict:
    """One value's first page through the app, then the bare SQL of the same query."""
    from sqlalchemy import create_engine, func, select

    from geo.goals import load_goals
    from storage import drill

    project, metric = DRILL
    proj = load_goals(GOALS).project(project)
    row_no = next(r.row_no for r in proj.indicators if metric in r.metrics)
    client = _client(url)
    params = {"metric": metric, "year": 2019, "limit": 50}
    if day is not None:
        params["as_of"] = day.isoformat()
    path = f"/api/projects/{project}/rows/{row_no}/cases"
    body, out = _timed(lambda: client.get(path, params=params).json())
    runs = []
    for _ in range(repeat):
        s = time.perf_counter()
        client.get(path, params=params)
        runs.append(time.perf_counter() - s)
    out.update(count=body["count"], page=len(body["data"]), warm_s=statistics.median(runs))
    engine = create_engine(url)
    q = drill.DrillQuery(proj, metric, as_of=day)

    def bare() -> list:
        sel = drill.selection(engine, q, paged=True).subquery()
        with engine.connect() as conn:
            return conn.execute(select(sel.c.case_id).order_by(sel.c.case_id).limit(50)).all()

    def counted() -> int:
        sel = drill.selection(engine, q).subquery()
        with engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(sel)).scalar_one()

    bare()  # the same warm-up as the route had
    sql = []
    for _ in range(repeat):
        s = time.perf_counter()
        assert [r[0] for r in bare()] == [c["case_id"] for c in body["data"]]
        sql.append(time.perf_counter() - s)
    out["sql_s"] = statistics.median(sql)
    s = time.perf_counter()
    assert counted() == body["count"]  # the count the route took from the daily counts
    out["sql_count_s"] = time.perf_counter() - s
    return out


def _drill_all(url: str) -> dict:
    """drill=true through the app: every value of the table with its ids."""
    client = _client(url)
    params = {"project": DRILL[0], "year": 2019, "drill": "true"}
    body, out = _timed(lambda: client.get("/api/indicators", params=params).json())
    out["ids"] = sum(len(v["case_ids"] or []) for r in body["rows"] for v in r["values"])
    return out


def _per_case(url: str) -> dict:
    """What drill=true did before: every case of the store as a frame, ids from geo."""
    from sqlalchemy import create_engine

    from geo.goals import load_goals
    from geo.indicators import compute_project
    from storage import facts

    engine = create_engine(url)
    proj = load_goals(GOALS).project(DRILL[0])

    def run() -> int:
        rows = compute_project(proj, facts.live_facts(engine), facts.payments_frame(engine))
        return sum(len(v.ids) for r in rows for v in r.values)

    ids, out = _timed(run)
    out["ids"] = ids
    return out


def _rebuild(url: str) -> dict:
    from storage import daily_counts
    from storage.engine import make_engine

    rows, out = _timed(lambda: daily_counts.rebuild(make_engine(url)))
    out["rows"] = rows
    return out


def child(url: str, what: str, repeat: int, as_of: date) -> None:
    """Run one measurement in this (fresh) process and print JSON."""
    steps = {
        "cold": lambda: _cold(url, None, repeat),
        "cold_as_of": lambda: _cold(url, as_of, repeat),
        "pandas": lambda: _pandas(url, repeat),
        "drill": lambda: _drill(url, None, repeat),
        "drill_as_of": lambda: _drill(url, as_of, repeat),
        "drill_all": lambda: _drill_all(url),
        "per_case": lambda: _per_case(url),
        "rebuild": lambda: _rebuild(url),
    }
    print(json.dumps(steps[what]()))


def _line(name: str, r: dict, extra: str = "") -> str:
    return (f"| {name} | {r['wall_s']:.3f} | {r['cpu_s']:.3f} | {r['rss_before_mb']:.0f} | "
            f"{r['peak_mb']:.0f} | {extra} |")  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", "--cases", dest="n", type=int, default=100_000)
    ap.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--as-of", default="2019-09-30")
    ap.add_argument("--fresh", action="store_true", help="generate the store again")
    ap.add_argument("--skip", nargs="*", default=[], help="steps to leave out (e.g. per_case)")
    ap.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    a = ap.parse_args()
    as_of = date.fromisoformat(a.as_of)
    if a.child:
        child(a.child[0], a.child[1], a.repeat, as_of)
        return
    if a.fresh or not _exists(a.backend, a.n):
        generate(a.backend, a.n)
    url = store_url(a.backend, a.n)

    def run(what: str) -> dict:
        cmd = [sys.executable, __file__, "--child", url, what, "--repeat", str(a.repeat),
               "--as-of", a.as_of]  # fmt: skip
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=1800)
        if res.returncode:
            raise SystemExit(f"{what} failed:\n{res.stderr[-3000:]}")
        return json.loads(res.stdout.strip().splitlines()[-1])

    cpu = os.cpu_count()
    print(f"{a.backend}, {a.n:,} 图斑; {cpu} cores, load {os.getloadavg()[0]:.2f}; "
          f"{time.strftime('%Y-%m-%d %H:%M')}")  # fmt: skip
    order = ["cold", "cold_as_of", "pandas", "drill", "drill_as_of", "drill_all", "per_case",
             "rebuild"]  # fmt: skip
    got = {w: run(w) for w in order if w not in a.skip}
    print("| step | wall s | CPU s | RSS before MB | peak RSS MB | notes |")
    print("|---|---|---|---|---|---|")
    if "cold" in got:
        c = got["cold"]
        note = f"{c['values']} values over {c['cases']:,} 图斑; warm {c['warm_ms']:.1f} ms"
        if "pandas" in got:
            note += f" (plain pandas {got['pandas']['pandas_ms']:.1f} ms)"
        print(_line("cold: counts + all indicators of 2019", c, note + "; target < 1 s"))
    if "cold_as_of" in got:
        print(_line(f"cold, as of {a.as_of}", got["cold_as_of"],
                    f"{got['cold_as_of']['cases']:,} 图斑 issued by then"))  # fmt: skip
    for key, label in (("drill", "live"), ("drill_as_of", f"as of {a.as_of}")):
        if key in got:
            d = got[key]
            note = (f"count {d['count']:,}, page {d['page']}; warm route {d['warm_s']:.3f} s, "
                    f"bare SQL of the page {d['sql_s']:.3f} s, route / SQL "
                    f"{d['warm_s'] / d['sql_s']:.2f}x; counting them in SQL instead "
                    f"{d['sql_count_s']:.3f} s; target < 1 s")  # fmt: skip
            print(_line(f"drill-down of one value, {label} (first request)", d, note))
    if "drill_all" in got:
        print(_line("drill=true, one table (one query per value)", got["drill_all"],
                    f"{got['drill_all']['ids']:,} ids"))  # fmt: skip
    if "per_case" in got:
        print(_line("before: per-case frame + geo ids (old drill=true)", got["per_case"],
                    f"{got['per_case']['ids']:,} ids"))  # fmt: skip
    if "rebuild" in got:
        print(_line("daily-count rebuild", got["rebuild"],
                    f"{got['rebuild']['rows']:,} rows; target < 30 s at 1M"))  # fmt: skip
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(f"(children: {usage.ru_utime + usage.ru_stime:.1f} CPU s in all)")
    (OUT / f"indicators-{a.backend}-{a.n}.json").write_text(json.dumps(got, indent=1))


if __name__ == "__main__":
    main()
