"""The CRSs /ogc serves: URIs, axis order and boxes, checked against PROJ itself."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from pyproj import CRS, Transformer

from geo.errors import InvalidValue
from geo.ogc_crs import CRS84, by_uri, crs_uris

LON, LAT = 118.1, 39.83


def test_the_county_zones_with_and_without_prefix_are_served():
    codes = {uri.rsplit("/", 1)[-1] for uri in crs_uris()}
    assert codes == {"CRS84", "4490", "4527", "4528", "4548", "4549"}
    for code in (4527, 4528, 4548, 4549):
        assert "Gauss-Kruger" in CRS.from_epsg(code).name


@pytest.mark.parametrize("code", [4490, 4527, 4528, 4548, 4549])
def test_coordinates_follow_the_uris_axis_order(code):
    crs = by_uri(f"http://www.opengis.net/def/crs/EPSG/0/{code}")
    a, b = crs.from_lonlat(np.array([shapely.Point(LON, LAT)]))[0].coords[0]
    # PROJ in the authority's own order (always_xy off): lat/lon, northing/easting.
    expect = Transformer.from_crs("OGC:CRS84", code).transform(LON, LAT)
    assert (a, b) == pytest.approx(expect, abs=1e-6)


def test_crs84_is_the_stored_numbers_and_the_default():
    g = np.array([shapely.Point(LON, LAT)])
    assert by_uri(None).uri == CRS84
    assert by_uri(CRS84).from_lonlat(g)[0].coords[0] == (LON, LAT)


def test_a_box_in_gauss_kruger_comes_back_around_its_lonlat():
    crs = by_uri("[EPSG:4527]")
    n, e = crs.from_lonlat(np.array([shapely.Point(LON, LAT)]))[0].coords[0]
    minx, miny, maxx, maxy = crs.box_to_lonlat((n - 50, e - 50, n + 50, e + 50))
    assert minx < LON < maxx and miny < LAT < maxy
    assert maxx - minx < 0.002 and maxy - miny < 0.002  # 100 m, not a swapped-axis box


@pytest.mark.parametrize("uri", ["EPSG:4326", "http://www.opengis.net/def/crs/EPSG/0/3857", "x"])
def test_other_crss_are_refused_with_the_list(uri):
    with pytest.raises(InvalidValue) as exc:
        by_uri(uri, param="bbox-crs")
    assert "4527" in exc.value.message and exc.value.details["field"] == "bbox-crs"
