"""``tuban demo`` runs on a clock in late 2019: its history ends before it, a quarter is in
progress (some tasks overdue, some due ahead), and what happens next is dated then."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.main import create_app
from runtime.compose import build
from runtime.settings import load_settings
from tuban_cli.demo import DEMO_CLOCK, with_demo_clock
from tuban_cli.main import app as cli


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory):
    db = tmp_path_factory.mktemp("demo-clock") / "demo.sqlite"
    r = CliRunner().invoke(cli, ["demo", "--db", str(db), "--no-serve"], env={"TUBAN_CLOCK": ""})
    assert r.exit_code == 0, r.output
    assert "演示时钟：2019-11-20 10:00" in r.output
    assert "暂不导入" in r.output and "2019Q4" in r.output
    return db


def test_the_history_ends_before_the_demo_clock(demo_db):
    services = build(load_settings(demo_db))
    try:
        assert services.cases.last_event_at() < DEMO_CLOCK
        batches = services.cases.list_batches()
        assert batches and all(b["issued_on"] <= DEMO_CLOCK.date() for b in batches)
    finally:
        services.engine.dispose()


@pytest.fixture(scope="module")
def client(demo_db):
    services = with_demo_clock(build(load_settings(demo_db)))
    app = create_app(services.settings, clock=services.clock)
    with TestClient(app) as c:
        r = c.post("/api/auth/login", json={"username": "admin", "password": "tuban-admin"})
        c.headers["Authorization"] = f"Bearer {r.json()['token']}"
        c.cookies.clear()
        yield c


def test_config_shows_the_demo_clock(client):
    clock = client.get("/api/config").json()["clock"]
    assert clock["today"] == "2019-11-20"
    assert clock["set_start"].startswith("2019-11-20T02:00:00")  # 10:00 Beijing time, in UTC
    started = datetime.fromisoformat(clock["set_start"].replace("Z", "+00:00"))
    assert datetime.fromisoformat(clock["now"].replace("Z", "+00:00")) >= started


def test_a_new_event_is_dated_on_the_demo_clock(client):
    tasks = client.get("/api/tasks", params={"limit": 200}).json()["data"]
    issued = next(t for t in tasks if t["state"] == "issued" and t["programme"] == "mining")
    case = client.post(
        f"/api/cases/{issued['case_id']}/actions",
        json={"action": "verify", "payload": {"judgment": "legal", "reason": "permitted_mining"}},
    ).json()
    at = date.fromisoformat(case["events"][-1]["at"][:10])
    assert DEMO_CLOCK.date() - timedelta(days=1) <= at <= DEMO_CLOCK.date()


def test_a_quarter_in_progress_some_overdue_some_due_ahead(client):
    overdue = client.get("/api/overdue", params={"limit": 1}).json()["count"]
    tasks = client.get("/api/tasks", params={"limit": 1000}).json()["data"]
    ahead = [t for t in tasks if not t["overdue"]]
    late = [t for t in tasks if t["overdue"]]
    assert overdue > 0 and late and ahead
    assert {t["due_on"] for t in ahead} >= {"2019-11-25"}  # 2019Q3 土地卫片, due next week
