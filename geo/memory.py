"""Handing freed memory back to the operating system between the stages of a large import.

glibc's allocator keeps freed blocks for reuse and returns little of them by itself, and so
does Arrow's pool: after reading a million 图斑 a process can hold hundreds of MB it no longer
uses, which then adds to the peak of the next stage. ``malloc_trim`` and Arrow's
``release_unused`` give those pages back (a few milliseconds each).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys
from functools import cache


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
