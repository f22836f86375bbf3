"""``apply``: one action on one case, giving the new case and the event that records it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from typing import Any

import shapely.geometry

from geo.area import ellipsoidal_area_m2
from geo.deadlines import Deadlines
from geo.errors import InvalidPayload, InvalidTransition
from geo.localtime import local_today
from geo.messages import msg
from geo.model import Action, Case, Event, Judgment, Programme
from geo.workflow.effects import check_dates
from geo.workflow.milestones import milestone_changes
from geo.workflow.payloads import parse_payload
from geo.workflow.transitions import _GUARDS, allowed_actions, transitions_for


def _land_class_verdict(data: Mapping[str, Any]) -> bool:
    """A return counts against the land class only when the province says so, or, when its
    results carry no such column, when the reason names the 地类 (the usual wording)."""
    if data.get("land_class_ok") is not None:
        return bool(data["land_class_ok"])
    return "地类" not in (data.get("reason") or "")


def _geometry_area(gj: dict[str, Any]) -> float:
    return round(float(ellipsoidal_area_m2([shapely.geometry.shape(gj)])[0]), 2)


# The payload fields a penalty and a rectification copy onto the case as they are.
_PENALTY_FIELDS = ("decision_no", "fine_yuan", "confiscation_yuan", "receipt_no", "paid_on")
_RECTIFY_FIELDS = ("rectified_on", "demolished_m2", "reclaimed_m2", "permit_no")


def _recorded_day(at: datetime) -> date:
    """The bureau's day an action taken at ``at`` is recorded (a naive ``at`` is local time)."""
    return at.date() if at.tzinfo is None else local_today(at)


def _reinspection(case: Case, at: datetime) -> dict[str, Any]:
    """A watched site's re-inspection: on time when done by its due day; the next one due an
    interval after this one."""
    day = _recorded_day(at)
    interval = case.watch_interval_days or 0
    return {
        "last_inspected_at": at,
        "reinspected_on_time": case.watch_due_on is None or day <= case.watch_due_on,
        "watch_due_on": day + timedelta(days=interval),
    }


# What a site found active again starts afresh: the enforcement of before stays in the history.
_RESTART = {
    "case_no": None, "filed_on": None, "enforcement_id": None, "decision_no": None,
    "fine_yuan": None, "confiscation_yuan": None, "receipt_no": None, "paid_on": None,
    "rectified_on": None, "stopped_at": None, "stop_order_no": None, "reported_on": None,
    "report_doc_no": None,
}  # fmt: skip


def _reactivated(case: Case, at: datetime, rules: Deadlines) -> dict[str, Any]:
    out = {**_reinspection(case, at), "rectified_on": None}
    if case.programme is Programme.PATROL:
        out.update(_RESTART, found_at=at, **rules.due(at))
    return out


def _watch(case: Case, data: dict[str, Any], at: datetime, rules: Deadlines) -> dict[str, Any]:
    interval = data.get("interval_days") or rules.reinspect_every_days
    return {
        "watch_interval_days": interval,
        "watch_due_on": _recorded_day(at) + timedelta(days=interval),
    }


def _patrol_effects(
    case: Case, action: Action, data: dict[str, Any], at: datetime, rules: Deadlines
) -> dict[str, Any]:
    match action:
        case Action.STOP:
            return {"stopped_at": data["served_at"], "stop_order_no": data["order_no"]}
        case Action.REPORT:
            return {"reported_on": data["reported_on"], "report_doc_no": data["doc_no"]}
        case Action.DISMISS:
            return {"judgment": Judgment.OTHER, "note": data["reason"]}
        case Action.WATCH:
            return _watch(case, data, at, rules)
        case Action.REINSPECT:
            return _reinspection(case, at)
        case Action.REINSPECT_ACTIVE:
            return _reactivated(case, at, rules)
    return {}


