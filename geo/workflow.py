"""The case state machine: one transition table and one pure ``apply``; no I/O, no clock reads."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import shapely
import shapely.geometry

from geo.area import ellipsoidal_area_m2
from geo.errors import InvalidPayload, InvalidTransition
from geo.model import VERIFY_REASONS, Action, Case, Event, Judgment, Programme, State

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

# Evidence rules that vary by province and year (docs/domain.md): counties set them.
MIN_EVIDENCE_PHOTOS = 2
RESUBMIT_NEEDS_NOTE_AFTER = 2  # a 图斑 returned this often needs a reviewer note to go again


def transitions_for(programme: Programme) -> dict[tuple[State, Action], State]:
    return WEIPIAN_TRANSITIONS if programme.is_weipian else CHANGE_SURVEY_TRANSITIONS


def _guard_file(case: Case) -> str | None:
    if case.judgment is not Judgment.ILLEGAL:
        return "只有核查结论为“违法”的图斑才能立案"
    return None


def _guard_close(case: Case) -> str | None:
    if case.state is State.APPROVED and case.judgment is Judgment.ILLEGAL:
        return "违法图斑须经立案、处罚、整改后才能结案"
    return None


def needs_reviewer_note(case: Case) -> bool:
    """Returned often enough that a reviewer must annotate before it can be verified again."""
    return case.review_returns >= RESUBMIT_NEEDS_NOTE_AFTER and not case.reviewer_note


def _guard_verify(case: Case) -> str | None:
    if needs_reviewer_note(case):
        return f"该图斑已被退回 {case.review_returns} 次，须审核人批注后才能重新提交"
    return None


def _guard_submit(case: Case) -> str | None:
    if case.photo_count < MIN_EVIDENCE_PHOTOS:
        return f"举证照片 {case.photo_count} 张，至少需要 {MIN_EVIDENCE_PHOTOS} 张"
    return None


def _guard_reopen(case: Case) -> str | None:
    if case.judgment is not Judgment.ILLEGAL:
        return "只有违法图斑可以重新立案"
    return None


_GUARDS: dict[Action, Callable[[Case], str | None]] = {
    Action.FILE: _guard_file,
    Action.CLOSE: _guard_close,
    Action.VERIFY: _guard_verify,
    Action.SUBMIT: _guard_submit,
    Action.REOPEN: _guard_reopen,
}


# --- payload parsing -------------------------------------------------------------------------

# 三调 codes: two digits, or four characters where the last two may carry letters (05H1, 08H2),
# optionally suffixed with K (0307K: convertible cropland kept as 可调整 land).
# Written case-insensitively because input is upper-cased before the check; the web map uses the
# same pattern for the browser's own check.
LAND_CLASS_PATTERN = r"\d{2}([0-9A-Za-z]{2}[Kk]?)?"
_LAND_CLASS = re.compile(f"^{LAND_CLASS_PATTERN}$")


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


def _area(v: Any) -> float:
    try:
        x = float(v)
    except (TypeError, ValueError):
        raise ValueError(f"应为面积数字（平方米），收到 {v!r}") from None
    if not x >= 0:
        raise ValueError("面积不能为负数")
    return round(x, 2)


def _sha256(v: Any) -> str:
    s = str(v).strip().lower()
    if not re.fullmatch(r"[0-9a-f]{64}", s):
        raise ValueError("应为照片内容的 SHA-256")
    return s


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


_TRUE = {"true", "1", "yes", "y", "是", "正确", "对", "通过"}
_FALSE = {"false", "0", "no", "n", "否", "错误", "不正确", "错"}


def _flag(v: Any) -> bool:
    if isinstance(v, bool):
        return v
    s = str(v).strip().lower()
    if s in _TRUE:
        return True
    if s in _FALSE:
        return False
    raise ValueError(f"应为 是/否：{v}")


def _land_class_verdict(data: Mapping[str, Any]) -> bool:
    """A return counts against the land class only when the province says so, or, when its
    results carry no such column, when the reason names the 地类 (the usual wording)."""
    if data.get("land_class_ok") is not None:
        return bool(data["land_class_ok"])
    return "地类" not in (data.get("reason") or "")


def _judgment(v: Any) -> Judgment:
    try:
        return Judgment(str(v).strip())
    except ValueError:
        raise ValueError(f"核查结论应为 legal/illegal/other，收到 {v!r}") from None


def _polygon(v: Any) -> dict[str, Any]:
    """A drawn extent as GeoJSON (EPSG:4490 lon/lat): must be a valid polygon in China."""
    try:
        geom = shapely.geometry.shape(v)
    except (AttributeError, KeyError, TypeError, ValueError, shapely.errors.GEOSException):
        raise ValueError("应为 GeoJSON 面（Polygon/MultiPolygon）") from None
    if geom.geom_type not in ("Polygon", "MultiPolygon") or geom.is_empty:
        raise ValueError("应为 GeoJSON 面（Polygon/MultiPolygon）")
    if not geom.is_valid:
        raise ValueError(f"范围线自相交或无效：{shapely.is_valid_reason(geom)}")
    minx, miny, maxx, maxy = geom.bounds
    if not (73 <= minx <= maxx <= 136 and 3 <= miny <= maxy <= 54):
        raise ValueError("范围线坐标应为 CGCS2000 经纬度")
    return shapely.geometry.mapping(geom)  # type: ignore[return-value]


@dataclass(frozen=True)
class FieldKind:
    """How a payload value is parsed, and what kind of input the web map offers for it."""

    name: str
    parse: Callable[[Any], Any]
    pattern: str | None = None  # the accepted text, for the browser's own check


TEXT = FieldKind("text", _text)
DATE = FieldKind("date", _date)
MONEY = FieldKind("money", _money)
AREA = FieldKind("area", _area)
SHA256 = FieldKind("sha256", _sha256)
COUNT = FieldKind("count", _count)
LAND_CLASS = FieldKind("land_class", _land_class, pattern=LAND_CLASS_PATTERN)
FLAG = FieldKind("flag", _flag)
JUDGMENT = FieldKind("judgment", _judgment)
POLYGON = FieldKind("polygon", _polygon)
LIST = FieldKind("list", lambda v: list(v))


@dataclass(frozen=True)
class _Field:
    kind: FieldKind
    required: bool = False

    def parse(self, value: Any) -> Any:
        return self.kind.parse(value)


PAYLOADS: dict[Action, dict[str, _Field]] = {
    Action.VERIFY: {
        "judgment": _Field(JUDGMENT, True),
        "reason": _Field(TEXT, True),
        "land_class": _Field(LAND_CLASS),
        "illegal_area_m2": _Field(AREA),
        "illegal_geometry": _Field(POLYGON),
        "note": _Field(TEXT),
    },
    Action.FILE: {
        "case_no": _Field(TEXT, True),
        "filed_on": _Field(DATE, True),
        "offender": _Field(TEXT),
        "enforcement_id": _Field(COUNT),
    },
    Action.PENALISE: {
        "decision_no": _Field(TEXT),
        "fine_yuan": _Field(MONEY, True),
        "confiscation_yuan": _Field(MONEY),
        "receipt_no": _Field(TEXT),
        "paid_on": _Field(DATE),
    },
    Action.RECTIFY: {
        "rectified_on": _Field(DATE, True),
        "demolished_m2": _Field(AREA),
        "reclaimed_m2": _Field(AREA),
        "permit_no": _Field(TEXT),
        "note": _Field(TEXT),
    },
    Action.CLOSE: {"note": _Field(TEXT)},
    Action.COLLECT_EVIDENCE: {
        "land_class_before": _Field(LAND_CLASS, True),
        "land_class_after": _Field(LAND_CLASS, True),
        "note": _Field(TEXT),
    },
    Action.SUBMIT: {},
    Action.PASS: {"land_class_ok": _Field(FLAG)},
    Action.RETURN: {"reason": _Field(TEXT, True), "land_class_ok": _Field(FLAG)},
    Action.APPROVE: {"note": _Field(TEXT)},
    Action.RETURN_VERIFICATION: {"reason": _Field(TEXT, True)},
    Action.ANNOTATE: {"note": _Field(TEXT, True)},
    Action.ADD_PHOTO: {"sha256": _Field(SHA256, True), "flags": _Field(LIST)},
    Action.REOPEN: {"reason": _Field(TEXT, True)},
}


def _geometry_area(gj: dict[str, Any]) -> float:
    return round(float(ellipsoidal_area_m2([shapely.geometry.shape(gj)])[0]), 2)


def _check_reason(data: dict[str, Any]) -> None:
    allowed = VERIFY_REASONS[data["judgment"]]
    if data["reason"] not in allowed:
        choices = "、".join(f"{k}（{v}）" for k, v in allowed.items())
        raise InvalidPayload(
            f"“{data['judgment'].label}”的理由应为：{choices}",
            field="reason",
            allowed=list(allowed),
        )


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
    if action is Action.VERIFY:
        _check_reason(out)
    return out


# --- effects ---------------------------------------------------------------------------------


def _effects(case: Case, action: Action, data: dict[str, Any], at: datetime) -> dict[str, Any]:
    """The milestone fields an action sets besides the state."""
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
                "verified_at": at,
                "note": data.get("note"),
            }
        case Action.FILE:
            return {
                "case_no": data["case_no"],
                "filed_on": data["filed_on"],
                "enforcement_id": data.get("enforcement_id"),
            }
        case Action.PENALISE:
            keys = ("decision_no", "fine_yuan", "confiscation_yuan", "receipt_no", "paid_on")
            return {k: data.get(k) for k in keys}
        case Action.RECTIFY:
            keys = ("rectified_on", "demolished_m2", "reclaimed_m2", "permit_no")
            return {k: data.get(k) for k in keys}
        case Action.APPROVE:
            return {"reviewed_at": at, "approved_first_time": case.review_returns == 0}
        case Action.RETURN_VERIFICATION:
            return {
                "reviewed_at": at,
                "review_returns": case.review_returns + 1,
                "reviewer_note": None,
            }
        case Action.ANNOTATE:
            return {"reviewer_note": data["note"]}
        case Action.ADD_PHOTO:
            return {"photo_count": case.photo_count + 1}
        case Action.REOPEN:
            return {"rectified_on": None, "closed_at": None}
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
            ok = data.get("land_class_ok")
            return {"checked_at": at, "land_class_ok": True if ok is None else ok}
        case Action.RETURN:
            return {
                "checked_at": at,
                "returned_count": case.returned_count + 1,
                "land_class_ok": _land_class_verdict(data),
            }
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
    ...                payload={"judgment": "illegal", "reason": "unlicensed_mining"})
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
