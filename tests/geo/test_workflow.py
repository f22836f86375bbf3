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
    Action.VERIFY: {"judgment": "illegal", "reason": "unlicensed_mining", "note": "现场为露天采坑"},
    Action.FILE: {"case_no": "丰国土资罚〔2019〕12号", "filed_on": "2019-10-16"},
    Action.PENALISE: {"fine_yuan": "35000", "receipt_no": "HB0012345", "paid_on": "2019-10-18"},
    Action.RECTIFY: {"rectified_on": "2019-10-19"},
    Action.CLOSE: {},
    Action.COLLECT_EVIDENCE: {"land_class_before": "0103", "land_class_after": "0702"},
    Action.SUBMIT: {},
    Action.PASS: {},
    Action.RETURN: {"reason": "举证照片方向不符"},
    Action.APPROVE: {},
    Action.RETURN_VERIFICATION: {"reason": "照片不清晰"},
    Action.ANNOTATE: {"note": "已电话核实，可重新提交"},
    Action.ADD_PHOTO: {"sha256": "ab" * 32},
    Action.REOPEN: {"reason": "2020Q1 影像显示复建"},
    Action.FIND: {"violation": "illegal_mining", "found_at": "2019-10-15T08:00+08:00"},
    Action.STOP: {"order_no": "丰国土停〔2019〕3号", "served_at": "2019-10-15T09:00+08:00",
                  "served_by": "李四"},
    Action.REPORT: {"reported_on": "2019-10-20", "doc_no": "丰国土报〔2019〕7号"},
    Action.DISMISS: {"reason": "核实为已批准的临时用地"},
    Action.WATCH: {"interval_days": 30},
    Action.REINSPECT: {"note": "仍关停"},
    Action.REINSPECT_ACTIVE: {"note": "夜间复采"},
}
A = Action


REASON = {"illegal": "unlicensed_mining", "legal": "approved", "other": "pseudo_change"}


def run(case: Case, *actions: Action, **overrides: dict) -> Case:
    for i, a in enumerate(actions):
        payload = {**PAYLOADS[a], **overrides.get(a.value, {})}
        if a is Action.VERIFY and "reason" not in overrides.get("verify", {}):
            payload["reason"] = REASON[payload["judgment"]]
        case, _ = apply(case, a, actor="张三", at=T0 + timedelta(days=i), payload=payload)
    return case


def test_illegal_mine_goes_through_review_and_enforcement_to_closure():
    c = run(Case(1, Programme.MINING), A.VERIFY, A.APPROVE, A.FILE, A.PENALISE, A.RECTIFY, A.CLOSE)
    assert c.state is State.CLOSED
    assert c.version == 6
    assert c.judgment is Judgment.ILLEGAL and c.approved_first_time is True
    assert c.fine_yuan == 35000.0 and c.receipt_no == "HB0012345"
    assert c.filed_on == date(2019, 10, 16)


def test_filing_needs_an_approved_verification():
    c = run(Case(1, Programme.MINING), A.VERIFY)
    assert allowed_actions(c) == [A.APPROVE, A.RETURN_VERIFICATION, A.ADD_PHOTO]
    with pytest.raises(InvalidTransition):
        run(c, A.FILE)


@pytest.mark.parametrize("judgment", ["legal", "other"])
def test_legal_or_other_closes_without_enforcement(judgment):
    c = run(Case(1, Programme.LAND), A.VERIFY, A.APPROVE, verify={"judgment": judgment})
    assert allowed_actions(c) == [A.CLOSE]
    with pytest.raises(InvalidTransition, match="违法"):
        run(c, A.FILE)
    assert run(c, A.CLOSE).state is State.CLOSED


def test_illegal_cannot_be_closed_straight_after_approval():
    c = run(Case(1, Programme.MINING), A.VERIFY, A.APPROVE)
    with pytest.raises(InvalidTransition) as exc:
        run(c, A.CLOSE)
    assert exc.value.code == "CASE_INVALID_TRANSITION"


