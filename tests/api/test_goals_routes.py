"""Goal tables over HTTP: read by year and version, admin edits with optimistic concurrency."""

from __future__ import annotations

import yaml

from geo.goals import load_goals, parse_goals
from runtime.settings import DEFAULT_GOALS_DIR


def _latest(client) -> dict:
    r = client.get("/api/goals/2019")
    assert r.status_code == 200, r.text
    return r.json()


def test_the_store_is_seeded_from_the_yaml_files(client):
    r = client.get("/api/goals").json()
    assert [(d["year"], d["version"], d["created_by"]) for d in r["data"]] == [(2019, 1, "system")]
    got = _latest(client)
    assert got["version"] == 1
    assert parse_goals(got["doc"], "api") == load_goals(DEFAULT_GOALS_DIR / "fengrun-2019.yaml")


def test_admin_edit_is_a_new_version_seen_by_the_indicators(client):
    body = _latest(client)
    doc = body["doc"]
    doc["projects"][1]["indicators"][0]["level3"] = "按季度完成核实（修订）"
    r = client.put("/api/goals/2019", json={**doc, "base_version": 1, "note": "措辞"})
    assert r.status_code == 201, r.text
    assert r.json() == {"year": 2019, "version": 2, "created": True}
    rows = client.get("/api/indicators?project=mining_enforcement").json()["rows"]
    assert rows[0]["level3"] == "按季度完成核实（修订）"
    old = client.get("/api/goals/2019?version=1").json()
    assert old["doc"]["projects"][1]["indicators"][0]["level3"] == "按季度完成下发卫片图版核实"
    versions = client.get("/api/goals/2019/versions").json()
    assert [(v["version"], v["note"]) for v in versions["data"]] == [
        (1, "导入 fengrun-2019.yaml"),
        (2, "措辞"),
    ]
    same = client.put("/api/goals/2019", json={**doc, "base_version": 2})
    assert same.status_code == 200 and same.json()["created"] is False


def test_stale_base_version_is_409(client):
    doc = _latest(client)["doc"]
    doc["unit_name"] = "甲改"
    assert client.put("/api/goals/2019", json={**doc, "base_version": 1}).status_code == 201
    doc["unit_name"] = "乙改"
    r = client.put("/api/goals/2019", json={**doc, "base_version": 1})
    assert r.status_code == 409
    err = r.json()["error"]
    assert err["code"] == "GOALS_VERSION_CONFLICT" and err["details"]["current_version"] == 2
    assert _latest(client)["doc"]["unit_name"] == "甲改"


def test_invalid_document_is_422_naming_project_row_and_field(client):
    doc = _latest(client)["doc"]
    doc["projects"][2]["indicators"][1]["targets"] = {"submitted_by_due_share": "按时"}
    r = client.put("/api/goals/2019", json={**doc, "base_version": 1})
    assert r.status_code == 422
    err = r.json()["error"]
    assert err["code"] == "GOALS_INVALID"
    assert err["details"]["project"] == "land_change_survey"
    assert err["details"]["row"] == 2
    assert err["details"]["field"] == "targets.submitted_by_due_share"
    assert len(client.get("/api/goals/2019/versions").json()["data"]) == 1


def test_base_version_and_year_must_match(client):
    doc = _latest(client)["doc"]
    r = client.put("/api/goals/2019", json=doc)
    assert r.status_code == 422 and r.json()["error"]["details"]["field"] == "base_version"
    r = client.put("/api/goals/2020", json={**doc, "base_version": 0})
    assert r.status_code == 422 and r.json()["error"]["details"]["field"] == "year"
    new_year = {**doc, "year": 2020}
    r = client.put("/api/goals/2020", json={**new_year, "base_version": 0})
    assert r.status_code == 201 and r.json()["version"] == 1
    assert [d["year"] for d in client.get("/api/goals").json()["data"]] == [2019, 2020]


def test_non_admins_may_read_but_not_edit(client, as_role):
    doc = _latest(client)["doc"]
    for role in ("viewer", "reviewer", "verifier", "enforcer"):
        c = as_role(role)
        assert c.get("/api/goals/2019").status_code == 200
        r = c.put("/api/goals/2019", json={**doc, "base_version": 1, "unit_name": role})
        assert r.status_code == 403
    assert len(client.get("/api/goals/2019/versions").json()["data"]) == 1


def test_export_yaml_imports_back_to_the_same_book(client):
    r = client.get("/api/goals/2019/export.yaml")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/yaml")
    assert 'filename="goals-2019-v1.yaml"' in r.headers["content-disposition"]
    assert "矿山卫片执法" in r.text  # Chinese kept readable, not \u escapes
    book = parse_goals(yaml.safe_load(r.text), "export")
    assert book == load_goals(DEFAULT_GOALS_DIR / "fengrun-2019.yaml")


def test_unknown_year_and_version_are_404(client):
    assert client.get("/api/goals/1999").status_code == 404
    assert client.get("/api/goals/2019?version=9").status_code == 404
    assert client.get("/api/goals/1999/versions").status_code == 404
    assert client.get("/api/goals/2019/export.yaml?version=9").status_code == 404
