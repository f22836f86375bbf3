"""The case state machine: one transition table and one pure ``apply``; no I/O, no clock reads."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from geo.errors import InvalidPayload, InvalidTransition
from geo.model import Action, Case, Event, Judgment, Programme, State

# (state, action) -> next state, one table per workflow. Guards that depend on more than the
# state (the judgment) live in _GUARDS so the table stays readable as a diagram.
WEIPIAN_TRANSITIONS: dict[tuple[State, Action], State] = {
    (State.ISSUED, Action.VERIFY): State.VERIFIED,
    (State.VERIFIED, Action.FILE): State.FILED,
    (State.VERIFIED, Action.CLOSE): State.CLOSED,
    (State.FILED, Action.PENALISE): State.PENALISED,
    (State.PENALISED, Action.RECTIFY): State.RECTIFIED,
    (State.RECTIFIED, Action.CLOSE): State.CLOSED,
}

CHANGE_SURVEY_TRANSITIONS: dict[tuple[State, Action], State] = {
    (State.ISSUED, Action.COLLECT_EVIDENCE): State.EVIDENCE_COLLECTED,
    (State.RETURNED, Action.COLLECT_EVIDENCE): State.EVIDENCE_COLLECTED,
    (State.EVIDENCE_COLLECTED, Action.SUBMIT): State.SUBMITTED,
    (State.SUBMITTED, Action.PASS): State.PASSED,
    (State.SUBMITTED, Action.RETURN): State.RETURNED,
}


def transitions_for(programme: Programme) -> dict[tuple[State, Action], State]:
    return WEIPIAN_TRANSITIONS if programme.is_weipian else CHANGE_SURVEY_TRANSITIONS


def _guard_file(case: Case) -> str | None:
    if case.judgment is not Judgment.ILLEGAL:
        return "只有核查结论为“违法”的图斑才能立案"
    return None


def _guard_close(case: Case) -> str | None:
    if case.state is State.VERIFIED and case.judgment is Judgment.ILLEGAL:
        return "违法图斑须经立案、处罚、整改后才能结案"
    return None


_GUARDS: dict[Action, Callable[[Case], str | None]] = {
    Action.FILE: _guard_file,
    Action.CLOSE: _guard_close,
}


# --- payload parsing -------------------------------------------------------------------------

_LAND_CLASS = re.compile(r"^\d{2}(\d{2}[A-Z]?)?$")


def _text(v: Any) -> str:
    s = str(v).strip()
    if not s:
        raise ValueError("不能为空")
    return s


def _date(v: Any) -> date:
    if isinstance(v, datetime):
        return v.date()
    if isinstance(v, date):
        return v
    try:
        return date.fromisoformat(str(v).strip())
    except ValueError:
        raise ValueError(f"日期格式应为 YYYY-MM-DD，收到 {v!r}") from None


def _money(v: Any) -> float:
    try:
        x = float(v)
    except (TypeError, ValueError):
        raise ValueError(f"应为金额数字，收到 {v!r}") from None
    if not x >= 0:  # also rejects NaN
        raise ValueError("金额不能为负数")
    return round(x, 2)


def _count(v: Any) -> int:
    try:
        n = int(v)
    except (TypeError, ValueError):
        raise ValueError(f"应为整数，收到 {v!r}") from None
    if n < 0:
        raise ValueError("不能为负数")
    return n


def _land_class(v: Any) -> str:
    s = str(v).strip().upper()
    if not _LAND_CLASS.match(s):
        raise ValueError(f"不是有效的三调地类编码：{v!r}")
    return s


def _judgment(v: Any) -> Judgment:
    try:
        return Judgment(str(v).strip())
    except ValueError:
        raise ValueError(f"核查结论应为 legal/illegal/other，收到 {v!r}") from None


@dataclass(frozen=True)
class _Field:
    parse: Callable[[Any], Any]
    required: bool = False


PAYLOADS: dict[Action, dict[str, _Field]] = {
    Action.VERIFY: {"judgment": _Field(_judgment, True), "note": _Field(_text)},
    Action.FILE: {"case_no": _Field(_text, True), "filed_on": _Field(_date, True)},
    Action.PENALISE: {
        "fine_yuan": _Field(_money, True),
        "receipt_no": _Field(_text),
        "paid_on": _Field(_date),
    },
    Action.RECTIFY: {"rectified_on": _Field(_date, True), "note": _Field(_text)},
    Action.CLOSE: {"note": _Field(_text)},
    Action.COLLECT_EVIDENCE: {
        "land_class_before": _Field(_land_class),
        "land_class_after": _Field(_land_class),
        "photo_count": _Field(_count),
        "note": _Field(_text),
    },
    Action.SUBMIT: {},
    Action.PASS: {},
    Action.RETURN: {"reason": _Field(_text, True)},
}


def parse_payload(action: Action, payload: Mapping[str, Any] | None) -> dict[str, Any]:
    """Validate and normalise an action's payload; unknown keys and empty optionals are dropped."""
    spec = PAYLOADS[action]
    raw = {k: v for k, v in (payload or {}).items() if v is not None and v != ""}
    out: dict[str, Any] = {}
    for name, fld in spec.items():
        if name not in raw:
            if fld.required:
                raise InvalidPayload(
                    f"“{action.label}”缺少必填项 {name}", field=name, action=action
                )
            continue
        try:
            out[name] = fld.parse(raw[name])
        except ValueError as exc:
            raise InvalidPayload(f"{name}：{exc}", field=name, action=action) from None
    return out


