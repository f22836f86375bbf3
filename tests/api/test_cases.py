"""Case actions over HTTP: transitions, conflicts and live indicators."""

from __future__ import annotations

from tests.api.conftest import PASSWORD, token_for, upload
from tests.conftest import NOW


def _case_ids(client, path):
    b = upload(client, path).json()
    fc = client.get(f"/api/batches/{b['id']}/features").json()
    return [f["id"] for f in fc["features"]]


def _act(client, cid, action, version=None, **payload):
    body = {"action": action, "payload": payload}
    if version is not None:
        body["expected_version"] = version
    return client.post(f"/api/cases/{cid}/actions", json=body)


def test_verify_changes_state_and_history(client, squares_gpkg):
    cid = _case_ids(client, squares_gpkg)[0]
    before = client.get(f"/api/cases/{cid}").json()
    assert before["allowed_actions"] == ["verify", "add_photo"] and before["events"] == []
    r = _act(
        client, cid, "verify", 0, judgment="illegal", reason="unlicensed_mining", note="无证开采"
    )
    assert r.status_code == 200, r.text
    c = r.json()
    assert (c["state"], c["state_label"], c["judgment_label"], c["version"]) == (
        "verified",
        "已核查",
        "违法",
        1,
    )
    assert c["allowed_actions"] == ["approve", "return_verification", "add_photo"]
    [ev] = c["events"]
    assert ev["actor"] == "测试admin（admin）" and ev["before"]["state"] == "issued"
    assert ev["payload"] == {
        "judgment": "illegal",
        "reason": "unlicensed_mining",
        "note": "无证开采",
    }


def test_refused_transition_is_409_with_allowed_actions(client, squares_gpkg):
    cid = _case_ids(client, squares_gpkg)[0]
    r = _act(client, cid, "penalise", fine_yuan=100)
    assert r.status_code == 409
    err = r.json()["error"]
    assert err["code"] == "CASE_INVALID_TRANSITION"
    assert err["details"]["allowed"] == ["verify", "add_photo"]


def test_second_writer_gets_409_conflict(client, squares_gpkg):
    cid = _case_ids(client, squares_gpkg)[0]
    assert _act(client, cid, "verify", 0, judgment="legal", reason="approved").status_code == 200
    r = _act(client, cid, "verify", 0, judgment="illegal", reason="unlicensed_mining")
    assert r.status_code == 409 and r.json()["error"]["code"] == "CASE_VERSION_CONFLICT"
    assert client.get(f"/api/cases/{cid}").json()["judgment"] == "legal"


def test_bad_payload_is_422_naming_field(client, squares_gpkg):
    cid = _case_ids(client, squares_gpkg)[0]
    r = _act(client, cid, "verify", judgment="perhaps")
    assert r.status_code == 422
    assert r.json()["error"]["details"]["field"] == "judgment"


def _values(client, project="mining_enforcement"):
    body = client.get("/api/indicators", params={"project": project, "year": 2019}).json()
    return {v["metric"]: v for row in body["rows"] for v in row["values"]}


def test_indicators_move_as_cases_change(client, squares_gpkg, clock):
    ids = _case_ids(client, squares_gpkg)
    v0 = _values(client)
    assert v0["verified_of_issued"]["numerator"] == 0
    assert v0["verified_of_issued"]["denominator"] == 3
    _act(client, ids[0], "verify", 0, judgment="illegal", reason="unlicensed_mining")
    _act(client, ids[0], "approve", 1)
    _act(client, ids[0], "file", 2, case_no="丰国土资罚〔2019〕7号", filed_on="2019-10-17")
    r = _act(
        client, ids[0], "penalise", 3, fine_yuan=20000, receipt_no="HB778", paid_on="2019-10-19"
    )
    assert r.status_code == 200, r.text
    clock.advance(days=60)  # after the 2019-11-30 due date (and after the session expired)
    assert client.get("/api/auth/me").status_code == 401
    client.headers.update(token_for(client, "admin"))
    _act(client, ids[1], "verify", 0, judgment="legal", reason="approved")
    v = _values(client)
    assert v["verified_of_issued"]["numerator"] == 2
    assert v["verified_by_due_share"]["numerator"] == 1  # the second was late
    assert v["illegal_filed_share"]["value"] == 100.0
    assert v["penalties_receipted"]["value"] == 20000.0
    assert v["illegal_mines_active"]["value"] == 1.0


def test_drill_down_lists_case_ids(client, squares_gpkg):
    ids = _case_ids(client, squares_gpkg)
    _act(client, ids[2], "verify", 0, judgment="other", reason="pseudo_change")
    body = client.get("/api/indicators", params={"project": "mining_enforcement", "drill": True})
    vals = {v["metric"]: v for row in body.json()["rows"] for v in row["values"]}
    assert vals["verified_of_issued"]["case_ids"] == [ids[2]]


def test_goal_tables_listed_with_all_three_projects(client):
    body = client.get("/api/projects", params={"year": 2019}).json()
    assert {p["id"] for p in body["data"]} == {
        "planning",
        "mining_enforcement",
        "land_change_survey",
    }
    assert client.get("/api/indicators", params={"project": "nope"}).status_code == 404


def test_health(client):
    assert client.get("/healthz").json() == {"status": "ok"}


def test_no_goal_tables_gives_empty_project_list(tmp_path):
    from fastapi.testclient import TestClient

    from api.main import create_app
    from runtime.settings import Settings

    s = Settings(database_url=f"sqlite:///{tmp_path / 'x.sqlite'}", goals_dir=tmp_path)
    app = create_app(s)
    app.state.users.add(
        username="v", display_name="v", password=PASSWORD, roles=["viewer"], by="t", now=NOW
    )
    with TestClient(app) as c:
        c.headers.update(token_for(c, "v"))
        assert c.get("/api/projects").json() == {"data": [], "count": 0, "next": None}
