"""The import at province scale: K counties of n 图斑 each into a fresh store, per backend.

    .venv/bin/python benchmarks/province_import.py --counties 10 --n 1000000        # 10M
    .venv/bin/python benchmarks/province_import.py --counties 1 --n 1000000 \\
        --chunk-rows 250000 --chunk-rows 0 --backend sqlite     # chunked against whole, 1M

The data is ``make_data.py --counties K`` (K side-by-side counties, each with its own
reference layers, so every 图斑 gets the same hints work as in a one-county delivery). For each
backend (a SQLite file, or a throw-away schema of PostgreSQL database ``test``) and each
``--chunk-rows`` value (0: the whole file at once), a child process migrates a fresh store and
imports the three reference layers (timed, not part of the figures); another child runs
``storage.imports.import_file`` on the delivery as ``tuban import`` does, inside a memory cgroup
with a hard limit (``--cgroup-mb``, default the 3000 MB target; 0: none). Printed per run:

* wall s, CPU s of the import process plus its forked workers (user + system);
* parent peak RSS (VmHWM) and the largest worker's peak RSS (a worker's RSS counts the pages it
  shares with the parent, so the two are not added);
* the cgroup's own peak (every page the import and its workers held, shared pages once, plus
  the page cache they filled, which the kernel reclaims before it kills) and whether the
  limit was reached or an OOM kill happened. A run that completes inside the limit held less
  than the limit at every moment. The PostgreSQL server's own processes are not in the group.

Not a test; nothing in CI runs it. See benchmarks/README.md ("Province scale").
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
for p in (str(ROOT), str(HERE)):
    if p not in sys.path:
        sys.path.insert(0, p)

import make_data  # noqa: E402
from import_bench import (  # noqa: E402
    MEMORY_TARGET_MB,
    MemoryCgroup,
    _StageTracker,
    _wait,
    peak_mb,
    reset_peak,
    rss_mb,
)

PG_URL = os.environ.get("TUBAN_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
NOW = datetime(2024, 4, 2, 9, 0, tzinfo=UTC)


# --- phases (child processes) ------------------------------------------------------------------


def phase_refs(args: argparse.Namespace) -> dict:
    from storage.engine import make_engine, migrate
    from storage.imports import import_reference
    from storage.repository import CaseStore

    engine = make_engine(args.url)
    migrate(engine)
    store = CaseStore(engine)
    paths = make_data.province_paths(args.counties, args.n)
    t0 = time.perf_counter()
    features = {}
    for kind in ("township", "village", "farmland"):
        _, _, report = import_reference(
            store, paths[kind], kind, name=f"bench {kind}", version="2024", actor="bench", now=NOW
        )
        features[kind] = report.imported
    engine.dispose()
    return {"seconds": time.perf_counter() - t0, "features": features}


def _count(report: dict, key: str) -> int:
    """A report list's exact total (``<key>_count`` where the report keeps one)."""
    value = report.get(f"{key}_count")
    return int(value) if value is not None else len(report.get(key) or [])


