"""Split vectorised GEOS/PROJ work over the machine's cores.

Shapely 2 and pyproj release the GIL inside their vectorised calls, so plain threads give real
parallelism on large arrays without the cost of copying geometries to other processes.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np

WORKERS = max(1, min(4, os.cpu_count() or 1))
# Below this many items the thread hand-off costs more than it saves.
MIN_SPLIT = 20_000


def chunked(fn: Callable[..., np.ndarray], *arrays: np.ndarray) -> np.ndarray:
    """``fn(*arrays)`` computed on contiguous slices in parallel and concatenated in order.

    ``fn`` must be elementwise over its inputs (``shapely.intersection``, an area, …).
    """
    n = len(arrays[0]) if arrays else 0
    if WORKERS == 1 or n < MIN_SPLIT:
        return fn(*arrays)
    bounds = np.linspace(0, n, WORKERS + 1).astype(int)
    parts = [tuple(a[s:e] for a in arrays) for s, e in zip(bounds[:-1], bounds[1:], strict=True)]
    with ThreadPoolExecutor(WORKERS) as pool:
        results = list(pool.map(lambda p: fn(*p), parts))
    return np.concatenate(results)


def query(tree, geoms: np.ndarray, predicate: str | None = None) -> tuple[np.ndarray, np.ndarray]:  # type: ignore[no-untyped-def]
    """``STRtree.query`` of many geometries, split over the cores; (input index, tree index)."""
    n = len(geoms)
    if WORKERS == 1 or n < MIN_SPLIT:
        return tree.query(geoms, predicate=predicate)
    bounds = np.linspace(0, n, WORKERS + 1).astype(int)

    def one(se: tuple[int, int]) -> np.ndarray:
        s, e = se
        out = tree.query(geoms[s:e], predicate=predicate)
        out[0] += s
        return out

    with ThreadPoolExecutor(WORKERS) as pool:
        parts = list(pool.map(one, zip(bounds[:-1], bounds[1:], strict=True)))
    both = np.concatenate(parts, axis=1)
    return both[0], both[1]