def test_review_return_loop_and_first_time_approval():
    c = run(Case(1, Programme.MINING), A.VERIFY, A.RETURN_VERIFICATION)
    assert c.state is State.REWORK and c.review_returns == 1
    c = run(c, A.VERIFY, A.APPROVE)
    assert c.state is State.APPROVED and c.approved_first_time is False


def test_returned_twice_needs_a_reviewer_note_to_resubmit():
    c = run(
        Case(1, Programme.MINING), A.VERIFY, A.RETURN_VERIFICATION, A.VERIFY, A.RETURN_VERIFICATION
    )
    assert c.review_returns == 2
    with pytest.raises(InvalidTransition, match="批注"):
        run(c, A.VERIFY)
    c = run(c, A.ANNOTATE, A.VERIFY)
    assert c.state is State.VERIFIED
    # a third return clears the note: the next resubmission needs a fresh one
    c = run(c, A.RETURN_VERIFICATION)
    assert c.reviewer_note is None
    with pytest.raises(InvalidTransition):
        run(c, A.VERIFY)


def test_rectified_site_rebuilt_is_reopened_with_history():
    c = run(Case(1, Programme.MINING), A.VERIFY, A.APPROVE, A.FILE, A.PENALISE, A.RECTIFY, A.CLOSE)
    c2 = run(c, A.REOPEN)
    assert c2.state is State.FILED and c2.closed_at is None and c2.version == c.version + 1
    assert c2.fine_yuan == 35000.0  # the earlier penalty stays on record


def test_photos_count_and_only_while_judgment_is_open():
    c = run(Case(1, Programme.MINING), A.ADD_PHOTO, A.ADD_PHOTO, A.VERIFY)
    assert c.photo_count == 2 and c.state is State.VERIFIED
    c = run(c, A.APPROVE)
    with pytest.raises(InvalidTransition):
        run(c, A.ADD_PHOTO)


def test_refused_transition_names_state_action_and_allowed():
    with pytest.raises(InvalidTransition) as exc:
        run(Case(7, Programme.MINING), A.PENALISE)
    assert exc.value.details["state"] == State.ISSUED
    assert exc.value.details["allowed"] == ["verify", "add_photo"]
    assert "已下发" in exc.value.message


def test_change_survey_needs_photos_and_loops_until_passed():
    c = run(Case(2, Programme.CHANGE_SURVEY), A.COLLECT_EVIDENCE, A.ADD_PHOTO)
    with pytest.raises(InvalidTransition, match="至少需要 2 张"):
        run(c, A.SUBMIT)
    c = run(c, A.ADD_PHOTO, A.SUBMIT, A.RETURN)
    assert c.state is State.RETURNED and c.returned_count == 1
    c = run(c, A.COLLECT_EVIDENCE, A.SUBMIT, A.PASS)
    assert c.state is State.PASSED and c.returned_count == 1
    assert c.land_class_after == "0702"


def test_change_survey_refuses_weipian_actions():
    with pytest.raises(InvalidTransition):
        run(Case(2, Programme.CHANGE_SURVEY), A.VERIFY)


@pytest.mark.parametrize(
    ("action", "payload", "field"),
    [
        (A.VERIFY, {}, "judgment"),
        (A.VERIFY, {"judgment": "maybe"}, "judgment"),
        (A.FILE, {"case_no": "X"}, "filed_on"),
        (A.FILE, {"case_no": "X", "filed_on": "2019/11/02"}, "filed_on"),
        (A.PENALISE, {"fine_yuan": "-5"}, "fine_yuan"),
        (A.PENALISE, {"fine_yuan": "nan"}, "fine_yuan"),
        (
            A.COLLECT_EVIDENCE,
            {"land_class_before": "0103", "land_class_after": "07-02"},
            "land_class_after",
        ),
        (A.RETURN, {"reason": "  "}, "reason"),
        (A.RETURN_VERIFICATION, {}, "reason"),
        (A.ADD_PHOTO, {"sha256": "not-a-hash"}, "sha256"),
    ],
)
def test_bad_payload_is_refused_with_the_field(action, payload, field):
    prev = {
        A.VERIFY: [],
        A.FILE: [A.VERIFY, A.APPROVE],
        A.PENALISE: [A.VERIFY, A.APPROVE, A.FILE],
        A.COLLECT_EVIDENCE: [],
        A.RETURN: [A.COLLECT_EVIDENCE, A.ADD_PHOTO, A.ADD_PHOTO, A.SUBMIT],
        A.RETURN_VERIFICATION: [A.VERIFY],
        A.ADD_PHOTO: [],
    }
    prog = Programme.CHANGE_SURVEY if action in (A.COLLECT_EVIDENCE, A.RETURN) else Programme.MINING
    c = run(Case(3, prog), *prev[action])
    with pytest.raises(InvalidPayload) as exc:
        apply(c, action, actor="张三", at=T0, payload=payload)
    assert exc.value.details["field"] == field


