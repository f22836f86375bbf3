"""GET /api/batches/{id}/features reads only the columns a feature needs and takes each geometry
as GeoJSON text (PostGIS's ST_AsGeoJSON, GEOS on SQLite): the features must be those the whole
case row with its WKB decoded in Python gives, on both backends."""

from __future__ import annotations

import json
from typing import Any

import geopandas as gpd
import numpy as np
import pyproj
import pytest
import shapely
from shapely.geometry import MultiPolygon, box

from api.routes.batches import FEATURE_HINTS
from geo.model import Judgment, State
from storage.map_queries import FeatureFilter, MapView
from storage.tables import cases
from tests import factories
from tests.api.conftest import upload

X, Y = factories.FENGRUN_X, factories.FENGRUN_Y
HOSTILE = 'a"b\\c</script><!--\u2028\u2029\x01\x1f\'&村'


def _layer(tmp_path, name: str, rows: list[tuple[str, Any]]):
    """rows: (code, geometry in metres from the Fengrun anchor, EPSG:4527)."""
    frame = gpd.GeoDataFrame(
        {"TBBH": [c for c, _ in rows], "XZQDM": ["130208"] * len(rows)},
        geometry=[shapely.affinity.translate(g, X, Y) for _, g in rows],
        crs="EPSG:4527",
    )
    return factories.write(frame, tmp_path / name)


def _two_parts() -> MultiPolygon:
    return MultiPolygon([box(3000, 0, 3050, 50), box(3100, 0, 3150, 50)])


@pytest.fixture
def batches(client, tmp_path) -> tuple[int, int]:
    """Q3 issues A and B; Q4 issues C (two parts), D, and A again with a shape of its own."""
    q3 = _layer(tmp_path, "q3.gpkg", [("A", box(0, 0, 100, 100)), ("B", box(500, 0, 600, 100))])
    r3 = upload(client, q3)
    assert r3.status_code == 201, r3.text
    q4 = _layer(
        tmp_path,
        "q4.gpkg",
        [
            ("C", _two_parts()),
            ("A", box(0, 0, 100, 90)),  # re-issued by code, its polygon a little smaller
            ("D", box(4000, 0, 4123.456789, 100.987654)),
        ],
    )
    r4 = upload(client, q4, period="2019Q4")
    assert r4.status_code == 201, r4.text
    return r3.json()["id"], r4.json()["id"]


def _old_properties(r: dict[str, Any]) -> dict[str, Any]:
    """The route's properties as written before it named its columns: from the whole row."""
    judgment = Judgment(r["judgment"]) if r["judgment"] else None
    return {
        "case_id": r["id"],
        "batch_id": r["batch_id"],
        "programme": r["programme"],
        "code": r["code"],
        "xzqdm": r["xzqdm"],
        "state": r["state"],
        "state_label": State(r["state"]).label,
        "judgment": judgment.value if judgment else None,
        "judgment_label": judgment.label if judgment else None,
        "area_m2": r["area_m2"],
        "area_mu": r["area_mu"],
        "version": r["version"],
        **{k: r.get(k) for k in FEATURE_HINTS},
        "reissue_of_batch": r.get("reissue_of_batch"),
    }


def _old_features(app, batch_id: int, **page: Any) -> list[dict[str, Any]]:
    """The features the old path wrote: every column read, WKB decoded by shapely."""
    rows, _ = MapView(app.state.store.engine).page(batch_id=batch_id, **page)
    return [
        {
            "type": "Feature",
            "id": r["id"],
            "geometry": json.loads(shapely.to_geojson(shapely.from_wkb(r["geom"]))),
            "properties": _old_properties(r),
        }
        for r in rows
    ]


def _by_code(client, batch_id: int) -> dict[str, dict[str, Any]]:
    fc = client.get(f"/api/batches/{batch_id}/features").json()
    return {f["properties"]["code"]: f for f in fc["features"]}


def _lonlat(g: Any) -> Any:
    """``g`` from EPSG:4527 metres to CGCS2000 lon/lat."""
    to_lonlat = pyproj.Transformer.from_crs("EPSG:4527", "EPSG:4490", always_xy=True)
    return shapely.transform(g, lambda c: np.column_stack(to_lonlat.transform(c[:, 0], c[:, 1])))


def _coords(geometry: dict[str, Any]) -> np.ndarray:
    return np.asarray(shapely.get_coordinates(shapely.from_geojson(json.dumps(geometry))))


def _assert_same(new: list[dict[str, Any]], old: list[dict[str, Any]]) -> None:
    assert [f["id"] for f in new] == [f["id"] for f in old]
    for n, o in zip(new, old, strict=True):
        assert n["type"] == "Feature"
        assert n["properties"] == o["properties"]
        assert n["geometry"]["type"] == o["geometry"]["type"]
        a, b = _coords(n["geometry"]), _coords(o["geometry"])
        assert a.shape == b.shape
        assert np.abs(a - b).max() <= 1e-7
        # Rounded to 7 decimals (~1 cm), as PostGIS's ST_AsGeoJSON(geom, 7) writes it.
        assert np.abs(a - np.round(a, 7)).max() < 1e-9


