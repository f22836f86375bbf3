"""Daily case work over HTTP: review loop, photos, multi-图斑 enforcement, work lists, checks."""

from __future__ import annotations

import io

import pytest
import shapely
from shapely.geometry import shape

from geo import testing as photos
from tests.api.conftest import token_for, upload


def _ids(client, path, **form):
    b = upload(client, path, **form).json()
    fc = client.get(f"/api/batches/{b['id']}/features").json()
    return [f["id"] for f in fc["features"]], {
        f["id"]: shape(f["geometry"]) for f in fc["features"]
    }


def act(c, cid, action, **payload):
    r = c.post(f"/api/cases/{cid}/actions", json={"action": action, "payload": payload})
    return r


def ok(r):
    assert r.status_code in (200, 201), r.text
    return r.json()


@pytest.fixture
def team(client, as_role, squares_gpkg):
    ids, geoms = _ids(client, squares_gpkg)
    users = {u["username"]: u["id"] for u in client.get("/api/users").json()["data"]}
    ok(client.post("/api/assignments", json={"user_id": users["verifier"], "case_ids": ids}))
    return {
        "ids": ids,
        "geoms": geoms,
        "v": as_role("verifier"),
        "r": as_role("reviewer"),
        "e": as_role("enforcer"),
        "admin": client,
    }


def test_review_loop_and_reviewer_note_after_two_returns(team):
    v, r, cid = team["v"], team["r"], team["ids"][0]
    for _ in range(2):
        ok(act(v, cid, "verify", judgment="illegal", reason="unlicensed_mining"))
        assert act(r, cid, "return_verification").status_code == 422  # reason is mandatory
        ok(act(r, cid, "return_verification", reason="照片看不清"))
    refused = act(v, cid, "verify", judgment="illegal", reason="unlicensed_mining")
    assert refused.status_code == 409 and "批注" in refused.json()["error"]["message"]
    ok(act(r, cid, "annotate", note="已与核查员电话确认"))
    ok(act(v, cid, "verify", judgment="illegal", reason="unlicensed_mining"))
    case = ok(act(r, cid, "approve"))
    assert case["state"] == "approved"
    assert case["milestones"]["approved_first_time"] is False
    actors = {e["action"]: e["actor"] for e in case["events"]}
    assert actors["approve"] == "测试reviewer（reviewer）" and "verifier" in actors["verify"]


def _jpeg_at(geom, **kw):
    c = geom.centroid
    return photos.jpeg(lon=c.x, lat=c.y, direction=0, taken="2019:11:05 10:30:00", **kw)


def _upload_photo(c, cid, data, name="p.jpg"):
    return c.post(
        f"/api/cases/{cid}/photos", files={"file": (name, io.BytesIO(data), "image/jpeg")}
    )


def test_photos_are_checked_stored_and_counted(team):
    v, cid, geom = team["v"], team["ids"][0], team["geoms"][team["ids"][0]]
    good = ok(_upload_photo(v, cid, _jpeg_at(geom)))
    assert good["flags"] == [] and good["distance_m"] == 0 and good["faces_polygon"] is True
    far = ok(
        _upload_photo(
            v, cid, photos.jpeg(lon=geom.centroid.x + 0.05, lat=geom.centroid.y, direction=90)
        )
    )
    assert "far_from_polygon" in far["flags"] and far["distance_m"] > 3000
    bare = ok(
        _upload_photo(
            v, cid, photos.jpeg(lon=None, lat=None, direction=None, taken=None, offset=None)
        )
    )
    assert {"no_position", "no_direction", "no_time"} <= set(bare["flags"])
    again = ok(_upload_photo(v, cid, _jpeg_at(geom)))  # same bytes: stored once
    assert again["id"] == good["id"]
    case = ok(v.get(f"/api/cases/{cid}"))
    assert case["milestones"]["photo_count"] == 3 and len(case["photos"]) == 3
    thumb = v.get(good["thumb_url"])
    assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/jpeg"
    bad = _upload_photo(v, cid, b"%PDF-1.4 not a photo", "x.jpg")
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "PHOTO_REJECTED"
    assert ok(v.get(f"/api/cases/{cid}"))["milestones"]["photo_count"] == 3


