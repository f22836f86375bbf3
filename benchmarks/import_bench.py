"""Import benchmark: Tuban's whole import against the sum of its bare steps, and against ogr2ogr.

    .venv/bin/python benchmarks/import_bench.py --n 100000
    .venv/bin/python benchmarks/import_bench.py --n 1000000 --timeout 1200

Each measured phase runs in its own child process (``--phase ...``), so the peak memory it
reports belongs to that phase alone: the child resets its high-water mark (``VmHWM``, via
``/proc/self/clear_refs``) after preparing its inputs and reads it back when the step is done.
Every phase writes into its own copy of one store that already holds the reference layers.

Printed (and written to ``benchmarks/out/import-<n>.json``): seconds and peak RSS of the full
pipeline (``storage.imports.import_file``), of each bare step, their sum, the full/sum ratio
(target <= 1.25), ogr2ogr loading the same file, and the pipeline's own per-stage seconds.
See benchmarks/README.md for what each figure means.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, date, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import make_data  # noqa: E402

RATIO_TARGET = 1.25
MEMORY_TARGET_MB = 3000.0  # "3 GB", in 10^6 bytes
NOW = datetime(2024, 4, 2, 9, 0, tzinfo=UTC)
BARE_STEPS = ("read", "area", "sjoin", "farmland", "insert")
BARE_LABELS = {
    "read": "(a) pyogrio.read_dataframe(use_arrow=True)",
    "area": "(b) to_crs(4490) + ellipsoidal_area_m2",
    "sjoin": "(c) gpd.sjoin to 500 villages (intersects)",
    "farmland": "(d) STRtree + intersection + area, 20k farmland",
    "insert": "(e) sqlite3 executemany + CREATE INDEX bbox",
}


# --- memory ------------------------------------------------------------------------------------


def _status_kb(key: str) -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def reset_peak() -> None:
    """Make VmHWM (peak RSS) equal to the current RSS (Linux >= 4.0)."""
    with open("/proc/self/clear_refs", "w") as fh:
        fh.write("5")


def rss_mb() -> float:
    return _status_kb("VmRSS") * 1024 / 1e6


def peak_mb() -> float:
    return _status_kb("VmHWM") * 1024 / 1e6


def _children() -> list[int]:
    """Live child processes of this process (the import's worker processes)."""
    pids = []
    for task in os.listdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{task}/children") as fh:
                pids += [int(p) for p in fh.read().split()]
        except OSError:
            pass
    return pids


def _rollup_kb(pid: int | str) -> dict[str, int]:
    """/proc/<pid>/smaps_rollup in kB ({} once the process is gone)."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as fh:
            lines = fh.read().splitlines()[1:]
    except OSError:
        return {}
    return {k: int(v.split()[0]) for k, v in (ln.split(":", 1) for ln in lines)}


# --- phases (run in child processes) -------------------------------------------------------------


def _engine(store: Path):  # type: ignore[no-untyped-def]
    from storage.engine import make_engine, sqlite_url

    return make_engine(sqlite_url(store))


def _checkpoint(store: Path) -> None:
    con = sqlite3.connect(store)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()


def phase_refs(args: argparse.Namespace) -> dict:
    """A fresh store (make_engine + migrate) with townships, villages and farmland imported."""
    from storage.engine import migrate
    from storage.imports import import_reference
    from storage.repository import CaseStore

    engine = _engine(args.store)
    migrate(engine)
    store = CaseStore(engine)
    out = {}
    for kind in ("township", "village", "farmland"):
        t0 = time.perf_counter()
        _, created, report = import_reference(
            store,
            make_data.REF_PATHS[kind],
            kind,
            name=f"bench {kind}",
            version="2024",
            actor="bench",
            now=NOW,
        )
        out[kind] = {
            "seconds": time.perf_counter() - t0,
            "features": report.imported,
            "created": created,
        }
    engine.dispose()
    _checkpoint(args.store)
    return out


def phase_full(args: argparse.Namespace) -> dict:
    """storage.imports.import_file on the parcels, quiet progress."""
    from sqlalchemy import func, select

    from geo.batch import BatchMeta
    from geo.model import Programme
    from runtime.settings import Settings
    from storage.imports import import_file
    from storage.repository import CaseStore
    from storage.tables import cases, reissues

    engine = _engine(args.store)
    store = CaseStore(engine)
    meta = BatchMeta(Programme.LAND, "2024Q1", "bench", date(2024, 4, 1), date(2024, 6, 30))
    profiler = lines = None
    if args.profile:
        import cProfile

        profiler = cProfile.Profile()
    if args.lines:
        lines = _line_profiler()
    workers = Settings().import_workers  # TUBAN_IMPORT_WORKERS, as the CLI reads it
    tracker = _StageTracker(workers_memory=args.memory_run)
    reset_peak()
    rss0 = rss_mb()
    t0, c0 = time.perf_counter(), time.process_time()
    if profiler:
        profiler.enable()
    if lines:
        lines.enable_by_count()
    kids0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    tracker.start()
    batch, created = import_file(
        store,
        args.path,
        meta,
        actor="bench",
        now=NOW,
        workers=workers,
        progress=tracker.progress,
    )
    tracker.stop()
    kids1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    if lines:
        lines.disable_by_count()
    if profiler:
        profiler.disable()
    seconds = time.perf_counter() - t0
    # The workers' CPU too (they are reaped before import_file returns).
    workers_cpu = (kids1.ru_utime + kids1.ru_stime) - (kids0.ru_utime + kids0.ru_stime)
    cpu = time.process_time() - c0 + workers_cpu
    parent_peak = peak_mb()
    workers = list(tracker.workers.values())
    # Conservative: the parent's peak plus each worker's peak private memory, as if they all
    # happened at once (the parent's peak is usually in the write, after the workers are gone).
    peak = parent_peak + sum(w["private_mb"] for w in workers)
    with engine.connect() as conn:
        n_cases = conn.execute(select(func.count()).select_from(cases)).scalar_one()
        n_re = conn.execute(select(func.count()).select_from(reissues)).scalar_one()
    report = batch["report"] or {}
    out = {
        "seconds": seconds,
        "cpu_s": cpu,
        "peak_mb": peak,
        "parent_peak_mb": parent_peak,
        "workers": workers,
        "workers_cpu_s": workers_cpu,
        "group_pss_peak_mb": tracker.group_pss_mb if workers else None,
        "sampler_cpu_s": tracker.sampler_cpu_s,
        "rss_before_mb": rss0,
        "created": created,
        "cases": n_cases,
        "reissues": n_re,
        "read": report.get("read"),
        "links": len(report.get("links") or []),
        "outside": len(report.get("outside") or []),
        "hints": report.get("hints"),
        "stage_seconds": report.get("seconds"),
        "segments": tracker.segments,
    }
    if profiler:
        import pstats

        stats_path = Path(args.result).with_suffix(".prof")
        profiler.dump_stats(stats_path)
        out["profile"] = str(stats_path)
        st = pstats.Stats(profiler)
        out["hotspots"] = _hotspots(st)
    if lines:
        text = Path(args.result).with_suffix(".lines.txt")
        _write_lines(lines, text)
        out["lines"] = str(text)
        out["line_hotspots"] = _line_hotspots(lines)
        out["sources_changed_during_run"] = _changed_sources()
    return out


# Functions of the pipeline whose lines --lines times (line_profiler, installed separately).
LINE_TARGETS = (
    ("storage.imports", "import_file"),
    ("storage.imports", "file_sha256"),
    ("storage.imports", "_prepare"),
    ("storage.imports", "_locate"),
    ("geo.import_pipeline", "read"),
    ("geo.import_pipeline", "normalise"),
    ("geo.import_pipeline", "repair"),
    ("geo.import_pipeline", "reproject"),
    ("geo.import_pipeline", "describe"),
    ("geo.readers", "_read_vector"),
    ("geo.geometry", "clean_geometries"),
    ("geo.linking", "duplicates_in_file"),
    ("geo.linking", "_overlap_pairs"),
    ("geo.hints", "compute_hints"),
    ("geo.hints", "_pairs"),
    ("geo.area", "ellipsoidal_area_m2"),
    ("storage.batch_writer", "write_batch"),
    ("storage.batch_writer", "_insert_cases"),
    ("storage.batch_writer", "_insert_reissues"),
    ("storage.batch_writer", "_set_sites"),
    ("storage.batch_writer", "_feature_columns"),
    ("storage.refs", "RefStore.reference_set"),
)


def _line_profiler():  # type: ignore[no-untyped-def]
    import importlib

    from line_profiler import LineProfiler

    lp = LineProfiler()
    for mod, name in LINE_TARGETS:
        module = importlib.import_module(mod)
        # The source as imported: other people edit these files while a long run goes on.
        _SOURCES.setdefault(module.__file__, Path(module.__file__).read_text().splitlines())
        obj = module
        for part in name.split("."):
            obj = getattr(obj, part)
        lp.add_function(obj)
    return lp


_SOURCES: dict[str, list[str]] = {}


def _line_hotspots(lp, top: int = 30) -> list[dict]:  # type: ignore[no-untyped-def]
    """The slowest source lines of the profiled functions: file:line, seconds, hits, text."""
    stats = lp.get_stats()
    rows = []
    for (file, _first, func), timings in stats.timings.items():
        short = file.replace(str(ROOT) + "/", "")
        src = _SOURCES.get(file, [])
        for lineno, hits, t in timings:
            rows.append(
                {
                    "where": f"{short}:{lineno}:{func}",
                    "seconds": t * stats.unit,
                    "hits": hits,
                    "code": src[lineno - 1].strip()[:90] if lineno <= len(src) else "?",
                }
            )
    return sorted(rows, key=lambda r: -r["seconds"])[:top]


def _write_lines(lp, path: Path) -> None:  # type: ignore[no-untyped-def]
    """Every timed line of every profiled function, with the source as it was imported."""
    stats = lp.get_stats()
    with path.open("w") as fh:
        fh.write("seconds      hits  line  source (as imported)\n")
        for (file, first, func), timings in sorted(stats.timings.items()):
            if not timings:
                continue
            src = _SOURCES.get(file, [])
            total = sum(t for _, _, t in timings) * stats.unit
            fh.write(f"\n== {file.replace(str(ROOT) + '/', '')}:{first} {func}  ({total:.2f} s)\n")
            for lineno, hits, t in timings:
                code = src[lineno - 1].rstrip() if lineno <= len(src) else "?"
                fh.write(f"{t * stats.unit:8.3f} {hits:>9} {lineno:>5}  {code}\n")


def _changed_sources() -> list[str]:
    """Profiled files whose text changed on disk since they were imported."""
    return [
        f.replace(str(ROOT) + "/", "")
        for f, lines in _SOURCES.items()
        if Path(f).read_text().splitlines() != lines
    ]


class _StageTracker:
    """Wall time and peak RSS between the pipeline's progress calls, and the workers' memory.

    The progress callback marks segment boundaries ("读取 1/1", "预判 0/n", ...); a thread reads
    VmRSS every 50 ms so each segment gets the highest RSS seen while it ran. Segments are named
    by the call that *ends* them, e.g. "校验 1/1 -> 预判 0/n" holds reprojection, area and
    attribute conversion.

    With ``workers_memory`` (a separate, untimed run: reading ``smaps_rollup`` walks page
    tables, ~5 ms per GB, and at 1M took several CPU seconds from the workers) and while the
    import has worker processes (forked, so they share the parent's pages until either side
    writes them), the same thread reads each worker's ``smaps_rollup`` every 100 ms: its peak
    *private* memory (pages only it holds: what it allocated plus copy-on-write copies) is what
    it adds to the parent's, and the sum of PSS over parent and workers is the group's actual
    footprint at that moment. A worker's own VmHWM is kept too, but it counts every shared
    page again, so it is not added up.
    """

    def __init__(self, *, workers_memory: bool = False) -> None:
        self.workers_memory = workers_memory
        self.segments: list[dict] = []
        self._label = "start"
        self._t = time.perf_counter()
        self._max = 0.0
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self.workers: dict[int, dict[str, float]] = {}
        self.group_pss_mb = 0.0
        self.sampler_cpu_s = 0.0

    def start(self) -> None:
        self._t = time.perf_counter()
        self._max = rss_mb()
        self._thread.start()

    def _sample(self) -> None:
        tick = 0
        while not self._stop.wait(0.05):
            r = rss_mb()
            with self._lock:
                self._max = max(self._max, r)
            tick += 1
            if self.workers_memory and tick % 2 == 0:
                c0 = time.thread_time()
                self._sample_workers()
                self.sampler_cpu_s += time.thread_time() - c0

    def _sample_workers(self) -> None:
        kids = _children()
        if not kids:
            return
        pss = _rollup_kb("self").get("Pss", 0)
        for pid in kids:
            roll = _rollup_kb(pid)
            if not roll:
                continue
            pss += roll["Pss"]
            w = self.workers.setdefault(pid, {"private_mb": 0.0, "vmhwm_mb": 0.0})
            private = (roll["Private_Clean"] + roll["Private_Dirty"]) * 1024 / 1e6
            w["private_mb"] = max(w["private_mb"], private)
            try:
                with open(f"/proc/{pid}/status") as fh:
                    hwm = next(int(ln.split()[1]) for ln in fh if ln.startswith("VmHWM:"))
                w["vmhwm_mb"] = max(w["vmhwm_mb"], hwm * 1024 / 1e6)
            except (OSError, StopIteration):
                pass
        self.group_pss_mb = max(self.group_pss_mb, pss * 1024 / 1e6)

    def _close(self, label: str) -> None:
        now, r = time.perf_counter(), rss_mb()
        with self._lock:
            self.segments.append(
                {
                    "segment": f"{self._label} -> {label}",
                    "seconds": now - self._t,
                    "max_rss_mb": max(self._max, r),
                    "rss_at_end_mb": r,
                }
            )
            self._label, self._t, self._max = label, now, r

    def progress(self, stage: str, done: int, total: int) -> None:
        self._close(f"{stage} {'0' if done == 0 else done}/{total}")

    def stop(self) -> None:
        self._close("end")
        self._stop.set()
        self._thread.join()


def _hotspots(st, top: int = 25) -> dict:  # type: ignore[no-untyped-def]
    """Top functions by own time and by cumulative time, as 'file:line:function'."""
    rows = []
    for (file, line, fn), (_cc, nc, tt, ct, _callers) in st.stats.items():
        short = file.replace(str(ROOT) + "/", "")
        if "site-packages/" in short:
            short = short.split("site-packages/", 1)[1]
        rows.append({"where": f"{short}:{line}:{fn}", "calls": nc, "own_s": tt, "cum_s": ct})
    by_own = sorted(rows, key=lambda r: -r["own_s"])[:top]
    ours = [
        r
        for r in rows
        if r["where"].startswith(("geo/", "storage/")) and not r["where"].startswith("<")
    ]
    by_cum = sorted(ours, key=lambda r: -r["cum_s"])[:top]
    return {"own": by_own, "tuban_cumulative": by_cum}


def _read(path: Path):  # type: ignore[no-untyped-def]
    import pyogrio

    return pyogrio.read_dataframe(path, use_arrow=True)


def phase_read(args: argparse.Namespace) -> dict:
    reset_peak()
    t0, c0 = time.perf_counter(), time.process_time()
    frame = _read(args.path)
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    return {"seconds": seconds, "cpu_s": cpu, "peak_mb": peak_mb(), "rows": len(frame)}


def phase_area(args: argparse.Namespace) -> dict:
    from geo.area import ellipsoidal_area_m2

    frame = _read(args.path)
    reset_peak()
    rss0 = rss_mb()
    t0, c0 = time.perf_counter(), time.process_time()
    lonlat = frame.geometry.to_crs(4490).to_numpy()
    area = ellipsoidal_area_m2(lonlat)
    seconds = time.perf_counter() - t0
    cpu = time.process_time() - c0
    return {
        "seconds": seconds,
        "cpu_s": cpu,
        "peak_mb": peak_mb(),
        "rss_before_mb": rss0,
        "area_ha_total": float(area.sum() / 1e4),
    }


def phase_sjoin(args: argparse.Namespace) -> dict:
    import geopandas as gpd
    import pyogrio

    parcels = _read(args.path).to_crs(4490)
    villages = pyogrio.read_dataframe(make_data.REF_PATHS["village"], use_arrow=True)
    reset_peak()
    rss0 = rss_mb()
    t0, c0 = time.perf_counter(), time.process_time()
    joined = gpd.sjoin(parcels, villages, predicate="intersects")
    seconds = time.perf_counter() - t0
    cpu = time.process_time() - c0
    return {
        "seconds": seconds,
        "cpu_s": cpu,
        "peak_mb": peak_mb(),
        "rss_before_mb": rss0,
        "pairs": len(joined),
    }


def phase_farmland(args: argparse.Namespace) -> dict:
    import numpy as np
    import pyogrio
    import shapely

    from geo.area import ellipsoidal_area_m2

    geoms = _read(args.path).geometry.to_crs(4490).to_numpy()
    farm = pyogrio.read_dataframe(make_data.REF_PATHS["farmland"], use_arrow=True)
    farm = farm.geometry.to_numpy()
    reset_peak()
    rss0 = rss_mb()
    t0, c0 = time.perf_counter(), time.process_time()
    tree = shapely.STRtree(farm)
    pi, fi = tree.query(geoms, predicate="intersects")
    inter = ellipsoidal_area_m2(shapely.intersection(geoms[pi], farm[fi]))
    farmland_m2 = np.bincount(pi, weights=inter, minlength=len(geoms))
    seconds = time.perf_counter() - t0
    cpu = time.process_time() - c0
    return {
        "seconds": seconds,
        "cpu_s": cpu,
        "peak_mb": peak_mb(),
        "rss_before_mb": rss0,
        "pairs": len(pi),
        "on_farmland": int((farmland_m2 > 0.5).sum()),
    }


def phase_insert(args: argparse.Namespace) -> dict:
    import shapely

    from geo.area import M2_PER_MU, ellipsoidal_area_m2

    frame = _read(args.path)
    geoms = frame.geometry.to_crs(4490).to_numpy()
    area = ellipsoidal_area_m2(geoms)
    codes = frame["TBBH"].tolist()
    xzqdm = frame["XZQDM"].tolist()
    attr_cols = [frame[c].tolist() for c in ("BHLX", "JCMJ")]
    con = sqlite3.connect(args.store, isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")  # as storage.engine.make_engine
    con.execute("PRAGMA synchronous=NORMAL")
    reset_peak()
    rss0 = rss_mb()
    t0, c0 = time.perf_counter(), time.process_time()
    wkb = shapely.to_wkb(geoms).tolist()
    b = shapely.bounds(geoms)
    attributes = [
        json.dumps({"BHLX": x, "JCMJ": y}, ensure_ascii=False)
        for x, y in zip(*attr_cols, strict=True)
    ]
    con.execute(
        "CREATE TABLE bare_cases (id INTEGER PRIMARY KEY, code TEXT NOT NULL, "
        "xzqdm TEXT NOT NULL, attributes TEXT NOT NULL, geom BLOB NOT NULL, "
        "minx REAL NOT NULL, miny REAL NOT NULL, maxx REAL NOT NULL, maxy REAL NOT NULL, "
        "area_m2 REAL NOT NULL, area_mu REAL NOT NULL)"
    )
    con.execute("BEGIN")
    con.executemany(
        "INSERT INTO bare_cases (code, xzqdm, attributes, geom, minx, miny, maxx, maxy, "
        "area_m2, area_mu) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        zip(
            codes,
            xzqdm,
            attributes,
            wkb,
            b[:, 0].tolist(),
            b[:, 1].tolist(),
            b[:, 2].tolist(),
            b[:, 3].tolist(),
            area.round(2).tolist(),
            (area / M2_PER_MU).round(4).tolist(),
            strict=True,
        ),
    )
    con.execute("CREATE INDEX ix_bare_cases_bbox ON bare_cases (minx, maxx, miny, maxy)")
    con.execute("COMMIT")
    seconds = time.perf_counter() - t0
    cpu = time.process_time() - c0
    rows = con.execute("SELECT count(*) FROM bare_cases").fetchone()[0]
    con.close()
    return {
        "seconds": seconds,
        "cpu_s": cpu,
        "peak_mb": peak_mb(),
        "rss_before_mb": rss0,
        "rows": rows,
    }


PHASES = {
    "refs": phase_refs,
    "full": phase_full,
    "read": phase_read,
    "area": phase_area,
    "sjoin": phase_sjoin,
    "farmland": phase_farmland,
    "insert": phase_insert,
}


# --- orchestration ---------------------------------------------------------------------------


def _wait(cmd: list[str], timeout: float, **kw) -> tuple[float, float, int, float]:  # type: ignore[no-untyped-def]
    """Run ``cmd``; return (wall s, the child's peak RSS in MB, exit status, its CPU s)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, **kw)
    killer = threading.Timer(timeout, proc.kill)  # only this child, by its handle
    killer.start()
    try:
        _, status, usage = os.wait4(proc.pid, 0)
    finally:
        killer.cancel()
    proc.returncode = os.waitstatus_to_exitcode(status)
    cpu = usage.ru_utime + usage.ru_stime
    return time.perf_counter() - t0, usage.ru_maxrss * 1024 / 1e6, proc.returncode, cpu


def run_phase(phase: str, store: Path | None, path: Path, workdir: Path, args) -> dict:  # type: ignore[no-untyped-def]
    result = workdir / f"{phase}.json"
    cmd = [sys.executable, str(Path(__file__).resolve()), "--phase", phase, "--result", str(result)]
    cmd += ["--path", str(path)]
    if store is not None:
        cmd += ["--store", str(store)]
    if getattr(args, "profile_this", False):
        cmd += ["--profile"]
    if getattr(args, "lines_this", False):
        cmd += ["--lines"]
    if getattr(args, "memory_this", False):
        cmd += ["--memory-run"]
    print(f"  … {phase}", file=sys.stderr, flush=True)
    wall, maxrss, rc, _cpu = _wait(cmd, args.timeout)
    if rc != 0 or not result.exists():
        print(f"  ! phase {phase} failed (exit {rc}, {wall:.0f} s)", file=sys.stderr)
        return {"failed": True, "exit": rc, "wall_s": wall}
    out = json.loads(result.read_text())
    out["process_wall_s"] = wall
    out["process_maxrss_mb"] = maxrss
    return out


class MemoryCgroup:
    """A memory cgroup with a hard limit for one child process and everything it forks.

    The kernel counts every page the parent and its workers hold, shared pages once, and the
    page cache they fill; it reclaims that cache before it kills. So a run that completes
    under the limit held less than the limit at every moment: an exact bound, where the
    sampled figures above can miss a short peak. Needs root and cgroup v1 or v2 with the memory
    controller (``available()`` says why not otherwise).
    """

    V1 = Path("/sys/fs/cgroup/memory")
    V2 = Path("/sys/fs/cgroup")

    def __init__(self, limit_mb: float) -> None:
        self.limit = int(limit_mb * 1e6)
        self.path: Path | None = None
        self.v2 = False

    @classmethod
    def available(cls) -> str | None:
        if (cls.V1 / "memory.limit_in_bytes").exists():
            return None if os.access(cls.V1, os.W_OK) else f"{cls.V1} is not writable (root?)"
        # v2: a new group under the root gets memory.max only if the root hands the controller
        # down to its children.
        controllers = cls.V2 / "cgroup.subtree_control"
        if controllers.exists() and "memory" in controllers.read_text().split():
            return None if os.access(cls.V2, os.W_OK) else f"{cls.V2} is not writable (root?)"
        return "no cgroup memory controller on this machine"

    def __enter__(self) -> MemoryCgroup:
        self.v2 = not (self.V1 / "memory.limit_in_bytes").exists()
        base = self.V2 if self.v2 else self.V1
        self.path = base / f"tuban-bench-{os.getpid()}"
        self.path.mkdir()
        if self.v2:
            (self.path / "memory.max").write_text(str(self.limit))
            swap = self.path / "memory.swap.max"
            if swap.exists():
                swap.write_text("0")
        else:
            (self.path / "memory.limit_in_bytes").write_text(str(self.limit))
            swap = self.path / "memory.memsw.limit_in_bytes"
            if swap.exists():
                swap.write_text(str(self.limit))
        return self

    def enter_child(self) -> None:
        """preexec_fn: move the new child (before it runs Python) into the cgroup."""
        assert self.path is not None
        (self.path / "cgroup.procs").write_text(str(os.getpid()))

    def figures(self) -> dict:
        assert self.path is not None

        def read(name: str) -> str:
            try:
                return (self.path / name).read_text()  # type: ignore[operator]
            except OSError:
                return ""

        if self.v2:
            events = dict(ln.split() for ln in read("memory.events").splitlines() if ln)
            peak = read("memory.peak").strip()
            return {
                "limit_mb": self.limit / 1e6,
                "peak_mb": int(peak) / 1e6 if peak else None,
                "limit_reached": int(events.get("max", 0)) > 0,
                "oom_kills": int(events.get("oom_kill", 0)),
            }
        oom = dict(ln.split() for ln in read("memory.oom_control").splitlines() if ln)
        peak = int(read("memory.max_usage_in_bytes") or 0)
        return {
            "limit_mb": self.limit / 1e6,
            "peak_mb": peak / 1e6,
            # (failcnt stays 0 here once the memory+swap limit is set too, so not used)
            "limit_reached": peak >= self.limit - (1 << 20),
            "oom_kills": int(oom.get("oom_kill", 0)),
        }

    def __exit__(self, *exc: object) -> None:
        if self.path is not None:
            for _ in range(50):  # the last process may take a moment to leave
                try:
                    self.path.rmdir()
                    break
                except OSError:
                    time.sleep(0.1)


def run_limited(store: Path, path: Path, workdir: Path, args) -> dict:  # type: ignore[no-untyped-def]
    """The full pipeline once more, untimed, inside a memory cgroup limited to
    ``--cgroup-mb``: does it complete?"""
    why = MemoryCgroup.available()
    if why:
        print(f"  ! --cgroup-mb skipped: {why}", file=sys.stderr)
        return {"skipped": why}
    result = workdir / "limited.json"
    cmd = [sys.executable, str(Path(__file__).resolve()), "--phase", "full"]
    cmd += ["--result", str(result), "--path", str(path), "--store", str(store)]
    print(f"  … full, inside a {args.cgroup_mb:.0f} MB memory cgroup", file=sys.stderr, flush=True)
    with MemoryCgroup(args.cgroup_mb) as group:
        wall, maxrss, rc, _cpu = _wait(cmd, args.timeout, preexec_fn=group.enter_child)
        out = {"exit": rc, "seconds": wall, "completed": rc == 0 and result.exists()}
        out.update(group.figures())
    if out["completed"]:
        done = json.loads(result.read_text())
        out["cases"], out["reissues"] = done["cases"], done["reissues"]
    return out


def run_ogr2ogr(store: Path, path: Path, timeout: float) -> dict:
    cmd = [
        "ogr2ogr",
        "-f",
        "SQLite",
        "-update",  # into the existing store, as its own table (no SpatiaLite: plain WKB)
        "-nln",
        "tuban_ogr2ogr",
        "-t_srs",
        "EPSG:4490",
        str(store),
        str(path),
        "tuban",
    ]
    print("  … ogr2ogr", file=sys.stderr, flush=True)
    if shutil.which("ogr2ogr") is None:
        # Not installed (Debian: gdal-bin): say so rather than lose the other phases' figures.
        print("  ! ogr2ogr not found (apt-get install gdal-bin)", file=sys.stderr)
        return {"seconds": 0.0, "cpu_s": None, "peak_mb": 0.0, "exit": 127, "command": cmd}
    wall, maxrss, rc, cpu = _wait(cmd, timeout)
    rows = None
    if rc == 0:
        con = sqlite3.connect(store)
        rows = con.execute("SELECT count(*) FROM tuban_ogr2ogr").fetchone()[0]
        con.close()
    return {
        "seconds": wall,
        "cpu_s": cpu,
        "peak_mb": maxrss,
        "exit": rc,
        "rows": rows,
        "command": cmd,
    }


def _tag(args: argparse.Namespace) -> str:
    """Output name: "100000", or "100000-tiled" for the non-overlapping layout."""
    return f"{args.n}" if args.layout == "scatter" else f"{args.n}-{args.layout}"


def _git() -> dict:
    """The commit measured, and whether the benchmarked packages had uncommitted changes."""

    def git(*a: str) -> str:
        try:
            return subprocess.run(
                ["git", *a], cwd=ROOT, capture_output=True, text=True, timeout=30
            ).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return ""

    dirty = git("status", "--porcelain", "--", "geo", "storage")
    return {"commit": git("rev-parse", "--short", "HEAD"), "geo_storage_dirty": dirty.splitlines()}


def _runs(r: dict) -> str:
    """Every run's seconds and the 1-minute load average before it, e.g. '17.7 18.2 @ 2.1 3.4'."""
    secs = " ".join(_fmt(v, ".1f") for v in r.get("all_seconds") or [])
    loads = " ".join(f"{v:.1f}" for v in r.get("loads") or [])
    return f"{secs} @ {loads}" if secs else ""


def _fmt(v: float | None, spec: str = ".2f") -> str:
    return "—" if v is None else format(v, spec)


def orchestrate(args: argparse.Namespace) -> dict:
    n = args.n
    t_data = time.perf_counter()
    paths = make_data.ensure(n, layout=args.layout)
    data_s = time.perf_counter() - t_data
    path = paths["parcels"]
    # Warm the page cache so no phase pays for the first read from disk.
    with path.open("rb") as fh:
        while fh.read(1 << 24):
            pass
    workdir = Path(tempfile.mkdtemp(prefix=f"tuban-bench-{n}-"))
    print(
        f"import benchmark, n={n}, layout {args.layout}, file {path}"
        f" ({path.stat().st_size / 1e6:.0f} MB)"
    )
    print(f"work dir {workdir}", file=sys.stderr)
    results: dict = {
        "n": n,
        "layout": args.layout,
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "git": _git(),
        "repeat": args.repeat,
        "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]},
        "file": str(path),
        "file_mb": path.stat().st_size / 1e6,
    }
    try:
        base = workdir / "base.sqlite"
        results["refs"] = run_phase("refs", base, path, workdir, args)
        if results["refs"].get("failed"):
            raise SystemExit("reference import failed")

        def copy(name: str) -> Path:
            dst = workdir / f"{name}.sqlite"
            shutil.copyfile(base, dst)
            return dst

        def best(run) -> dict:  # type: ignore[no-untyped-def]
            """Run ``run()`` --repeat times; keep the fastest, note every time and the load."""
            runs = []
            for _ in range(args.repeat):
                load = os.getloadavg()[0]
                r = run()
                r["load_before"] = load
                runs.append(r)
            ok = [r for r in runs if not r.get("failed") and r.get("exit", 0) == 0]
            if not ok:
                return runs[-1]
            fastest = dict(min(ok, key=lambda r: r["seconds"]))
            fastest["all_seconds"] = [r.get("seconds") for r in runs]
            fastest["loads"] = [round(r["load_before"], 2) for r in runs]
            return fastest

        results["full"] = best(lambda: run_phase("full", copy("full"), path, workdir, args))
        # One more, untimed run for the memory of parent + workers (see _StageTracker).
        args.memory_this = True
        results["full_memory"] = run_phase("full", copy("memory"), path, workdir, args)
        args.memory_this = False
        mem = results["full_memory"]
        if not results["full"].get("failed") and not mem.get("failed"):
            full = results["full"]
            full["timed_run_parent_peak_mb"] = full["parent_peak_mb"]
            for k in ("peak_mb", "parent_peak_mb", "workers", "group_pss_peak_mb", "sampler_cpu_s"):
                full[k] = mem[k]
        if args.cgroup_mb is None and n >= 1_000_000:
            args.cgroup_mb = MEMORY_TARGET_MB  # the target itself, as a hard limit
        if args.cgroup_mb:
            results["limited"] = run_limited(copy("limited"), path, workdir, args)
        bare = {}
        for step in BARE_STEPS:
            bare[step] = best(
                lambda step=step: run_phase(
                    step, copy("insert") if step == "insert" else None, path, workdir, args
                )
            )
        results["bare"] = bare
        if not args.skip_ogr2ogr:
            results["ogr2ogr"] = best(lambda: run_ogr2ogr(copy("ogr2ogr"), path, args.timeout))
        if args.profile:
            args.profile_this = True
            prof = run_phase("full", copy("profile"), path, workdir, args)
            args.profile_this = False
            if not prof.get("failed"):
                keep = HERE / "out" / f"import-{_tag(args)}.prof"
                shutil.copyfile(prof["profile"], keep)
                prof["profile"] = str(keep)
            results["profile"] = prof
        if args.lines:
            args.lines_this = True
            prof = run_phase("full", copy("lines"), path, workdir, args)
            args.lines_this = False
            if not prof.get("failed"):
                keep = HERE / "out" / f"import-{_tag(args)}-lines.txt"
                shutil.copyfile(prof["lines"], keep)
                prof["lines"] = str(keep)
            results["line_profile"] = prof
    finally:
        if args.keep:
            print(f"kept {workdir}", file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)

    full = results["full"]
    bare_ok = all(not b.get("failed") for b in results["bare"].values())
    bare_sum = sum(b["seconds"] for b in results["bare"].values()) if bare_ok else None
    ratio = full["seconds"] / bare_sum if bare_sum and not full.get("failed") else None
    ogr = results.get("ogr2ogr")
    ogr_ratio = (
        full["seconds"] / ogr["seconds"]
        if ogr and ogr.get("exit") == 0 and not full.get("failed")
        else None
    )
    results["bare_sum_seconds"] = bare_sum
    bare_cpu = sum(b["cpu_s"] for b in results["bare"].values()) if bare_ok else None
    results["bare_sum_cpu_s"] = bare_cpu
    results["full_over_bare_sum_cpu"] = (
        full["cpu_s"] / bare_cpu if bare_cpu and not full.get("failed") else None
    )
    results["full_over_bare_sum"] = ratio
    results["full_over_ogr2ogr"] = ogr_ratio
    results["targets"] = {
        "ratio": RATIO_TARGET,
        "peak_mb_at_1M": MEMORY_TARGET_MB,
        "ratio_pass": None if ratio is None else ratio <= RATIO_TARGET,
        "memory_pass": _memory_pass(n, full, results.get("limited")),
    }
    results["data_seconds"] = data_s
    return results


def _memory_pass(n: int, full: dict, limited: dict | None) -> bool | None:
    """The memory verdict at 1M: the kernel's own count when a cgroup run was made (it
    completed under a limit of at most the target), else the sampled figures (both the sum of
    peaks and the highest PSS of the group must be under the target)."""
    if n < 1_000_000 or full.get("failed"):
        return None
    if limited and not limited.get("skipped"):
        return bool(limited["completed"]) and limited["limit_mb"] <= MEMORY_TARGET_MB
    pss = full.get("group_pss_peak_mb") or 0.0
    return full["peak_mb"] < MEMORY_TARGET_MB and pss < MEMORY_TARGET_MB


def report(results: dict) -> None:
    n = results["n"]
    git = results["git"]
    dirty = " (geo/storage have uncommitted changes)" if git["geo_storage_dirty"] else ""
    print(f"commit {git['commit']}{dirty}, {results['date']}")
    print()
    print("reference layers (make_engine + migrate, then storage.imports.import_reference):")
    for kind, r in results["refs"].items():
        if isinstance(r, dict) and "seconds" in r:
            print(f"  {kind:<9} {r['features']:>6} features  {r['seconds']:7.2f} s")
    print()
    w = 50
    print(
        f"{'step':<{w}} {'seconds':>9} {'CPU s':>8} {'peak MB':>9} {'RSS before':>11}"
        "  runs (s) @ load"
    )
    print("-" * (w + 41))
    full = results["full"]

    def line(label: str, r: dict) -> None:
        if r.get("failed"):
            print(f"{label:<{w}} {'FAILED':>9}   exit {r.get('exit')} after {r['wall_s']:.0f} s")
            return
        print(
            f"{label:<{w}} {r['seconds']:9.2f} {_fmt(r.get('cpu_s')):>8} {r['peak_mb']:9.0f} "
            f"{_fmt(r.get('rss_before_mb'), '.0f'):>11}  {_runs(r)}"
        )

    line("full pipeline: storage.imports.import_file", full)
    for step in BARE_STEPS:
        line("  " + BARE_LABELS[step], results["bare"][step])
    print("-" * (w + 41))
    print(
        f"{'sum of bare steps':<{w}} {_fmt(results['bare_sum_seconds']):>9} "
        f"{_fmt(results.get('bare_sum_cpu_s')):>8}"
    )
    ratio = results["full_over_bare_sum"]
    print(
        f"{'full / sum of bare steps':<{w}} {_fmt(ratio):>9} "
        f"{_fmt(results.get('full_over_bare_sum_cpu')):>8}   (target <= {RATIO_TARGET}, wall)"
    )
    ogr = results.get("ogr2ogr")
    if ogr:
        status = "" if ogr["exit"] == 0 else f"   FAILED exit {ogr['exit']}"
        print(
            f"{'ogr2ogr -f SQLite -t_srs EPSG:4490 (same store)':<{w}} "
            f"{ogr['seconds']:9.2f} {_fmt(ogr.get('cpu_s')):>8} {ogr['peak_mb']:9.0f} {'':>11}"
            f"  {_runs(ogr)}{status}"
        )
        print(f"{'full / ogr2ogr':<{w}} {_fmt(results['full_over_ogr2ogr']):>9}")
    print()
    if not full.get("failed"):
        print("pipeline stages (batch['report']['seconds']):")
        stages = full.get("stage_seconds") or {}
        for k, v in stages.items():
            print(f"  {k:<20} {v:8.2f} s")
        print(f"  {'(sum of stages)':<20} {sum(stages.values()):8.2f} s")
        print("wall time and peak RSS between the pipeline's progress calls:")
        for seg in full.get("segments") or []:
            print(f"  {seg['segment']:<36} {seg['seconds']:8.2f} s  {seg['max_rss_mb']:7.0f} MB")
        if full.get("workers"):
            kids = ", ".join(
                f"{w['private_mb']:.0f} (VmHWM {w['vmhwm_mb']:.0f})" for w in full["workers"]
            )
            print(
                "memory (a separate, untimed run sampling the workers every 100 ms; the timed "
                f"run's parent peak was {full.get('timed_run_parent_peak_mb', 0):.0f} MB):"
            )
            print(
                f"  parent peak {full['parent_peak_mb']:.0f} MB + workers' peak private "
                f"MB {kids} = {full['peak_mb']:.0f} MB (the peak above); highest sampled PSS "
                f"of parent + workers together {full['group_pss_peak_mb']:.0f} MB; "
                f"workers' CPU {full['workers_cpu_s']:.2f} s (in the CPU column); "
                f"sampling took {full.get('sampler_cpu_s', 0):.2f} CPU s"
            )
        else:
            print("memory: no worker processes (import ran in one process)")
        print(
            f"stored: {full['cases']} cases, {full['reissues']} reissues "
            f"({full['links']} links in report, {full['outside']} outside county); "
            f"hints: {full['hints']}"
        )
    print()
    t = results["targets"]
    verdict = {True: "PASS", False: "MISS", None: "n/a"}
    print(f"{verdict[t['ratio_pass']]}: full/sum {_fmt(ratio)} vs target <= {RATIO_TARGET}")
    limited = results.get("limited")
    if limited and not limited.get("skipped"):
        verdict_l = "completed" if limited["completed"] else f"FAILED (exit {limited['exit']})"
        print(
            f"inside a {limited['limit_mb']:.0f} MB memory cgroup (parent, workers and the page "
            f"cache they fill, counted by the kernel): {verdict_l} in {limited['seconds']:.1f} s; "
            f"cgroup peak {_fmt(limited.get('peak_mb'), '.0f')} MB"
            + (", limit reached (page cache reclaimed)" if limited["limit_reached"] else "")
            + f", OOM kills {limited['oom_kills']}"
        )
    mem = "n/a" if full.get("failed") else f"{full['peak_mb']:.0f} MB"
    note = "" if n >= 1_000_000 else " (target applies at 1M)"
    if limited and not limited.get("skipped"):
        how = f"completed inside a {limited['limit_mb']:.0f} MB memory cgroup: " + (
            "yes" if limited["completed"] else "no"
        )
    else:
        how = (
            f"sampled: parent + workers' peaks {mem}, group PSS "
            f"{_fmt(full.get('group_pss_peak_mb'), '.0f')} MB"
        )
    print(
        f"{verdict[t['memory_pass']]}: memory at 1M, {how}; "
        f"target < {MEMORY_TARGET_MB:.0f} MB{note}"
    )
    prof = results.get("profile")
    if prof and not prof.get("failed"):
        print()
        print(
            f"cProfile of a separate full run ({prof['seconds']:.1f} s under the profiler; "
            f"stats in {prof['profile']}):"
        )
        print("  Tuban functions by cumulative seconds:")
        for r in prof["hotspots"]["tuban_cumulative"][:20]:
            print(f"    {r['cum_s']:8.2f} s  {r['calls']:>9}  {r['where']}")
        print("  all functions by own seconds:")
        for r in prof["hotspots"]["own"][:20]:
            print(f"    {r['own_s']:8.2f} s  {r['calls']:>9}  {r['where']}")
    prof = results.get("line_profile")
    if prof and not prof.get("failed"):
        print()
        print(
            f"line_profiler of a separate full run ({prof['seconds']:.1f} s profiled; "
            f"all lines in {prof['lines']}):"
        )
        if prof.get("sources_changed_during_run"):
            print(f"  (changed on disk during the run: {prof['sources_changed_during_run']})")
        for r in prof["line_hotspots"][:25]:
            print(f"  {r['seconds']:8.2f} s {r['hits']:>8}x  {r['where']:<44} {r['code']}")


def _limited_note(limited: dict | None) -> str:
    if not limited or limited.get("skipped"):
        return ""
    done = "completed" if limited["completed"] else "did not complete"
    return f" ({done} inside a {limited['limit_mb']:.0f} MB memory cgroup)"


def markdown(results: dict) -> str:
    """The figures of one run as a Markdown table (for benchmarks/README.md)."""
    git, full = results["git"], results["full"]
    dirty = ", geo/storage with uncommitted changes" if git["geo_storage_dirty"] else ""
    head = (
        f"**n = {results['n']:,}, layout {results.get('layout', 'scatter')}** "
        f"(commit `{git['commit']}`{dirty}; {results['date'][:16].replace('T', ' ')} UTC; "
        f"best of {results.get('repeat', 1)})"
    )
    rows = ["| step | seconds | CPU s | peak MB |", "| --- | ---: | ---: | ---: |"]

    def row(label: str, r: dict) -> None:
        rows.append(
            f"| {label} | {r['seconds']:.2f} | {_fmt(r.get('cpu_s'))} | {r['peak_mb']:.0f} |"
        )

    row("full pipeline (`import_file`)", full)
    for step in BARE_STEPS:
        row(BARE_LABELS[step], results["bare"][step])
    rows.append(
        f"| **sum of bare steps** | **{results['bare_sum_seconds']:.2f}** | "
        f"{_fmt(results.get('bare_sum_cpu_s'))} | |"
    )
    rows.append(
        f"| **full / sum** (target ≤ {RATIO_TARGET}) | **{results['full_over_bare_sum']:.2f}** | "
        f"{_fmt(results.get('full_over_bare_sum_cpu'))} | |"
    )
    ogr = results.get("ogr2ogr")
    if ogr:
        row("ogr2ogr -f SQLite -t_srs EPSG:4490", ogr)
        rows.append(f"| full / ogr2ogr | {_fmt(results['full_over_ogr2ogr'])} | | |")
    stages = ", ".join(f"{k} {v:.2f}" for k, v in (full.get("stage_seconds") or {}).items())
    t = results["targets"]
    verdict = {True: "PASS", False: "MISS", None: "n/a"}
    tail = (
        f"Report stages (s): {stages}. Stored {full['cases']:,} cases, "
        f"{full['reissues']:,} reissues. Ratio: **{verdict[t['ratio_pass']]}**; "
        f"memory: **{verdict[t['memory_pass']]}**{_limited_note(results.get('limited'))}."
    )
    return "\n".join([head, "", *rows, "", tail])


def main() -> None:
    ap = argparse.ArgumentParser(description="Tuban import benchmark (not a test)")
    ap.add_argument("--n", type=int, default=100_000, help="number of 图斑 (100000, 1000000)")
    ap.add_argument(
        "--layout",
        choices=make_data.LAYOUTS,
        default="scatter",
        help="scatter: the specified 0.05-3 ha 图斑, overlapping where dense; tiled: none overlap",
    )
    ap.add_argument("--timeout", type=float, default=900, help="seconds allowed per phase")
    ap.add_argument(
        "--repeat", type=int, default=1, help="run each phase this many times, keep the fastest"
    )
    ap.add_argument("--skip-ogr2ogr", action="store_true")
    ap.add_argument(
        "--profile", action="store_true", help="also run the full pipeline under cProfile"
    )
    ap.add_argument(
        "--lines",
        action="store_true",
        help="also run the full pipeline under line_profiler (pip install line_profiler)",
    )
    ap.add_argument("--keep", action="store_true", help="keep the temporary stores")
    ap.add_argument(
        "--cgroup-mb",
        type=float,
        metavar="MB",
        help="also run the full pipeline inside a memory cgroup with this hard limit (needs "
        "root; default at 1M: the 3000 MB target; 0 skips it)",
    )
    ap.add_argument(
        "--markdown",
        type=Path,
        nargs="+",
        metavar="JSON",
        help="print the figures of earlier runs (import-<n>.json) as Markdown tables",
    )
    ap.add_argument("--phase", choices=sorted(PHASES), help=argparse.SUPPRESS)
    ap.add_argument("--store", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--path", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--result", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--memory-run", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.markdown:
        print("\n\n".join(markdown(json.loads(p.read_text())) for p in args.markdown))
        return
    if args.phase:
        out = PHASES[args.phase](args)
        out["self_maxrss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6
        args.result.write_text(json.dumps(out, ensure_ascii=False, default=str))
        return
    results = orchestrate(args)
    report(results)
    out = HERE / "out" / f"import-{_tag(args)}.json"
    out.write_text(json.dumps(results, ensure_ascii=False, indent=2, default=str))
    print(f"\nfigures written to {out}")


if __name__ == "__main__":
    main()