def test_actor_is_required():
    with pytest.raises(InvalidPayload):
        apply(Case(1, Programme.MINING), A.VERIFY, actor=" ", at=T0, payload={"judgment": "legal"})


def test_apply_does_not_mutate_and_event_records_before_after():
    c0 = Case(1, Programme.MINING)
    c1, ev = apply(
        c0, A.VERIFY, actor="李四", at=T0, payload={"judgment": "legal", "reason": "approved"}
    )
    assert c0.state is State.ISSUED and c0.version == 0
    assert ev.before == {
        "state": State.ISSUED,
        "version": 0,
        "judgment": None,
        "verify_reason": None,
        "land_class": None,
        "illegal_area_m2": None,
        "illegal_geometry": None,
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
            payload["judgment"], payload["reason"] = judgment, REASON[judgment]
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
        # Enforcement only ever happens to illegal 图斑 whose verification a reviewer approved.
        if case.state in (State.FILED, State.PENALISED, State.RECTIFIED):
            assert case.judgment is Judgment.ILLEGAL and case.reviewed_at is not None
        # Evidence goes to the province only with the photos the rules ask for.
        if case.state in (State.SUBMITTED, State.PASSED):
            assert case.photo_count >= 2
    assert replay(Case(9, programme), events) == case


def test_every_action_has_a_role():
    from geo.roles import ACTION_ROLES

    assert set(ACTION_ROLES) == set(Action)


@pytest.mark.parametrize("code", ["01", "0101", "0307K", "05H1", "08H2", "1202"])
def test_land_class_codes_of_the_third_survey(code):
    c = run(
        Case(2, Programme.CHANGE_SURVEY),
        A.COLLECT_EVIDENCE,
        collect_evidence={"land_class_after": code},
    )
    assert c.land_class_after == code


def test_reason_must_belong_to_the_judgment():
    with pytest.raises(InvalidPayload) as exc:
        apply(
            Case(1, Programme.MINING),
            A.VERIFY,
            actor="甲",
            at=T0,
            payload={"judgment": "legal", "reason": "unlicensed_mining"},
        )
    assert exc.value.details["field"] == "reason" and "approved" in exc.value.details["allowed"]


def test_drawn_illegal_extent_gives_its_ellipsoidal_area():
    square = {
        "type": "Polygon",
        "coordinates": [
            [[118.0, 39.8], [118.001, 39.8], [118.001, 39.801], [118.0, 39.801], [118.0, 39.8]]
        ],
    }
    c = run(
        Case(1, Programme.MINING),
        A.VERIFY,
        verify={
            "judgment": "illegal",
            "reason": "beyond_boundary_mining",
            "land_class": "0602",
            "illegal_geometry": square,
        },
    )
    assert 9_400 < c.illegal_area_m2 < 9_600 and c.land_class == "0602"
    assert c.verify_reason == "beyond_boundary_mining"
    bowtie = {
        "type": "Polygon",
        "coordinates": [
            [[118.0, 39.8], [118.001, 39.801], [118.001, 39.8], [118.0, 39.801], [118.0, 39.8]]
        ],
    }
    with pytest.raises(InvalidPayload) as exc:
        run(
            Case(1, Programme.MINING),
            A.VERIFY,
            verify={"judgment": "illegal", "illegal_geometry": bowtie},
        )
    assert exc.value.details["field"] == "illegal_geometry"
