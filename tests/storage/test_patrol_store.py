"""Patrol findings and reports become cases in the store: township, site, event, counts, privacy."""

from __future__ import annotations

from datetime import date, timedelta

import geopandas as gpd
import pytest
from pyproj import Transformer
from shapely import box
from sqlalchemy import func, select

from geo.batch import BatchMeta
from geo.model import Programme
from geo.patrol import parse_finding
from storage import audit, daily_counts
from storage.imports import import_file, import_reference
from storage.patrol import PatrolStore
from storage.patrol_rules import PatrolRules
from storage.tables import case_events, cases, patrol_reports
from tests import factories
from tests.conftest import NOW

X, Y = factories.FENGRUN_X, factories.FENGRUN_Y
_TO_LONLAT = Transformer.from_crs(4527, 4490, always_xy=True)


def lonlat(dx: float, dy: float) -> list[float]:
    """A point ``dx``, ``dy`` metres from the Fengrun anchor, as CGCS2000 lon/lat."""
    return list(_TO_LONLAT.transform(X + dx, Y + dy))


def point(dx: float, dy: float) -> dict:
    return {"type": "Point", "coordinates": lonlat(dx, dy)}


def finding(dx: float, dy: float, violation: str = "illegal_mining", **kw):
    doc = {"violation": violation, "geometry": point(dx, dy), **kw}
    return parse_finding(doc, now=NOW)


@pytest.fixture
def towns(store, tmp_path):
    f = gpd.GeoDataFrame(
        {"XZQDM": ["130208100", "130208101"], "XZQMC": ["丰润镇", "任各庄镇"]},
        geometry=[
            box(X - 1000, Y - 1000, X + 1000, Y + 1000),
            box(X + 1000, Y - 1000, X + 3000, Y + 1000),
        ],
        crs="EPSG:4527",
    )
    path = factories.write(f, tmp_path / "towns.gpkg")
    import_reference(store, path, "township", name="乡镇", version="2019", actor="t", now=NOW)


def mining_batch(store, tmp_path, rows):
    f = gpd.GeoDataFrame(
        {"TBBH": [c for c, _ in rows], "XZQDM": ["130208"] * len(rows)},
        geometry=[box(X + a, Y + b, X + c, Y + d) for _, (a, b, c, d) in rows],
        crs="EPSG:4527",
    )
    meta = BatchMeta(Programme.MINING, "2019Q3", "省厅", date(2019, 10, 15), date(2019, 11, 30))
    b, _ = import_file(store, factories.write(f, tmp_path / "q3.gpkg"), meta, actor="t", now=NOW)
    return {r["code"]: r["id"] for r in store.features(b["id"])}


def test_a_finding_becomes_a_case_in_its_township_with_its_event(store, towns):
    patrol = PatrolStore(store.engine)
    made = patrol.create(finding(1500, 0), actor="hecha", now=NOW)
    assert made["code"] == "XC2019-0001" and made["existing"] is False
    row = store.get_case_row(made["case_id"])
    assert row["programme"] == "patrol" and row["state"] == "found"
    assert row["township_name"] == "任各庄镇" and row["township_code"] == "130208101"
    assert row["area_m2"] == 0 and row["violation"] == "illegal_mining"
    batch = store.get_batch(made["batch_id"])
    assert batch["programme"] == "patrol" and batch["period"] == "2019"
    assert batch["feature_count"] == 1
    (ev,) = store.events(made["case_id"])
    assert ev.action == "find" and ev.actor == "hecha" and ev.seq == 1
    verdict = audit.verify(store.engine)
    assert verdict.broken is None and verdict.events == 1
    second = patrol.create(finding(0, 0, "illegal_occupation"), actor="hecha", now=NOW)
    assert second["code"] == "XC2019-0002" and second["batch_id"] == made["batch_id"]
    assert store.get_batch(made["batch_id"])["feature_count"] == 2


def test_a_drawn_outline_is_measured_like_any_polygon(store, towns):
    ring = [lonlat(0, 0), lonlat(100, 0), lonlat(100, 50), lonlat(0, 50), lonlat(0, 0)]
    f = parse_finding(
        {"violation": "illegal_building", "geometry": {"type": "Polygon", "coordinates": [ring]}},
        now=NOW,
    )
    made = PatrolStore(store.engine).create(f, actor="zhifa", now=NOW)
    assert store.get_case_row(made["case_id"])["area_m2"] == pytest.approx(5000, rel=2e-3)


