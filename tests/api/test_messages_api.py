"""Error messages in the reader's language: English when ``Accept-Language`` prefers it, zh-CN
otherwise; ``code`` never changes, ``message_id`` names the catalog entry. Indicator words too."""

from __future__ import annotations

import io

import pytest

from geo.messages import EN, ZH
from geo.model import Action, State
from tests import factories
from tests.api.conftest import IMPORT_FORM, upload

EN_HEADER = {"Accept-Language": "en-US,en;q=0.9,zh-CN;q=0.5"}


def _error(r, status: int) -> dict:
    assert r.status_code == status, r.text
    return r.json()["error"]


def _both(send, status: int) -> tuple[dict, dict]:
    """The same failing request asked in Chinese (no header) and in English."""
    return _error(send({}), status), _error(send(EN_HEADER), status)


def _first_case(client, path) -> int:
    b = upload(client, path).json()
    return client.get(f"/api/batches/{b['id']}/features").json()["features"][0]["id"]


def test_a_wrong_password_in_each_language(anon):
    body = {"username": "admin", "password": "wrong password!"}
    zh, en = _both(lambda h: anon.post("/api/auth/login", json=body, headers=h), 401)
    assert zh["code"] == en["code"] == "AUTH_REQUIRED"
    assert zh["message_id"] == en["message_id"] == "auth.bad_login"
    assert (zh["message"], en["message"]) == (ZH["auth.bad_login"], EN["auth.bad_login"])


def test_signing_in_first_is_asked_for_in_english_before_the_route(anon):
    # The request gate answers writes without a session before any route runs.
    zh, en = _both(lambda h: anon.post("/api/snapshots", json={}, headers=h), 401)
    assert (zh["message"], en["message"]) == ("请先登录", "Please sign in")


def test_a_refused_role_names_roles_and_action_in_english(as_role, squares_gpkg, client):
    cid = _first_case(client, squares_gpkg)
    viewer = as_role("viewer")
    body = {"action": "verify", "payload": {"judgment": "legal", "reason": "approved"}}
    zh, en = _both(lambda h: viewer.post(f"/api/cases/{cid}/actions", json=body, headers=h), 403)
    assert zh["code"] == en["code"] == "FORBIDDEN" and en["message_id"] == "forbidden.action"
    assert Action.VERIFY.label in zh["message"] and Action.VERIFY.label_en in en["message"]
    assert en["message"].endswith(f"may not “{Action.VERIFY.label_en}”")


def test_a_stale_version_and_a_wrong_state_in_english(client, squares_gpkg):
    cid = _first_case(client, squares_gpkg)
    stale = {"action": "verify", "payload": {"judgment": "legal", "reason": "approved"}}
    stale["expected_version"] = 5
    zh, en = _both(lambda h: client.post(f"/api/cases/{cid}/actions", json=stale, headers=h), 409)
    assert zh["code"] == en["code"] == "CASE_VERSION_CONFLICT"
    assert zh["message"] == "图斑已被他人修改，请刷新后再提交"
    assert en["message"] == "Someone else changed this polygon; refresh and submit again"
    wrong = {"action": "approve", "payload": {}}
    zh, en = _both(lambda h: client.post(f"/api/cases/{cid}/actions", json=wrong, headers=h), 409)
    assert en["code"] == "CASE_INVALID_TRANSITION" and en["details"]["state"] == "issued"
    assert en["message"] == (
        f"The polygon is “{State.ISSUED.label_en}”: it cannot be “{Action.APPROVE.label_en}”"
    )
    assert zh["message"] == f"图斑当前为“{State.ISSUED.label}”，不能执行“{Action.APPROVE.label}”"


def test_a_payload_field_problem_in_english(client, squares_gpkg):
    cid = _first_case(client, squares_gpkg)
    body = {"action": "verify", "payload": {"judgment": "legal", "reason": "approved"}}
    body["payload"]["illegal_area_m2"] = -3
    zh, en = _both(lambda h: client.post(f"/api/cases/{cid}/actions", json=body, headers=h), 422)
    assert zh["code"] == en["code"] == "CASE_INVALID_PAYLOAD"
    assert en["details"]["field"] == "illegal_area_m2"
    assert en["message"].startswith("illegal_area_m2: the area must be between 0 and")
    assert zh["message"].startswith("illegal_area_m2：面积应在 0 到")


def test_request_validation_in_english(client):
    zh, en = _both(lambda h: client.get("/api/batches?limit=0", headers=h), 422)
    assert zh["code"] == en["code"] == "VALIDATION_ERROR" and en["message_id"] == "request.invalid"
    assert en["message"].startswith("Invalid request: limit ")
    assert zh["message"].startswith("请求参数有误：limit ")


def test_a_rejected_photo_in_english(client, squares_gpkg):
    cid = _first_case(client, squares_gpkg)

    def send(h):
        files = {"file": ("x.jpg", io.BytesIO(b"not a picture at all"), "image/jpeg")}
        return client.post(f"/api/cases/{cid}/photos", files=files, headers=h)

    zh, en = _both(send, 422)
    assert zh["code"] == en["code"] == "PHOTO_REJECTED" and en["details"]["reason"] == "not_image"
    assert (zh["message"], en["message"]) == ("文件不是 JPEG/PNG 图片", EN["photo.not_image"])


def test_an_import_refusal_names_the_forms_field_in_english(client, tmp_path):
    unnamed = factories.squares(2).rename(columns={"TBBH": "编号X"})
    path = factories.write(unnamed, tmp_path / "unnamed.gpkg")
    zh = _error(upload(client, path), 400)
    with path.open("rb") as fh:
        r = client.post(
            "/api/batches", data=IMPORT_FORM, files={"file": (path.name, fh)}, headers=EN_HEADER
        )
    en = _error(r, 400)
    assert zh["code"] == en["code"] == "IMPORT_MISSING_FIELD"
    assert "“字段映射”（field_map）" in zh["message"]
    assert en["message"].startswith("The required field ")
    assert en["message"].endswith("; set it in the import form's “Field map” (field_map)")


@pytest.mark.parametrize("header", [{}, {"Accept-Language": "fr-FR"}, {"Accept-Language": "zh"}])
def test_chinese_unless_english_is_preferred(anon, header):
    body = {"username": "nobody", "password": "wrong password!"}
    err = _error(anon.post("/api/auth/login", json=body, headers=header), 401)
    assert err["message"] == "用户名或密码错误"


def test_indicator_words_follow_the_language(client):
    params = {"project": "mining_enforcement"}
    zh = client.get("/api/indicators", params=params).json()
    en = client.get("/api/indicators", params=params, headers=EN_HEADER).json()
    zh_labels = {v["metric"]: v["label"] for r in zh["rows"] for v in r["values"]}
    en_labels = {v["metric"]: v["label"] for r in en["rows"] for v in r["values"]}
    assert zh_labels["verified_by_due_share"] == "按期核查率"
    assert en_labels["verified_by_due_share"] == "Verified on time"
    # The goal table's own texts are the bureau's: the same in both.
    assert [r["description"] for r in zh["rows"]] == [r["description"] for r in en["rows"]]
    budget = client.get("/api/budget", headers=EN_HEADER).json()["data"][0]["checkpoints"]
    assert [c["label"] for c in budget] == [
        "end of March",
        "end of June",
        "end of October",
        "end of December",
    ]
    trend = client.get("/api/indicators/trend", params=params, headers=EN_HEADER).json()
    assert {s["label"] for s in trend["series"]} <= set(en_labels.values())
