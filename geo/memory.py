"""Keeping a large import's memory down: converting in slices, handing freed heap back to the OS.

glibc's allocator keeps freed blocks for reuse and returns little of them by itself, and so
does Arrow's pool: after reading a million 图斑 a process can hold hundreds of MB it no longer
uses, which then adds to the peak of the next stage. ``malloc_trim`` and Arrow's
``release_unused`` give those pages back (a few milliseconds each).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys
from collections.abc import Callable
from functools import cache

import numpy as np

# Rows converted at a time by ``map_in_slices``: big enough that the per-call cost vanishes,
# small enough that a slice's temporaries are a few tens of MB.
SLICE_ROWS = 100_000


@cache
def _libc() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
    except OSError:
        return None
    return libc if libc is not None and hasattr(libc, "malloc_trim") else None


def release_free_memory() -> None:
    """Return freed heap pages to the OS (glibc and Arrow; a no-op elsewhere)."""
    pa = sys.modules.get("pyarrow")  # only if something already loaded it
    if pa is not None:
        pa.default_memory_pool().release_unused()
    libc = _libc()
    if libc is not None:
        libc.malloc_trim(0)


def map_in_slices(
    convert: Callable[[np.ndarray], np.ndarray], items: np.ndarray, step: int = SLICE_ROWS
) -> np.ndarray:
    """``convert(items)`` computed a slice at a time, each source slice set to None as soon as
    it is converted: with no other reference to them, only one full copy of the objects (e.g.
    a million geometries, ~0.5 GB) is alive at a time. ``items`` is emptied."""
    out = np.empty(len(items), dtype=object)
    for s0 in range(0, len(items), step):
        out[s0 : s0 + step] = convert(items[s0 : s0 + step])
        items[s0 : s0 + step] = None
    return out
