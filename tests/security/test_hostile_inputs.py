"""Hostile input through the API, on both backends: polyglot photos, SQL in every filter, script
in every attribute of a province file.

Where each hostile category of issue 12 is tested, so a reader finds them all from here:

| category | where |
|---|---|
| zip bomb, forged sizes, path traversal, symlinks, member counts | ``test_archive.py`` |
| oversized bodies, uploads without a session or over the ceiling | ``test_uploads.py``, ``test_input_bounds.py`` (10 MB note) |
| polyglot photos (JPEG+HTML, JPEG+zip, PNG tEXt script, SVG as .jpg, hostile EXIF, names) | here, ``test_photos_*`` |
| script in every attribute of a province file, in JSON, GeoJSON, HTML and XLSX out | here, ``test_every_attribute_*``; pages ``test_output_pages.py``; reports ``test_output_reports.py``; the browser ``tests/browser/test_hostile_values.py`` |
| formula injection (=, +, -, @, tab/CR first) | ``test_output_reports.py`` (XLSX report), here (XLSX of a hostile import); rule ``hostile.formula_cells`` |
| non-finite and huge numbers (Infinity, NaN, 1e400, 2**70, -0.01) | ``test_input_bounds.py``, ``test_input_payloads.py`` (random payloads), ``tests/storage/test_case_machine.py`` |
| NUL, lone surrogates, bidi overrides, control characters | ``test_input_bounds.py`` (forms, login, query, path), ``tests/geo/test_import_properties.py`` and ``tests/storage/test_import_properties.py`` (province files), here (photo names, attributes) |
| SQL in every filter (``' OR 1=1--``, ``%``, ``_``, ``\\``, NUL) | here, ``test_sql_in_every_filter`` (parameters read from the OpenAPI document) |
| broken geometries, odd encodings, wrong CRS | ``tests/geo/test_import_properties.py``, ``tests/storage/test_import_properties.py`` |
"""  # noqa: E501

from __future__ import annotations

import io
import json
import re
import zipfile

import pytest
from openpyxl import load_workbook
from PIL import Image
from PIL.ExifTags import GPS, IFD, Base

from geo import testing as photo_factory
from geo.inputs import text_problem
from storage.engine import make_engine
from tests import factories
from tests.api.conftest import upload
from tests.security import hostile
from tests.storage.digest import store_digest

# --- polyglot photos ----------------------------------------------------------------------------


def _case_id(client, path) -> int:
    batch = upload(client, path).json()
    return client.get(f"/api/batches/{batch['id']}/features").json()["features"][0]["id"]


@pytest.fixture
def case_id(client, squares_gpkg) -> int:
    return _case_id(client, squares_gpkg)


def _post_photo(client, cid: int, data: bytes, name: str = "p.jpg", mime: str = "image/jpeg"):
    return client.post(f"/api/cases/{cid}/photos", files={"file": (name, io.BytesIO(data), mime)})


def _served_as_image(client, photo: dict) -> None:
    for url, kinds in (
        (photo["url"], ("image/jpeg", "image/png")),
        (photo["thumb_url"], ("image/jpeg",)),
    ):
        r = client.get(url)
        assert r.status_code == 200
        assert r.headers["content-type"].split(";")[0] in kinds, r.headers["content-type"]
        assert r.headers["x-content-type-options"] == "nosniff"
        assert "text/html" not in r.headers["content-type"]


def _zip_bytes() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("index.html", hostile.BREAKOUT)
    return out.getvalue()


POLYGLOTS = {
    "jpeg+html": photo_factory.jpeg(118.1, 39.83) + hostile.SCRIPT_TAIL,
    "jpeg+zip": photo_factory.jpeg(118.1, 39.83) + _zip_bytes(),
    "png+tEXt": hostile.png_with_text(photo_factory.png(118.1, 39.83), hostile.BREAKOUT),
}


@pytest.mark.parametrize("kind", sorted(POLYGLOTS))
def test_photos_that_are_also_html_or_zip_are_served_only_as_images(client, case_id, kind):
    # The client's word for the type is ignored: the bytes decide, and only images pass.
    r = _post_photo(client, case_id, POLYGLOTS[kind], name=f"{kind}.html", mime="text/html")
    assert r.status_code in (201, 422), r.text
    if r.status_code == 201:
        _served_as_image(client, r.json())


@pytest.mark.parametrize(
    "data", [hostile.SVG, b"<!DOCTYPE html><html><script>alert(1)</script></html>", _zip_bytes()]
)
def test_what_is_not_a_jpeg_or_png_is_refused_whatever_its_name(client, case_id, data):
    r = _post_photo(client, case_id, data, name="photo.jpg")
    assert r.status_code == 422, r.text
    assert r.json()["error"]["code"] == "PHOTO_REJECTED"
    assert r.json()["error"]["details"]["reason"] == "not_image"
    assert client.get(f"/api/cases/{case_id}").json()["photos"] == []


