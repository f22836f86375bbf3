"""Ellipsoidal area: the vectorised equal-area path against pyproj's Geod, holes, units."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from pyproj import Geod
from shapely import Polygon, box

from geo.area import M2_PER_MU, ellipsoidal_area_m2, geodesic_area_m2, to_mu


def test_geodesic_reference_is_pyproj_geod_on_grs80():
    g = box(118.0, 39.8, 118.02, 39.815)
    ref, _ = Geod(ellps="GRS80").geometry_area_perimeter(g)
    assert geodesic_area_m2([g])[0] == pytest.approx(abs(ref), rel=1e-12)


def test_fast_area_agrees_with_geod_far_inside_the_issue_tolerance():
    rng = np.random.default_rng(3)
    pts = shapely.points(rng.uniform(117.9, 118.3, 500), rng.uniform(39.6, 40.0, 500))
    geoms = shapely.buffer(pts, rng.uniform(0.0003, 0.01, 500), quad_segs=5)
    geoms = np.append(geoms, box(117.9, 39.6, 118.3, 40.0))  # the whole county, 40 km edges
    fast, ref = ellipsoidal_area_m2(geoms), geodesic_area_m2(geoms)
    rel = np.abs(fast - ref) / ref
    assert rel.max() < 1e-5  # the issue asks for 0.1 % (1e-3)
    assert np.median(rel) < 1e-7


def test_an_area_does_not_depend_on_what_else_is_measured_with_it():
    """A 图斑 measured alone, in a chunk or with a province gives the same bits: the chunked and
    the whole import, and a cluster's partitions, must agree on shares to the last digit."""
    rng = np.random.default_rng(7)
    pts = shapely.points(rng.uniform(117.5, 119.5, 300), rng.uniform(39.2, 40.8, 300))
    geoms = shapely.buffer(pts, rng.uniform(0.0003, 0.01, 300), quad_segs=5)
    together = ellipsoidal_area_m2(geoms)
    alone = np.array([ellipsoidal_area_m2([g])[0] for g in geoms])
    with_far = ellipsoidal_area_m2(np.append(geoms, box(121.0, 41.0, 121.5, 41.5)))[:-1]
    assert np.array_equal(together, alone)
    assert np.array_equal(together, with_far)
    # and still the ellipsoid's area, cells 1° wide or not
    assert (np.abs(together - geodesic_area_m2(geoms)) / together).max() < 1e-5


def test_hole_is_subtracted_and_orientation_ignored():
    outer = [(118.0, 39.8), (118.01, 39.8), (118.01, 39.81), (118.0, 39.81)]
    hole = [(118.002, 39.802), (118.004, 39.802), (118.004, 39.804), (118.002, 39.804)]
    for area in (ellipsoidal_area_m2, geodesic_area_m2):
        full = area([Polygon(outer)])[0]
        cw = area([Polygon(outer[::-1])])[0]
        holed = area([Polygon(outer, [hole])])[0]
        h = area([Polygon(hole)])[0]
        assert cw == pytest.approx(full)
        assert holed == pytest.approx(full - h, rel=1e-9)


def test_multipart_sums_parts():
    a, b = box(118.0, 39.8, 118.01, 39.81), box(118.02, 39.8, 118.03, 39.81)
    whole = ellipsoidal_area_m2([shapely.MultiPolygon([a, b])])[0]
    assert whole == pytest.approx(ellipsoidal_area_m2([a, b]).sum(), rel=1e-9)


def test_empty_none_and_points_are_zero():
    got = ellipsoidal_area_m2(
        [None, Polygon(), shapely.Point(118, 39.8), box(118, 39.8, 118.001, 39.801)]
    )
    assert list(got[:3]) == [0.0, 0.0, 0.0] and got[3] > 0
    assert len(ellipsoidal_area_m2([])) == 0


def test_mu_conversion():
    assert M2_PER_MU == pytest.approx(666.6667, abs=1e-4)
    assert to_mu(10000.0) == pytest.approx(15.0)
