"""Encoded vector tiles kept in memory by their ETag, least recently used first out, bounded in
bytes.

The key is the tile's ETag (``api/routes/tiles.py``): a digest of everything the tile's bytes
depend on, the store's generation and the user's visibility scope among them. So an entry can
only ever be served to a request that would have rendered the same bytes: a verifier's tile is
found by nobody else, and after a case changes the new ETag misses. Users who see everything
share one scope, so twenty of them browsing the county render each tile once.

Batch tiles also carry an *epoch* (the store's generation): when a request brings another one,
every batch tile of the old epoch is dead (no ETag can name it again), so they are dropped at
once instead of waiting to age out. A request that read the generation just before a change may
bring the old epoch back for a moment; that costs a few renders, never a wrong tile, since the
key decides what is served. Reference-layer tiles never change and carry no epoch.

One lock guards the table; rendering happens outside it, so two threads missing the same tile
may both render it (the second ``put`` replaces the first): cheaper than making every reader
wait on the slowest render.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass

# What an entry costs beyond its bytes (key, table slot, bytes object header), so that a cache
# of empty tiles (b"") is bounded too.
ENTRY_OVERHEAD = 200


@dataclass
class CacheStats:
    """Counters since the cache was made (for benchmarks and logs)."""

    hits: int = 0
    misses: int = 0
    evictions: int = 0
    entries: int = 0
    size: int = 0


class TileCache:
    """At most ``max_bytes`` of tiles (0: keep nothing, every ``get`` misses)."""

    def __init__(self, max_bytes: int) -> None:
        if max_bytes < 0:
            raise ValueError(f"a tile cache cannot hold {max_bytes} bytes")
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        self._entries: OrderedDict[str, tuple[bytes, Hashable]] = OrderedDict()
        self._size = 0
        self._epoch: Hashable = None
        self._stats = CacheStats()

    @staticmethod
    def cost(key: str, body: bytes) -> int:
        """Bytes an entry is charged."""
        return len(body) + len(key) + ENTRY_OVERHEAD

    def get(self, key: str, *, epoch: Hashable = None) -> bytes | None:
        """The tile kept under ``key`` (now the most recently used), or None."""
        with self._lock:
            self._advance(epoch)
            found = self._entries.get(key)
            if found is None:
                self._stats.misses += 1
                return None
            self._entries.move_to_end(key)
            self._stats.hits += 1
            return found[0]

    def put(self, key: str, body: bytes, *, epoch: Hashable = None) -> None:
        """Keep ``body`` under ``key``, dropping the least recently used tiles to make room; a
        tile larger than the whole cache is not kept."""
        cost = self.cost(key, body)
        if cost > self.max_bytes:
            return
        with self._lock:
            self._advance(epoch)
            old = self._entries.pop(key, None)
            if old is not None:
                self._size -= self.cost(key, old[0])
            self._entries[key] = (body, epoch)
            self._size += cost
            while self._size > self.max_bytes:
                k, (b, _) = self._entries.popitem(last=False)
                self._size -= self.cost(k, b)
                self._stats.evictions += 1

    def fetch(
        self, key: str, render: Callable[[], bytes], *, epoch: Hashable = None
    ) -> tuple[bytes, bool]:
        """The tile under ``key`` and whether it was kept; rendered (outside the lock) and kept
        when missing."""
        if not self.max_bytes:
            return render(), False
        body = self.get(key, epoch=epoch)
        if body is not None:
            return body, True
        body = render()
        self.put(key, body, epoch=epoch)
        return body, False

    def stats(self) -> CacheStats:
        """A copy of the counters, with the current entry count and size."""
        with self._lock:
            s = self._stats
            return CacheStats(s.hits, s.misses, s.evictions, len(self._entries), self._size)

    def _advance(self, epoch: Hashable) -> None:
        """Called with the lock held: a new epoch drops every entry of another one."""
        if epoch is None or epoch == self._epoch:
            return
        self._epoch = epoch
        dead = [k for k, (_, e) in self._entries.items() if e is not None and e != epoch]
        for k in dead:
            body, _ = self._entries.pop(k)
            self._size -= self.cost(k, body)
            self._stats.evictions += 1
