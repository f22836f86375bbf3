"""Role × endpoint: who may call what, checked against the real app (each combination runs)."""

from __future__ import annotations

import pytest

from tests.api.conftest import ROLES, token_for, upload


@pytest.fixture
def world(client, as_role, squares_gpkg):
    """A batch of three issued 图斑 imported by the admin, and a client per role."""
    b = upload(client, squares_gpkg).json()
    ids = [f["id"] for f in client.get(f"/api/batches/{b['id']}/features").json()["features"]]
    users = {u["username"]: u["id"] for u in client.get("/api/users").json()["data"]}
    client.post("/api/assignments", json={"user_id": users["verifier"], "case_ids": ids[:2]})
    return {"batch": b["id"], "ids": ids, "users": users, "as": {r: as_role(r) for r in ROLES}}


# (method, path template, json body or None, roles that may) — 2xx/409/422 count as "allowed",
# 401/403 (or 404 for a verifier's unassigned case) as refused.
MATRIX = [
    ("GET", "/api/batches", None, set(ROLES)),
    ("GET", "/api/batches/{batch}/features", None, set(ROLES)),
    ("GET", "/api/cases/{case}", None, set(ROLES)),
    ("GET", "/api/indicators?project=mining_enforcement", None, set(ROLES)),
    ("GET", "/api/references", None, set(ROLES)),
    ("GET", "/api/tasks", None, set(ROLES)),
    ("GET", "/api/overdue", None, set(ROLES)),
    ("GET", "/api/users", None, {"admin"}),
    (
        "POST",
        "/api/users",
        {"username": "x{role}", "password": "long enough pw", "roles": ["viewer"]},
        {"admin"},
    ),
    (
        "POST",
        "/api/assignments",
        {"user_id": "{verifier_id}", "case_ids": ["{case}"]},
        {"admin", "reviewer"},
    ),
    (
        "POST",
        "/api/cases/{case}/actions",
        {"action": "verify", "payload": {"judgment": "legal", "reason": "approved"}},
        {"admin", "verifier"},
    ),
    (
        "POST",
        "/api/cases/{case}/actions",
        {"action": "approve", "payload": {}},
        {"admin", "reviewer"},
    ),
    (
        "POST",
        "/api/cases/{case}/actions",
        {"action": "file", "payload": {"case_no": "A1", "filed_on": "2019-11-01"}},
        {"admin", "enforcer"},
    ),
    (
        "POST",
        "/api/cases/{case}/actions",
        {"action": "close", "payload": {}},
        {"admin", "reviewer"},
    ),
    (
        "POST",
        "/api/enforcements",
        {"case_no": "E{role}", "filed_on": "2019-11-01", "case_ids": ["{case}"]},
        {"admin", "enforcer"},
    ),
]


def _fill(obj, ctx):
    if isinstance(obj, str):
        for k, v in ctx.items():
            if obj == "{" + k + "}":
                return v
            obj = obj.replace("{" + k + "}", str(v))
        return obj
    if isinstance(obj, list):
        return [_fill(x, ctx) for x in obj]
    if isinstance(obj, dict):
        return {k: _fill(v, ctx) for k, v in obj.items()}
    return obj


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    "method,path,body,allowed",
    MATRIX,
    ids=[f"{m} {p} {(b or {}).get('action', '')}" for m, p, b, _ in MATRIX],
)
def test_role_endpoint_matrix(world, role, method, path, body, allowed):
    ctx = {
        "batch": world["batch"],
        "case": world["ids"][0],
        "role": role,
        "verifier_id": world["users"]["verifier"],
    }
    c = world["as"][role]
    r = c.request(method, _fill(path, ctx), json=_fill(body, ctx))
    refused = r.status_code in (401, 403)
    assert refused == (role not in allowed), (role, method, path, r.status_code, r.text)
    if refused:
        assert r.json()["error"]["code"] in ("FORBIDDEN", "AUTH_REQUIRED")


@pytest.mark.parametrize(
    "path",
    ["/api/batches", "/api/cases/1", "/api/indicators?project=x", "/api/tasks", "/api/users"],
)
def test_no_token_is_401(anon, path):
    r = anon.get(path)
    assert r.status_code == 401 and r.json()["error"]["code"] == "AUTH_REQUIRED"


def test_health_and_login_need_no_token(anon):
    assert anon.get("/healthz").status_code == 200
    bad = anon.post("/api/auth/login", json={"username": "admin", "password": "wrong password"})
    nobody = anon.post("/api/auth/login", json={"username": "nobody", "password": "x" * 10})
    # the same answer whether or not the account exists
    assert bad.status_code == nobody.status_code == 401
    assert bad.json()["error"]["message"] == nobody.json()["error"]["message"]


def test_verifier_sees_only_assigned_cases(world):
    v = world["as"]["verifier"]
    feats = v.get(f"/api/batches/{world['batch']}/features").json()["features"]
    assert sorted(f["id"] for f in feats) == sorted(world["ids"][:2])
    assert v.get(f"/api/cases/{world['ids'][2]}").status_code == 404
    r = v.post(
        f"/api/cases/{world['ids'][2]}/actions",
        json={"action": "verify", "payload": {"judgment": "legal", "reason": "approved"}},
    )
    assert r.status_code == 404


def test_logout_and_deactivation_end_sessions(client, anon):
    headers = token_for(anon, "viewer")
    assert anon.get("/api/auth/me", headers=headers).status_code == 200
    uid = next(
        u["id"] for u in client.get("/api/users").json()["data"] if u["username"] == "viewer"
    )
    assert client.patch(f"/api/users/{uid}", json={"active": False}).status_code == 200
    assert anon.get("/api/auth/me", headers=headers).status_code == 401
    client.patch(f"/api/users/{uid}", json={"active": True})
    h2 = token_for(anon, "viewer")
    assert anon.post("/api/auth/logout", headers=h2).status_code == 204
    assert anon.get("/api/auth/me", headers=h2).status_code == 401


def test_passwords_are_stored_as_argon2_hashes(app):
    from sqlalchemy import select

    from storage.tables import users

    with app.state.store.engine.connect() as conn:
        hashes = [h for (h,) in conn.execute(select(users.c.password_hash))]
    assert all(h.startswith("$argon2id$") for h in hashes)
