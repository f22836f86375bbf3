"""Role × patrol action and route: each role is allowed or refused (403) exactly as geo.roles
says (``ACTION_ROLES``, and ``REPORT_DESK`` for reports), never by a table copied here.

An allowed call may still be refused by the case's state or the payload (409, 422): what
matters is that it got past the role check. Each combination runs against the real app, on
both backends."""

from __future__ import annotations

import pytest

from geo.model import Action
from geo.patrol import REPORT_DESK
from geo.roles import ACTION_ROLES, Role, may_act
from tests.api.conftest import ROLES

POINT = {"type": "Point", "coordinates": [118.2, 39.9]}

# Each patrol action with a payload its state accepts (the finding is fresh: state found), or
# which reaches the workflow's own refusal.
PAYLOADS = {
    Action.STOP: {"order_no": "停1", "served_at": "2019-10-20T17:30+08:00", "served_by": "李四"},
    Action.REPORT: {"reported_on": "2019-10-20", "doc_no": "报1"},
    Action.DISMISS: {"reason": "核实为合法用地"},
    Action.FILE: {"case_no": "罚1", "filed_on": "2019-10-20"},
    Action.WATCH: {"interval_days": 30},
    Action.REINSPECT: {"note": "仍关停"},
    Action.REINSPECT_ACTIVE: {"note": "复采"},
}
PASSED = (200, 409, 422)


def _may(role: str, roles: frozenset[Role]) -> bool:
    r = Role(role)
    return r is Role.ADMIN or r in roles


@pytest.fixture
def finding(as_role) -> dict:
    """A patrol finding recorded by the verifier (so assigned to them): every role sees it."""
    r = as_role("verifier").post(
        "/api/patrol/findings", json={"violation": "illegal_mining", "geometry": POINT}
    )
    assert r.status_code == 201, r.text
    return r.json()


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", sorted(PAYLOADS, key=str))
def test_each_patrol_action_is_allowed_to_the_roles_geo_roles_names(as_role, finding, role, action):
    body = {"action": action.value, "payload": PAYLOADS[action]}
    r = as_role(role).post(f"/api/cases/{finding['case_id']}/actions", json=body)
    if may_act({Role(role)}, action):
        assert r.status_code in PASSED, (role, action, r.text)
    else:
        assert r.status_code == 403, (role, action, r.text)
        assert r.json()["error"]["details"]["action"] == action.value


REPORT = {"source": "letter", "violation": "illegal_building", "geometry": POINT,
          "received_at": "2019-10-20T08:00+08:00", "reporter_contact": "13800000000"}  # fmt: skip


@pytest.mark.parametrize("role", ROLES)
def test_patrol_routes_follow_geo_roles(client, as_role, finding, role):
    c = as_role(role)
    may_find = _may(role, ACTION_ROLES[Action.FIND])
    r = c.post("/api/patrol/findings", json={"violation": "other", "geometry": POINT})
    assert r.status_code == (201 if may_find else 403), r.text
    made = client.post("/api/patrol/reports", json=REPORT).json()
    desk = _may(role, REPORT_DESK)
    r = c.post("/api/patrol/reports", json=REPORT)
    assert r.status_code == (201 if desk else 403), r.text
    r = c.get(f"/api/patrol/reports/{made['case_id']}")
    assert r.status_code == (200 if desk else 403), r.text
    assert ("13800000000" in r.text) is desk
    r = c.put("/api/patrol/deadlines", json={"stop_within_hours": 36})
    assert r.status_code == (200 if role == Role.ADMIN else 403), r.text
    for path in ("/api/patrol/deadlines", "/api/patrol/sites", "/api/patrol/watch"):
        assert c.get(path).status_code == 200, path


FINDERS = [r for r in ROLES if may_act({Role(r)}, Action.FIND)]


@pytest.mark.parametrize("role", FINDERS)
def test_a_verifier_sees_the_patrol_cases_they_found_and_no_others(as_role, client, role):
    c = as_role(role)
    theirs = client.post(
        "/api/patrol/findings", json={"violation": "illegal_mining", "geometry": POINT}
    ).json()["case_id"]
    mine = c.post(
        "/api/patrol/findings",
        json={"violation": "illegal_mining", "geometry": {"type": "Point",
                                                          "coordinates": [118.4, 39.7]}},
    ).json()["case_id"]  # fmt: skip
    sees_all = role != "verifier"
    assert c.get(f"/api/cases/{mine}").status_code == 200
    assert c.get(f"/api/cases/{theirs}").status_code == (200 if sees_all else 404)
    sites = {f["id"] for f in c.get("/api/patrol/sites").json()["features"]}
    assert sites == ({mine, theirs} if sees_all else {mine})
    listed = {t["case_id"] for t in c.get("/api/tasks").json()["data"]}
    assert mine in listed and (theirs in listed) is sees_all
