"""Hostile numbers, dates and strings are refused with a 422 naming the field, on both backends.

Each test sends what an attacker or a careless form would: fines of Infinity, NaN, 1e400, -1 or
1.005; a 10 MB note; a payment before the decision; a filing in 2099; integers above 64 bits in a
body and in a path; lone surrogates and NUL in a note and in the unauthenticated login; a bidi
override in a display name. Nothing of it may be stored, and nothing may answer 500.
"""

from __future__ import annotations

import json
from datetime import date

import pytest

from tests.api import conftest as api_fixtures
from tests.api.conftest import upload

# The API suite's fixtures (an app per backend, an admin client, an anonymous one, the clock).
app, anon, client, clock = (
    api_fixtures.app,
    api_fixtures.anon,
    api_fixtures.client,
    api_fixtures.clock,
)


def _act(c, cid, action, **payload):
    return c.post(f"/api/cases/{cid}/actions", json={"action": action, "payload": payload})


def _raw(c, url, text: str):
    """POST a body written by hand: JSON literals no encoder would write (Infinity, \\ud800)."""
    return c.post(url, content=text.encode(), headers={"Content-Type": "application/json"})


def _refused(r, *words: str) -> dict:
    assert r.status_code == 422, r.text
    err = r.json()["error"]
    assert all(w in json.dumps(err, ensure_ascii=False) for w in words), err
    return err


@pytest.fixture
def filed(client, squares_gpkg):
    """A 图斑 judged illegal, approved and filed on 2019-10-16 (the clock says 2019-10-20)."""
    b = upload(client, squares_gpkg).json()
    cid = client.get(f"/api/batches/{b['id']}/features").json()["features"][0]["id"]
    for action, payload in (
        ("verify", {"judgment": "illegal", "reason": "unlicensed_mining"}),
        ("approve", {}),
        ("file", {"case_no": "丰罚〔2019〕1号", "filed_on": "2019-10-16"}),
    ):
        assert _act(client, cid, action, **payload).status_code == 200
    return cid


def _penalties(client) -> float:
    body = client.get("/api/indicators", params={"project": "mining_enforcement", "year": 2019})
    values = {v["metric"]: v for row in body.json()["rows"] for v in row["values"]}
    return values["penalties_receipted"]["value"]


@pytest.mark.parametrize("fine", ["Infinity", "NaN", "1e400", "-1", "1.005", "-0.01", "1e11"])
def test_a_fine_that_is_not_a_finite_amount_in_fen_is_refused(client, filed, fine):
    as_string = _act(client, filed, "penalise", fine_yuan=fine, receipt_no="R1")
    _refused(as_string, "fine_yuan")
    as_number = _raw(
        client,
        f"/api/cases/{filed}/actions",
        f'{{"action": "penalise", "payload": {{"fine_yuan": {fine}, "receipt_no": "R1"}}}}',
    )
    _refused(as_number, "fine_yuan")
    case = client.get(f"/api/cases/{filed}").json()
    assert case["state"] == "filed" and "fine_yuan" not in case["milestones"]
    assert _penalties(client) == 0


def test_a_fine_is_kept_exact_to_the_fen(client, filed):
    r = _act(client, filed, "penalise", fine_yuan="12000.50", receipt_no="R1", paid_on="2019-10-18")
    assert r.status_code == 200, r.text
    enf = client.get(f"/api/enforcements/{r.json()['enforcement']['id']}").json()
    assert enf["fine_yuan"] == 12000.5 and enf["paid_yuan"] == 12000.5
    assert enf["outstanding_yuan"] == 0
    for receipt, amount in (("R2", "0.10"), ("R3", "0.20")):
        paid = client.post(
            f"/api/enforcements/{enf['id']}/payments",
            json={"amount_yuan": amount, "receipt_no": receipt, "paid_on": "2019-10-19"},
        )
        assert paid.status_code == 201, paid.text
    assert _penalties(client) == 12000.8


