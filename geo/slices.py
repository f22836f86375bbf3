"""Vectorised work over a large layer, a slice at a time, on two threads.

Before an import forks its worker processes, reading, checking and reprojecting run in one
process and the second core would sit idle. Shapely's vectorised functions release the GIL, so
two threads over disjoint slices of the geometry array use both cores (measured at 200 000
图斑: validity 0.44 → 0.24 s, reprojection 1.26 → 1.01 s). Slices are disjoint, and nothing
here prepares or shares a GEOS geometry between threads.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")

# Below this many rows a thread pool costs more than it saves.
THREADED_MIN_ROWS = 20_000


def map_slices(func: Callable[[int, int], T], n: int, step: int = 25_000) -> list[T]:
    """``[func(s0, s1) for each slice of range(n)]``, in order; on two threads when large."""
    bounds = [(s0, min(s0 + step, n)) for s0 in range(0, n, step)]
    threads = min(2, os.cpu_count() or 1)
    if n < THREADED_MIN_ROWS or threads < 2:
        return [func(a, b) for a, b in bounds]
    with ThreadPoolExecutor(threads, thread_name_prefix="tuban-slices") as pool:
        return list(pool.map(lambda ab: func(*ab), bounds))
