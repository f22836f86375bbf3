"""Every response carries the security headers: a strict CSP (no inline script), nosniff,
no referrer, no framing, its own browsing-context group, a permissions policy; API JSON
with personal data is never cached. /docs serves the vendored Swagger UI, nothing remote."""

from __future__ import annotations

import re

import pytest

from tests.api.conftest import PASSWORD


def _policy(value: str) -> dict[str, list[str]]:
    out = {}
    for directive in value.split(";"):
        words = directive.split()
        if words:
            out[words[0]] = words[1:]
    return out


def _assert_headers(r) -> None:
    h = r.headers
    policy = _policy(h["content-security-policy"])
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"], "no inline or eval'd script, no other host"
    assert policy["object-src"] == ["'none'"] and policy["base-uri"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"] and policy["form-action"] == ["'self'"]
    assert "'self'" in policy["img-src"] and "https://*.tianditu.gov.cn" in policy["img-src"]
    assert h["x-content-type-options"] == "nosniff"
    assert h["referrer-policy"] == "no-referrer"
    assert h["x-frame-options"] == "DENY"
    assert h["cross-origin-opener-policy"] == "same-origin"
    perms = h["permissions-policy"]
    assert "geolocation=(self)" in perms and "camera=(self)" in perms
    assert "microphone=()" in perms


@pytest.fixture
def paths(client, tmp_path):
    return [
        "/", "/index.html", "/app.js", "/style.css", "/vendor/leaflet/leaflet.js",
        "/api/meta", "/api/cases/1", "/api/batches", "/api/auth/me",
        "/api/no-such-route", "/no-such-file.js",
        "/docs", "/openapi.json", "/healthz",
    ]


def test_every_response_carries_the_security_headers(client, anon, paths):
    for path in paths:
        for c in (client, anon):
            r = c.get(path)
            _assert_headers(r)
    r = anon.post("/api/auth/login", json={"username": "admin", "password": "wrong"})
    assert r.status_code in (401, 403, 429)
    _assert_headers(r)
    r = anon.post("/api/auth/login", json={"username": "admin", "password": PASSWORD})
    _assert_headers(r)
    assert "no-store" in r.headers["cache-control"], "the token answer is never cached"


def test_api_json_is_not_cached_but_static_assets_may_be(client):
    for path in ("/api/cases/1", "/api/batches", "/api/auth/me", "/api/no-such-route"):
        r = client.get(path)
        assert "no-store" in r.headers.get("cache-control", ""), path
    assert "no-store" not in client.get("/vendor/leaflet/leaflet.js").headers.get(
        "cache-control", ""
    )


def test_served_html_has_no_inline_script_or_handlers(client):
    for path in ("/", "/docs"):
        page = client.get(path).text
        for attrs, body in re.findall(r"<script\b([^>]*)>(.*?)</script>", page, re.S | re.I):
            assert "src=" in attrs and not body.strip(), (path, attrs, body[:80])
        assert not re.search(r"\son[a-z]+\s*=", page, re.I), path
        assert "javascript:" not in page


def test_docs_use_the_vendored_swagger_ui(anon):
    page = anon.get("/docs")
    assert page.status_code == 200 and "swagger" in page.text.lower()
    assert not re.findall(r"https?://", page.text), "no host at all, CDN or other"
    assets = re.findall(r"""(?:src|href)=["']([^"']+)["']""", page.text)
    assert any(a.endswith(".js") for a in assets) and any(a.endswith(".css") for a in assets)
    for a in assets:
        r = anon.get(a if a.startswith("/") else "/" + a)
        assert r.status_code == 200, a
    assert anon.get("/redoc").status_code == 404 or "https://" not in anon.get("/redoc").text


def test_a_crash_answers_in_the_envelope_with_the_headers(app, monkeypatch):
    from fastapi.testclient import TestClient

    from api.routes.auth import UserPublic
    from tests.api.conftest import token_for

    def crash(cls, user):
        raise RuntimeError("a bug")

    with TestClient(app, raise_server_exceptions=False) as c:
        c.headers.update(token_for(c, "admin"))
        monkeypatch.setattr(UserPublic, "of", classmethod(crash))
        r = c.get("/api/auth/me")
    assert r.status_code == 500
    assert r.json()["error"]["code"] == "INTERNAL_ERROR"
    assert "a bug" not in r.text, "no internals in the answer"
    _assert_headers(r)
    assert "no-store" in r.headers["cache-control"]


def test_hashed_scripts_carry_only_the_subresource_headers_and_pages_all(client):
    """The content-hashed files are scripts, styles and images, never a page: they keep nosniff
    and CORP; the page, the service worker and everything else keep the whole set."""
    page = client.get("/")
    _assert_headers(page)
    version = client.get("/asset-manifest.json").json()["version"]
    script = client.get(f"/a/{version}/app.js")
    assert script.status_code == 200
    assert script.headers["x-content-type-options"] == "nosniff"
    assert script.headers["cross-origin-resource-policy"] == "same-origin"
    assert "content-security-policy" not in script.headers
    assert "immutable" in script.headers["cache-control"]
    _assert_headers(client.get("/sw.js"))
    missing = client.get(f"/a/{version}/no-such-file.js")
    assert missing.status_code == 404
    _assert_headers(missing)
