"""A write carried by the session cookie alone must come from Tuban's own origin; bearer-token
writes (the web map's) and cookie reads (report links) are unaffected."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import IMPORT_FORM as FORM
from tests.api.conftest import PASSWORD


@pytest.fixture
def cookie_client(app):
    """The admin signed in by the cookie only, as a browser holding it would be."""
    with TestClient(app) as c:
        r = c.post("/api/auth/login", json={"username": "admin", "password": PASSWORD})
        assert r.status_code == 200 and "tuban_token" in c.cookies
        yield c


def _import(c: TestClient, path, **headers):
    with path.open("rb") as fh:
        return c.post("/api/batches", data=FORM, files={"file": (path.name, fh)}, headers=headers)


def test_a_cookie_upload_from_another_port_is_refused(cookie_client, squares_gpkg):
    r = _import(cookie_client, squares_gpkg, Origin="http://127.0.0.1:9999")
    assert r.status_code == 403, r.text
    assert r.json()["error"]["code"] == "CSRF_REFUSED"
    assert "http://127.0.0.1:9999" in r.json()["error"]["message"]
    assert cookie_client.get("/api/batches").json()["count"] == 0


def test_a_cookie_write_naming_no_origin_is_refused(cookie_client):
    r = cookie_client.post("/api/auth/logout")
    assert r.status_code == 403
    assert cookie_client.get("/api/auth/me").status_code == 200


def test_a_cookie_upload_from_our_own_page_passes(cookie_client, squares_gpkg):
    assert _import(cookie_client, squares_gpkg, Origin="http://testserver").status_code == 201
    referer = {"Referer": "http://testserver/index.html"}
    assert cookie_client.post("/api/auth/logout", headers=referer).status_code == 204


def test_bearer_writes_and_cookie_reads_are_unaffected(cookie_client, squares_gpkg):
    token = cookie_client.post(
        "/api/auth/login", json={"username": "admin", "password": PASSWORD}
    ).json()["token"]
    bearer = {"Authorization": f"Bearer {token}", "Origin": "http://127.0.0.1:9999"}
    assert _import(cookie_client, squares_gpkg, **bearer).status_code == 201
    assert cookie_client.get("/api/batches").status_code == 200
