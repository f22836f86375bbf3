"""Which actions each state allows, per programme, and the guards that can still refuse them."""

from __future__ import annotations

from collections.abc import Callable

from geo.messages import Msg, msg
from geo.model import Action, Case, Judgment, Programme, State

# (state, action) -> next state, one table per workflow. Guards that depend on more than the
# state (the judgment) live in _GUARDS so the table stays readable as a diagram.
WEIPIAN_TRANSITIONS: dict[tuple[State, Action], State] = {
    (State.ISSUED, Action.VERIFY): State.VERIFIED,
    (State.REWORK, Action.VERIFY): State.VERIFIED,
    (State.VERIFIED, Action.APPROVE): State.APPROVED,
    (State.VERIFIED, Action.RETURN_VERIFICATION): State.REWORK,
    (State.REWORK, Action.ANNOTATE): State.REWORK,
    (State.APPROVED, Action.FILE): State.FILED,
    (State.APPROVED, Action.CLOSE): State.CLOSED,
    (State.FILED, Action.PENALISE): State.PENALISED,
    (State.PENALISED, Action.RECTIFY): State.RECTIFIED,
    (State.RECTIFIED, Action.CLOSE): State.CLOSED,
    # The next quarter's imagery shows the site rebuilt: enforcement starts again, history kept.
    (State.RECTIFIED, Action.REOPEN): State.FILED,
    (State.CLOSED, Action.REOPEN): State.FILED,
    # Photos attach while the field judgment is still open.
    (State.ISSUED, Action.ADD_PHOTO): State.ISSUED,
    (State.REWORK, Action.ADD_PHOTO): State.REWORK,
    (State.VERIFIED, Action.ADD_PHOTO): State.VERIFIED,
}

CHANGE_SURVEY_TRANSITIONS: dict[tuple[State, Action], State] = {
    (State.ISSUED, Action.COLLECT_EVIDENCE): State.EVIDENCE_COLLECTED,
    (State.RETURNED, Action.COLLECT_EVIDENCE): State.EVIDENCE_COLLECTED,
    (State.EVIDENCE_COLLECTED, Action.COLLECT_EVIDENCE): State.EVIDENCE_COLLECTED,
    (State.EVIDENCE_COLLECTED, Action.SUBMIT): State.SUBMITTED,
    (State.SUBMITTED, Action.PASS): State.PASSED,
    (State.SUBMITTED, Action.RETURN): State.RETURNED,
    (State.ISSUED, Action.ADD_PHOTO): State.ISSUED,
    (State.RETURNED, Action.ADD_PHOTO): State.RETURNED,
    (State.EVIDENCE_COLLECTED, Action.ADD_PHOTO): State.EVIDENCE_COLLECTED,
}

# Closed illegal sites under watch are re-inspected; one found active again opens enforcement
# anew (卫片: 立案 again, its history kept).
_WATCHED = (State.RECTIFIED, State.CLOSED)
for _s in _WATCHED:
    WEIPIAN_TRANSITIONS[(_s, Action.WATCH)] = _s
    WEIPIAN_TRANSITIONS[(_s, Action.REINSPECT)] = _s
    WEIPIAN_TRANSITIONS[(_s, Action.REINSPECT_ACTIVE)] = State.FILED
    WEIPIAN_TRANSITIONS[(_s, Action.ADD_PHOTO)] = _s

# 动态巡查: 发现 → 制止 → 立案/查处 → 报告. 报告 is a step, not a state: it may come once at any
# point after discovery, and a case closes only once reported (guard).
PATROL_TRANSITIONS: dict[tuple[State, Action], State] = {
    (State.FOUND, Action.STOP): State.STOPPED,
    (State.FOUND, Action.FILE): State.FILED,  # nobody left on site to stop
    (State.STOPPED, Action.FILE): State.FILED,
    (State.FOUND, Action.DISMISS): State.CLOSED,
    (State.STOPPED, Action.DISMISS): State.CLOSED,
    (State.FILED, Action.PENALISE): State.PENALISED,
    (State.PENALISED, Action.RECTIFY): State.RECTIFIED,
    (State.RECTIFIED, Action.CLOSE): State.CLOSED,
    **{(s, Action.REPORT): s for s in (State.FOUND, State.STOPPED, State.FILED,
                                        State.PENALISED, State.RECTIFIED, State.CLOSED)},
    **{(s, Action.ADD_PHOTO): s for s in (State.FOUND, State.STOPPED, State.FILED,
                                           State.RECTIFIED, State.CLOSED)},
    **{(s, Action.WATCH): s for s in _WATCHED},
    **{(s, Action.REINSPECT): s for s in _WATCHED},
    # Active again: the quick response starts over (a new discovery, new deadlines).
    **{(s, Action.REINSPECT_ACTIVE): State.FOUND for s in _WATCHED},
}  # fmt: skip

