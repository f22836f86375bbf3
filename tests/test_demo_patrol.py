"""The demo's 动态巡查 sample: a seeded year of patrol findings and reports, laid on the sample
district (sample_data/patrol.py) and played by ``tuban demo`` through the store's own code."""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from runtime.compose import build
from runtime.settings import REPO_ROOT, Settings
from sample_data import patrol as sample
from storage.engine import sqlite_url
from storage.tables import case_events, cases, patrol_reports, photos
from tests.conftest import _drop_schema, _pg_schema_url
from tuban_cli.demo import DEMO_CLOCK, PATROL_SAMPLE
from tuban_cli.main import app as cli

PLAN = json.loads(PATROL_SAMPLE.read_text(encoding="utf-8"))["features"]


def test_the_sample_is_the_same_every_time_it_is_generated():
    ground = sample.read_ground()
    first, second = sample.plan(sample.SEED, ground), sample.plan(sample.SEED, ground)
    assert first == second
    assert sample.dumps(first) == PATROL_SAMPLE.read_text(encoding="utf-8"), (
        "sample_data/fengrun/patrol is stale: python sample_data/patrol.py"
    )
    other = sample.plan(7, ground)
    assert other != first and sample.dumps(other) != sample.dumps(first)


def test_the_shipped_sample_is_laid_on_the_sample_district():
    lines = sample.verify()
    assert lines[0].startswith(f"{sample.PATH}: 80 findings, 15 at 卫片 sites")


def test_the_sample_has_the_mix_a_mining_county_sees():
    kinds = Counter(f["properties"]["violation"] for f in PLAN)
    sources = Counter(f["properties"]["source"] for f in PLAN)
    assert len(PLAN) == 80
    assert kinds["illegal_mining"] + kinds["beyond_boundary_mining"] == 32
    assert kinds["illegal_occupation"] + kinds["illegal_building"] == 32
    assert kinds["farmland_damage"] and kinds["other"]
    assert sum(n for s, n in sources.items() if s != "patrol") == 24
    assert set(sources) == {"patrol", "hotline_12336", "letter", "visit", "online", "referral"}
    night = [
        f for f in PLAN
        if f["properties"]["source"] == "patrol" and f["properties"]["violation"] in sample.MINING
        and 1 <= datetime.fromisoformat(f["properties"]["found_at"]).hour < 4
    ]  # fmt: skip
    assert len(night) >= 5
    shapes = Counter(f["geometry"]["type"] for f in PLAN)
    assert shapes["Point"] > shapes["Polygon"] > 5


# --- the demo, loaded once per backend ----------------------------------------------------------


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def demo(request, tmp_path_factory):
    """``tuban demo --no-serve`` into a fresh store; yields (its Services, CLI env)."""
    tmp = tmp_path_factory.mktemp(f"demo-patrol-{request.param}")
    env = {"TUBAN_CLOCK": "", "TUBAN_PHOTOS_DIR": str(tmp / "photos")}
    schema = None
    if request.param == "sqlite":
        url = sqlite_url(tmp / "demo.sqlite")
        args = ["--db", str(tmp / "demo.sqlite")]
    else:
        url, schema = _pg_schema_url()
        env["TUBAN_DATABASE_URL"] = url
        args = []
    r = CliRunner().invoke(cli, ["demo", "--no-serve", *args], env=env)
    assert r.exit_code == 0, r.output
    services = build(Settings(database_url=url, photos_dir=tmp / "photos"))
    yield services, env, args
    services.engine.dispose()
    if schema is not None:
        _drop_schema(schema)


def _patrol_rows(services) -> list[dict]:
    with services.engine.connect() as conn:
        q = select(cases).where(cases.c.programme == "patrol").order_by(cases.c.id)
        return [dict(r._mapping) for r in conn.execute(q)]


def _by_plan(services) -> list[tuple[dict, dict]]:
    """(planned finding, its case) pairs, matched by the instant it was found (as its find
    event says: a site found active again is found anew)."""
    rows = {}
    for r in _patrol_rows(services):
        found = services.cases.events(r["id"])[0].payload["found_at"]
        rows[datetime.fromisoformat(found)] = r
    assert len(rows) == len(PLAN)
    return [
        (f["properties"], rows[datetime.fromisoformat(f["properties"]["found_at"])]) for f in PLAN
    ]


def test_every_finding_is_a_case_in_its_planned_township(demo):
    services, _, _ = demo
    pairs = _by_plan(services)
    assert len(pairs) == len(PLAN) == len(_patrol_rows(services))
    for plan, row in pairs:
        assert row["township_code"] == plan["township"], plan["ref"]
        assert row["violation"] == plan["violation"]
        prefix = "XC" if plan["source"] == "patrol" else "JB"
        assert row["code"].startswith(f"{prefix}2019-"), (plan["ref"], row["code"])


def test_the_demo_holds_patrol_cases_in_every_step(demo):
    services, _, _ = demo
    rows = _patrol_rows(services)
    states = Counter((r["state"], r["judgment"]) for r in rows)
    for state in ("found", "stopped", "filed", "penalised", "rectified", "closed"):
        assert states[(state, "illegal")] > 0, (state, states)
    assert states[("closed", "other")] > 0  # 核实不违法
    # found the evening before: the demo opens with their stop orders due that day
    due = {
        r["stop_due_at"].astimezone(DEMO_CLOCK.tzinfo).date() for r in rows if r["state"] == "found"
    }
    assert DEMO_CLOCK.date() in due
    assert services.cases.last_event_at() < DEMO_CLOCK
    for r in rows:
        assert services.cases.rebuild_case(r["id"]) == services.cases.get_case(r["id"])


