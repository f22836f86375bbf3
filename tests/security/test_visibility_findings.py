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


def test_a_shared_filing_shows_only_the_verifiers_own_parcels(world):
    """One 立案 may cover 图斑 of several verifiers: reading it through one's own 图斑 (the case,
    its printable sheet, the 立案 itself) must not list the others'.

    Runs last in this module: it files ``spare``.
    """
    admin, v = world.clients["admin"], world.clients["verifier"]
    spare, mine = world.ids["spare"], world.ids["mine"]
    for action in ("verify", "approve"):
        payload = (
            {"judgment": "illegal", "reason": "unlicensed_mining"} if action == "verify" else {}
        )
        r = admin.post(f"/api/cases/{spare}/actions", json={"action": action, "payload": payload})
        assert r.status_code == 200, r.text
    shared = admin.get(f"/api/enforcements/{world.enforcements['mine']}").json()["case_no"]
    r = admin.post(
        f"/api/cases/{spare}/actions",
        json={"action": "file", "payload": {"case_no": shared, "filed_on": "2019-12-01"}},
    )
    assert r.status_code == 200, r.text
    enf = admin.get(f"/api/enforcements/{world.enforcements['mine']}").json()
    assert {c["id"] for c in enf["cases"]} == {mine, spare}  # the filing is shared
    spare_code = world.codes["spare"]
    for path in (
        f"/api/cases/{mine}",
        f"/api/cases/{mine}/sheet",
        f"/api/enforcements/{world.enforcements['mine']}",
    ):
        got = v.get(path)
        assert got.status_code == 200, (path, got.text)
        assert spare_code not in got.text, path
    own = v.get(f"/api/enforcements/{world.enforcements['mine']}").json()
    assert [c["id"] for c in own["cases"]] == [mine]


def test_the_account_says_whether_import_reports_are_open_to_it(world):
    """The web map shows the import-report link from ``sees_all``; the server's answer agrees."""
    for role, client in world.clients.items():
        sees_all = client.get("/api/auth/me").json()["sees_all"]
        assert sees_all is (role != "verifier")
        report = client.get(f"/api/batches/{world.batch}/report.html")
        assert (report.status_code == 403) is (not sees_all), (role, report.status_code)
