"""The server's tile cache: kept by key, least recently used out first, bounded in bytes, old
epochs dropped at once, safe under threads."""

from __future__ import annotations

import threading

import pytest

from storage.tile_cache import TileCache


def body(n: int, fill: bytes = b"x") -> bytes:
    return fill * n


def test_a_kept_tile_is_found_and_a_missing_one_is_rendered_once():
    cache = TileCache(10_000)
    calls = []

    def render() -> bytes:
        calls.append(1)
        return b"tile"

    assert cache.fetch("a", render) == (b"tile", False)
    assert cache.fetch("a", render) == (b"tile", True)
    assert len(calls) == 1
    s = cache.stats()
    assert (s.hits, s.misses, s.entries) == (1, 1, 1)
    assert s.size == TileCache.cost("a", b"tile")


def test_an_empty_tile_is_kept_too():
    cache = TileCache(10_000)
    cache.put("empty", b"")
    assert cache.get("empty") == b""


def test_eviction_is_by_bytes_least_recently_used_first():
    one = TileCache.cost("a", body(1000))
    cache = TileCache(3 * one)
    for key in "abc":
        cache.put(key, body(1000))
    assert cache.get("a") is not None  # "a" is now the most recently used; "b" the least
    cache.put("d", body(1000))
    assert cache.get("b") is None
    assert all(cache.get(k) is not None for k in "acd")
    cache.put("big", body(1500))  # needs the room of two: the two least recently used go
    assert cache.stats().size <= 3 * one
    assert cache.get("big") is not None
    assert [k for k in "acd" if cache.get(k) is not None] == ["d"]
    assert cache.stats().evictions == 3


def test_a_tile_larger_than_the_cache_is_not_kept_and_size_0_keeps_nothing():
    cache = TileCache(500)
    cache.put("huge", body(1000))
    assert cache.get("huge") is None and cache.stats().size == 0
    off = TileCache(0)
    calls = []
    for _ in range(2):
        assert off.fetch("a", lambda: calls.append(1) or b"t") == (b"t", False)
    assert len(calls) == 2 and off.stats().entries == 0
    with pytest.raises(ValueError):
        TileCache(-1)


def test_a_new_epoch_drops_the_tiles_of_the_old_one_but_not_epochless_ones():
    cache = TileCache(100_000)
    cache.put("batch-old", b"1", epoch=(1, 1))
    cache.put("ref", b"2")  # a reference layer's tile: no epoch, never dies of one
    assert cache.get("batch-old", epoch=(1, 1)) == b"1"
    assert cache.get("batch-new", epoch=(1, 2)) is None  # a case changed: generation (1, 2)
    assert cache.stats().entries == 1
    assert cache.get("ref") == b"2"
    assert cache.stats().size == TileCache.cost("ref", b"2")


def test_threads_sharing_the_cache_keep_its_accounting_exact():
    cache = TileCache(50 * TileCache.cost("k00", body(100)))
    errors = []

    def work(seed: int) -> None:
        try:
            for i in range(2000):
                key = f"k{(seed * 7 + i) % 80:02d}"
                got, _ = cache.fetch(key, lambda k=key: k.encode() * 34)
                assert got == key.encode() * 34
        except AssertionError as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(s,)) for s in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    s = cache.stats()
    assert s.size <= cache.max_bytes
    assert s.hits + s.misses == 8 * 2000
    assert s.size == sum(TileCache.cost(k, cache.get(k) or b"") for k in list(cache._entries))