def _payload_effects(case: Case, action: Action, data: dict[str, Any]) -> dict[str, Any]:
    """The fields an action sets from its payload (milestone stamps come from the map)."""
    match action:
        case Action.VERIFY:
            area = data.get("illegal_area_m2")
            if data.get("illegal_geometry") is not None and area is None:
                area = _geometry_area(data["illegal_geometry"])
            return {
                "judgment": data["judgment"],
                "verify_reason": data["reason"],
                "land_class": data.get("land_class"),
                "illegal_area_m2": area,
                "illegal_geometry": data.get("illegal_geometry"),
                "note": data.get("note"),
            }
        case Action.FILE:
            return {
                "case_no": data["case_no"],
                "filed_on": data["filed_on"],
                "enforcement_id": data.get("enforcement_id"),
            }
        case Action.PENALISE:
            return {k: data.get(k) for k in _PENALTY_FIELDS}
        case Action.RECTIFY:
            return {k: data.get(k) for k in _RECTIFY_FIELDS}
        case Action.APPROVE:
            return {"approved_first_time": case.review_returns == 0}
        case Action.RETURN_VERIFICATION:
            return {"reviewer_note": None}
        case Action.ANNOTATE:
            return {"reviewer_note": data["note"]}
        case Action.REOPEN:
            return {"rectified_on": None}
        case Action.COLLECT_EVIDENCE:
            return {
                "land_class_before": data.get("land_class_before"),
                "land_class_after": data.get("land_class_after"),
            }
        case Action.PASS:
            ok = data.get("land_class_ok")
            return {"land_class_ok": True if ok is None else ok}
        case Action.RETURN:
            return {"land_class_ok": _land_class_verdict(data)}
    return {}


def _effects(
    case: Case, action: Action, data: dict[str, Any], at: datetime, rules: Deadlines
) -> dict[str, Any]:
    """The fields an action sets besides the state."""
    return {
        **_payload_effects(case, action, data),
        **_patrol_effects(case, action, data, at, rules),
        **milestone_changes(case, action, at),
    }


def _check_instants(case: Case, action: Action, data: dict[str, Any], at: datetime) -> None:
    """A stop order is served after the violation was found and not after it is recorded."""
    served = data.get("served_at") if action is Action.STOP else None
    if served is None:
        return
    if at.tzinfo is not None and served > at:
        raise InvalidPayload(msg("patrol.served_after_recorded"), field="served_at")
    if case.found_at is not None and served < case.found_at:
        raise InvalidPayload(msg("patrol.served_before_found"), field="served_at")


def apply(
    case: Case,
    action: Action | str,
    *,
    actor: str,
    at: datetime,
    payload: Mapping[str, Any] | None = None,
    issued_on: date | None = None,
    rules: Deadlines | None = None,
) -> tuple[Case, Event]:
    """Apply ``action`` to ``case``; return the new case and the event that records the change.

    Raises ``InvalidTransition`` when the action is not allowed from the current state, and
    ``InvalidPayload`` when its payload is incomplete, out of bounds, dated after the day of
    ``at`` or out of order with the case's dates (``issued_on``: the day the 图斑 was issued, when
    the caller knows it). The input case is never modified.

    Examples
    --------
    >>> from datetime import date, datetime
    >>> from geo.model import Programme
    >>> c = Case(id=1, programme=Programme.MINING)
    >>> c2, ev = apply(c, "verify", actor="张三", at=datetime(2019, 5, 1),
    ...                payload={"judgment": "illegal", "reason": "unlicensed_mining"})
    >>> c2.state.value, c2.version, ev.before["state"].value, ev.after["state"].value
    ('verified', 1, 'issued', 'verified')
    """
    try:
        action = Action(action)
    except ValueError:
        raise InvalidTransition(
            msg("case.unknown_action", action=str(action)), action=str(action)
        ) from None
    if not actor or not actor.strip():
        raise InvalidPayload(msg("case.actor_required"), field="actor")
    target = transitions_for(case.programme).get((case.state, action))
    if target is None:
        raise InvalidTransition(
            msg("case.not_allowed", state=case.state, action=action),
            case_id=case.id,
            state=case.state,
            action=action,
            allowed=[a.value for a in allowed_actions(case)],
        )
    guard = _GUARDS.get(action)
    reason = guard(case) if guard else None
    if reason:
        raise InvalidTransition(reason, case_id=case.id, state=case.state, action=action)
    data = parse_payload(action, payload, today=_recorded_day(at))
    check_dates(case, action, data, issued_on=issued_on)
    _check_instants(case, action, data, at)
    effects = _effects(case, action, data, at, rules or Deadlines())
    changes = {"state": target, "version": case.version + 1, **effects}
    new = case.replace(**changes)
    before = {k: getattr(case, k) for k in changes}
    after = {k: getattr(new, k) for k in changes}
    event = Event(
        case_id=case.id,
        seq=new.version,
        action=action,
        actor=actor.strip(),
        at=at,
        before=before,
        after=after,
        payload=data,
    )
    return new, event


def replay(initial: Case, events: Iterable[Event]) -> Case:
    """Rebuild a case's current state from its issued form and its event log, in order."""
    case = initial
    for ev in events:
        case = case.replace(**ev.after)
    return case