def test_a_viewer_cannot_add_photos_an_enforcer_can(team, as_role):
    """Enforcement officers photograph what they serve and rectify (the stop orders of 动态巡查
    among them); the statistics role changes no case."""
    cid, geom = team["ids"][0], team["geoms"][team["ids"][0]]
    assert _upload_photo(as_role("viewer"), cid, _jpeg_at(geom)).status_code == 403
    assert _upload_photo(as_role("enforcer"), cid, _jpeg_at(geom)).status_code == 201


def _approve_illegal(team, cid):
    ok(act(team["v"], cid, "verify", judgment="illegal", reason="unlicensed_mining"))
    ok(act(team["r"], cid, "approve"))


def _values(c):
    body = ok(c.get("/api/indicators", params={"project": "mining_enforcement", "year": 2019}))
    return {v["metric"]: v for row in body["rows"] for v in row["values"]}


def test_one_filing_covers_several_parcels_and_fines_count_once(team):
    e, a, b = team["e"], team["ids"][0], team["ids"][1]
    _approve_illegal(team, a)
    _approve_illegal(team, b)
    enf = ok(
        e.post(
            "/api/enforcements",
            json={
                "case_no": "丰国土资罚〔2019〕21号",
                "filed_on": "2019-10-16",
                "offender": "某石料厂",
                "case_ids": [a, b],
            },
        )
    )
    assert sorted(c["id"] for c in enf["cases"]) == sorted([a, b])
    assert {c["state"] for c in enf["cases"]} == {"filed"}
    pen = {
        "decision_no": "丰国土资罚决〔2019〕21号",
        "fine_yuan": 90000,
        "receipt_no": "HB001",
        "paid_on": "2019-10-18",
    }
    ok(act(e, a, "penalise", **pen))  # the decision of the 立案: b moves with a
    assert ok(e.get(f"/api/cases/{b}"))["state"] == "penalised"
    again = act(e, b, "penalise", **{**pen, "fine_yuan": 50000})
    assert again.status_code == 409  # already penalised, with a
    ok(
        e.post(
            f"/api/enforcements/{enf['id']}/payments",
            json={"amount_yuan": 30000, "receipt_no": "HB002", "paid_on": "2019-10-19"},
        )
    )
    summary = ok(e.get(f"/api/enforcements/{enf['id']}"))
    assert summary["paid_yuan"] == 120000 and summary["outstanding_yuan"] == 0
    assert len(summary["payments"]) == 2
    assert _values(team["admin"])["penalties_receipted"]["value"] == 120000
    case = ok(e.get(f"/api/cases/{a}"))
    assert case["enforcement"]["case_no"] == "丰国土资罚〔2019〕21号"


def _file_two(team):
    e, a, b = team["e"], team["ids"][0], team["ids"][1]
    _approve_illegal(team, a)
    _approve_illegal(team, b)
    filing = {"case_no": "丰国土资罚〔2019〕22号", "filed_on": "2019-10-16", "case_ids": [a, b]}
    return ok(e.post("/api/enforcements", json=filing)), a, b


PENALTY = {
    "decision_no": "丰国土资罚决〔2019〕22号",
    "fine_yuan": 40000,
    "receipt_no": "HB022",
    "paid_on": "2019-10-18",
}