def test_a_report_keeps_its_reporter_apart_from_the_case(store, towns):
    f = finding(
        10,
        10,
        source="hotline_12336",
        reporter_name="王某（示例）",
        reporter_contact="13800000000",
        content="<b>夜里</b>有卡车",
    )
    made = PatrolStore(store.engine).create(f, actor="zhifa", now=NOW)
    assert made["code"] == "JB2019-0001"
    kept = PatrolStore(store.engine).report_of(made["case_id"])
    assert kept["reporter_contact"] == "13800000000" and kept["content"] == "<b>夜里</b>有卡车"
    # nowhere else: not in the case row, not in its event
    with store.engine.connect() as conn:
        row = conn.execute(select(cases).where(cases.c.id == made["case_id"])).one()
        events = conn.execute(select(case_events.c.payload, case_events.c.after)).all()
    assert "13800000000" not in repr(tuple(row)) and "13800000000" not in repr(events)
    assert PatrolStore(store.engine).report_of(made["case_id"] + 99) is None


def test_a_resent_finding_finds_the_case_it_made(store, towns):
    patrol = PatrolStore(store.engine)
    first = patrol.create(finding(0, 0), actor="hecha", now=NOW, client_ref="phone-1-abc")
    again = patrol.create(finding(0, 0), actor="hecha", now=NOW, client_ref="phone-1-abc")
    assert again["existing"] is True and again["case_id"] == first["case_id"]
    with store.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(cases)).scalar_one() == 1


def test_a_finding_at_an_open_illegal_case_joins_it(store, towns, tmp_path):
    ids = mining_batch(store, tmp_path, [("KS1", (0, 0, 100, 100)), ("KS2", (500, 0, 600, 100))])
    store.apply_action(
        ids["KS1"],
        "verify",
        actor="v",
        payload={"judgment": "illegal", "reason": "unlicensed_mining"},
        expected_version=0,
        now=NOW,
    )
    patrol = PatrolStore(store.engine)
    joined = patrol.create(finding(50, 50), actor="hecha", now=NOW)
    assert joined["linked_case_id"] == ids["KS1"] and joined["site_id"] == ids["KS1"]
    # at a site not judged illegal: same site, but it carries the violation itself
    own = patrol.create(finding(550, 50), actor="hecha", now=NOW)
    assert own["linked_case_id"] is None and own["site_id"] == ids["KS2"]
    # a second finding at the first site follows the link to the case carrying it
    again = patrol.create(finding(52, 52), actor="hecha", now=NOW)
    assert again["linked_case_id"] == ids["KS1"]
    # far from any case: a site of its own
    alone = patrol.create(finding(1500, 500), actor="hecha", now=NOW)
    assert alone["site_id"] is None and alone["linked_case_id"] is None


def test_findings_use_the_deadlines_in_force_when_found(store, towns):
    rules = PatrolRules(store.engine)
    assert rules.current().stop_within_hours == 24
    patrol = PatrolStore(store.engine)
    before = patrol.create(finding(0, 0), actor="hecha", now=NOW)
    rules.save({"stop_within_hours": 12}, by="admin", now=NOW, note="区局会议决定")
    after = patrol.create(finding(5, 5), actor="hecha", now=NOW)
    due = {
        k: store.get_case_row(v["case_id"])["stop_due_at"]
        for k, v in (("before", before), ("after", after))
    }
    assert due["before"] == NOW + timedelta(hours=24) and due["after"] == NOW + timedelta(hours=12)
    hist = rules.history()
    assert hist[0]["created_by"] == "admin" and hist[0]["note"] == "区局会议决定"


def test_findings_count_as_found_not_as_issued(store, towns):
    patrol = PatrolStore(store.engine)
    patrol.create(finding(0, 0), actor="hecha", now=NOW)
    patrol.create(finding(1500, 0, "illegal_occupation"), actor="hecha", now=NOW)
    counts = daily_counts.counts(store.engine)
    mine = counts.loc[counts["programme"] == "patrol"]
    assert int(mine["issued"].sum()) == 0 and int(mine["illegal"].sum()) == 2
    with store.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(patrol_reports)).scalar_one() == 0


