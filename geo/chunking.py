"""Spatially coherent chunks of a large layer, found from its features' boxes alone.

A delivery too large to hold at once is imported a chunk at a time (``storage.imports``). Most
of the import is per 图斑 and does not care how rows are grouped; what does care is the search
for in-file duplicates, which compares each 图斑 with the earlier ones it overlaps. Chunks that
are compact in space make that cheap: a 图斑 can only overlap rows of its own chunk or rows
whose box meets the chunk's extent (its *halo*), and with compact chunks the halo is a thin
border. The split is a k-d split on box centres, so chunks hold equal numbers of rows however
unevenly the 图斑 are spread (a town centre is denser than the hills).
"""

from __future__ import annotations

import numpy as np

# Extents are widened by this share of their size before the halo is taken: boxes are in the
# file's coordinates, and a straight edge there is not exactly straight in EPSG:4490, so two
# 图斑 that just touch after reprojection could have boxes a hair apart before it.
HALO_MARGIN = 1e-3


def spatial_chunks(bounds: np.ndarray, max_rows: int) -> list[np.ndarray]:
    """Row indices of each chunk (each sorted, none longer than ``max_rows``).

    ``bounds``: (n, 4) minx, miny, maxx, maxy per row; NaN for a row without a geometry, which
    goes with the first chunk (the import refuses or reports it like any other row).

    >>> b = np.array([[0, 0, 1, 1], [10, 0, 11, 1], [0.5, 0, 1.5, 1], [10, 2, 11, 3.0]])
    >>> [c.tolist() for c in spatial_chunks(b, 2)]
    [[0, 2], [1, 3]]
    """
    if max_rows < 1:
        raise ValueError("max_rows must be at least 1")
    bounds = np.asarray(bounds, dtype=float).reshape(-1, 4)
    cx = (bounds[:, 0] + bounds[:, 2]) / 2
    cy = (bounds[:, 1] + bounds[:, 3]) / 2
    located = np.isfinite(cx) & np.isfinite(cy)
    chunks: list[np.ndarray] = []
    stack = [np.flatnonzero(located)]
    while stack:
        idx = stack.pop()
        if len(idx) <= max_rows:
            if len(idx):
                chunks.append(np.sort(idx))
            continue
        # Split the longer side at its median, so halves stay square-ish and equal in rows.
        x, y = cx[idx], cy[idx]
        along = x if np.ptp(x) >= np.ptp(y) else y
        order = np.argsort(along, kind="stable")
        half = len(idx) // 2
        stack += [idx[order[half:]], idx[order[:half]]]
    missing = np.flatnonzero(~located)
    if len(missing):
        first = chunks[0] if chunks else np.zeros(0, int)
        chunks[:1] = [np.sort(np.concatenate([first, missing]))]
    return chunks or [np.zeros(0, int)]


def halo(bounds: np.ndarray, chunk: np.ndarray) -> np.ndarray:
    """Rows outside ``chunk`` whose box meets the chunk's extent (widened by ``HALO_MARGIN``):
    every row that can overlap a row of the chunk. Sorted.

    >>> b = np.array([[0, 0, 1, 1], [0.9, 0, 2, 1], [5, 5, 6, 6.0]])
    >>> halo(b, np.array([0])).tolist()
    [1]
    """
    bounds = np.asarray(bounds, dtype=float).reshape(-1, 4)
    own = bounds[chunk]
    own = own[np.isfinite(own).all(axis=1)]
    if not len(own):
        return np.zeros(0, int)
    minx, miny = own[:, 0].min(), own[:, 1].min()
    maxx, maxy = own[:, 2].max(), own[:, 3].max()
    dx, dy = (maxx - minx) * HALO_MARGIN, (maxy - miny) * HALO_MARGIN
    with np.errstate(invalid="ignore"):
        meets = (
            (bounds[:, 0] <= maxx + dx)
            & (bounds[:, 2] >= minx - dx)
            & (bounds[:, 1] <= maxy + dy)
            & (bounds[:, 3] >= miny - dy)
        )
    meets[chunk] = False
    return np.flatnonzero(meets)