def test_a_penalty_on_the_case_moves_all_its_tuban(team):
    e = team["e"]
    enf, a, b = _file_two(team)
    versions = {str(c["id"]): c["version"] for c in enf["cases"]}
    saved = ok(
        e.post(
            f"/api/enforcements/{enf['id']}/penalty",
            json={"payload": PENALTY, "expected_versions": versions},
        )
    )
    assert {c["state"] for c in saved["cases"]} == {"penalised"}
    assert all(c["version"] == versions[str(c["id"])] + 1 for c in saved["cases"])
    assert saved["paid_yuan"] == 40000 and len(saved["payments"]) == 1
    for cid in (a, b):
        case = ok(e.get(f"/api/cases/{cid}"))
        assert case["state"] == "penalised"
        [event] = [x for x in case["events"] if x["action"] == "penalise"]
        assert (
            event["actor"] == "测试enforcer（enforcer）"
            and event["payload"]["receipt_no"] == "HB022"
        )


def test_a_stale_tuban_refuses_the_penalty_and_changes_nothing(team):
    e = team["e"]
    enf, a, b = _file_two(team)
    versions = {str(c["id"]): c["version"] for c in enf["cases"]}
    stale = {**versions, str(b): versions[str(b)] - 1}
    r = e.post(
        f"/api/enforcements/{enf['id']}/penalty",
        json={"payload": PENALTY, "expected_versions": stale},
    )
    assert r.status_code == 409 and r.json()["error"]["code"] == "CASE_VERSION_CONFLICT"
    summary = ok(e.get(f"/api/enforcements/{enf['id']}"))
    assert {c["state"] for c in summary["cases"]} == {"filed"}
    assert summary["fine_yuan"] is None and summary["payments"] == []
    for cid in (a, b):
        assert not [
            x for x in ok(e.get(f"/api/cases/{cid}"))["events"] if x["action"] == "penalise"
        ]


def test_only_enforcers_record_a_penalty(team, as_role):
    enf, a, b = _file_two(team)
    for role in ("reviewer", "viewer", "verifier"):
        r = as_role(role).post(f"/api/enforcements/{enf['id']}/penalty", json={"payload": PENALTY})
        assert r.status_code == 403, role
    summary = ok(team["e"].get(f"/api/enforcements/{enf['id']}"))
    assert {c["state"] for c in summary["cases"]} == {"filed"}


def test_filing_is_all_or_nothing(team):
    e, a, b = team["e"], team["ids"][0], team["ids"][1]
    _approve_illegal(team, a)  # b is still issued
    r = e.post(
        "/api/enforcements", json={"case_no": "X9", "filed_on": "2019-10-16", "case_ids": [a, b]}
    )
    assert r.status_code == 409
    assert ok(e.get(f"/api/cases/{a}"))["state"] == "approved"
    assert e.get("/api/enforcements/1").status_code == 404


def test_if_match_etag_conflict(team):
    v, cid = team["v"], team["ids"][0]
    got = v.get(f"/api/cases/{cid}")
    etag = got.headers["etag"]
    ok(
        team["admin"].post(
            f"/api/cases/{cid}/actions",
            json={"action": "verify", "payload": {"judgment": "legal", "reason": "approved"}},
        )
    )
    r = v.post(
        f"/api/cases/{cid}/actions",
        headers={"If-Match": etag},
        json={
            "action": "verify",
            "payload": {"judgment": "illegal", "reason": "unlicensed_mining"},
        },
    )
    assert r.status_code == 409 and r.json()["error"]["code"] == "CASE_VERSION_CONFLICT"


def test_tasks_overdue_first_and_overdue_list(team, clock):
    v = team["v"]
    tasks = ok(v.get("/api/tasks"))
    assert tasks["count"] == 3 and not any(t["overdue"] for t in tasks["data"])
    ok(act(v, team["ids"][0], "verify", judgment="legal", reason="approved"))
    assert ok(v.get("/api/tasks"))["count"] == 2
    assert [t["case_id"] for t in ok(team["r"].get("/api/tasks"))["data"]] == [team["ids"][0]]
    clock.advance(days=45)  # past the 2019-11-30 due date
    v.headers.update(token_for(v, "verifier"))
    later = ok(v.get("/api/tasks"))
    assert all(t["overdue"] for t in later["data"])
    v.headers.update(token_for(v, "verifier"))
    assert ok(v.get("/api/overdue"))["count"] == 3  # verified-but-not-closed is overdue too


