"""The case workflow: transitions, guards, payloads, milestones and side effects, all pure."""

from geo.workflow.effects import (
    OpenEnforcement,
    RecordedEnforcement,
    RecordPayment,
    RecordPenalty,
    SetDecision,
    check_dates,
    check_fine,
    check_payment_date,
    effects_of,
    payment_of,
    penalty_writes,
    with_enforcement,
)
from geo.workflow.machine import apply, replay
from geo.workflow.milestones import KNOWN_AFTER, MILESTONES, Milestone, Tally
from geo.workflow.payloads import LAND_CLASS_PATTERN, PAYLOADS, FieldKind, parse_payload
from geo.workflow.transitions import (
    CHANGE_SURVEY_TRANSITIONS,
    MIN_EVIDENCE_PHOTOS,
    RESUBMIT_NEEDS_NOTE_AFTER,
    WEIPIAN_TRANSITIONS,
    allowed_actions,
    needs_reviewer_note,
    transitions_for,
)

__all__ = [
    "CHANGE_SURVEY_TRANSITIONS",
    "KNOWN_AFTER",
    "LAND_CLASS_PATTERN",
    "MILESTONES",
    "MIN_EVIDENCE_PHOTOS",
    "PAYLOADS",
    "RESUBMIT_NEEDS_NOTE_AFTER",
    "WEIPIAN_TRANSITIONS",
    "FieldKind",
    "Milestone",
    "OpenEnforcement",
    "RecordPayment",
    "RecordPenalty",
    "RecordedEnforcement",
    "SetDecision",
    "Tally",
    "allowed_actions",
    "apply",
    "check_dates",
    "check_fine",
    "check_payment_date",
    "effects_of",
    "needs_reviewer_note",
    "parse_payload",
    "payment_of",
    "penalty_writes",
    "replay",
    "transitions_for",
    "with_enforcement",
]