def _hostile_exif_jpeg(text: str) -> bytes:
    """A JPEG whose EXIF text fields (description, make, model, time, GPS refs) hold ``text``."""
    exif = Image.Exif()
    exif[Base.ImageDescription] = text
    exif[Base.Make] = text
    exif[Base.Model] = text[:64]
    exif.get_ifd(IFD.Exif)[Base.DateTimeOriginal] = text[:40]
    exif.get_ifd(IFD.Exif)[Base.OffsetTimeOriginal] = text[:10]
    gps = exif.get_ifd(IFD.GPSInfo)
    gps[GPS.GPSLatitudeRef] = text[:8]
    gps[GPS.GPSLongitudeRef] = text[:8]
    gps[GPS.GPSImgDirectionRef] = text[:8]
    gps[GPS.GPSLatitude] = (1e9, 0, 0)
    gps[GPS.GPSLongitude] = (118.0, 6.0, 0.0)
    out = io.BytesIO()
    Image.new("RGB", (32, 24), (90, 120, 60)).save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


def _texts(doc) -> list[str]:
    if isinstance(doc, dict):
        return [t for k, v in doc.items() for t in [k, *_texts(v)]]
    if isinstance(doc, list):
        return [t for v in doc for t in _texts(v)]
    return [doc] if isinstance(doc, str) else []


@pytest.mark.parametrize(
    "text",
    [hostile.BREAKOUT, "' OR 1=1--; DROP TABLE photos", "a\x00b\u202egpj.exe", "长" * 30_000],
)
def test_hostile_exif_text_is_never_shown_raw(client, case_id, text):
    r = _post_photo(client, case_id, _hostile_exif_jpeg(text), name=f"{text[:40]}.jpg")
    assert r.status_code == 201, r.text
    photo = r.json()
    assert photo["lon"] is None and photo["lat"] is None  # 10^9 degrees is no position
    assert photo["direction_ref"] in (None, "T", "M") and photo["taken_at"] is None
    _served_as_image(client, photo)
    case = client.get(f"/api/cases/{case_id}")
    for s in _texts(case.json()):
        assert text_problem(s, max_len=10**6) is None, repr(s)
    assert case.headers["content-type"].startswith("application/json")
    sheet = client.get(f"/api/cases/{case_id}/sheet").text
    assert hostile.raw_markup(sheet) == [] and hostile.inline_scripts(sheet) == []
    assert "\u202e" not in sheet and "\x00" not in sheet


def test_a_photo_name_loses_its_bidi_override_and_control_characters(client, case_id):
    jpeg = photo_factory.jpeg(118.1, 39.83)
    r = _post_photo(client, case_id, jpeg, name="照片\u202egpj.exe\u2066")
    assert r.status_code == 201, r.text
    assert r.json()["filename"] == "照片gpj.exe"
    photos = client.get(f"/api/cases/{case_id}").json()["photos"]
    assert [p["filename"] for p in photos] == ["照片gpj.exe"]


# --- SQL in every filter -----------------------------------------------------------------------

SQL = ("' OR 1=1--", "1; DROP TABLE cases", "%", "_", "\\", "a\x00b")
PATH_VALUES = {"year": "2019", "fmt": "xlsx", "project": "mining_enforcement", "row_no": "1"}
REQUIRED = {"project": "mining_enforcement", "q": "KS", "maps": "false"}
LEFT_ALONE = {"sessions", "login_attempts"}  # signing in writes these; nothing else may change


def _list_operations(app) -> list[tuple[str, list[str]]]:
    """Every GET path with query parameters, as the OpenAPI document declares them."""
    out = []
    for path, ops in app.openapi()["paths"].items():
        op = ops.get("get")
        names = [p["name"] for p in (op or {}).get("parameters", []) if p["in"] == "query"]
        if names:
            out.append((path, names))
    return out


def _digest(url: str) -> str:
    engine = make_engine(url)
    try:
        return store_digest(engine, leave=LEFT_ALONE)
    finally:
        engine.dispose()


def _count(r) -> int | None:
    if r.status_code != 200 or "json" not in r.headers.get("content-type", ""):
        return None
    body = r.json()
    if isinstance(body, dict):
        for key in ("count", "numberMatched"):
            if key in body:
                return int(body[key])
    return None


def test_sql_in_every_filter(app, client, squares_gpkg, database_url):
    batch = upload(client, squares_gpkg).json()
    values = {**PATH_VALUES, "batch_id": str(batch["id"]), "layer_id": "1"}
    operations = _list_operations(app)
    assert any(path == "/api/search" for path, _ in operations)
    before = _digest(database_url)
    checked = 0
    for path, names in operations:
        url = re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], path)
        for name in names:
            base = {k: v for k, v in REQUIRED.items() if k in names and k != name}
            honest = client.get(url, params={**base, name: "zz-no-such-value"})
            for payload in SQL:
                r = client.get(url, params={**base, name: payload})
                where = (path, name, payload)
                assert r.status_code < 500, (where, r.text[:300])
                got = _count(r)
                if got is not None and got > 0:
                    assert _count(honest) is not None and got <= _count(honest), (where, got)
                checked += 1
    assert checked > 100
    assert _digest(database_url) == before, "a filter changed what is stored"


