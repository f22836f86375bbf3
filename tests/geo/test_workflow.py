"""The case state machine: legal paths, refused transitions, payload checks, replay."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geo.errors import InvalidPayload, InvalidTransition
from geo.model import Action, Case, Judgment, Programme, State
from geo.workflow import (
    CHANGE_SURVEY_TRANSITIONS,
    WEIPIAN_TRANSITIONS,
    allowed_actions,
    apply,
    replay,
)

T0 = datetime(2019, 10, 20, tzinfo=UTC)

PAYLOADS = {
    Action.VERIFY: {"judgment": "illegal", "note": "现场为露天采坑"},
    Action.FILE: {"case_no": "丰国土资罚〔2019〕12号", "filed_on": "2019-11-02"},
    Action.PENALISE: {"fine_yuan": "35000", "receipt_no": "HB0012345", "paid_on": "2019-11-20"},
    Action.RECTIFY: {"rectified_on": "2019-12-01"},
    Action.CLOSE: {},
    Action.COLLECT_EVIDENCE: {
        "land_class_before": "0103",
        "land_class_after": "0702",
        "photo_count": 4,
    },
    Action.SUBMIT: {},
    Action.PASS: {},
    Action.RETURN: {"reason": "举证照片方向不符"},
}


def run(case: Case, *actions: Action, **overrides) -> Case:
    for i, a in enumerate(actions):
        payload = {**PAYLOADS[a], **overrides.get(a.value, {})}
        case, _ = apply(case, a, actor="张三", at=T0 + timedelta(days=i), payload=payload)
    return case


def test_illegal_mine_goes_through_enforcement_to_closure():
    c = run(
        Case(1, Programme.MINING),
        Action.VERIFY,
        Action.FILE,
        Action.PENALISE,
        Action.RECTIFY,
        Action.CLOSE,
    )
    assert c.state is State.CLOSED
    assert c.version == 5
    assert c.judgment is Judgment.ILLEGAL
    assert c.fine_yuan == 35000.0 and c.receipt_no == "HB0012345"
    assert c.filed_on == date(2019, 11, 2)


@pytest.mark.parametrize("judgment", ["legal", "other"])
def test_legal_or_other_closes_without_enforcement(judgment):
    c = run(Case(1, Programme.LAND), Action.VERIFY, verify={"judgment": judgment})
    assert Action.FILE not in allowed_actions(c)
    assert allowed_actions(c) == [Action.CLOSE]
    with pytest.raises(InvalidTransition, match="违法"):
        run(c, Action.FILE)
    assert run(c, Action.CLOSE).state is State.CLOSED


def test_illegal_cannot_be_closed_straight_after_verification():
    c = run(Case(1, Programme.MINING), Action.VERIFY)
    with pytest.raises(InvalidTransition) as exc:
        run(c, Action.CLOSE)
    assert exc.value.code == "CASE_INVALID_TRANSITION"


def test_refused_transition_names_state_action_and_allowed():
    with pytest.raises(InvalidTransition) as exc:
        run(Case(7, Programme.MINING), Action.PENALISE)
    assert exc.value.details["state"] == State.ISSUED
    assert exc.value.details["allowed"] == ["verify"]
    assert "已下发" in exc.value.message


def test_change_survey_loops_until_passed():
    c = run(Case(2, Programme.CHANGE_SURVEY), Action.COLLECT_EVIDENCE, Action.SUBMIT, Action.RETURN)
    assert c.state is State.RETURNED and c.returned_count == 1
    c = run(c, Action.COLLECT_EVIDENCE, Action.SUBMIT, Action.PASS)
    assert c.state is State.PASSED and c.returned_count == 1
    assert c.land_class_after == "0702"


def test_change_survey_refuses_weipian_actions():
    with pytest.raises(InvalidTransition):
        run(Case(2, Programme.CHANGE_SURVEY), Action.VERIFY)


@pytest.mark.parametrize(
    ("action", "payload", "field"),
    [
        (Action.VERIFY, {}, "judgment"),
        (Action.VERIFY, {"judgment": "maybe"}, "judgment"),
        (Action.FILE, {"case_no": "X"}, "filed_on"),
        (Action.FILE, {"case_no": "X", "filed_on": "2019/11/02"}, "filed_on"),
        (Action.PENALISE, {"fine_yuan": "-5"}, "fine_yuan"),
        (Action.PENALISE, {"fine_yuan": "nan"}, "fine_yuan"),
        (Action.COLLECT_EVIDENCE, {"land_class_after": "07-02"}, "land_class_after"),
        (Action.RETURN, {"reason": "  "}, "reason"),
    ],
)
def test_bad_payload_is_refused_with_the_field(action, payload, field):
    prev = {
        Action.VERIFY: [],
        Action.FILE: [Action.VERIFY],
        Action.PENALISE: [Action.VERIFY, Action.FILE],
        Action.COLLECT_EVIDENCE: [],
        Action.RETURN: [Action.COLLECT_EVIDENCE, Action.SUBMIT],
    }
    prog = (
        Programme.CHANGE_SURVEY
        if action in (Action.COLLECT_EVIDENCE, Action.RETURN)
        else Programme.MINING
    )
    c = run(Case(3, prog), *prev[action])
    with pytest.raises(InvalidPayload) as exc:
        apply(c, action, actor="张三", at=T0, payload=payload)
    assert exc.value.details["field"] == field


def test_actor_is_required():
    with pytest.raises(InvalidPayload):
        apply(
            Case(1, Programme.MINING),
            Action.VERIFY,
            actor=" ",
            at=T0,
            payload={"judgment": "legal"},
        )


def test_apply_does_not_mutate_and_event_records_before_after():
    c0 = Case(1, Programme.MINING)
    c1, ev = apply(c0, Action.VERIFY, actor="李四", at=T0, payload={"judgment": "legal"})
    assert c0.state is State.ISSUED and c0.version == 0
    assert ev.before == {
        "state": State.ISSUED,
        "version": 0,
        "judgment": None,
        "verified_at": None,
        "note": None,
    }
    assert ev.after["state"] is State.VERIFIED and ev.after["verified_at"] == T0
    assert ev.actor == "李四" and ev.seq == 1


# --- properties: random action sequences never reach an invalid state ------------------------

REACHABLE_W = {s for (s, _) in WEIPIAN_TRANSITIONS} | set(WEIPIAN_TRANSITIONS.values())
REACHABLE_C = {s for (s, _) in CHANGE_SURVEY_TRANSITIONS} | set(CHANGE_SURVEY_TRANSITIONS.values())


@settings(max_examples=300, deadline=None)
@given(
    programme=st.sampled_from(list(Programme)),
    steps=st.lists(
        st.tuples(st.sampled_from(list(Action)), st.sampled_from(["legal", "illegal", "other"])),
        max_size=15,
    ),
)
def test_random_sequences_keep_invariants(programme, steps):
    case = Case(9, programme)
    events = []
    for i, (action, judgment) in enumerate(steps):
        payload = {**PAYLOADS[action]}
        if action is Action.VERIFY:
            payload["judgment"] = judgment
        allowed = action in allowed_actions(case)
        try:
            case, ev = apply(case, action, actor="p", at=T0 + timedelta(hours=i), payload=payload)
            events.append(ev)
            assert allowed, f"{action} succeeded though not allowed"
        except InvalidTransition:
            assert not allowed
        reachable = REACHABLE_W if programme.is_weipian else REACHABLE_C
        assert case.state in reachable
        assert case.version == len(events)
        # Enforcement only ever happens to illegal 图斑.
        if case.state in (State.FILED, State.PENALISED, State.RECTIFIED):
            assert case.judgment is Judgment.ILLEGAL
    assert replay(Case(9, programme), events) == case
