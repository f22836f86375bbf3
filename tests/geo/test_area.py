"""Ellipsoidal area against pyproj's Geod and against known projected areas."""

from __future__ import annotations

import pytest
from pyproj import Geod
from shapely import Polygon, box

from geo.area import M2_PER_MU, ellipsoidal_area_m2, to_mu


def test_matches_pyproj_geod_on_grs80():
    g = box(118.0, 39.8, 118.02, 39.815)
    ref, _ = Geod(ellps="GRS80").geometry_area_perimeter(g)
    assert ellipsoidal_area_m2([g])[0] == pytest.approx(abs(ref), rel=1e-9)


def test_hole_is_subtracted_and_orientation_ignored():
    outer = [(118.0, 39.8), (118.01, 39.8), (118.01, 39.81), (118.0, 39.81)]
    hole = [(118.002, 39.802), (118.004, 39.802), (118.004, 39.804), (118.002, 39.804)]
    full = ellipsoidal_area_m2([Polygon(outer)])[0]
    cw = ellipsoidal_area_m2([Polygon(outer[::-1])])[0]
    holed = ellipsoidal_area_m2([Polygon(outer, [hole])])[0]
    h = ellipsoidal_area_m2([Polygon(hole)])[0]
    assert cw == pytest.approx(full)
    assert holed == pytest.approx(full - h, rel=1e-9)


def test_empty_and_none_are_zero():
    assert list(ellipsoidal_area_m2([None, Polygon()])) == [0.0, 0.0]


def test_mu_conversion():
    assert M2_PER_MU == pytest.approx(666.6667, abs=1e-4)
    assert to_mu(10000.0) == pytest.approx(15.0)
