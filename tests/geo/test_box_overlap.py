"""The edge-integral area inside a box agrees with GEOS, and duplicate search stays exact."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from shapely import MultiPolygon, Polygon, box

from geo.box_overlap import area_in_boxes
from geo.linking import IOU_THRESHOLD, duplicates_in_file


def _stars(n: int, seed: int, spread: float = 6.0) -> np.ndarray:
    """Random star-shaped polygons (8-16 vertices, valid), many overlapping."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        k = int(rng.integers(8, 17))
        t = np.sort(rng.uniform(0, 2 * np.pi, k))
        r = rng.uniform(0.4, 1.0, k) * rng.uniform(0.5, 2.0)
        cx, cy = rng.uniform(0, spread, 2)
        out.append(Polygon(np.c_[cx + r * np.cos(t), cy + r * np.sin(t)]))
    g = np.array(out, dtype=object)
    return g[shapely.is_valid(g)]


def _geos(geoms, boxes):
    return shapely.area(
        shapely.intersection(geoms, shapely.box(boxes[:, 0], boxes[:, 1], boxes[:, 2], boxes[:, 3]))
    )


def test_matches_geos_on_holes_multiparts_windings_and_shared_sides():
    ring = box(0, 0, 4, 4).difference(box(1, 1, 3, 3))  # a hole
    cw = Polygon([(0, 0), (0, 2), (2, 2), (2, 0)])  # clockwise shell
    cw_hole = Polygon(
        [(0, 0), (6, 0), (6, 6), (0, 6)], [[(1, 1), (1, 2), (2, 2), (2, 1)]]
    )  # hole wound like its shell
    multi = MultiPolygon([box(0, 0, 1, 1), box(2, 0, 3, 1), box(2, 2, 3, 3)])
    tri = Polygon([(0, 0), (3, 1), (1, 3)])
    geoms = np.array([ring, ring, cw, cw_hole, multi, tri, tri, box(0, 0, 1, 1)], dtype=object)
    boxes = np.array(
        [
            [0.5, 0.5, 3.5, 2.0],  # across the hole
            [-1, -1, 5, 5],  # around everything
            [1, 1, 3, 3],
            [0.5, 0.5, 1.5, 1.5],  # corner of a same-wound hole
            [0.5, 0.5, 2.5, 2.5],
            [0, 0, 1, 1],  # sharing a vertex and two sides
            [5, 5, 6, 6],  # disjoint
            [0, 0, 1, 1],  # identical
        ]
    )
    assert area_in_boxes(geoms, boxes) == pytest.approx(_geos(geoms, boxes), abs=1e-12)


def test_matches_geos_on_random_polygons_in_lonlat():
    g = _stars(400, seed=1)
    g = shapely.transform(g, lambda c: c * 1e-3 + [118.1, 39.83])  # 图斑-sized, in degrees
    b = shapely.bounds(g[::-1])
    got, want = area_in_boxes(g, b), _geos(g, b)
    assert (want > 0).sum() > 10  # some boxes do cut their polygon
    assert np.abs(got - want).max() <= 1e-9 * shapely.area(g).max()


def test_non_polygons_give_zero():
    geoms = np.array([None, shapely.Point(0, 0), Polygon(), box(0, 0, 1, 1)], dtype=object)
    assert area_in_boxes(geoms, np.array([[0, 0, 1, 1]] * 4)).tolist() == [0, 0, 0, 1]


def _brute_force_duplicates(geoms):
    """The definition: each row repeats the earliest row it overlaps with IoU > 0.5."""
    n = len(geoms)
    dup = np.full(n, -1)
    for i in range(n):
        j = np.arange(i)
        inter = shapely.area(shapely.intersection(geoms[i], geoms[j]))
        iou = inter / (shapely.area(geoms[i]) + shapely.area(geoms[j]) - inter)
        hits = j[iou > IOU_THRESHOLD]
        if len(hits):
            dup[i] = hits[0] if dup[hits[0]] == -1 else dup[hits[0]]
    return dup


def test_duplicate_search_finds_exactly_the_brute_force_pairs():
    g = _stars(600, seed=7, spread=8.0)
    codes = np.array([f"T{i}" for i in range(len(g))])
    dup, why = duplicates_in_file(codes, g)
    expected = _brute_force_duplicates(g)
    assert (expected >= 0).sum() > 20  # dense enough to have many duplicates
    assert dup.tolist() == expected.tolist()
    assert {w for w, d in zip(why, dup, strict=True) if d >= 0} == {"overlap"}