def test_hints_are_stored_as_numbers_not_blobs(store, tmp_path, towns):
    """A finding away from the farmland layer gets 0 m² of it as numpy computes it: stored as a
    number (SQLite would take a numpy scalar as a BLOB, and the map's features answer 500)."""
    f = gpd.GeoDataFrame(
        {"DLBM": ["0101"]}, geometry=[box(X - 50, Y - 50, X + 50, Y + 50)], crs="EPSG:4527"
    )
    path = factories.write(f, tmp_path / "farm.gpkg")
    import_reference(store, path, "farmland", name="耕地", version="2019", actor="t", now=NOW)
    ring = [lonlat(0, 0), lonlat(100, 0), lonlat(100, 100), lonlat(0, 100), lonlat(0, 0)]
    docs = [
        {"violation": "farmland_damage", "geometry": {"type": "Polygon", "coordinates": [ring]}},
        {"violation": "illegal_mining", "geometry": point(1500, 0)},  # far from the farmland
    ]
    patrol = PatrolStore(store.engine)
    made = [patrol.create(parse_finding(d, now=NOW), actor="t", now=NOW)["case_id"] for d in docs]
    with store.engine.connect() as conn:
        kept = dict(
            conn.execute(select(cases.c.id, cases.c.farmland_m2).where(cases.c.id.in_(made))).all()
        )
    assert all(isinstance(kept[i], float) for i in made), kept
    assert kept[made[0]] == pytest.approx(2500, rel=1e-2) and kept[made[1]] == 0


def test_ogc_overdue_filter_knows_a_patrol_stop_past_its_hours(store, towns):
    """CQL2 ``overdue = true`` is the work lists' rule: a patrol case is late by its steps'
    deadlines, not by its standing year batch (due on 31 December)."""
    from storage.cql2 import case_queryables, compile_cql2

    patrol = PatrolStore(store.engine)
    late = patrol.create(finding(0, 0), actor="hecha", now=NOW)  # stop due NOW + 24 h
    q = case_queryables(NOW.date() + timedelta(days=2))
    where = compile_cql2("overdue = true", q)
    with store.engine.connect() as conn:
        hits = conn.execute(select(cases.c.id).where(where)).scalars().all()
    assert hits == [late["case_id"]]
    q_same_day = case_queryables(NOW.date())
    with store.engine.connect() as conn:
        none = (
            conn.execute(select(cases.c.id).where(compile_cql2("overdue = true", q_same_day)))
            .scalars()
            .all()
        )
    assert none == []


def test_fines_of_a_first_round_stay_counted_when_the_site_is_filed_anew(store, towns):
    """A site found active again is stopped and filed anew under a second 立案: the fines paid
    under the first stay in the payments the money metrics read."""
    from storage.facts import payments_frame

    made = PatrolStore(store.engine).create(finding(0, 0), actor="hecha", now=NOW)
    cid, t = made["case_id"], NOW

    def act(action, **payload):
        nonlocal t
        t += timedelta(hours=6)
        day = t.date().isoformat()
        dated = {k: (day if v == "today" else v) for k, v in payload.items()}
        v = store.get_case_row(cid)["version"]
        store.apply_action(cid, action, actor="x", payload=dated, expected_version=v, now=t)

    act("stop", order_no="停1", served_at=(t + timedelta(hours=1)).isoformat(), served_by="李")
    act("file", case_no="丰罚〔2019〕1号", filed_on="today")
    act("penalise", fine_yuan="30000", receipt_no="R1", paid_on="today")
    act("rectify", rectified_on="today")
    act("report_up", reported_on="today", doc_no="报1")
    act("close")
    act("watch", interval_days=30)
    act("reinspect_active", note="复采")
    act("stop", order_no="停2", served_at=(t + timedelta(hours=1)).isoformat(), served_by="李")
    act("file", case_no="丰罚〔2019〕2号", filed_on="today")
    paid = payments_frame(store.engine)
    first = paid.loc[paid["receipt_no"] == "R1"]
    assert len(first) == 1 and first.iloc[0]["programme"] == "patrol"
    assert float(first.iloc[0]["amount_yuan"]) == 30000
    assert store.get_case_row(cid)["case_no"] == "丰罚〔2019〕2号"