def phase_full(args: argparse.Namespace) -> dict:
    from sqlalchemy import func, select

    from geo.batch import BatchMeta
    from geo.model import Programme
    from storage.engine import make_engine
    from storage.imports import import_file
    from storage.repository import CaseStore
    from storage.tables import cases, reissues

    engine = make_engine(args.url)
    store = CaseStore(engine)
    meta = BatchMeta(Programme.LAND, "2024Q1", "bench", date(2024, 4, 1), date(2024, 6, 30))
    path = make_data.province_paths(args.counties, args.n)["parcels"]
    chunk_rows = args.chunk_rows or 10**12  # 0: the whole file at once
    tracker = _StageTracker()
    t_start, last = time.perf_counter(), {"stage": "", "at": 0.0}

    def progress(stage: str, done: int, total: int) -> None:
        # A line on stderr now and then, so a run the cgroup kills still says how far it got.
        tracker.progress(stage, done, total)
        now = time.perf_counter() - t_start
        if stage != last["stage"] or now - last["at"] >= 30 or done == total:
            last.update(stage=stage, at=now)
            print(f"    {now:7.1f} s  {stage} {done}/{total}  RSS {rss_mb():.0f} MB "
                  f"(peak {peak_mb():.0f} MB)", file=sys.stderr, flush=True)  # fmt: skip

    reset_peak()
    t0, c0 = time.perf_counter(), time.process_time()
    kids0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    tracker.start()
    batch, _ = import_file(
        store, path, meta, actor="bench", now=NOW, chunk_rows=chunk_rows, progress=progress
    )
    tracker.stop()
    seconds = time.perf_counter() - t0
    kids1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    workers_cpu = (kids1.ru_utime + kids1.ru_stime) - (kids0.ru_utime + kids0.ru_stime)
    with engine.connect() as conn:
        n_cases = conn.execute(select(func.count()).select_from(cases)).scalar_one()
        n_re = conn.execute(select(func.count()).select_from(reissues)).scalar_one()
    report = batch["report"] or {}
    # The heaviest stretches between progress calls, for where the time and memory went.
    top = sorted(tracker.segments, key=lambda s: -s["seconds"])[:8]
    return {
        "seconds": seconds,
        "cpu_s": time.process_time() - c0 + workers_cpu,
        "workers_cpu_s": workers_cpu,
        "parent_peak_mb": peak_mb(),
        "largest_worker_peak_mb": kids1.ru_maxrss * 1024 / 1e6,
        "cases": n_cases,
        "reissues": n_re,
        "read": report.get("read"),
        "imported": report.get("imported"),
        "links": _count(report, "links"),
        "outside": _count(report, "outside"),
        "rejected": _count(report, "rejected"),
        "report_json_bytes": len(json.dumps(report, ensure_ascii=False, default=str)),
        "stage_seconds": report.get("seconds"),
        "slowest_segments": top,
    }


PHASES = {"refs": phase_refs, "full": phase_full}


# --- orchestration -----------------------------------------------------------------------------


def _child(phase: str, url: str, args: argparse.Namespace, workdir: Path, chunk_rows: int,
           group: MemoryCgroup | None = None) -> dict:  # fmt: skip
    result = workdir / f"{phase}-{uuid.uuid4().hex[:6]}.json"
    cmd = [sys.executable, str(Path(__file__).resolve()), "--phase", phase, "--url", url]
    cmd += ["--counties", str(args.counties), "--n", str(args.n), "--result", str(result)]
    cmd += ["--chunk-rows", str(chunk_rows)]
    kw = {"preexec_fn": group.enter_child} if group else {}
    wall, maxrss, rc, cpu = _wait(cmd, args.timeout, **kw)
    out: dict = {"exit": rc, "process_wall_s": wall, "process_cpu_s": cpu}
    if rc == 0 and result.exists():
        out.update(json.loads(result.read_text()))
    else:
        out["failed"] = True
    return out


def _store(backend: str, workdir: Path) -> tuple[str, object]:
    """A fresh store's URL and what to drop afterwards."""
    if backend == "sqlite":
        db = workdir / f"province-{uuid.uuid4().hex[:6]}.sqlite"
        return f"sqlite:///{db}", db
    from sqlalchemy import create_engine, text

    schema = f"bench_province_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    admin.dispose()
    return f"{PG_URL}?options=-csearch_path%3D{schema}%2Cpublic", schema


def _drop(backend: str, handle: object) -> None:
    if backend == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(f"{handle}{suffix}").unlink(missing_ok=True)
        return
    from sqlalchemy import create_engine, text

    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP SCHEMA "{handle}" CASCADE'))
    admin.dispose()


