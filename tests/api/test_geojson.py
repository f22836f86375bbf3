"""FeatureCollections written by api/geojson.py are the JSON of the same dicts."""

from __future__ import annotations

import json

import numpy as np
import pytest
import shapely

from api.geojson import feature_collection, feature_collection_text


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


def test_geometry_text_is_spliced_in_as_it_is_and_values_escaped():
    texts = ['{"type":"Point","coordinates":[118.1234567,39.1]}', None]
    props = [{"v": "\u2028</script>\x1f"}, {"v": 1.5}]
    body = feature_collection_text(texts, props, ids=[1, 2], members={"next": None})
    assert texts[0].encode() in body  # not parsed and written again
    fc = json.loads(body.decode("utf-8"))  # strict: raw control characters would fail
    assert [f["geometry"] for f in fc["features"]] == [json.loads(texts[0]), None]
    assert [f["properties"] for f in fc["features"]] == props


def test_a_lone_surrogate_is_replaced_not_a_broken_body():
    props = [{"label": "a\ud800b\U0001f600"}]
    body = feature_collection_text(['{"type":"Point","coordinates":[1,2]}'], props)
    fc = json.loads(body.decode("utf-8"))  # valid UTF-8 and JSON
    assert fc["features"][0]["properties"] == {"label": "a\ufffdb\U0001f600"}
