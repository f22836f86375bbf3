"""Role × route for goal tables, spending and row notes (each combination runs)."""

from __future__ import annotations

import pytest

from tests.api.conftest import ROLES

EVERYONE = set(ROLES)
BOOKKEEPERS = {"admin", "viewer"}
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16

MATRIX = [
    ("GET", "/api/goals", None, EVERYONE),
    ("GET", "/api/goals/2019", None, EVERYONE),
    ("GET", "/api/goals/2019/versions", None, EVERYONE),
    ("GET", "/api/goals/2019/export.yaml", None, EVERYONE),
    ("PUT", "/api/goals/2019", "goal_doc", {"admin"}),
    ("GET", "/api/expenditures?year=2019", None, EVERYONE),
    ("GET", "/api/budget?year=2019", None, EVERYONE),
    (
        "POST",
        "/api/expenditures",
        {
            "year": 2019,
            "project_id": "planning",
            "spent_on": "2019-07-05",
            "amount_yuan": 100,
            "purpose": "资料收集",
        },
        BOOKKEEPERS,
    ),
    ("GET", "/api/indicator-notes?year=2019&project=planning", None, EVERYONE),
    ("GET", "/api/indicator-notes/2019/planning/5/history", None, EVERYONE),
    ("PUT", "/api/indicator-notes/2019/planning/5", {"reason": "原因"}, BOOKKEEPERS),
    ("POST", "/api/indicator-notes/2019/planning/5/evidence", "upload", BOOKKEEPERS),
]


@pytest.fixture(autouse=True)
def _evidence_in_tmp(app, tmp_path):
    app.state.settings.photos_dir = tmp_path / "photos"


def _call(c, method, path, body, goal_doc):
    if body == "upload":
        return c.post(path, files={"file": ("a.png", PNG, "image/png")})
    if body == "goal_doc":
        return c.put(path, json={**goal_doc, "base_version": 1, "unit_name": "改"})
    return c.request(method, path, json=body)


@pytest.mark.parametrize(("method", "path", "body", "allowed"), MATRIX)
def test_role_matrix(client, as_role, anon, method, path, body, allowed):
    goal_doc = client.get("/api/goals/2019").json()["doc"]
    for role in ROLES:
        r = _call(as_role(role), method, path, body, goal_doc)
        if role in allowed:
            assert r.status_code in (200, 201), (role, method, path, r.text)
        else:
            assert r.status_code == 403, (role, method, path, r.status_code)
            assert r.json()["error"]["code"] == "FORBIDDEN"
    assert _call(anon, method, path, body, goal_doc).status_code == 401


def test_evidence_download_is_for_everyone_signed_in(client, as_role, anon):
    up = as_role("viewer").post(
        "/api/indicator-notes/2019/planning/5/evidence",
        files={"file": ("a.png", PNG, "image/png")},
    )
    url = up.json()["evidence"][0]["url"]
    for role in ROLES:
        assert as_role(role).get(url).content == PNG
    assert anon.get(url).status_code == 401