def run(args: argparse.Namespace) -> list[dict]:
    t0 = time.perf_counter()
    paths = make_data.ensure_province(args.counties, args.n)
    data_s = time.perf_counter() - t0
    size_mb = paths["parcels"].stat().st_size / 1e6
    print(f"{args.counties} counties x {args.n} = {args.counties * args.n} 图斑, "
          f"{paths['parcels'].name} {size_mb:.0f} MB (ready in {data_s:.0f} s)")  # fmt: skip
    why = MemoryCgroup.available() if args.cgroup_mb else "--cgroup-mb 0"
    if why:
        print(f"no memory cgroup: {why}", file=sys.stderr)
    workdir = Path(tempfile.mkdtemp(prefix="tuban-province-"))
    runs = []
    try:
        for backend in args.backend:
            for chunk_rows in args.chunk_rows or [250_000]:
                url, handle = _store(backend, workdir)
                try:
                    load = os.getloadavg()[0]
                    print(f"  … {backend}, chunk_rows {chunk_rows or 'whole'}: references",
                          file=sys.stderr, flush=True)  # fmt: skip
                    refs = _child("refs", url, args, workdir, chunk_rows)
                    if refs.get("failed"):
                        raise SystemExit(f"reference import failed on {backend}")
                    print("  … import", file=sys.stderr, flush=True)
                    if why:
                        full = _child("full", url, args, workdir, chunk_rows)
                        group_fig: dict = {}
                    else:
                        with MemoryCgroup(args.cgroup_mb) as group:
                            full = _child("full", url, args, workdir, chunk_rows, group)
                            group_fig = group.figures()
                    runs.append({
                        "backend": backend, "chunk_rows": chunk_rows, "load_before": load,
                        "load_after": os.getloadavg()[0], "refs": refs, "full": full,
                        "cgroup": group_fig,
                    })  # fmt: skip
                    report_line(runs[-1])
                finally:
                    if not args.keep:
                        _drop(backend, handle)
    finally:
        if args.keep:
            print(f"kept {workdir}", file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return runs


def report_line(r: dict) -> None:
    f, g = r["full"], r["cgroup"]
    head = f"{r['backend']:10} chunks {r['chunk_rows'] or 'whole':>7}"
    if f.get("failed"):
        print(f"{head}: FAILED (exit {f['exit']} after {f['process_wall_s']:.0f} s)"
              + (f"; cgroup {g}" if g else ""))  # fmt: skip
        return
    cg = ""
    if g:
        cg = (f" | cgroup {g['limit_mb']:.0f} MB: peak {g['peak_mb']:.0f} MB, "
              f"limit reached {g['limit_reached']}, OOM kills {g['oom_kills']}")  # fmt: skip
    print(
        f"{head}: {f['seconds']:.1f} s wall, {f['cpu_s']:.1f} CPU s "
        f"(workers {f['workers_cpu_s']:.1f}) | parent peak {f['parent_peak_mb']:.0f} MB, "
        f"largest worker {f['largest_worker_peak_mb']:.0f} MB{cg} | {f['cases']} cases, "
        f"{f['reissues']} reissues, links {f['links']}, report {f['report_json_bytes'] / 1e3:.0f}"
        f" kB | refs {r['refs']['seconds']:.0f} s | load {r['load_before']:.1f}-"
        f"{r['load_after']:.1f}"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--counties", type=int, default=10)
    ap.add_argument("--n", type=int, default=1_000_000, help="图斑 per county")
    ap.add_argument(
        "--backend", nargs="+", choices=("sqlite", "postgresql"), default=["postgresql", "sqlite"]
    )
    ap.add_argument(
        "--chunk-rows", type=int, action="append", help="repeatable; 0: the whole file at once"
    )
    ap.add_argument("--cgroup-mb", type=float, default=MEMORY_TARGET_MB)
    ap.add_argument("--timeout", type=float, default=3600, help="seconds allowed per child")
    ap.add_argument("--keep", action="store_true", help="keep the stores")
    ap.add_argument("--phase", choices=sorted(PHASES), help=argparse.SUPPRESS)
    ap.add_argument("--url", help=argparse.SUPPRESS)
    ap.add_argument("--result", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.phase:
        args.chunk_rows = args.chunk_rows[0]
        out = PHASES[args.phase](args)
        args.result.write_text(json.dumps(out, ensure_ascii=False, default=str))
        return
    runs = run(args)
    out = HERE / "out" / f"province-{args.counties}x{args.n}.json"
    out.write_text(json.dumps({
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]},
        "runs": runs,
    }, ensure_ascii=False, indent=2, default=str))  # fmt: skip
    print(f"figures written to {out}")


if __name__ == "__main__":
    main()
