"""The workflow's side effects and milestone map: typed requests, the fine rule, one table."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from geo.errors import InvalidPayload
from geo.model import Action, Case, Judgment, Programme, State
from geo.workflow import (
    KNOWN_AFTER,
    MILESTONES,
    OpenEnforcement,
    RecordedEnforcement,
    RecordPayment,
    RecordPenalty,
    SetDecision,
    Tally,
    apply,
    check_fine,
    effects_of,
    penalty_writes,
    with_enforcement,
)
from geo.workflow.milestones import milestone_changes
from tests.geo.test_workflow import PAYLOADS

T0 = datetime(2019, 10, 20, tzinfo=UTC)


def _on(state: State, **kw) -> Case:
    programme = Programme.CHANGE_SURVEY if state is State.SUBMITTED else Programme.MINING
    return Case(id=7, programme=programme, state=state, **kw)


def _patrol(state: State) -> Case:
    found = datetime(2019, 10, 15, tzinfo=UTC)
    return Case(id=7, programme=Programme.PATROL, state=state, judgment=Judgment.ILLEGAL,
                found_at=found)  # fmt: skip


def test_a_filing_asks_to_open_its_enforcement_and_learns_its_id():
    before = _on(State.APPROVED, judgment=Judgment.ILLEGAL)
    after, ev = apply(before, "file", actor="zf", at=T0, payload=PAYLOADS[Action.FILE])
    (req,) = effects_of(before, ev)
    assert req == OpenEnforcement("丰国土资罚〔2019〕12号", date(2019, 10, 16), None)
    case, ev2 = with_enforcement(after, ev, 42)
    assert case.enforcement_id == 42
    assert ev2.after["enforcement_id"] == 42 and ev2.payload["enforcement_id"] == 42
    assert "enforcement_id" in ev2.before and after.enforcement_id is None  # input untouched


def test_a_penalty_asks_to_record_it_on_the_cases_enforcement():
    before = _on(State.FILED, judgment=Judgment.ILLEGAL, enforcement_id=3)
    _, ev = apply(before, "penalise", actor="zf", at=T0, payload=PAYLOADS[Action.PENALISE])
    assert effects_of(before, ev) == [
        RecordPenalty(3, 35000.0, receipt_no="HB0012345", paid_on=date(2019, 10, 18))
    ]


def test_a_penalty_without_an_enforcement_is_refused():
    before = _on(State.FILED, judgment=Judgment.ILLEGAL)
    _, ev = apply(before, "penalise", actor="zf", at=T0, payload=PAYLOADS[Action.PENALISE])
    with pytest.raises(InvalidPayload, match="没有关联的立案案件"):
        effects_of(before, ev)


@pytest.mark.parametrize("action", [a for a in Action if a not in (Action.FILE, Action.PENALISE)])
def test_other_actions_ask_nothing(action):
    ev = type("E", (), {"action": action, "payload": {}})()
    assert effects_of(_on(State.ISSUED), ev) == []


def test_the_first_penalty_sets_the_decision_and_pays_its_receipt():
    rec = RecordedEnforcement(3, "罚1号", None)
    pen = RecordPenalty(3, 500.0, decision_no="D1", receipt_no="R1", paid_on=date(2019, 11, 2))
    assert penalty_writes(rec, pen) == [
        SetDecision(3, "D1", 500.0, None),
        RecordPayment(3, 500.0, "R1", date(2019, 11, 2)),
    ]
    assert penalty_writes(rec, RecordPenalty(3, 500.0)) == [SetDecision(3, None, 500.0, None)]


def test_a_further_penalty_must_repeat_the_recorded_fine():
    rec = RecordedEnforcement(3, "罚1号", 500.0)
    assert penalty_writes(rec, RecordPenalty(3, 500.0)) == []  # the decision stays as it was
    assert penalty_writes(rec, RecordPenalty(3, 500.0, receipt_no="R2")) == [
        RecordPayment(3, 500.0, "R2", None)
    ]
    with pytest.raises(InvalidPayload, match="已记录罚款 500.00 元") as e:
        penalty_writes(rec, RecordPenalty(3, 600.0))
    assert e.value.details["field"] == "fine_yuan"


def test_check_fine_rules_only_once_a_fine_is_recorded():
    check_fine(RecordedEnforcement(1, "x", None), 123.0)
    check_fine(RecordedEnforcement(1, "x", 0.0), None)  # no fine given counts as zero
    with pytest.raises(InvalidPayload):
        check_fine(RecordedEnforcement(1, "x", 1.0), None)


def test_a_zero_fine_with_a_receipt_records_no_payment():
    writes = penalty_writes(
        RecordedEnforcement(3, "x", None), RecordPenalty(3, 0.0, receipt_no="R")
    )
    assert not [w for w in writes if isinstance(w, RecordPayment)]


# --- the milestone map ---------------------------------------------------------------------


def test_milestone_names_are_unique_and_case_fields_exist():
    names = [m.name for m in MILESTONES]
    assert len(names) == len(set(names))
    fields = set(Case.__dataclass_fields__)
    assert {m.name for m in MILESTONES if m.on_case} <= fields
    assert set(KNOWN_AFTER) <= fields and set(KNOWN_AFTER.values()) <= set(names)


def test_apply_stamps_exactly_the_mapped_milestones():
    """Each action sets the on-case milestones the map gives it, and no other."""
    c = Case(id=1, programme=Programme.MINING, photo_count=2, returned_count=1, review_returns=1)
    for action in Action:
        stamped = milestone_changes(c, action, T0)
        for m in (m for m in MILESTONES if m.on_case):
            if action in m.actions:
                want = T0 if m.tally is Tally.AT else getattr(c, m.name) + 1
                assert stamped[m.name] == want, (action, m.name)
            elif action in m.undone_by:
                assert stamped[m.name] is None
            else:
                assert m.name not in stamped, (action, m.name)


def test_known_after_fields_are_set_by_their_milestones_action():
    """A payload field is dated by the milestone of the action that writes it."""
    by_name = {m.name: m for m in MILESTONES}
    cases = {
        Action.FILE: _on(State.APPROVED, judgment=Judgment.ILLEGAL),
        Action.APPROVE: _on(State.VERIFIED),
        Action.PASS: _on(State.SUBMITTED),
        Action.STOP: _patrol(State.FOUND),
        Action.REPORT: _patrol(State.FOUND),
        Action.WATCH: _on(State.CLOSED, judgment=Judgment.ILLEGAL),
        Action.REINSPECT: _on(State.CLOSED, judgment=Judgment.ILLEGAL, watch_interval_days=30),
        Action.REINSPECT_ACTIVE: _on(
            State.CLOSED, judgment=Judgment.ILLEGAL, watch_interval_days=30
        ),
    }
    for field, milestone in KNOWN_AFTER.items():
        setters = by_name[milestone].actions
        for action in setters:
            case = cases.get(action) or _on(State.SUBMITTED)
            payload = PAYLOADS[action]
            _, ev = apply(case, action, actor="x", at=T0, payload=payload)
            assert field in ev.after, (field, action)
