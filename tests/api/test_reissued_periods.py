"""A batch that re-issues earlier 图斑: its list entry, its report, and indicators by period."""

from __future__ import annotations

import pytest

from tests import factories
from tests.api.conftest import token_for, upload
from tests.api.test_cases import _act
from tests.api.test_indicator_reports import _values

Q4 = {"period": "2019Q4", "issued_on": "2019-12-20", "due_on": "2020-01-31"}


@pytest.fixture
def reissued(client, clock, tmp_path):
    """Three 图斑 issued in 2019Q3, one of them verified; all three issued again in 2019Q4 under
    new codes (the same squares, so they join their cases by overlap). The clock then moves
    past the re-issue, so that its days are past days."""
    first = factories.squares(3)
    q3 = upload(client, factories.write(first, tmp_path / "q3.gpkg")).json()
    again = first.assign(TBBH=[f"{c}-2" for c in first["TBBH"]])
    r = upload(client, factories.write(again, tmp_path / "q4.gpkg"), **Q4)
    assert r.status_code == 201, r.text
    ids = [f["id"] for f in client.get(f"/api/batches/{q3['id']}/features").json()["features"]]
    assert _act(client, ids[0], "verify", 0, judgment="legal", reason="permitted_mining").is_success
    clock.advance(days=90)
    client.headers.update(token_for(client, "admin"))  # the first session expired meanwhile
    return q3, r.json(), ids


def test_the_batch_list_counts_the_reissued_tuban_and_their_area(client, reissued):
    q3, q4, _ = reissued
    listed = {b["id"]: b for b in client.get("/api/batches").json()["data"]}
    assert listed[q4["id"]]["feature_count"] == 3 and listed[q4["id"]]["new_cases"] == 0
    assert listed[q4["id"]]["area_m2"] == pytest.approx(q3["area_m2"], rel=1e-3)
    assert listed[q4["id"]]["area_m2"] > 0
    report = client.get(f"/api/batches/{q4['id']}/report").json()
    assert (report["imported"], report["reissued"]) == (3, 3)


def test_a_period_counts_the_tuban_reissued_in_it_and_the_year_counts_them_once(client, reissued):
    _, _, ids = reissued
    _, q4 = _values(client, period="2019Q4")
    assert q4["verified_of_issued"]["denominator"] == 3
    assert q4["verified_of_issued"]["numerator"] == 1
    _, q3 = _values(client, period="2019Q3")
    assert q3["verified_of_issued"]["denominator"] == 3  # issued there first: still counted
    _, year = _values(client)
    assert year["verified_of_issued"]["denominator"] == 3  # one case each, not six
    body, drilled = _values(client, period="2019Q4", drill=True)
    assert drilled["verified_of_issued"]["case_ids"] == [ids[0]]
    [row_no] = [
        r["row_no"]
        for r in body["rows"]
        if any(v["metric"] == "verified_of_issued" for v in r["values"])
    ][:1]
    r = client.get(
        f"/api/projects/mining_enforcement/rows/{row_no}/cases",
        params={"year": 2019, "metric": "verified_of_issued", "period": "2019Q4"},
    )
    assert r.status_code == 200, r.text
    assert [c["case_id"] for c in r.json()["data"]] == [ids[0]] and r.json()["count"] == 1


def test_a_period_counts_a_reissue_only_from_the_day_it_was_issued(client, reissued):
    _, before = _values(client, period="2019Q4", as_of="2019-12-19")
    assert before["verified_of_issued"]["denominator"] == 0
    _, after = _values(client, period="2019Q4", as_of="2019-12-20")
    assert after["verified_of_issued"]["denominator"] == 3
    assert after["verified_of_issued"]["numerator"] == 1
    _, drilled = _values(client, period="2019Q4", as_of="2019-12-20", drill=True)
    assert len(drilled["verified_of_issued"]["case_ids"]) == 1


def test_a_period_counts_the_money_of_the_tuban_reissued_in_it_once(client, reissued):
    _, _, ids = reissued
    cid = ids[1]
    steps = [
        ("verify", {"judgment": "illegal", "reason": "unlicensed_mining"}),
        ("approve", {}),
        ("file", {"case_no": "丰国土资罚〔2019〕30号", "filed_on": "2019-12-25"}),
        (
            "penalise",
            {
                "decision_no": "丰国土资罚决〔2019〕30号",
                "fine_yuan": 5000,
                "receipt_no": "HB030",
                "paid_on": "2019-12-30",
            },
        ),
    ]
    for version, (action, payload) in enumerate(steps):
        r = _act(client, cid, action, version, **payload)
        assert r.is_success, r.text
    for period in ("2019Q3", "2019Q4", None):
        _, v = _values(client, **({"period": period} if period else {}))
        assert v["penalties_receipted"]["value"] == 5000, period
        assert v["penalty_receipt_count"]["value"] == 1, period
    _, q1 = _values(client, period="2019Q1")
    assert q1["penalties_receipted"]["value"] == 0