def test_the_demo_has_late_and_on_time_stops_filings_and_reports(demo):
    services, _, _ = demo
    rows = _patrol_rows(services)
    stops = [r["stopped_at"] <= r["stop_due_at"] for r in rows if r["stopped_at"]]
    filings = [r["filed_on"] <= r["file_due_on"] for r in rows if r["filed_on"]]
    reports = [r["reported_on"] <= r["report_due_on"] for r in rows if r["reported_on"]]
    for on_time in (stops, filings, reports):
        assert 0 < on_time.count(False) < on_time.count(True), on_time
    # a stop at night, within hours of a 01:00–04:00 find
    night = [
        r for r in rows
        if r["stopped_at"] and 1 <= r["found_at"].astimezone(DEMO_CLOCK.tzinfo).hour < 4
    ]  # fmt: skip
    assert night and any(
        (r["stopped_at"] - r["found_at"]).total_seconds() < 3 * 3600 for r in night
    )


def test_reporters_stay_in_the_office_table(demo):
    services, _, _ = demo
    reports = [p["properties"]["report"] for p in PLAN if p["properties"]["report"]]
    with services.engine.connect() as conn:
        kept = [dict(r._mapping) for r in conn.execute(select(patrol_reports))]
        elsewhere = [
            [dict(r._mapping) for r in conn.execute(select(table))]
            for table in (cases, case_events, photos)
        ]
    text = json.dumps(elsewhere, default=str, ensure_ascii=False)
    assert len(kept) == len(reports) == 24
    contacts = {r["reporter_contact"] for r in kept}
    assert contacts == {r["reporter_contact"] for r in reports}
    names = {r["reporter_name"] for r in kept} - {"匿名"}
    assert names and all("示例" in v for v in contacts | names)
    for secret in contacts | names:
        assert secret not in text
    assert "reporter" not in text  # no field of the report's either


def test_watched_sites_overdue_on_time_late_and_active_again(demo):
    services, _, _ = demo
    today = DEMO_CLOCK.date()
    watched = [r for r in _patrol_rows(services) if r["watch_interval_days"]]
    assert len(watched) >= 4 and all(r["watch_interval_days"] == 90 for r in watched)
    overdue = [r for r in watched if r["watch_due_on"] < today and r["state"] == "closed"]
    assert len(overdue) >= 1
    inspected = [r["reinspected_on_time"] for r in watched if r["reinspections"]]
    assert True in inspected and False in inspected
    active = []
    for r in watched:
        actions = [str(e.action) for e in services.cases.events(r["id"])]
        if "reinspect_active" in actions:
            active.append((r, actions))
    assert len(active) == 1
    row, actions = active[0]
    again = actions[actions.index("reinspect_active") :]
    assert row["state"] not in ("closed", "rectified") and "stop" in again
    assert row["found_at"] == row["last_inspected_at"]  # found again then


def test_findings_at_weipian_sites_share_the_site_and_join_an_open_case(demo):
    services, _, _ = demo
    codes = {}
    with services.engine.connect() as conn:
        for r in conn.execute(select(cases.c.id, cases.c.code, cases.c.case_no)):
            codes[r.id] = (r.code, r.case_no)
    joined = 0
    for plan, row in _by_plan(services):
        site = plan["weipian_site"]
        if site is None:
            assert row["site_id"] is None and row["linked_case_id"] is None, plan["ref"]
            continue
        assert codes[row["site_id"]][0] == site["code"], plan["ref"]
        if site["found"] == "before":
            assert site["code"].startswith("130208KS2019Q3")
        if row["linked_case_id"] is not None:
            joined += 1
            assert row["linked_case_id"] == row["site_id"]
            # filed into the open case's 立案 (one enforcement), or waiting for it
            assert row["case_no"] in (None, codes[row["linked_case_id"]][1])
            assert row["state"] in ("found", "stopped", "filed")
    assert joined >= 1


def test_the_quarters_weipian_at_patrol_sites_answer_already_handled(demo):
    """A 2019Q3 图斑 over a site patrol had found before the imagery: verified 违法 / 已查处,
    joined to the patrol case carrying the site, so the site counts once."""
    services, _, _ = demo
    with services.engine.connect() as conn:
        rows = conn.execute(
            select(cases.c.id, cases.c.code, cases.c.linked_case_id, cases.c.site_id).where(
                cases.c.programme == "mining", cases.c.verify_reason == "already_handled"
            )
        ).all()
        patrol = {
            r.id: r
            for r in conn.execute(
                select(cases.c.id, cases.c.site_id, cases.c.state).where(
                    cases.c.programme == "patrol"
                )
            )
        }
    assert rows, "no 图斑 answered already_handled"
    for r in rows:
        assert r.code.startswith("130208KS2019Q3")
        head = patrol[r.linked_case_id]
        assert head.site_id == r.id  # the patrol case found the site at this 图斑
        assert head.state not in ("rectified", "closed")


def test_the_event_chain_of_the_demo_verifies(demo):
    services, env, args = demo
    events = services.cases.counts()["events"]
    first = CliRunner().invoke(cli, ["audit", "verify", *args], env=env)
    assert first.exit_code == 0, first.output
    assert f"哈希链完好：{services.cases.counts()['cases']} 个图斑，{events} 个事件" in first.output
    assert "日锚 2019-11-19" in first.output  # the history's last day, anchored now
    again = CliRunner().invoke(cli, ["audit", "verify", *args], env=env)
    assert again.exit_code == 0 and "0 个日锚相符" not in again.output, again.output


def test_the_sample_file_is_where_the_demo_reads_it():
    assert PATROL_SAMPLE == REPO_ROOT / "sample_data" / "fengrun" / sample.PATH
