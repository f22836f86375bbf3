"""A penalty on a 立案 case covering several 图斑 moves all of them, one event each, or none."""

from __future__ import annotations

from datetime import timedelta

import pytest

from geo.errors import InvalidTransition, VersionConflict
from storage.enforcement_cases import EnforcementStore
from storage.imports import import_file
from storage.users import Forbidden
from tests.conftest import NOW

FILING = {"case_no": "丰国土资罚〔2019〕30号", "filed_on": "2019-10-16", "offender": "某石料厂"}
PENALTY = {
    "decision_no": "丰国土资罚决〔2019〕30号",
    "decided_on": "2019-10-18",
    "fine_yuan": 60000,
    "receipt_no": "HB030",
    "paid_on": "2019-10-19",
}


@pytest.fixture
def filed(store, squares_gpkg, mining_meta):
    """Three 图斑: the first two filed under one 立案 case, the third approved only."""
    import_file(store, squares_gpkg, mining_meta, actor="t", now=NOW)
    ids = [r["id"] for r in store.features(store.list_batches()[0]["id"])]
    for cid in ids:
        for action, payload in (
            ("verify", {"judgment": "illegal", "reason": "unlicensed_mining"}),
            ("approve", {}),
        ):
            store.apply_action(
                cid, action, actor="t", payload=payload, expected_version=None, now=NOW
            )
    enforcements = EnforcementStore(store.engine)
    enf = enforcements.file(case_ids=ids[:2], payload=FILING, actor="执法甲", now=NOW)
    return enforcements, enf, ids


def _penalise_events(store, cid):
    return [e for e in store.events(cid) if e.action == "penalise"]


def test_a_penalty_moves_every_filed_tuban_of_the_case(store, filed):
    enforcements, enf, (a, b, c) = filed
    versions = {x["id"]: x["version"] for x in enf["cases"]}
    later = NOW + timedelta(days=1)
    saved = enforcements.penalise(
        enf["id"], payload=PENALTY, expected_versions=versions, actor="执法乙", now=later
    )
    assert {x["state"] for x in saved["cases"]} == {"penalised"}
    for cid in (a, b):
        case = store.get_case(cid)
        assert case.state.value == "penalised"
        assert case.decision_no == PENALTY["decision_no"] and case.receipt_no == "HB030"
        [event] = _penalise_events(store, cid)
        assert event.actor == "执法乙" and event.at == later
        assert store.rebuild_case(cid) == case
    assert store.get_case(c).state.value == "approved"  # not of this case
    # one decision and one payment for the case, however many 图斑 it covers
    assert saved["fine_yuan"] == 60000 and len(saved["payments"]) == 1
    assert saved["outstanding_yuan"] == 0


def test_the_penalise_action_on_one_tuban_moves_its_siblings(store, filed):
    _, enf, (a, b, _) = filed
    version = next(x["version"] for x in enf["cases"] if x["id"] == a)
    case = store.apply_action(
        a, "penalise", actor="执法乙", payload=PENALTY, expected_version=version, now=NOW
    )
    assert case.state.value == "penalised"
    assert store.get_case(b).state.value == "penalised"
    assert len(_penalise_events(store, b)) == 1
    with pytest.raises(InvalidTransition):  # already moved with its sibling
        store.apply_action(
            b, "penalise", actor="执法乙", payload=PENALTY, expected_version=None, now=NOW
        )


def test_a_stale_version_on_any_tuban_changes_nothing(store, filed):
    enforcements, enf, (a, b, _) = filed
    versions = {x["id"]: x["version"] for x in enf["cases"]}
    stale = {**versions, b: versions[b] - 1}
    with pytest.raises(VersionConflict):
        enforcements.penalise(
            enf["id"], payload=PENALTY, expected_versions=stale, actor="执法乙", now=NOW
        )
    for cid in (a, b):
        assert store.get_case(cid).state.value == "filed"
        assert _penalise_events(store, cid) == []
    summary = enforcements.get(enf["id"])
    assert summary["fine_yuan"] is None and summary["payments"] == []


def test_a_refused_tuban_refuses_the_whole_penalty(store, filed):
    enforcements, enf, (a, b, _) = filed

    def only_a(cid: int) -> None:
        if cid != a:
            raise Forbidden("该图斑不归您办理", case_id=cid)

    with pytest.raises(Forbidden):
        enforcements.penalise(
            enf["id"], payload=PENALTY, expected_versions={}, actor="执法乙", now=NOW, check=only_a
        )
    assert {store.get_case(cid).state.value for cid in (a, b)} == {"filed"}
    assert enforcements.get(enf["id"])["payments"] == []