def test_a_10_mb_note_and_a_note_over_the_limit_are_refused(client, filed):
    assert _act(client, filed, "penalise", fine_yuan=500).status_code == 200
    huge = _act(client, filed, "rectify", rectified_on="2019-10-19", note="长" * 10_000_000)
    assert huge.status_code in (413, 422), huge.text[:200]  # a body cap may answer first
    _refused(_act(client, filed, "rectify", rectified_on="2019-10-19", note="长" * 2001), "2000")
    ok = _act(client, filed, "rectify", rectified_on="2019-10-19", note="长" * 2000)
    assert ok.status_code == 200, ok.text


def test_a_filing_in_2099_or_before_2000_is_refused(client, squares_gpkg):
    b = upload(client, squares_gpkg).json()
    cid = client.get(f"/api/batches/{b['id']}/features").json()["features"][0]["id"]
    _act(client, cid, "verify", judgment="illegal", reason="unlicensed_mining")
    _act(client, cid, "approve")
    _refused(_act(client, cid, "file", case_no="F1", filed_on="2099-01-01"), "filed_on", "将来")
    _refused(_act(client, cid, "file", case_no="F1", filed_on="1999-12-31"), "filed_on")
    _refused(_act(client, cid, "file", case_no="F1", filed_on="2019-02-30"), "filed_on")
    # Before the 图斑 was issued (2019-10-15): the province had not sent it yet.
    _refused(_act(client, cid, "file", case_no="F1", filed_on="2019-10-14"), "filed_on", "下发")
    refused = client.post(
        "/api/enforcements",
        json={"case_no": "F2", "filed_on": "2099-01-01", "case_ids": [cid]},
    )
    _refused(refused, "filed_on")
    assert client.get(f"/api/cases/{cid}").json()["state"] == "approved"


def test_a_payment_before_the_decision_or_the_filing_is_refused(client, filed):
    early = _act(
        client,
        filed,
        "penalise",
        fine_yuan=500,
        receipt_no="R1",
        decided_on="2019-10-18",
        paid_on="2019-10-17",
    )
    _refused(early, "paid_on", "处罚决定日期")
    before_filing = _act(client, filed, "penalise", fine_yuan=500, decided_on="2019-10-15")
    _refused(before_filing, "decided_on", "立案日期")
    ok = _act(client, filed, "penalise", fine_yuan=500, decided_on="2019-10-17")
    assert ok.status_code == 200, ok.text
    eid = ok.json()["enforcement"]["id"]
    pay = client.post(
        f"/api/enforcements/{eid}/payments",
        json={"amount_yuan": 500, "receipt_no": "R9", "paid_on": "2019-10-15"},
    )
    _refused(pay, "paid_on", "处罚决定日期")
    future = client.post(
        f"/api/enforcements/{eid}/payments",
        json={"amount_yuan": 500, "receipt_no": "R9", "paid_on": "2099-10-15"},
    )
    _refused(future, "paid_on")
    # After the filing but before the decision it pays: the stored decision day refuses it.
    between = client.post(
        f"/api/enforcements/{eid}/payments",
        json={"amount_yuan": 500, "receipt_no": "R9", "paid_on": "2019-10-16"},
    )
    _refused(between, "paid_on", "处罚决定日期")
    enforcement = client.get(f"/api/enforcements/{eid}").json()
    assert enforcement["payments"] == [] and enforcement["decided_on"] == "2019-10-17"
    paid = client.post(
        f"/api/enforcements/{eid}/payments",
        json={"amount_yuan": 500, "receipt_no": "R9", "paid_on": "2019-10-17"},
    )
    assert paid.status_code in (200, 201), paid.text