def test_province_check_results(client, as_role, tmp_path):
    from tests import factories

    path = factories.write(factories.squares(3), tmp_path / "jc.gpkg")
    ids, geoms = _ids(client, path, programme="change_survey", period="2019")
    for cid in ids[:2]:
        ok(act(client, cid, "collect_evidence", land_class_before="0103", land_class_after="0702"))
        for k in range(2):
            ok(_upload_photo(client, cid, _jpeg_at(geoms[cid], comment=bytes([k]))))
        ok(act(client, cid, "submit"))
    codes = {cid: ok(client.get(f"/api/cases/{cid}"))["code"] for cid in ids}
    csv = (
        f"图斑编号,结果,原因\n{codes[ids[0]]},通过,\n{codes[ids[1]]},退回,地类判定有误\n"
        f"{codes[ids[2]]},通过,\nNOPE,通过,\n"
    )
    r = as_role("reviewer").post(
        "/api/province-checks", files={"file": ("checks.csv", csv.encode("utf-8-sig"))}
    )
    body = ok(r)
    assert body["applied"] == 2
    assert [(s["row"], s["code"]) for s in body["skipped"]] == [(3, codes[ids[2]]), (4, "NOPE")]
    assert ok(client.get(f"/api/cases/{ids[1]}"))["state"] == "returned"
    vals = ok(client.get("/api/indicators", params={"project": "land_change_survey"}))
    rate = {v["metric"]: v for row in vals["rows"] for v in row["values"]}["provincial_pass_rate"]
    assert rate["value"] == 50.0


def test_full_case_rebuilds_from_its_events(team, app):
    e, r, cid = team["e"], team["r"], team["ids"][0]
    _approve_illegal(team, cid)
    ok(act(e, cid, "file", case_no="A7", filed_on="2019-10-16"))
    ok(act(e, cid, "penalise", fine_yuan=1000, receipt_no="R7", paid_on="2019-10-18"))
    ok(act(e, cid, "rectify", rectified_on="2019-10-19", demolished_m2=800, reclaimed_m2=750))
    ok(act(r, cid, "close"))
    ok(act(e, cid, "reopen", reason="2020Q1 影像显示复建"))
    store = app.state.store
    assert store.rebuild_case(cid) == store.get_case(cid)
    assert store.get_case(cid).state.value == "filed"
    assert shapely.is_valid(team["geoms"][cid])


def test_photo_files_follow_case_visibility(team, client, as_role):
    other = team["ids"][2]
    # take the third 图斑 away from the verifier, then attach a photo to it as admin
    client.post(
        "/api/users", json={"username": "v2", "password": "another pass", "roles": ["verifier"]}
    )
    users = {u["username"]: u["id"] for u in client.get("/api/users").json()["data"]}
    ok(client.post("/api/assignments", json={"user_id": users["v2"], "case_ids": [other]}))
    p = ok(_upload_photo(client, other, _jpeg_at(team["geoms"][other])))
    assert team["v"].get(p["url"]).status_code == 404
    assert as_role("viewer").get(p["url"]).status_code == 200
    q = ok(_upload_photo(client, other, photos.png(), "x.png"))
    assert client.get(q["url"]).headers["content-type"] == "image/png"


def test_photos_cannot_be_counted_without_a_file(team):
    r = act(team["v"], team["ids"][0], "add_photo", sha256="ab" * 32)
    assert r.status_code == 422 and r.json()["error"]["details"]["field"] == "action"
    assert (
        ok(team["v"].get(f"/api/cases/{team['ids'][0]}"))["milestones"].get("photo_count", 0) == 0
    )
