"""Batch import over HTTP, GeoJSON features and the error envelope."""

from __future__ import annotations

import zipfile

from tests import factories
from tests.api.conftest import upload


def test_upload_gpkg_then_list_and_fetch_features(client, squares_gpkg):
    r = upload(client, squares_gpkg)
    assert r.status_code == 201, r.text
    b = r.json()
    assert b["created"] is True and b["feature_count"] == 3 and b["programme_label"] == "矿山卫片"
    lst = client.get("/api/batches").json()
    assert lst["count"] == 1 and lst["data"][0]["id"] == b["id"]
    fc = client.get(f"/api/batches/{b['id']}/features").json()
    assert fc["type"] == "FeatureCollection" and len(fc["features"]) == 3
    f0 = fc["features"][0]
    assert f0["properties"]["state"] == "issued" and f0["properties"]["state_label"] == "已下发"
    lon, lat = f0["geometry"]["coordinates"][0][0]
    assert 117.9 < lon < 118.3 and 39.7 < lat < 40.0


def test_bbox_limits_features(client, squares_gpkg):
    b = upload(client, squares_gpkg).json()
    fc = client.get(f"/api/batches/{b['id']}/features").json()
    first = fc["features"][0]["geometry"]["coordinates"][0]
    xs = [p[0] for p in first]
    ys = [p[1] for p in first]
    bbox = f"{min(xs)},{min(ys)},{max(xs)},{max(ys)}"
    small = client.get(f"/api/batches/{b['id']}/features", params={"bbox": bbox}).json()
    assert [f["id"] for f in small["features"]] == [fc["features"][0]["id"]]
    bad = client.get(f"/api/batches/{b['id']}/features", params={"bbox": "1,2,3"})
    assert bad.status_code == 400 and bad.json()["error"]["details"]["field"] == "bbox"


def test_zipped_shapefile_upload(client, tmp_path):
    factories.write(factories.squares(2), tmp_path / "ks.shp", encoding="GBK")
    (tmp_path / "ks.cpg").unlink(missing_ok=True)
    z = tmp_path / "ks.zip"
    with zipfile.ZipFile(z, "w") as zf:
        for p in tmp_path.glob("ks.*"):
            if p.suffix != ".zip":
                zf.write(p, p.name)
    r = upload(client, z)
    assert r.status_code == 201, r.text
    assert "GBK" in r.json()["encoding"]


def test_invalid_geometry_upload_is_400_with_row_and_store_unchanged(client, tmp_path):
    f = factories.squares(3)
    f.loc[2, "geometry"] = factories.degenerate()
    r = upload(client, factories.write(f, tmp_path / "bad.gpkg"))
    assert r.status_code == 400
    err = r.json()["error"]
    assert err["code"] == "IMPORT_INVALID_GEOMETRY"
    assert err["details"]["row"] == 3 and err["details"]["file"] == "bad.gpkg"
    assert client.get("/api/batches").json()["count"] == 0


def test_missing_form_field_is_422_envelope(client, squares_gpkg):
    with squares_gpkg.open("rb") as fh:
        r = client.post(
            "/api/batches", data={"programme": "mining"}, files={"file": (squares_gpkg.name, fh)}
        )
    assert r.status_code == 422
    assert r.json()["error"]["code"] == "VALIDATION_ERROR"


def test_due_before_issue_is_refused(client, squares_gpkg):
    r = upload(client, squares_gpkg, issued_on="2019-12-01", due_on="2019-11-01")
    assert r.status_code == 400 and r.json()["error"]["details"]["field"] == "due_on"


def test_unknown_batch_404(client):
    r = client.get("/api/batches/999/features")
    assert r.status_code == 404 and r.json()["error"]["code"] == "NOT_FOUND"
