"""In-file duplicates and hints of a parcel layer, on the machine's cores when it is large.

Both are pure functions of the parcels, independent of each other, and the hints are per 图斑,
so a large layer is split into tasks ([duplicates], [hints of rows a:b] …) run by forked worker
processes: the parcels are shared copy-on-write and only the small results travel back.
Processes, not threads: GEOS prepared geometries shared between threads crashed.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass

import numpy as np
import pandas as pd

from geo.hints import ReferenceSet, compute_hints
from geo.linking import code_repeats, duplicates_in_file, overlap_duplicates

# Below this many 图斑 the workers are not worth a fork: measured on 2 cores, they cost 0.09 s
# at 2 000 图斑, break even near 5 000, save 0.05 s at 10 000 and 0.2 s at 20 000.
PARALLEL_MIN_ROWS = 20_000
# Hint tasks per worker: several, so the workers finish together (the duplicates task can be a
# third of the work) and each task's temporary shapes stay small.
HINT_TASKS_PER_WORKER = 4


class WorkerFailed(RuntimeError):
    """A worker process died (killed, out of memory) before returning its result."""


@dataclass(frozen=True)
class Prejudged:
    """What the duplicate and hint stages found for a layer, with their timings."""

    dup_of: np.ndarray  # index of the earlier row each row repeats, or -1
    why: list[str]  # "same_code" | "overlap" | ""
    hints: pd.DataFrame  # geo.hints.HINT_COLUMNS, one row per 图斑
    seconds: dict[str, float]  # duplicates, hints (summed over tasks), wall
    workers: int  # processes used (0: computed in this process)
    # A chunk of a large import (``Prejudge.start`` with ``order``): its overlapping pairs
    # (later row, earlier row) instead of ``dup_of``/``why``, which need the whole file.
    pairs: tuple[np.ndarray, np.ndarray] | None = None


def _default_workers() -> int:
    return min(2, os.cpu_count() or 1)


def prejudge(
    codes: np.ndarray,
    geoms: np.ndarray,
    area_m2: np.ndarray,
    programme: str,
    refs: ReferenceSet,
    *,
    workers: int | None = None,
) -> Prejudged:
    """``duplicates_in_file`` and ``compute_hints`` of a layer, identical to calling them here
    (see ``Prejudge`` for when workers are used)."""
    with Prejudge(programme, workers=workers) as job:
        job.start(codes, geoms, refs)
        return job.finish(area_m2)


# The parcels, set just before the workers are forked so they inherit them without pickling;
# the lock keeps two imports in one process (server threads) from forking each other's.
_JOB: tuple | None = None
_FORK_LOCK = threading.Lock()


class Prejudge:
    """In-file duplicates and hints of one layer, started as soon as its geometries are known.

    ``start`` (codes, reprojected geometries, references) forks the workers and sets them on
    the duplicates at once, while the caller computes areas and attributes; ``finish`` (areas)
    adds the hint tasks and waits. ``workers`` > 1 (default: up to 2, one per core) is used
    only for layers of at least ``PARALLEL_MIN_ROWS`` 图斑; otherwise ``finish`` computes both
    here. Use it as a context manager: leaving it stops any worker still running. A worker that
    dies raises ``WorkerFailed``; an exception inside a worker is raised by ``finish`` as it is.
    """

    def __init__(self, programme: str, *, workers: int | None = None) -> None:
        self.programme = programme
        self.workers = _default_workers() if workers is None else workers
        self._pool: ProcessPoolExecutor | None = None
        self._pending: set[Future] = set()

    def __enter__(self) -> Prejudge:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(
        self,
        codes: np.ndarray,
        geoms: np.ndarray,
        refs: ReferenceSet,
        *,
        order: np.ndarray | None = None,
        own_rows: int | None = None,
    ) -> None:
        """Hand the rows and reference layers to the workers (forked here) and start them.

        A chunk of a large import passes ``order`` (each row's place in the file) and
        ``own_rows``: its first ``own_rows`` rows are its own, the rest its halo (rows of other
        chunks it may overlap). Hints are then computed for its own rows only, and ``finish``
        gives the overlapping pairs whose later row is its own instead of ``dup_of``.
        """
        global _JOB
        self._t0 = time.perf_counter()
        self._codes, self._geoms, self._refs = codes, np.asarray(geoms, dtype=object), refs
        self._order = order
        self._own = len(geoms) if own_rows is None else own_rows
        n = len(geoms)
        if (
            self.workers <= 1
            or n < PARALLEL_MIN_ROWS
            or "fork" not in multiprocessing.get_all_start_methods()
        ):
            return
        # Same-code repeats are found here, before the fork: the workers then never read the
        # code strings, whose pages they would copy (hashing a string writes its cached hash).
        repeats = code_repeats(codes) if order is None else None
        with _FORK_LOCK:
            _JOB = (repeats, self._geoms, self.programme, refs, order, self._own)
            # Frozen objects are never scanned by the workers' garbage collector, which would
            # otherwise write to (and so copy) every page of the parent's objects it visits.
            gc.freeze()
            try:
                self._pool = ProcessPoolExecutor(
                    self.workers,
                    mp_context=multiprocessing.get_context("fork"),
                    initializer=_worker_start,
                )
                # The first submit forks all the workers; one starts on the duplicates now.
                self._pending = {self._pool.submit(_task, "duplicates", 0, n, None)}
            finally:
                _JOB = None  # the workers have their copy
                gc.unfreeze()

    def finish(
        self, area_m2: np.ndarray, progress: Callable[[int], None] | None = None
    ) -> Prejudged:
        """Wait for the duplicates and hints. With workers, ``progress(rows)`` is called as
        hint rows are done."""
        codes, geoms, refs = self._codes, self._geoms, self._refs
        if self._pool is None:
            t1 = time.perf_counter()
            repeats = code_repeats(codes) if self._order is None else None
            dups = _duplicates(repeats, geoms, self._order, self._own)
            t2 = time.perf_counter()
            hints = compute_hints(geoms[: self._own], area_m2, self.programme, refs)
            t3 = time.perf_counter()
            secs = {"duplicates": t2 - t1, "hints": t3 - t2, "wall": t3 - self._t0}
            return _prejudged(dups, hints, secs, 0, self._order)
        n = self._own
        cuts = np.linspace(0, n, self.workers * HINT_TASKS_PER_WORKER + 1).astype(int)
        self._pending |= {
            self._pool.submit(_task, "hints", int(a), int(b), area_m2[a:b])
            for a, b in zip(cuts[:-1], cuts[1:], strict=True)
            if b > a
        }
        seconds = {"duplicates": 0.0, "hints": 0.0}
        parts: dict[int, pd.DataFrame] = {}
        dup: tuple | None = None
        done_rows = 0
        while self._pending:
            done, self._pending = wait(self._pending, return_when=FIRST_COMPLETED)
            for f in done:
                try:
                    kind, s0, result, secs = f.result()
                except BrokenProcessPool as exc:
                    raise WorkerFailed(
                        "预判子进程意外退出（可能内存不足或被终止），本次导入未写入任何数据；"
                        "可设置环境变量 TUBAN_IMPORT_WORKERS=1 改为单进程导入"
                    ) from exc
                seconds[kind] += secs
                if kind == "duplicates":
                    dup = result
                else:
                    parts[s0] = result
                    done_rows += len(result)
                    if progress:
                        progress(done_rows)
        assert dup is not None
        hints = pd.concat([parts[k] for k in sorted(parts)], ignore_index=True)
        seconds["wall"] = time.perf_counter() - self._t0
        return _prejudged(dup, hints, seconds, self.workers, self._order)

    def close(self) -> None:
        """Stop the workers (at once, if tasks are still running: their results are no longer
        wanted) and wait for them to exit."""
        pool, self._pool = self._pool, None
        # The layer's arrays are the caller's to keep or free from here on.
        self._codes = self._geoms = self._refs = None  # type: ignore[assignment]
        if pool is None:
            return
        if self._pending:
            for proc in list(getattr(pool, "_processes", {}).values()):
                proc.terminate()
        pool.shutdown(wait=True, cancel_futures=True)
        self._pending = set()


def _worker_start() -> None:
    # A worker must not outlive an import whose process was killed (SIGKILL runs no cleanup).
    try:
        import ctypes

        ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle


def _task(
    kind: str, s0: int, s1: int, area_m2: np.ndarray | None
) -> tuple[str, int, object, float]:
    repeats, geoms, programme, refs, order, own = _JOB  # type: ignore[misc]
    t0 = time.perf_counter()
    if kind == "duplicates":
        result: object = _duplicates(repeats, geoms, order, own)
    else:
        assert area_m2 is not None  # hint tasks are always submitted with their slice of areas
        result = compute_hints(geoms[s0:s1], area_m2, programme, refs)
    return kind, s0, result, time.perf_counter() - t0


def _duplicates(
    repeats: np.ndarray | None, geoms: np.ndarray, order: np.ndarray | None, own: int
) -> tuple[np.ndarray, object]:
    """The whole layer's (dup_of, why), or a chunk's overlapping pairs (later, earlier)."""
    if order is None:
        assert repeats is not None  # a whole layer always comes with its codes' repeats
        return duplicates_in_file(None, geoms, repeats=repeats)
    return overlap_duplicates(geoms, order=order, own=np.arange(len(geoms)) < own)


def _prejudged(
    dups: tuple, hints: pd.DataFrame, seconds: dict[str, float], workers: int, order: object
) -> Prejudged:
    if order is None:
        return Prejudged(dups[0], dups[1], hints, seconds, workers)
    return Prejudged(np.zeros(0, np.int64), [], hints, seconds, workers, pairs=dups)
