"""Read-only API keys for desk GIS clients on /ogc: made, used by header and by query, revoked,
stored only as a hash, never logged, and good for nothing outside /ogc."""

from __future__ import annotations

import hashlib
import logging

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from storage.tables import api_keys
from tests.api.conftest import upload
from tests.conftest import NOW
from tuban_cli.main import app as cli


@pytest.fixture
def batch(client, squares_gpkg) -> dict:
    b = upload(client, squares_gpkg).json()
    ids = [f["id"] for f in client.get(f"/api/batches/{b['id']}/features").json()["features"]]
    users = {u["username"]: u["id"] for u in client.get("/api/users").json()["data"]}
    r = client.post("/api/assignments", json={"user_id": users["verifier"], "case_ids": ids[:1]})
    assert r.status_code < 300
    return {"id": b["id"], "ids": ids}


def _key(app, username: str) -> tuple[str, int]:
    key, record = app.state.services.api_keys().create(username, label="QGIS", by="t", now=NOW)
    return key, record.id


def test_a_key_opens_ogc_by_header_and_by_query(app, anon, batch):
    key, _ = _key(app, "viewer")
    by_header = anon.get("/ogc/collections/cases/items", headers={"X-API-Key": key})
    assert by_header.status_code == 200 and by_header.json()["numberMatched"] == 3
    by_query = anon.get(f"/ogc/collections/cases/items?api_key={key}")
    assert by_query.status_code == 200 and by_query.json()["numberMatched"] == 3
    # Links never carry the key: the client sends it again.
    assert key not in by_query.text


def test_the_keys_user_scope_applies(app, anon, batch):
    key, _ = _key(app, "verifier")
    fc = anon.get("/ogc/collections/cases/items", headers={"X-API-Key": key}).json()
    assert [f["id"] for f in fc["features"]] == batch["ids"][:1]
    other = anon.get(f"/ogc/collections/cases/items/{batch['ids'][1]}", headers={"X-API-Key": key})
    assert other.status_code == 404


def test_revoked_and_unknown_keys_are_401(app, anon, batch):
    key, kid = _key(app, "viewer")
    app.state.services.api_keys().revoke(kid, now=NOW)
    for headers in ({"X-API-Key": key}, {"X-API-Key": "tbk_unknown"}):
        r = anon.get("/ogc/collections", headers=headers)
        assert r.status_code == 401 and r.json()["code"] == "Unauthorized"
    assert anon.get(f"/ogc?api_key={key}").status_code == 401


def test_a_key_opens_nothing_outside_ogc(app, anon, batch):
    key, _ = _key(app, "admin")
    assert anon.get("/api/batches", headers={"X-API-Key": key}).status_code == 401
    assert anon.get(f"/api/batches?api_key={key}").status_code == 401
    # /ogc only reads: a write there is not a route at all.
    r = anon.post("/ogc/collections/cases/items", headers={"X-API-Key": key}, json={})
    assert r.status_code == 405


def test_only_the_hash_is_stored(app):
    key, kid = _key(app, "viewer")
    with app.state.services.engine.connect() as conn:
        row = conn.execute(select(api_keys).where(api_keys.c.id == kid)).one()
    assert row.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert key not in {str(v) for v in row._mapping.values()}


def test_the_key_is_not_logged(app, batch, caplog):
    key, _ = _key(app, "viewer")
    with TestClient(app) as c, caplog.at_level(logging.DEBUG):
        assert c.get(f"/ogc/collections/cases/items?api_key={key}").status_code == 200
        assert c.get("/ogc/collections", headers={"X-API-Key": key}).status_code == 200
    # The server's records (the test client's own httpx line shows the URL it was given).
    server = [r for r in caplog.records if not r.name.startswith("httpx")]
    text = "\n".join(r.getMessage() + str(getattr(r, "fields", "")) for r in server)
    assert "viewer" in text and key not in text


def test_cli_creates_lists_and_revokes(tmp_path):
    db = tmp_path / "k.sqlite"
    run = CliRunner().invoke
    added = run(
        cli,
        [
            "user",
            "add",
            "wanglei",
            "--role",
            "viewer",
            "--password",
            "a long passphrase 7",
            "--db",
            str(db),
        ],
    )
    assert added.exit_code == 0, added.output
    made = run(cli, ["user", "api-key", "create", "wanglei", "--label", "QGIS", "--db", str(db)])
    assert made.exit_code == 0, made.output
    key = made.output.strip().splitlines()[-1]
    assert key.startswith("tbk_")
    listed = run(cli, ["user", "api-key", "list", "--db", str(db)])
    assert "#1 wanglei QGIS 只读" in listed.output and key not in listed.output
    editing = run(cli, ["user", "api-key", "create", "wanglei", "--edit", "--db", str(db)])
    assert editing.exit_code == 0, editing.output
    assert "#2 wanglei - 可编辑" in run(cli, ["user", "api-key", "list", "--db", str(db)]).output
    assert run(cli, ["user", "api-key", "revoke", "1", "--db", str(db)]).exit_code == 0
    assert "已吊销" in run(cli, ["user", "api-key", "list", "--db", str(db)]).output
    assert run(cli, ["user", "api-key", "revoke", "9", "--db", str(db)]).exit_code == 2
    missing = run(cli, ["user", "api-key", "create", "nobody", "--db", str(db)])
    assert missing.exit_code == 2
