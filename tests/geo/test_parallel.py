"""Splitting GEOS work over threads gives exactly the single-call answer, in order."""

from __future__ import annotations

import numpy as np
import shapely

from geo import parallel


def _boxes(n, seed):
    rng = np.random.default_rng(seed)
    x, y = rng.uniform(0, 100, n), rng.uniform(0, 100, n)
    return shapely.box(x, y, x + rng.uniform(0.1, 2, n), y + rng.uniform(0.1, 2, n))


def test_chunked_matches_one_call(monkeypatch):
    monkeypatch.setattr(parallel, "WORKERS", 3)
    a, b = _boxes(50_000, 1), _boxes(50_000, 2)
    expect = shapely.area(shapely.intersection(a, b))
    got = parallel.chunked(lambda p, q: shapely.area(shapely.intersection(p, q)), a, b)
    assert np.array_equal(got, expect)


def test_query_matches_one_call(monkeypatch):
    monkeypatch.setattr(parallel, "WORKERS", 3)
    left, right = _boxes(60_000, 3), _boxes(5_000, 4)
    tree = shapely.STRtree(right)
    expect = tree.query(left, predicate="intersects")
    got = parallel.query(tree, left, "intersects")
    order_e = np.lexsort(expect[::-1])
    order_g = np.lexsort(got[::-1])
    assert np.array_equal(np.asarray(got)[:, order_g], expect[:, order_e])


def test_small_inputs_are_not_split(monkeypatch):
    monkeypatch.setattr(parallel, "WORKERS", 3)
    calls = []
    parallel.chunked(lambda a: calls.append(len(a)) or a, np.arange(10))
    assert calls == [10]