# --- effects ---------------------------------------------------------------------------------


def _effects(case: Case, action: Action, data: dict[str, Any], at: datetime) -> dict[str, Any]:
    """The milestone fields an action sets besides the state."""
    match action:
        case Action.VERIFY:
            return {"judgment": data["judgment"], "verified_at": at, "note": data.get("note")}
        case Action.FILE:
            return {"case_no": data["case_no"], "filed_on": data["filed_on"]}
        case Action.PENALISE:
            return {k: data.get(k) for k in ("fine_yuan", "receipt_no", "paid_on")}
        case Action.RECTIFY:
            return {"rectified_on": data["rectified_on"]}
        case Action.CLOSE:
            return {"closed_at": at}
        case Action.COLLECT_EVIDENCE:
            return {
                "evidence_at": at,
                "land_class_before": data.get("land_class_before"),
                "land_class_after": data.get("land_class_after"),
            }
        case Action.SUBMIT:
            return {"submitted_at": at}
        case Action.PASS:
            return {"checked_at": at}
        case Action.RETURN:
            return {"checked_at": at, "returned_count": case.returned_count + 1}
    raise AssertionError(action)  # pragma: no cover - the enum is exhaustive


def allowed_actions(case: Case) -> list[Action]:
    """Actions that would succeed on this case now (ignoring payload)."""
    table = transitions_for(case.programme)
    return [
        a for (s, a) in table if s is case.state and (a not in _GUARDS or _GUARDS[a](case) is None)
    ]


def apply(
    case: Case,
    action: Action | str,
    *,
    actor: str,
    at: datetime,
    payload: Mapping[str, Any] | None = None,
) -> tuple[Case, Event]:
    """Apply ``action`` to ``case``; return the new case and the event that records the change.

    Raises ``InvalidTransition`` when the action is not allowed from the current state, and
    ``InvalidPayload`` when its payload is incomplete. The input case is never modified.

    Examples
    --------
    >>> from datetime import datetime
    >>> c = Case(id=1, programme=Programme.MINING)
    >>> c2, ev = apply(c, "verify", actor="张三", at=datetime(2019, 5, 1),
    ...                payload={"judgment": "illegal"})
    >>> c2.state.value, c2.version, ev.before["state"].value, ev.after["state"].value
    ('verified', 1, 'issued', 'verified')
    """
    try:
        action = Action(action)
    except ValueError:
        raise InvalidTransition(f"未知操作：{action}", action=str(action)) from None
    if not actor or not actor.strip():
        raise InvalidPayload("必须填写操作人", field="actor")
    target = transitions_for(case.programme).get((case.state, action))
    if target is None:
        raise InvalidTransition(
            f"图斑当前为“{case.state.label}”，不能执行“{action.label}”",
            case_id=case.id,
            state=case.state,
            action=action,
            allowed=[a.value for a in allowed_actions(case)],
        )
    guard = _GUARDS.get(action)
    reason = guard(case) if guard else None
    if reason:
        raise InvalidTransition(reason, case_id=case.id, state=case.state, action=action)
    data = parse_payload(action, payload)
    changes = {"state": target, "version": case.version + 1, **_effects(case, action, data, at)}
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
