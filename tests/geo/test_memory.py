"""release_free_memory hands freed heap pages back to the operating system."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from geo import memory

ROOT = Path(__file__).resolve().parents[2]
# In a fresh interpreter, so the heap holds only what the script allocates: 200 MB of blocks
# too large for Python's own allocator, then one more that keeps the heap's top in use, so
# glibc cannot shrink the heap by itself when the others are freed.
SCRIPT = """
import sys
sys.path.insert(0, {root!r})
from geo.memory import release_free_memory

def rss_mb():
    with open("/proc/self/status") as fh:
        return next(int(ln.split()[1]) for ln in fh if ln.startswith("VmRSS:")) / 1024

blocks = [bytearray(1000) for _ in range(200_000)]
pin = bytearray(1000)
del blocks
before = rss_mb()
release_free_memory()
print(before, rss_mb())
"""


@pytest.mark.skipif(memory._libc() is None, reason="glibc's malloc_trim is not available")
def test_freed_heap_goes_back_to_the_system():
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT.format(root=str(ROOT))],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout.split()
    before, after = float(out[0]), float(out[1])
    assert before - after > 150, (before, after)
