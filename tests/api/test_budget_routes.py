"""Spending over HTTP: statistics staff record it, everyone reads the checkpoints."""

from __future__ import annotations


def _spend(c, amount, on="2019-03-20", project="mining_enforcement", **kw):
    body = {
        "year": 2019,
        "project_id": project,
        "spent_on": on,
        "amount_yuan": amount,
        "purpose": "第三方监管服务费",
        **kw,
    }
    return c.post("/api/expenditures", json=body)


def test_record_list_and_checkpoints(as_role):
    tongji = as_role("viewer")
    r = _spend(tongji, 31500, voucher_no="记-031")
    assert r.status_code == 201, r.text
    assert r.json()["recorded_by"] == "测试viewer（viewer）"
    wrong = _spend(tongji, 86000, on="2019-06-12").json()
    _spend(tongji, -77400, on="2019-06-14", corrects_id=wrong["id"])
    _spend(tongji, 160000, on="2019-07-05", project="planning")
    lst = tongji.get("/api/expenditures?year=2019&project=mining_enforcement").json()
    assert lst["count"] == 3 and lst["total_yuan"] == 40100
    b = as_role("verifier").get("/api/budget?year=2019&as_of=2019-07-31").json()
    assert b["as_of"] == "2019-07-31" and b["count"] == 3
    mining = next(p for p in b["data"] if p["project"] == "mining_enforcement")
    assert mining["budget_yuan"] == 300000 and mining["spent_yuan"] == 40100
    pts = {c["checkpoint"]: c for c in mining["checkpoints"]}
    assert (pts["mar"]["planned_pct"], pts["mar"]["actual_pct"], pts["mar"]["deviation_pct"]) == (
        10,
        10.5,
        0.5,
    )
    assert pts["jun"]["actual_yuan"] == 40100 and pts["jun"]["deviation_pct"] == -26.63
    assert pts["oct"]["actual_yuan"] is None and pts["oct"]["label"] == "10月底"
    planning = next(p for p in b["data"] if p["project"] == "planning")
    assert planning["spent_pct"] == 40.0
    assert [c["planned_pct"] for c in planning["checkpoints"]] == [None, None, None, 100]


def test_budget_defaults_to_today_in_local_time(client, clock):
    _spend(client, 30000, on="2019-10-20")
    b = client.get("/api/budget?project=mining_enforcement").json()  # NOW is 2019-10-20
    assert b["year"] == 2019 and b["as_of"] == "2019-10-20" and b["count"] == 1
    pts = b["data"][0]["checkpoints"]
    assert pts[2]["actual_yuan"] is None  # 10月底 not reached yet
    clock.advance(hours=7)  # 16:00 UTC is already the next day in 丰润
    assert client.get("/api/budget?project=mining_enforcement").json()["as_of"] == "2019-10-21"
    b = client.get("/api/budget?project=mining_enforcement&as_of=2019-11-01").json()
    assert b["data"][0]["checkpoints"][2]["actual_yuan"] == 30000


def test_invalid_spending_is_422_with_the_field(client):
    r = _spend(client, -100)
    assert r.status_code == 422
    err = r.json()["error"]
    assert err["code"] == "EXPENDITURE_INVALID" and err["details"]["field"] == "corrects_id"
    r = _spend(client, 100, on="2020-01-01")
    assert r.status_code == 422 and r.json()["error"]["details"]["field"] == "spent_on"
    assert _spend(client, 100, project="roads").status_code == 404
    assert client.get("/api/expenditures?year=2019").json()["count"] == 0


def test_only_admin_and_statistics_may_record(as_role):
    for role in ("verifier", "reviewer", "enforcer"):
        assert _spend(as_role(role), 100).status_code == 403
    for role in ("admin", "viewer"):
        assert _spend(as_role(role), 100).status_code == 201
