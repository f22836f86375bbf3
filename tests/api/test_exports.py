"""GET /api/batches/{id}/export: the file as a download, each format, and who gets which 图斑."""

from __future__ import annotations

import io
import sqlite3
import zipfile

import pyogrio
import pytest
from openpyxl import load_workbook

from tests.api.conftest import upload


@pytest.fixture
def batch(client, squares_gpkg) -> int:
    return upload(client, squares_gpkg).json()["id"]


def _file(tmp_path, r, name: str):
    path = tmp_path / name
    path.write_bytes(r.content)
    return path


def test_a_geopackage_download_is_version_1_2_with_a_safe_name(client, batch, tmp_path):
    r = client.get(f"/api/batches/{batch}/export")
    assert r.status_code == 200, r.text
    disposition = r.headers["content-disposition"]
    assert (
        disposition.startswith("attachment") and "tuban-batch-1-mining-2019Q3.gpkg" in disposition
    )
    path = _file(tmp_path, r, "b.gpkg")
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 10200
    frame = pyogrio.read_dataframe(path)
    assert len(frame) == 3 and set(frame["办理状态"]) == {"已下发"}


@pytest.mark.parametrize("fmt", ["geojson", "fgb", "kml"])
def test_vector_formats_download(client, batch, tmp_path, fmt):
    r = client.get(f"/api/batches/{batch}/export", params={"format": fmt})
    assert r.status_code == 200, r.text
    frame = pyogrio.read_dataframe(_file(tmp_path, r, f"b.{fmt}"))
    assert sorted(frame["图斑编号"]) == [f"130208KS2019Q3{i:03d}" for i in (1, 2, 3)]


def test_a_filegdb_comes_zipped(client, batch, tmp_path):
    r = client.get(f"/api/batches/{batch}/export", params={"format": "gdb"})
    assert r.status_code == 200 and r.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(r.content)) as z:
        z.extractall(tmp_path)
    assert len(pyogrio.read_dataframe(next(tmp_path.glob("*.gdb")))) == 3


def test_xlsx_and_the_province_profile(client, batch, tmp_path):
    r = client.get(f"/api/batches/{batch}/export", params={"format": "xlsx", "geometry": "centre"})
    ws = load_workbook(io.BytesIO(r.content)).active
    header = next(ws.iter_rows(values_only=True))
    assert "经度" in header and "纬度" in header and ws.max_row == 1 + 3
    p = client.get(
        f"/api/batches/{batch}/export",
        params={"format": "province", "zone": 39, "zone_prefix": False},
    )
    assert p.status_code == 200 and p.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(p.content)) as z:
        names = z.namelist()
        assert {n.rsplit(".", 1)[1] for n in names} == {"shp", "shx", "dbf", "prj", "cpg", "xlsx"}
        assert z.read(next(n for n in names if n.endswith(".cpg"))) == b"GBK"


def test_bad_choices_are_refused(client, batch):
    assert client.get(f"/api/batches/{batch}/export", params={"format": "dwg"}).status_code == 422
    assert client.get(f"/api/batches/{batch}/export", params={"zone": 38}).status_code == 422
    assert client.get("/api/batches/99/export").status_code == 404


def test_a_verifier_exports_only_their_assigned_图斑(client, as_role, batch, tmp_path):
    verifier = as_role("verifier")
    r = verifier.get(f"/api/batches/{batch}/export", params={"format": "geojson"})
    assert r.status_code == 200
    assert len(pyogrio.read_dataframe(_file(tmp_path, r, "none.geojson"))) == 0
    feats = client.get(f"/api/batches/{batch}/features").json()["features"]
    users = {u["username"]: u["id"] for u in client.get("/api/users").json()["data"]}
    mine = feats[1]["id"]
    client.post("/api/assignments", json={"user_id": users["verifier"], "case_ids": [mine]})
    r = verifier.get(f"/api/batches/{batch}/export", params={"format": "geojson"})
    frame = pyogrio.read_dataframe(_file(tmp_path, r, "mine.geojson"))
    assert list(frame["图斑编号"]) == [feats[1]["properties"]["code"]]


def test_export_needs_a_session(anon, client, batch):
    assert anon.get(f"/api/batches/{batch}/export").status_code == 401