def test_features_are_those_of_the_whole_row_with_its_wkb(client, app, batches):
    q3, q4 = batches
    for batch_id in (q3, q4):
        fc = client.get(f"/api/batches/{batch_id}/features").json()
        _assert_same(fc["features"], _old_features(app, batch_id))
    fc = client.get(f"/api/batches/{q4}/features").json()
    assert [f["properties"]["code"] for f in fc["features"]] == ["C", "D", "A"]
    c = fc["features"][0]["geometry"]
    assert c["type"] == "MultiPolygon" and len(c["coordinates"]) == 2


def test_a_reissued_feature_carries_its_own_geometry(client, batches):
    q3, q4 = batches
    a3, a4 = (_by_code(client, b)["A"] for b in (q3, q4))
    assert a4["id"] == a3["id"] and a4["properties"]["reissue_of_batch"] == q3
    assert a4["properties"]["batch_id"] == q3 and a3["properties"]["reissue_of_batch"] is None
    expected = _lonlat(box(X, Y, X + 100, Y + 90))
    got = shapely.from_geojson(json.dumps(a4["geometry"]))
    assert shapely.hausdorff_distance(got, expected) < 1e-6
    # Q3's square is 10 m (~9e-5 degrees) taller: the case's own shape is not what is drawn.
    assert shapely.hausdorff_distance(got, shapely.from_geojson(json.dumps(a3["geometry"]))) > 5e-5


def test_pages_bbox_and_counts_are_unchanged(client, app, batches):
    _, q4 = batches
    url = f"/api/batches/{q4}/features"
    whole = client.get(url).json()
    assert whole["numberMatched"] == whole["numberReturned"] == 3 and whole["next"] is None
    ids, nxt = [], f"{url}?limit=1"
    offset = 0
    while nxt:
        page = client.get(nxt).json()
        assert page["numberMatched"] == 3 and page["offset"] == offset
        _assert_same(page["features"], _old_features(app, q4, limit=1, offset=offset))
        ids += [f["id"] for f in page["features"]]
        nxt, offset = page["next"], offset + 1
    assert ids == [f["id"] for f in whole["features"]]
    # A box around A and C only (C's first part reaches into it).
    to_lonlat = pyproj.Transformer.from_crs("EPSG:4527", "EPSG:4490", always_xy=True)
    x0, y0 = to_lonlat.transform(X - 10, Y - 10)
    x1, y1 = to_lonlat.transform(X + 3010, Y + 110)
    boxed = client.get(url, params={"bbox": f"{x0},{y0},{x1},{y1}"}).json()
    assert sorted(f["properties"]["code"] for f in boxed["features"]) == ["A", "C"]
    old = _old_features(app, q4, where=FeatureFilter(bbox=(x0, y0, x1, y1)))
    _assert_same(boxed["features"], old)


def test_hostile_text_in_attributes_stays_escaped_json(client, app, batches):
    _, q4 = batches
    with app.state.store.engine.begin() as conn:
        conn.execute(cases.update().values(village_name=HOSTILE, township_name="</script>"))
    r = client.get(f"/api/batches/{q4}/features")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/geo+json")
    assert b"</script>" in r.content  # as text inside a JSON string, not markup: geo+json
    fc = json.loads(r.content.decode("utf-8"))  # strict: a raw control character would fail
    assert {f["properties"]["village_name"] for f in fc["features"]} == {HOSTILE}
    _assert_same(fc["features"], _old_features(app, q4))


def test_reference_features_come_as_geojson_text_too(client, tmp_path):
    farm = gpd.GeoDataFrame(
        {"JBNTTBBH": ["A", HOSTILE], "DLBM": ["0101"] * 2},
        geometry=[box(X, Y, X + 50.123456, Y + 100), box(X + 100, Y, X + 150, Y + 100)],
        crs="EPSG:4527",
    )
    path = factories.write(farm, tmp_path / "farm.gpkg")
    with path.open("rb") as fh:
        layer = client.post(
            "/api/references",
            files={"file": ("farm.gpkg", fh)},
            data={"kind": "farmland", "name": "农田", "version": "1"},
        ).json()
    fc = client.get(f"/api/references/{layer['id']}/features").json()
    assert [f["properties"] for f in fc["features"]] == [
        {"ident": "A", "label": "0101"},
        {"ident": HOSTILE, "label": "0101"},
    ]
    for f, g in zip(fc["features"], farm.geometry, strict=True):
        want = _lonlat(g)
        got = _coords(f["geometry"])
        assert got.shape == shapely.get_coordinates(want).shape
        assert np.abs(got - shapely.get_coordinates(want)).max() <= 1e-6
