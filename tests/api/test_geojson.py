"""FeatureCollections written by api/geojson.py are the JSON of the same dicts."""

from __future__ import annotations

import json

import numpy as np
import pytest
import shapely

from api.geojson import feature_collection


def test_the_text_is_json_of_the_collection_with_hostile_values_escaped():
    geoms = np.array([shapely.box(0, 0, 1, 1), shapely.Point(2, 3)], dtype=object)
    props = [{"label": 'a"b\\c</script>\n'}, {"label": "村界", "n": None}]
    members = {"numberMatched": 5, "next": 'http://x/?a=1&b="2"'}
    text = feature_collection(geoms, props, ids=[7, 8], members=members)
    assert json.loads(text) == {
        "type": "FeatureCollection",
        **members,
        "features": [
            {
                "type": "Feature",
                "id": i,
                "geometry": json.loads(shapely.to_geojson(g)),
                "properties": p,
            }
            for i, g, p in zip([7, 8], geoms, props, strict=True)
        ],
    }


def test_empty_and_without_ids():
    assert json.loads(feature_collection([], [])) == {"type": "FeatureCollection", "features": []}
    one = json.loads(feature_collection([shapely.Point(1, 2)], [{}]))
    assert "id" not in one["features"][0]


def test_lengths_must_agree():
    with pytest.raises(ValueError):
        feature_collection([shapely.Point(1, 2)], [{}, {}])