# Evidence rules that vary by province and year (docs/domain.md): counties set them.
MIN_EVIDENCE_PHOTOS = 2
RESUBMIT_NEEDS_NOTE_AFTER = 2  # a 图斑 returned this often needs a reviewer note to go again


def transitions_for(programme: Programme) -> dict[tuple[State, Action], State]:
    """The (state, action) -> state table of ``programme``'s workflow."""
    if programme is Programme.PATROL:
        return PATROL_TRANSITIONS
    return WEIPIAN_TRANSITIONS if programme.is_weipian else CHANGE_SURVEY_TRANSITIONS


def _guard_file(case: Case) -> Msg | None:
    if case.judgment is not Judgment.ILLEGAL:
        return msg("case.guard.file_not_illegal")
    return None


def _guard_close(case: Case) -> Msg | None:
    if case.state is State.APPROVED and case.judgment is Judgment.ILLEGAL:
        return msg("case.guard.close_illegal")
    if case.programme is Programme.PATROL and case.reported_on is None:
        return msg("case.guard.close_unreported")
    return None


def _guard_report(case: Case) -> Msg | None:
    if case.reported_on is not None:
        return msg("case.guard.already_reported", doc_no=case.report_doc_no or "")
    return None


def _guard_watched(case: Case) -> Msg | None:
    if case.watch_interval_days is None:
        return msg("case.guard.not_watched")
    return None


def _guard_watch(case: Case) -> Msg | None:
    if case.judgment is not Judgment.ILLEGAL:
        return msg("case.guard.watch_not_illegal")
    return None


def _guard_photo(case: Case) -> Msg | None:
    # After the work is done, photos only come with re-inspections of a watched site.
    if case.state in _WATCHED and case.watch_interval_days is None:
        return msg("case.guard.not_watched")
    return None


def needs_reviewer_note(case: Case) -> bool:
    """Returned often enough that a reviewer must annotate before it can be verified again."""
    return case.review_returns >= RESUBMIT_NEEDS_NOTE_AFTER and not case.reviewer_note


def _guard_verify(case: Case) -> Msg | None:
    if needs_reviewer_note(case):
        return msg("case.guard.needs_reviewer_note", returns=case.review_returns)
    return None


def _guard_submit(case: Case) -> Msg | None:
    if case.photo_count < MIN_EVIDENCE_PHOTOS:
        return msg("case.guard.too_few_photos", count=case.photo_count, minimum=MIN_EVIDENCE_PHOTOS)
    return None


def _guard_reopen(case: Case) -> Msg | None:
    if case.judgment is not Judgment.ILLEGAL:
        return msg("case.guard.reopen_not_illegal")
    return None


_GUARDS: dict[Action, Callable[[Case], Msg | None]] = {
    Action.FILE: _guard_file,
    Action.CLOSE: _guard_close,
    Action.VERIFY: _guard_verify,
    Action.SUBMIT: _guard_submit,
    Action.REOPEN: _guard_reopen,
    Action.REPORT: _guard_report,
    Action.WATCH: _guard_watch,
    Action.REINSPECT: _guard_watched,
    Action.REINSPECT_ACTIVE: _guard_watched,
    Action.ADD_PHOTO: _guard_photo,
}


def allowed_actions(case: Case) -> list[Action]:
    """Actions that would succeed on this case now (ignoring payload)."""
    table = transitions_for(case.programme)
    return [
        a for (s, a) in table if s is case.state and (a not in _GUARDS or _GUARDS[a](case) is None)
    ]
