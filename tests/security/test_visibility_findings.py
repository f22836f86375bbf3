"""The scope leaks of issue 12, each asserted directly: a verifier assigned one 图斑 must not
list other overdue 图斑, read another 立案 case (offender, fine) or get the case ids behind an
indicator that are not theirs."""

from __future__ import annotations

import json

import pytest

from tests.security.visibility_world import world_on


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def world(request, tmp_path_factory):
    with world_on(request.param, tmp_path_factory.mktemp(request.param)) as w:
        yield w


def test_overdue_list_holds_only_the_verifiers_own(world):
    v = world.clients["verifier"]
    body = v.get("/api/overdue").json()
    assert [t["case_id"] for t in body["data"]] == [world.ids["mine"]]
    assert body["count"] == 1
    assert world.codes["theirs"] not in json.dumps(body, ensure_ascii=False)
    # who sees everything still gets every overdue 图斑
    assert world.clients["reviewer"].get("/api/overdue").json()["count"] == 3


def test_enforcement_of_another_verifiers_case_is_not_found(world):
    v = world.clients["verifier"]
    r = v.get(f"/api/enforcements/{world.enforcements['theirs']}")
    assert r.status_code == 404
    for secret in world.secrets_of("theirs"):
        assert secret not in r.text
    own = v.get(f"/api/enforcements/{world.enforcements['mine']}")
    assert own.status_code == 200 and own.json()["offender"] == "甲村砂石场"


def test_indicator_drill_down_names_only_visible_cases(world):
    params = {"project": "mining_enforcement", "year": 2019, "drill": "true"}
    def ids(role):
        body = world.clients[role].get("/api/indicators", params=params).json()
        return {i for row in body["rows"] for v in row["values"] for i in v["case_ids"] or []}

    assert world.ids["theirs"] in ids("admin")  # the drill-down does name cases
    assert ids("verifier") <= {world.ids["mine"]}
    assert world.ids["mine"] in ids("verifier")
