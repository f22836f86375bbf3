"""Batch import over HTTP, GeoJSON features and the error envelope."""

from __future__ import annotations

import zipfile

import pytest

from tests import factories
from tests.api.conftest import upload, upload_farmland


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


def test_import_report_as_json_and_html(client, tmp_path):
    f = factories.squares(3)
    f.loc[1, "geometry"] = factories.bowtie(dx=500)  # where row 2's square was
    f.loc[2, "TBBH"] = f.loc[0, "TBBH"]
    r = upload(client, factories.write(f, tmp_path / "rep.gpkg"))
    assert r.status_code == 201, r.text
    body = r.json()
    # Row 3 repeats row 1's code: the same 图斑, listed once.
    assert body["new_cases"] == 2 and body["feature_count"] == 2
    assert body["report"]["read"] == 3 and body["report"]["imported"] == 2
    rep = client.get(f"/api/batches/{body['id']}/report").json()
    assert rep == body["report"]
    assert rep["repaired"][0]["row"] == 2 and rep["links"][0]["reason"] == "in_file_same_code"
    assert rep["source_crs"] == "EPSG:4527" and rep["crs_how"] == "file"
    assert rep["created"] is True
    assert {"read", "validate_reproject", "area", "duplicates", "hints", "link", "write"} <= set(
        rep["seconds"]
    )
    page = client.get(f"/api/batches/{body['id']}/report.html")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "图斑导入报告" in page.text and "自相交，位置" in page.text


def test_partial_import_over_http(client, tmp_path):
    f = factories.squares(3)
    f.loc[1, "geometry"] = factories.degenerate()
    path = factories.write(f, tmp_path / "part.gpkg")
    assert upload(client, path).status_code == 400
    r = upload(client, path, accept_partial="true")
    assert r.status_code == 201 and r.json()["feature_count"] == 2
    assert [x["row"] for x in r.json()["report"]["rejected"]] == [2]


def test_crs_override_and_field_map_over_http(client, tmp_path):
    import json

    f = factories.squares(2).rename(columns={"TBBH": "编号"})
    factories.write(f, tmp_path / "m.shp")
    (tmp_path / "m.prj").unlink()
    z = tmp_path / "m.zip"
    with zipfile.ZipFile(z, "w") as zf:
        for p in tmp_path.glob("m.*"):
            if p.suffix != ".zip":
                zf.write(p, p.name)
    r = upload(client, z, crs="EPSG:4527", field_map=json.dumps({"图斑编号": "编号"}))
    assert r.status_code == 201, r.text
    assert r.json()["report"]["crs_how"] == "given"
    bad = upload(client, z, crs="EPSG:4527", field_map="{not json")
    assert bad.status_code == 400 and bad.json()["error"]["details"]["field"] == "field_map"


def test_references_upload_list_and_features(client, tmp_path):
    from shapely import box

    x, y = factories.FENGRUN_X, factories.FENGRUN_Y
    layer = upload_farmland(client, tmp_path / "farm.gpkg", box(x, y, x + 50, y + 100))
    assert layer["kind_label"] == "永久基本农田" and layer["feature_count"] == 1
    assert client.get("/api/references").json()["count"] == 1
    fc = client.get(f"/api/references/{layer['id']}/features").json()
    assert fc["features"][0]["properties"] == {"ident": "JB1", "label": "0101"}
    # a batch imported afterwards carries the farmland hint
    b = upload(client, factories.write(factories.squares(1), tmp_path / "one.gpkg")).json()
    cid = client.get(f"/api/batches/{b['id']}/features").json()["features"][0]["id"]
    case = client.get(f"/api/cases/{cid}").json()
    assert case["hints"]["farmland_m2"] == pytest.approx(5000, rel=5e-3)
    assert any("永久基本农田" in n for n in case["hint_notes"])
    assert case["issuances"][0]["reason"] == "first"


def test_a_report_stored_before_the_cap_is_served_with_its_counts():
    from api.schemas import ImportReportPublic

    old = {
        "file": "old.gpkg",
        "rejected": [{"row": 2, "code": None, "reason": "面积为零"}],
        "links": [{"row": 3, "reason": "site_overlap"}, {"row": 5, "reason": "site_overlap"}],
        "outside": [],
    }
    got = ImportReportPublic.model_validate(old)
    assert (got.rejected_count, got.links_count, got.outside_count) == (1, 2, 0)
    assert got.repaired_count is None and got.link_reasons == {"site_overlap": 2}
    new = ImportReportPublic.model_validate({**old, "rejected_count": 1200})
    assert new.rejected_count == 1200
