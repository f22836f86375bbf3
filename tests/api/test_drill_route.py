"""``GET /api/projects/{project}/rows/{row_no}/cases``: the 图斑 behind one value, paged."""

from __future__ import annotations

import pytest

from storage import facts
from storage.engine import make_engine
from storage.repository import CaseStore
from tests.api.conftest import token_for
from tests.storage.test_drill import BOOK, PAST, SCOPES, TOWNS, build_spread, expected_ids


@pytest.fixture
def spread(app, client, clock, database_url, tmp_path):
    """The storage test's 图斑 (tests/storage/test_drill.py) in the app's store; the clock
    then moves on 60 days, so that PAST is a past day for the API."""
    store = CaseStore(make_engine(database_url))
    build_spread(store, tmp_path)
    clock.advance(days=60)
    client.headers.update(token_for(client, "admin"))  # the first session expired meanwhile
    yield store
    store.engine.dispose()


def _all(client, project, row_no, metric, **params) -> list[int]:
    """Every id the route lists, following ``next`` with pages of 3."""
    url = f"/api/projects/{project}/rows/{row_no}/cases"
    r = client.get(url, params={"metric": metric, "year": 2019, "limit": 3, **params})
    assert r.status_code == 200, r.text
    body = r.json()
    count, out = body["count"], []
    while True:
        assert len(body["data"]) <= 3 and body["count"] == count
        out += [c["case_id"] for c in body["data"]]
        if body["next"] is None:
            break
        body = client.get(body["next"]).json()
    assert len(out) == count
    return out


def _params(**kw) -> dict:
    return {k: str(v) for k, v in kw.items() if v is not None}


@pytest.mark.parametrize(("as_of", "township", "period"), SCOPES, ids=str)
def test_every_bound_metric_lists_the_per_case_ids(client, spread, as_of, township, period):
    checked = 0
    for project in BOOK.projects:
        want = expected_ids(spread, project, as_of=as_of, township=township, period=period)
        for (row_no, metric), expected in want.items():
            got = _all(client, project.id, row_no, metric,
                       **_params(as_of=as_of, township=township, period=period))  # fmt: skip
            assert got == expected, (project.id, metric)
            checked += 1
    assert checked >= 12


def test_a_verifier_gets_only_their_own(app, client, spread, as_role, clock):
    verifier = next(u for u in app.state.users.list() if u.username == "verifier")
    app.state.users.update(verifier.id, by="t", now=clock(), townships=[TOWNS[1]])
    v = as_role("verifier")
    live = facts.live_facts(spread.engine)
    theirs = set(live.loc[live["township_code"] == TOWNS[1], "case_id"])
    seen_any = False
    for as_of in (None, PAST):
        for project in BOOK.projects:
            want = expected_ids(spread, project, as_of=as_of, township=None, period=None)
            for (row_no, metric), expected in want.items():
                got = _all(v, project.id, row_no, metric, **_params(as_of=as_of))
                assert got == [i for i in expected if i in theirs], (project.id, metric)
                seen_any |= bool(got)
                # the same value for the admin names the others' too
                assert set(_all(client, project.id, row_no, metric, **_params(as_of=as_of))) == set(
                    expected
                )
    assert seen_any


def test_the_rows_carry_what_a_list_shows(client, spread):
    row_no = _row_of("land_change_survey", "evidence_of_issued")
    r = client.get(
        f"/api/projects/land_change_survey/rows/{row_no}/cases",
        params={"metric": "evidence_of_issued", "year": 2019},
    )
    assert r.status_code == 200, r.text
    assert r.json()["count"] >= 2
    for row in r.json()["data"]:
        assert row["code"].startswith("130208") and row["township_code"] in TOWNS
        assert row["state_label"] and row["state"]


def _row_of(project: str, metric: str) -> int:
    return next(r.row_no for r in BOOK.project(project).indicators if metric in r.metrics)


@pytest.mark.parametrize(
    ("path", "params", "status"),
    [
        ("/api/projects/mining_enforcement/rows/9999/cases", {"metric": "verified_of_issued"}, 404),
        ("/api/projects/mining_enforcement/rows/0/cases", {"metric": "verified_of_issued"}, 422),
        ("/api/projects/nope/rows/1/cases", {"metric": "verified_of_issued"}, 404),
        ("/api/projects/mining_enforcement/rows/1/cases", {"metric": "x" * 101}, 422),
        ("/api/projects/mining_enforcement/rows/1/cases", {}, 422),
        ("/api/projects/mining_enforcement/rows/1/cases", {"metric": "provincial_pass_rate"}, 404),
        ("/api/projects/mining_enforcement/rows/1/cases", {"metric": "<script>"}, 404),
    ],
    ids=str,
)
def test_a_row_or_metric_the_table_lacks_is_refused(client, path, params, status):
    r = client.get(path, params={"year": 2019, **params})
    assert r.status_code == status, r.text
    assert "<script>" not in r.headers.get("content-type", "")


def test_a_project_binding_no_metric_reads_no_cases_for_drill_true(client, spread, monkeypatch):
    from storage import drill

    calls = []
    real = drill.case_ids
    monkeypatch.setattr(drill, "case_ids", lambda *a, **k: calls.append(a) or real(*a, **k))
    r = client.get("/api/indicators", params={"project": "planning", "year": 2019, "drill": True})
    assert r.status_code == 200 and calls == []
    r = client.get(
        "/api/indicators", params={"project": "mining_enforcement", "year": 2019, "drill": True}
    )
    assert r.status_code == 200 and len(calls) == sum(
        len(row.metrics) for row in BOOK.project("mining_enforcement").indicators
    )
