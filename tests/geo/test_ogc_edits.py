"""geo.ogc_edits: an edited feature read into the verify payload (pure)."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
import shapely.geometry
from hypothesis import given
from hypothesis import strategies as st

from geo.errors import InvalidPayload, VersionConflict
from geo.ogc_crs import by_uri
from geo.ogc_edits import merge_patch, verification

LONLAT = by_uri(None)
ISSUED = shapely.box(118.0, 39.7, 118.001, 39.701)
CURRENT = {"code": "130208KS2019Q3001", "state": "issued", "version": 3, "judgment": None}


def _feature(geometry=ISSUED, **props):
    geo = None if geometry is None else shapely.geometry.mapping(geometry)
    return {"type": "Feature", "geometry": geo, "properties": {**CURRENT, **props}}


def test_writable_properties_become_the_payload_and_the_version_is_kept():
    asked = verification(
        _feature(judgment="legal", reason="approved", note="已批"),
        CURRENT,
        issued=ISSUED,
        recorded=None,
        crs=LONLAT,
    )
    assert asked.payload == {"judgment": "legal", "reason": "approved", "note": "已批"}
    assert asked.version == 3


def test_the_issued_shape_sent_back_is_no_measurement_even_reordered():
    ring = list(ISSUED.exterior.coords)[::-1]  # same shape, other start and direction
    turned = shapely.Polygon(ring[2:] + ring[1:3])
    assert shapely.normalize(turned).equals_exact(shapely.normalize(ISSUED), 1e-12)
    asked = verification(_feature(turned), CURRENT, issued=ISSUED, recorded=None, crs=LONLAT)
    assert "illegal_geometry" not in asked.payload


def test_a_moved_shape_is_the_extent_and_an_old_area_is_dropped():
    smaller = shapely.box(118.0, 39.7, 118.0005, 39.701)
    current = {**CURRENT, "illegal_area_m2": 80.0}
    asked = verification(
        _feature(smaller, illegal_area_m2=80.0), current, issued=ISSUED, recorded=None, crs=LONLAT
    )
    assert shapely.geometry.shape(asked.payload["illegal_geometry"]).equals(smaller)
    assert "illegal_area_m2" not in asked.payload  # measured again by the workflow
    typed = verification(
        _feature(smaller, illegal_area_m2=55.5), current, issued=ISSUED, recorded=None, crs=LONLAT
    )
    assert typed.payload["illegal_area_m2"] == 55.5


def test_a_recorded_extent_sent_back_or_left_out_is_kept():
    recorded = shapely.box(118.0, 39.7, 118.0003, 39.7003)
    for geometry in (recorded, None):
        asked = verification(
            _feature(geometry), CURRENT, issued=ISSUED, recorded=recorded, crs=LONLAT
        )
        assert shapely.geometry.shape(asked.payload["illegal_geometry"]).equals(recorded)


def test_stale_version_is_a_conflict_before_read_only_checks():
    with pytest.raises(VersionConflict):
        verification(
            _feature(version=2, state="closed"), CURRENT, issued=ISSUED, recorded=None, crs=LONLAT
        )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"type": "FeatureCollection"}, "type"),
        (_feature(state="closed"), "state"),
        (_feature(no_such="x"), "no_such"),
        (_feature(version="3"), "version"),
        ({**_feature(), "geometry": {"type": "Point", "coordinates": [118, 39.7]}}, "geometry"),
        ({**_feature(), "geometry": {"type": "Polygon", "coordinates": "x"}}, "geometry"),
    ],
)
def test_bad_features_name_the_field(body, field):
    with pytest.raises(InvalidPayload) as err:
        verification(body, CURRENT, issued=ISSUED, recorded=None, crs=LONLAT)
    assert err.value.details["field"] == field


def test_projected_coordinates_come_back_to_lonlat():
    gk = by_uri("http://www.opengis.net/def/crs/EPSG/0/4527")
    smaller = shapely.box(118.0, 39.7, 118.0005, 39.701)
    sent = gk.from_lonlat(np.array([smaller]))[0]
    asked = verification(_feature(sent), CURRENT, issued=ISSUED, recorded=None, crs=gk)
    back = shapely.geometry.shape(asked.payload["illegal_geometry"])
    assert back.equals_exact(smaller, 1e-9)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=3),
    lambda inner: st.dictionaries(st.text(max_size=3), inner, max_size=3),
    max_leaves=8,
)


@given(json_values, json_values)
def test_merge_patch_follows_rfc_7396(target, patch):
    out = merge_patch(target, patch)
    if not isinstance(patch, dict):
        assert out == patch
        return
    for key, value in patch.items():
        if value is None:
            assert key not in out
        elif not isinstance(value, dict):
            assert out[key] == value
    if isinstance(target, dict):
        for key, value in target.items():
            if key not in patch:
                assert out[key] == value
