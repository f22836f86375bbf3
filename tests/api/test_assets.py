"""The web map's files on a phone network: content-hashed names kept for a year, the page and the
service worker always revalidated, text compressed."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from api import assets


def _version(anon) -> str:
    page = anon.get("/").text
    m = re.search(r'<meta name="tuban-build" content="([0-9a-f]+)">', page)
    assert m, page[:400]
    return m[1]


def test_page_names_every_local_file_by_the_builds_hash(anon):
    r = anon.get("/")
    assert r.status_code == 200 and r.headers["Cache-Control"] == "no-cache"
    v = _version(anon)
    refs = re.findall(r'\s(?:src|href)="([^"#][^"]*)"', r.text)
    local = [x for x in refs if not x.startswith(("data:", "http")) and x != "manifest.webmanifest"]
    assert local and all(x.startswith(f"a/{v}/") for x in local), local
    assert 'src="a/' + v + '/app.js"' in r.text
    assert "leaflet-geoman" not in r.text, "the drawing plugin loads on first draw"
    assert anon.get("/index.html").text == r.text


def test_hashed_files_are_immutable_compressed_and_only_of_the_current_build(anon):
    v = _version(anon)
    r = anon.get(f"/a/{v}/app.js", headers={"Accept-Encoding": "gzip"})
    assert r.status_code == 200
    assert r.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert r.headers["Content-Encoding"] == "gzip"
    assert "javascript" in r.headers["Content-Type"]
    plain = (assets_root() / "app.js").read_bytes()
    assert r.content == plain  # httpx decoded it
    assert anon.get("/a/0000000000000000/app.js").status_code == 404
    assert anon.get(f"/a/{v}/../../api/main.py").status_code == 404
    assert anon.get(f"/a/{v}/vendor/leaflet/leaflet.css").status_code == 200


def test_service_worker_and_its_precache_list_are_always_revalidated(anon):
    v = _version(anon)
    sw = anon.get("/sw.js")
    assert sw.status_code == 200 and sw.headers["Cache-Control"] == "no-cache"
    assert "javascript" in sw.headers["Content-Type"]
    m = anon.get("/asset-manifest.json")
    assert m.headers["Cache-Control"] == "no-cache"
    body = m.json()
    assert body["version"] == v
    assert (
        f"a/{v}/app.js" in body["precache"]
        and f"a/{v}/vendor/leaflet/leaflet.js" in body["precache"]
    )
    assert not [p for p in body["precache"] if "geoman" in p or "swagger" in p]
    for path in body["precache"]:
        assert anon.get("/" + path).status_code == 200, path
    # A plain name (the case sheet's Leaflet) is revalidated, not kept.
    assert anon.get("/vendor/leaflet/leaflet.js").headers["Cache-Control"] == "no-cache"


def assets_root() -> Path:
    return Path(assets.__file__).resolve().parent.parent / "webmap" / "static"


def test_an_edited_file_makes_a_new_version(tmp_path, monkeypatch: pytest.MonkeyPatch):
    (tmp_path / "index.html").write_text(
        '<meta charset="utf-8"><script type="module" src="app.js"></script>'
        '<link href="https://example.org/x.css"><a href="#top">',
        encoding="utf-8",
    )
    (tmp_path / "app.js").write_text("export const a = 1;\n", encoding="utf-8")
    monkeypatch.setattr(assets, "RECHECK_S", -1.0)
    a = assets.Assets(tmp_path)
    first = a.build
    assert f'src="a/{first.version}/app.js"' in first.index_html
    assert (
        'href="https://example.org/x.css"' in first.index_html and 'href="#top"' in first.index_html
    )
    assert first.precache == ("app.js",)
    assert a.build.version == first.version
    (tmp_path / "app.js").write_text("export const a = 2;\n", encoding="utf-8")
    assert a.build.version != first.version
