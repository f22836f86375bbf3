"""动态巡查 through the API, on both backends: findings and reports become cases, the reporter
stays private, a resend finds its case, the deadlines are data with a history, the quick
response runs through /actions, its steps fall due in 我的任务 and the overdue list at the
right moments, watched sites are re-inspected, and the map's sites carry their status."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from storage.patrol import PatrolStore
from tests.api.conftest import ROLES, token_for, upload
from tests.conftest import NOW

POINT = {"type": "Point", "coordinates": [118.2, 39.9]}
SQUARE = {
    "type": "Polygon",
    "coordinates": [[[118.3, 39.9], [118.301, 39.9], [118.301, 39.901], [118.3, 39.901],
                     [118.3, 39.9]]],
}  # fmt: skip
CONTACT = "13800138000（王某，夜间勿扰）"


class Team:
    """A signed-in client per role; ``at(...)`` moves the clock and signs everyone in again
    (a session lasts 12 hours)."""

    def __init__(self, app, clock) -> None:
        self.app, self.clock = app, clock
        self.c = {r: TestClient(app).__enter__() for r in ROLES}
        self.refresh()

    def refresh(self) -> None:
        for role, c in self.c.items():
            c.headers.update(token_for(c, role))
            c.cookies.clear()

    def at(self, **delta) -> None:
        self.clock.now = NOW + timedelta(**delta)
        self.refresh()

    def close(self) -> None:
        for c in self.c.values():
            c.__exit__(None, None, None)


@pytest.fixture
def team(app, clock):
    t = Team(app, clock)
    yield t
    t.close()


def ok(r, status: int = 200) -> dict:
    assert r.status_code == status, r.text
    return r.json()


def find(c: TestClient, geometry=POINT, **kw) -> dict:
    return ok(c.post("/api/patrol/findings", json={"violation": "illegal_mining",
                                                  "geometry": geometry, **kw}), 201)  # fmt: skip


def act(c: TestClient, cid: int, action: str, **payload):
    return c.post(f"/api/cases/{cid}/actions", json={"action": action, "payload": payload})


def case(c: TestClient, cid: int) -> dict:
    return ok(c.get(f"/api/cases/{cid}"))


def tasks(c: TestClient, path: str = "/api/tasks") -> dict[int, dict]:
    return {t["case_id"]: t for t in ok(c.get(path, params={"limit": 1000}))["data"]}


def field_of(r) -> str:
    assert r.status_code == 422, r.text
    details = r.json()["error"]["details"]
    return details.get("field") or details["problems"][0]["field"].removeprefix("body.")


# --- findings and reports ------------------------------------------------------------------------


def test_a_point_and_a_polygon_found_on_patrol_become_cases(team):
    v = team.c["verifier"]
    first = find(v, note="夜间有挖掘机作业")
    assert first["code"] == "XC2019-0001" and first["existing"] is False
    got = case(v, first["case_id"])
    assert (got["programme"], got["state"], got["judgment"]) == ("patrol", "found", "illegal")
    assert got["area_m2"] == 0 and got["assignee"]["display_name"] == "测试verifier"
    assert got["milestones"]["stop_due_at"].startswith("2019-10-21T09:00")
    assert got["milestones"]["file_due_on"] == "2019-10-27"
    assert got["milestones"]["report_due_on"] == "2019-10-31"
    assert [e["action"] for e in got["events"]] == ["find"]
    second = find(team.c["enforcer"], SQUARE, violation="illegal_building")
    assert second["code"] == "XC2019-0002" and second["batch_id"] == first["batch_id"]
    square = case(team.c["enforcer"], second["case_id"])
    assert 9000 < square["area_m2"] < 10000  # ~86 m × 111 m, on the ellipsoid
    assert square["assignee"] is None  # an enforcer's finding is nobody's field task
    # The verifier's own finding is on their list: 制止 is due first.
    mine = tasks(v)
    assert mine[first["case_id"]]["step"] == "stop" and second["case_id"] not in mine


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"violation": "arson", "geometry": POINT}, "violation"),
        ({"violation": "illegal_mining", "geometry": {"type": "Point", "coordinates": [0, 0]}},
         "geometry"),
        ({"violation": "illegal_mining", "geometry": {"type": "LineString",
                                                      "coordinates": [[118, 39], [118.1, 39]]}},
         "geometry"),
        ({"violation": "illegal_mining", "geometry": POINT, "found_at": "2019-10-21T09:00"},
         "found_at"),
        ({"violation": "illegal_mining", "geometry": POINT, "found_at": "yesterday"}, "found_at"),
        ({"violation": "illegal_mining", "geometry": POINT, "client_ref": "a b"}, "client_ref"),
        ({"violation": "illegal_mining", "geometry": POINT, "client_ref": "x" * 65},
         "client_ref"),
        ({"violation": "illegal_mining", "geometry": POINT, "reporter_contact": "1"},
         "reporter_contact"),
        ({"geometry": POINT}, "violation"),
    ],
)  # fmt: skip
def test_a_bad_finding_is_refused_naming_the_field_and_nothing_is_written(team, body, field):
    r = team.c["verifier"].post("/api/patrol/findings", json=body)
    assert field_of(r) == field
    assert team.c["admin"].get("/api/batches").json()["count"] == 0


def test_a_report_keeps_its_reporter_private(team, tmp_path):
    desk = team.c["reviewer"]
    body = {
        "source": "hotline_12336", "violation": "illegal_mining", "geometry": SQUARE,
        "received_at": "2019-10-19T23:40+08:00", "reporter_name": "王某某",
        "reporter_contact": CONTACT, "content": "村北河道夜里有人挖沙", "note": "已转执法中队",
    }  # fmt: skip
    made = ok(desk.post("/api/patrol/reports", json=body), 201)
    cid = made["case_id"]
    assert made["code"] == "JB2019-0001"
    got = case(desk, cid)
    assert got["milestones"]["found_at"].startswith("2019-10-19T15:40")
    for role in ("admin", "enforcer", "reviewer"):
        report = ok(team.c[role].get(f"/api/patrol/reports/{cid}"))
        assert report["reporter_contact"] == CONTACT and report["source_label"] == "12336 举报电话"
        assert "reviewer" in report["received_by"] and report["content"] == body["content"]
    for role in ("verifier", "viewer"):
        assert team.c[role].get(f"/api/patrol/reports/{cid}").status_code == 403
    found = find(team.c["enforcer"])
    assert team.c["admin"].get(f"/api/patrol/reports/{found['case_id']}").status_code == 404
    # Nowhere else: the case and its history, the map, lists, exports, tiles and OGC items.
    admin, batch = team.c["admin"], made["batch_id"]
    seen = [
        admin.get(f"/api/cases/{cid}").text,
        admin.get(f"/api/batches/{batch}/features").text,
        admin.get(f"/api/batches/{batch}/export?format=geojson").text,
        admin.get(f"/api/batches/{batch}/export?format=csv").text,
        admin.get("/api/patrol/sites").text,
        admin.get("/api/tasks").text,
        admin.get("/api/search?q=JB2019").text,
        admin.get("/ogc/collections/cases/items?limit=100").text,
        admin.get(f"/ogc/collections/batch-{batch}/items").text,
        admin.get(f"/api/cases/{cid}/sheet").text,
    ]
    assert all(s for s in seen)
    for text in seen:
        for secret in (CONTACT, "王某某", "村北河道夜里有人挖沙"):
            assert secret not in text
    tile = admin.get(f"/api/tiles/batch-{batch}/13/6787/3104.mvt").content
    assert CONTACT.encode() not in tile


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"source": "patrol"}, "source"),
        ({"source": "rumour"}, "source"),
        ({"received_at": None}, "received_at"),
        ({"received_at": "2019-10-22T08:00+08:00"}, "received_at"),
        ({"reporter_contact": "138\u202e0013"}, "reporter_contact"),
    ],
)
def test_a_bad_report_is_refused_naming_the_field(team, body, field):
    base = {"source": "letter", "violation": "illegal_building", "geometry": POINT,
            "received_at": "2019-10-18T10:00+08:00"}  # fmt: skip
    r = team.c["enforcer"].post("/api/patrol/reports", json={**base, **body})
    assert field_of(r) == field


def test_hostile_text_in_a_note_or_a_report_is_stored_and_returned_as_data(team):
    hostile = {
        "note": "<script>alert(1)</script>' OR 1=1--",
        "reporter_name": '=HYPERLINK("http://x")',
        "reporter_contact": "<img src=x onerror=alert(2)>",
        "content": '"}]}<b>粗</b>\n第二行',
    }
    made = ok(team.c["enforcer"].post("/api/patrol/reports", json={
        "source": "online", "violation": "other", "geometry": POINT,
        "received_at": "2019-10-20T08:00+08:00", **hostile}), 201)  # fmt: skip
    cid = made["case_id"]
    report = ok(team.c["enforcer"].get(f"/api/patrol/reports/{cid}"))
    assert {k: report[k] for k in hostile if k != "note"} == {
        k: v for k, v in hostile.items() if k != "note"
    }
    got = case(team.c["enforcer"], cid)
    assert got["events"][0]["payload"]["note"] == hostile["note"]
    assert got["milestones"]["note"] == hostile["note"]
    listed = ok(team.c["admin"].get("/api/search", params={"q": made["code"]}))["data"]
    assert [h["case_id"] for h in listed] == [cid]


# --- one case per finding, however often it is sent ----------------------------------------------


def test_a_resend_with_its_client_ref_answers_the_case_it_made(team, monkeypatch):
    v = team.c["verifier"]
    first = find(v, client_ref="outbox-1")
    again = ok(
        v.post(
            "/api/patrol/findings",
            json={"violation": "illegal_mining", "geometry": POINT, "client_ref": "outbox-1"},
        )
    )
    assert again["existing"] is True and again["case_id"] == first["case_id"]
    # The resend raced the first send: the early look found nothing, the unique index did.
    real = PatrolStore.by_client_ref
    calls = []

    def late(self, ref):
        calls.append(ref)
        return None if len(calls) == 1 else real(self, ref)

    monkeypatch.setattr(PatrolStore, "by_client_ref", late)
    raced = v.post(
        "/api/patrol/findings",
        json={"violation": "illegal_mining", "geometry": POINT, "client_ref": "outbox-1"},
    )
    assert raced.status_code == 200, raced.text
    assert raced.json()["case_id"] == first["case_id"] and len(calls) == 2
    monkeypatch.undo()
    assert ok(team.c["admin"].get(f"/api/batches/{first['batch_id']}"))["feature_count"] == 1


def test_concurrent_sends_of_one_finding_make_one_case(app, team):
    clients = [TestClient(app).__enter__() for _ in range(4)]
    for c in clients:
        c.headers.update(token_for(c, "enforcer"))
        c.cookies.clear()
    body = {"violation": "illegal_mining", "geometry": POINT, "client_ref": "phone-7-42"}
    start, answers = threading.Barrier(len(clients)), []

    def send(c):
        start.wait()
        answers.append(c.post("/api/patrol/findings", json=body))

    threads = [threading.Thread(target=send, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for c in clients:
        c.__exit__(None, None, None)
    assert sorted(r.status_code for r in answers) == [200, 200, 200, 201], [r.text for r in answers]
    assert len({r.json()["case_id"] for r in answers}) == 1
    # Different findings sent at once each get a code of their own.
    codes = []

    def other(k):
        spot = {"type": "Point", "coordinates": [118 + k / 100, 39.8]}
        codes.append(find(team.c["enforcer"], spot))

    threads = [threading.Thread(target=other, args=(k,)) for k in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({c["code"] for c in codes}) == 3


def test_someone_elses_client_ref_is_refused_without_naming_their_case(team, app):
    find(team.c["enforcer"], client_ref="shared-ref")
    app.state.users.add(username="v2", display_name="另一核查员", password="correct horse battery",
                        roles=["verifier"], by="test", now=NOW)  # fmt: skip
    with TestClient(app) as v2:
        v2.headers.update(token_for(v2, "v2"))
        r = v2.post("/api/patrol/findings", json={"violation": "other", "geometry": POINT,
                                                  "client_ref": "shared-ref"})  # fmt: skip
    assert r.status_code == 409 and "XC2019" not in r.text and "case_id" not in r.text


# --- the deadlines as data -----------------------------------------------------------------------


def test_deadlines_are_edited_by_the_admin_with_a_history_and_cases_keep_their_own(team):
    got = ok(team.c["viewer"].get("/api/patrol/deadlines"))
    assert got["current"]["stop_within_hours"] == 24 and got["history"] == []
    before = find(team.c["enforcer"])
    change = {"stop_within_hours": 48, "report_by_month_end": False, "report_within_days": 10,
              "note": "按市局2019年10月通知调整"}  # fmt: skip
    for role in ("enforcer", "reviewer", "verifier", "viewer"):
        assert team.c[role].put("/api/patrol/deadlines", json=change).status_code == 403
    assert field_of(team.c["admin"].put("/api/patrol/deadlines", json={"stop_hours": 1})) == (
        "stop_hours"
    )
    assert (
        field_of(team.c["admin"].put("/api/patrol/deadlines", json={"file_within_days": 0}))
        == "file_within_days"
    )
    assert (
        field_of(team.c["admin"].put("/api/patrol/deadlines", json={"report_by_month_end": "no"}))
        == "report_by_month_end"
    )
    now = ok(team.c["admin"].put("/api/patrol/deadlines", json=change))
    assert now["stop_within_hours"] == 48 and now["file_within_days"] == 7
    history = ok(team.c["enforcer"].get("/api/patrol/deadlines"))["history"]
    assert len(history) == 1
    assert "admin" in history[0]["created_by"] and history[0]["note"] == change["note"]
    assert history[0]["created_at"].startswith("2019-10-20T09:00")
    team.at(hours=2)
    after = find(team.c["enforcer"])
    old, new = (case(team.c["admin"], x["case_id"])["milestones"] for x in (before, after))
    assert old["stop_due_at"].startswith("2019-10-21T09:00")
    assert old["report_due_on"] == "2019-10-31"
    assert new["stop_due_at"].startswith("2019-10-22T11:00")
    assert new["report_due_on"] == "2019-10-30"


# --- the quick response through /actions ---------------------------------------------------------

STOP = {"order_no": "丰国土资停〔2019〕8号", "served_at": "2019-10-20T18:30+08:00",
        "served_by": "李四"}  # fmt: skip
FILE = {"case_no": "丰国土资罚〔2019〕31号", "filed_on": "2019-10-20", "offender": "某砂石场"}
PENALTY = {"decision_no": "丰国土资罚决〔2019〕31号", "fine_yuan": 50000, "receipt_no": "R31",
           "paid_on": "2019-10-22"}  # fmt: skip
REPORT = {"reported_on": "2019-10-23", "doc_no": "丰国土资报〔2019〕5号", "reported_to": "唐山市局"}


def test_stop_file_penalise_rectify_report_and_close(team):
    cid = find(team.c["verifier"])["case_id"]
    team.at(hours=2)
    got = ok(act(team.c["verifier"], cid, "stop", **STOP))
    assert got["state"] == "stopped"
    assert got["milestones"]["stopped_at"].startswith("2019-10-20T10:30")
    assert ok(act(team.c["enforcer"], cid, "file", **FILE))["state"] == "filed"
    team.at(days=2)
    assert ok(act(team.c["enforcer"], cid, "penalise", **PENALTY))["state"] == "penalised"
    assert ok(act(team.c["enforcer"], cid, "rectify", rectified_on="2019-10-22"))["state"] == (
        "rectified"
    )
    r = act(team.c["reviewer"], cid, "close")
    assert r.status_code == 409 and "报告" in r.json()["error"]["message"]
    team.at(days=3)
    got = ok(act(team.c["reviewer"], cid, "report_up", **REPORT))
    assert got["milestones"]["reported_on"] == "2019-10-23" and got["state"] == "rectified"
    assert act(team.c["enforcer"], cid, "report_up", **REPORT).status_code == 409  # once only
    got = ok(act(team.c["reviewer"], cid, "close"))
    assert got["state"] == "closed"
    assert [e["action"] for e in got["events"]] == [
        "find", "stop", "file", "penalise", "rectify", "report_up", "close",
    ]  # fmt: skip
    assert got["enforcement"]["case_no"] == FILE["case_no"]


# --- deadlines falling due -----------------------------------------------------------------------


def _step(c: TestClient, cid: int, path: str = "/api/tasks") -> tuple[str | None, bool] | None:
    t = tasks(c, path).get(cid)
    return None if t is None else (t["step"], t["overdue"])


def test_each_step_falls_due_in_my_tasks_and_the_overdue_list_at_its_moment(team):
    cid = find(team.c["verifier"])["case_id"]  # found 2019-10-20 17:00 (Beijing)
    v, e, r, a = (team.c[k] for k in ("verifier", "enforcer", "reviewer", "admin"))
    assert _step(v, cid) == ("stop", False) and _step(e, cid) == ("stop", False)
    assert _step(r, cid) == ("report", False)  # a reviewer reports, never stops
    assert _step(a, cid, "/api/overdue") is None
    item = tasks(v)[cid]
    assert item["step_due"].startswith("2019-10-21T09:00") and item["due_on"] == "2019-10-21"
    assert item["step_label"] == "制止"
    team.at(hours=23, minutes=59)
    assert _step(e, cid) == ("stop", False)
    team.at(hours=24, minutes=1)  # the 24 hours are an instant, not a day
    assert _step(v, cid) == ("stop", True) and _step(a, cid, "/api/overdue") == ("stop", True)
    assert next(iter(tasks(e))) == cid  # overdue first
    ok(act(v, cid, "stop", **{**STOP, "served_at": "2019-10-21T17:00+08:00"}))
    assert _step(v, cid) is None  # 立案 is not a verifier's step
    assert _step(e, cid) == ("file", False) and tasks(e)[cid]["step_due"] == "2019-10-27"
    assert _step(a, cid, "/api/overdue") is None
    team.at(days=7, hours=15)  # 2019-10-27 24:00 Beijing: the day has ended
    assert _step(e, cid) == ("file", True) and _step(a, cid, "/api/overdue") == ("file", True)
    ok(act(e, cid, "file", **{**FILE, "filed_on": "2019-10-27"}))
    assert _step(e, cid) == ("report", False) and _step(r, cid) == ("report", False)
    team.at(days=11, hours=15)  # 2019-11-01 00:00 Beijing: past the month's end
    assert _step(r, cid) == ("report", True) and _step(a, cid, "/api/overdue") == ("report", True)
    ok(act(r, cid, "report_up", **{**REPORT, "reported_on": "2019-11-01"}))
    # No deadline left: still the enforcer's (penalty), never late by the year's batch.
    assert _step(e, cid) == (None, False) and _step(r, cid) is None
    item = tasks(e)[cid]
    assert item["step_due"] is None and item["due_on"] == "2019-12-31"
    team.at(days=80)
    assert _step(e, cid) == (None, False) and _step(a, cid, "/api/overdue") is None


def test_province_batches_keep_their_due_date_beside_patrol_steps(team, squares_gpkg):
    a = team.c["admin"]
    batch = ok(upload(a, squares_gpkg), 201)["id"]
    ids = [f["id"] for f in ok(a.get(f"/api/batches/{batch}/features"))["features"]]
    cid = find(team.c["enforcer"])["case_id"]
    listed = tasks(a)
    assert {listed[i]["step"] for i in ids} == {None}
    assert {listed[i]["due_on"] for i in ids} == {"2019-11-30"}
    team.at(days=45)  # 2019-12-04: the batch is late, and so are the patrol case's steps
    late = tasks(a, "/api/overdue")
    assert {late[i]["overdue"] for i in ids} == {True} and late[cid]["step"] == "stop"


# --- watched sites -------------------------------------------------------------------------------


def _closed(team, cid: int) -> None:
    e, r = team.c["enforcer"], team.c["reviewer"]
    ok(act(e, cid, "file", **FILE))
    ok(act(e, cid, "penalise", **{**PENALTY, "paid_on": "2019-10-21"}))
    ok(act(e, cid, "rectify", rectified_on="2019-10-21"))
    ok(act(r, cid, "report_up", **{**REPORT, "reported_on": "2019-10-21"}))
    ok(act(r, cid, "close"))


def test_a_watched_site_is_reinspected_on_time_then_late_then_found_active_again(team):
    v, e, a = team.c["verifier"], team.c["enforcer"], team.c["admin"]
    cid = find(v, SQUARE)["case_id"]
    team.at(days=1)
    _closed(team, cid)
    assert act(v, cid, "watch", interval_days=30).status_code == 403  # the office decides
    got = ok(act(e, cid, "watch", interval_days=30))
    assert got["milestones"]["watch_due_on"] == "2019-11-20"
    listed = ok(a.get("/api/patrol/watch"))
    assert [w["case_id"] for w in listed["data"]] == [cid] and listed["data"][0]["overdue"] is False
    assert _step(v, cid) is None  # not yet within the notice
    team.at(days=20)  # 2019-11-09: within 14 days of the re-inspection
    assert _step(v, cid) == ("reinspect", False)
    got = ok(act(v, cid, "reinspect", note="仍关停，设备已撤离"))
    assert got["milestones"]["reinspected_on_time"] is True
    assert got["milestones"]["watch_due_on"] == "2019-12-09" and got["state"] == "closed"
    team.at(days=51)  # 2019-12-10: a day late
    assert ok(a.get("/api/patrol/watch"))["data"][0]["overdue"] is True
    assert _step(a, cid, "/api/overdue") == ("reinspect", True)
    sites = ok(a.get("/api/patrol/sites"))["features"]
    assert [(f["id"], f["properties"]["status"]) for f in sites] == [(cid, "watch_overdue")]
    got = ok(act(v, cid, "reinspect"))
    assert got["milestones"]["reinspected_on_time"] is False
    assert got["milestones"]["reinspections"] == 2
    team.at(days=60)
    got = ok(act(v, cid, "reinspect_active", note="夜间复采，新增采坑两处"))
    assert got["state"] == "found"
    assert got["milestones"]["found_at"].startswith("2019-12-19T09:00")
    assert got["milestones"]["stop_due_at"].startswith("2019-12-20T09:00")
    assert got["enforcement"] is None and "reported_on" not in got["milestones"]
    assert _step(v, cid) == ("stop", False)
    assert ok(a.get("/api/patrol/watch"))["count"] == 0
    sites = ok(a.get("/api/patrol/sites"))["features"]
    assert [(f["id"], f["properties"]["status"]) for f in sites] == [(cid, "active")]


# --- the map's sites -----------------------------------------------------------------------------


def test_sites_are_one_feature_per_site_with_their_status_in_the_box(team, squares_gpkg):
    a, e = team.c["admin"], team.c["enforcer"]
    batch = ok(upload(a, squares_gpkg), 201)["id"]
    tuban = ok(a.get(f"/api/batches/{batch}/features"))["features"]
    mine = tuban[0]["id"]
    ok(act(a, mine, "verify", judgment="illegal", reason="unlicensed_mining"))
    legal = tuban[1]["id"]
    ok(act(a, legal, "verify", judgment="legal", reason="approved"))
    first = find(e, SQUARE)
    again = find(e, {"type": "Point", "coordinates": [118.3005, 39.9005]})  # the same pit
    assert again["linked_case_id"] == first["case_id"] and again["site_id"] == first["case_id"]
    dismissed = find(e, {"type": "Point", "coordinates": [118.5, 39.7]})["case_id"]
    ok(act(team.c["reviewer"], dismissed, "dismiss", reason="核实为合法取土"))
    body = a.get("/api/patrol/sites")
    assert body.headers["content-type"].startswith("application/geo+json")
    sites = {f["id"]: f["properties"] for f in body.json()["features"]}
    assert set(sites) == {mine, first["case_id"]}
    assert sites[mine]["programme"] == "mining" and sites[mine]["mining"] is True
    assert sites[first["case_id"]]["violation"] == "illegal_mining"
    assert {p["status"] for p in sites.values()} == {"active"}
    assert body.json()["numberMatched"] == 2
    boxed = a.get("/api/patrol/sites", params={"bbox": "118.25,39.85,118.35,39.95"}).json()
    assert [f["id"] for f in boxed["features"]] == [first["case_id"]]
    assert a.get("/api/patrol/sites", params={"bbox": "1,2,3"}).status_code == 400
    # A verifier's map holds only what they see.
    assert team.c["verifier"].get("/api/patrol/sites").json()["features"] == []