def test_a_search_for_like_wildcards_matches_them_literally(client, tmp_path):
    f = factories.squares(3)
    f["TBBH"] = ["K%1", "K_2", "K\\3"]
    cid = _case_id(client, factories.write(f, tmp_path / "wild.gpkg"))
    assert cid
    for q, codes in (
        ("%", ["K%1"]),
        ("_", ["K_2"]),
        ("\\", ["K\\3"]),
        ("K", ["K%1", "K\\3", "K_2"]),
    ):
        hits = client.get("/api/search", params={"q": q}).json()
        assert sorted(h["code"] for h in hits["data"]) == sorted(codes), (q, hits)
        assert hits["count"] == len(codes)


# --- script in every attribute ------------------------------------------------------------------

PROVINCE_FIELDS = ("TBBH", "XZQDM", "BHLX", "QSX", "HSX", "QSXDL", "HSXDL", "JCMJ", "备注")
PAYLOADS = (*hostile.ALL, hostile.NUL_SCRIPT, hostile.BIDI)


def _hostile_province_file(tmp_path):
    """One row per payload, every field holding it (codes made unique), as a CSV list with
    WKT, where a NUL reaches Tuban as it was written."""
    squares = factories.squares(len(PAYLOADS)).geometry
    header = [*PROVINCE_FIELDS, "WKT"]
    lines = [",".join(header)]
    for i, (p, g) in enumerate(zip(PAYLOADS, squares, strict=True)):
        cells = [f"{p}#{i}" if f == "TBBH" else p for f in PROVINCE_FIELDS] + [g.wkt]
        lines.append(",".join('"' + c.replace('"', '""') + '"' for c in cells))
    path = tmp_path / "hostile.csv"
    path.write_text("\r\n".join(lines), encoding="utf-8")
    return path


@pytest.fixture
def hostile_batch(client, tmp_path) -> dict:
    r = upload(client, _hostile_province_file(tmp_path), crs="EPSG:4527")
    assert r.status_code == 201, r.text
    return r.json()


def _clean(doc, where: str) -> None:
    for s in _texts(doc):
        assert text_problem(s, max_len=10**6) is None, (where, repr(s))


def test_every_attribute_comes_out_as_data_in_json_and_geojson(client, hostile_batch):
    feats = client.get(f"/api/batches/{hostile_batch['id']}/features")
    assert feats.headers["content-type"].startswith("application/geo+json")
    _clean(feats.json(), "features")
    ids = [f["id"] for f in feats.json()["features"]]
    assert len(ids) == len(PAYLOADS)
    seen = set()
    for cid in ids:
        r = client.get(f"/api/cases/{cid}")
        assert r.headers["content-type"].startswith("application/json")
        case = r.json()
        _clean(case, f"case {cid}")
        seen |= set(case["attributes"].values())
    assert hostile.HTML in seen and hostile.HYPERLINK in seen and hostile.TEMPLATE in seen
    assert "a<script>alert(4)</script>b" in seen and "gpj.exe" in seen
    report = client.get(f"/api/batches/{hostile_batch['id']}/report")
    _clean(report.json(), "report")


def test_every_attribute_is_escaped_in_html(client, hostile_batch):
    feats = client.get(f"/api/batches/{hostile_batch['id']}/features").json()["features"]
    pages = [client.get(f"/api/cases/{f['id']}/sheet").text for f in feats]
    pages.append(client.get(f"/api/batches/{hostile_batch['id']}/report.html").text)
    for page in pages:
        assert hostile.raw_markup(page) == [] and "<script>alert(4)" not in page
        assert hostile.inline_scripts(page) == []
        assert "\u202e" not in page and "\x00" not in page


def test_every_attribute_stays_text_in_the_xlsx_report(client, hostile_batch):
    r = client.get("/api/reports/2019.xlsx")
    assert r.status_code == 200, r.text[:300]
    book = load_workbook(io.BytesIO(r.content))
    assert hostile.formula_cells(book) == []
    json.dumps(hostile_batch)  # the import answer itself is plain JSON


# --- file names -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["长" * 200 + ".gpkg", "图斑\u202egpkg.exe.gpkg", "a\x07b.gpkg", "x" * 600 + ".gpkg"]
)
def test_an_upload_name_too_long_or_with_bidi_is_stored_clean(client, squares_gpkg, name):
    with squares_gpkg.open("rb") as fh:
        r = client.post(
            "/api/batches",
            data={
                "programme": "mining", "period": "2019Q3", "authority": "省厅",
                "issued_on": "2019-10-15", "due_on": "2019-11-30",
            },
            files={"file": (name, fh)},
        )  # fmt: skip
    assert r.status_code == 201, r.text[:300]
    stored = r.json()["source_name"]
    assert text_problem(stored, max_len=500, multiline=False) is None, stored
    assert stored.endswith(".gpkg")
    listed = client.get("/api/batches").json()["data"]
    assert [b["source_name"] for b in listed] == [stored]
