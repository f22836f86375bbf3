"""/healthz says the process lives; /readyz says whether the store can serve."""

from __future__ import annotations

import dataclasses

from sqlalchemy import create_engine, text

from storage.readiness import head_revisions


def test_ready_when_the_store_answers_and_is_at_head(anon):
    r = anon.get("/readyz")
    assert r.status_code == 200
    assert r.json() == {"status": "ready", "reason": None}


def test_503_with_a_reason_when_the_database_is_unreachable(app, anon, tmp_path, database_url):
    services = app.state.services
    if database_url.startswith("sqlite"):
        gone = create_engine(f"sqlite:///{tmp_path}/no/such/dir/t.sqlite")
    else:
        gone = create_engine(
            "postgresql+psycopg://postgres@127.0.0.1:1/test", connect_args={"connect_timeout": 2}
        )
    app.state.services = dataclasses.replace(services, engine=gone)
    try:
        r = anon.get("/readyz")
    finally:
        app.state.services = services
    assert r.status_code == 503
    body = r.json()
    assert body["status"] == "unavailable"
    assert body["reason"].startswith("数据库无法连接")
    assert "postgres@" not in body["reason"] and str(tmp_path) not in body["reason"]
    # Liveness does not depend on the database.
    assert anon.get("/healthz").status_code == 200


def test_503_when_the_schema_is_behind_the_code(app, anon):
    engine = app.state.services.engine
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0001'"))
    r = anon.get("/readyz")
    assert r.status_code == 503
    reason = r.json()["reason"]
    assert "0001" in reason and all(h in reason for h in head_revisions())
    assert "tuban db-upgrade" in reason