def test_integers_above_64_bits_are_refused_in_a_body_and_in_a_path(client, filed):
    huge = 2**70
    body = _raw(
        client,
        f"/api/cases/{filed}/actions",
        f'{{"action": "close", "payload": {{}}, "expected_version": {huge}}}',
    )
    _refused(body, "64")
    nested = _raw(client, f"/api/cases/{filed}/actions", "[" * 100_000 + "]" * 100_000)
    _refused(nested, "嵌套")
    _refused(client.get(f"/api/cases/{huge}"), "64")
    _refused(client.get(f"/api/cases/{2**40}"), "case_id")
    _refused(
        client.get("/api/indicators", params={"project": "mining_enforcement", "snapshot": 2**40}),
        "snapshot",
    )
    _refused(client.get(f"/api/enforcements/{huge}"), "64")
    _refused(client.get("/api/batches", params={"offset": str(huge)}), "64")
    assert client.get(f"/api/cases/{2**31 - 1}").status_code == 404
    refused = client.post(
        "/api/enforcements", json={"case_no": "X", "filed_on": "2019-10-16", "case_ids": [2**40]}
    )
    _refused(refused, "case_ids")


def test_a_lone_surrogate_is_refused_in_a_note_and_in_the_login(client, anon, filed):
    note = _raw(
        client,
        f"/api/cases/{filed}/actions",
        '{"action": "rectify", "payload": {"rectified_on": "2019-10-19", "note": "a\\ud800b"}}',
    )
    _refused(note, "代理项")
    login = _raw(anon, "/api/auth/login", '{"username": "admin\\udfff", "password": "x"}')
    _refused(login, "代理项")
    assert "note" not in client.get(f"/api/cases/{filed}").json()["milestones"]


def test_a_nul_is_refused_in_the_login_and_in_a_note(client, anon, filed):
    login = anon.post("/api/auth/login", json={"username": "ad\x00min", "password": "x"})
    _refused(login, "U+0000")
    pw = anon.post("/api/auth/login", json={"username": "admin", "password": "p\x00"})
    _refused(pw, "U+0000")
    vendor_json = anon.post(
        "/api/auth/login",
        content=json.dumps({"username": "ad\x00min", "password": "x"}).encode(),
        headers={"Content-Type": "application/vnd.tuban+json; charset=utf-8"},
    )
    _refused(vendor_json, "U+0000")
    form = anon.post("/api/auth/login", data={"username": "ad\x00min", "password": "x"})
    assert form.status_code == 422
    note = _act(client, filed, "rectify", rectified_on="2019-10-19", note="拆除\x00完毕")
    _refused(note, "U+0000")
    query = client.get("/api/search", params={"q": "13\x0002"})
    _refused(query, "U+0000")
    _refused(client.get("/api/cases/1%00"), "U+0000")
    assert client.get(f"/api/cases/{filed}").json()["state"] == "filed"


def test_a_bidi_override_or_control_character_in_a_name_is_refused(client):
    for name in ("张三\u202egpj.exe", "张三\u2066", "张\x07三", "张三\n李四"):
        r = client.post(
            "/api/users",
            json={
                "username": "zhang",
                "display_name": name,
                "password": "a long passphrase 9",
                "roles": ["viewer"],
            },
        )
        _refused(r, "display_name")
    names = [u["display_name"] for u in client.get("/api/users").json()["data"]]
    assert not any("张三" in n for n in names)


def test_the_limits_are_published_for_the_web_map(anon):
    meta = anon.get("/api/meta").json()
    assert meta["input_limits"]["max_note"] == 2000
    assert meta["field_kinds"]["money"]["maximum"] == 10**10
    assert meta["field_kinds"]["name"]["max_length"] == 100
    assert date.fromisoformat(meta["field_kinds"]["date"]["minimum"]) == date(2000, 1, 1)


def test_a_nul_in_an_upload_form_field_is_refused(client, squares_gpkg):
    r = upload(client, squares_gpkg, authority="河北省\x00自然资源厅")
    _refused(r, "authority", "U+0000")
    r = upload(client, squares_gpkg, period="2019Q3\u202e")
    assert r.status_code == 422, r.text
    assert client.get("/api/batches").json()["count"] == 0
