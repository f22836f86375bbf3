"""Action payloads: which fields each action takes, and how each kind of value is parsed."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import shapely
import shapely.geometry

from geo import inputs
from geo.errors import InvalidPayload
from geo.messages import BadValue, Labelled, msg, problem
from geo.model import VERIFY_REASONS, VERIFY_REASONS_EN, Action, Judgment

# 三调 codes: two digits, or four characters where the last two may carry letters (05H1, 08H2),
# optionally suffixed with K (0307K: convertible cropland kept as 可调整 land).
# Written case-insensitively because input is upper-cased before the check; the web map uses the
# same pattern for the browser's own check.
LAND_CLASS_PATTERN = r"\d{2}([0-9A-Za-z]{2}[Kk]?)?"
_LAND_CLASS = re.compile(f"^{LAND_CLASS_PATTERN}$")
# A 图斑 rarely exceeds a few km²; 10^9 m² (1 000 km²) is beyond any county's 图斑.
MAX_AREA_M2 = 1e9
MAX_LIST = 50  # photo flags: a handful of codes
MAX_WATCH_DAYS = 3650  # a watched site is re-inspected at least once in ten years


def _text(v: Any) -> str:
    return inputs.clean_text(v)


def _name(v: Any) -> str:
    return inputs.clean_name(v)


def _date(v: Any) -> date:
    return inputs.a_date(v)


def _money(v: Any) -> Decimal:
    return inputs.money(v)


def _area(v: Any) -> float:
    if isinstance(v, bool) or not isinstance(v, str | int | float):
        raise BadValue(msg("value.area_expected", got=repr(v)))
    try:
        x = float(v)
    except (ValueError, OverflowError):
        raise BadValue(msg("value.area_expected", got=repr(str(v)[:40]))) from None
    if not 0 <= x <= MAX_AREA_M2:  # also refuses NaN and infinities
        raise BadValue(msg("value.area_range", maximum=MAX_AREA_M2))
    return round(x, 2)


def _sha256(v: Any) -> str:
    s = inputs.clean_name(v).lower()
    if not re.fullmatch(r"[0-9a-f]{64}", s):
        raise ValueError("应为照片内容的 SHA-256")
    return s


def _count(v: Any) -> int:
    return inputs.bounded_int(v)


def _days(v: Any) -> int:
    return inputs.bounded_int(v, lo=1, hi=MAX_WATCH_DAYS)


def _land_class(v: Any) -> str:
    s = inputs.clean_name(v).upper()
    if not _LAND_CLASS.match(s):
        raise BadValue(msg("value.land_class_expected", got=repr(v)))
    return s


_TRUE = {"true", "1", "yes", "y", "是", "正确", "对", "通过"}
_FALSE = {"false", "0", "no", "n", "否", "错误", "不正确", "错"}


def _flag(v: Any) -> bool:
    if isinstance(v, bool):
        return v
    s = inputs.clean_name(v).lower()
    if s in _TRUE:
        return True
    if s in _FALSE:
        return False
    raise BadValue(msg("value.flag_expected", got=v))


def _judgment(v: Any) -> Judgment:
    try:
        return Judgment(inputs.clean_name(v))
    except ValueError:
        raise BadValue(msg("value.judgment_expected", got=repr(v))) from None


def _polygon(v: Any) -> dict[str, Any]:
    """A drawn extent as GeoJSON (EPSG:4490 lon/lat): must be a valid polygon in China."""
    try:
        geom = shapely.geometry.shape(v)
    except (
        AttributeError,
        IndexError,
        KeyError,
        TypeError,
        ValueError,
        RecursionError,
        shapely.errors.ShapelyError,
    ):
        raise BadValue(msg("value.polygon_expected")) from None
    if geom.geom_type not in ("Polygon", "MultiPolygon") or geom.is_empty:
        raise BadValue(msg("value.polygon_expected"))
    if not geom.is_valid:
        raise ValueError(f"范围线自相交或无效：{shapely.is_valid_reason(geom)}")
    minx, miny, maxx, maxy = geom.bounds
    if not (73 <= minx <= maxx <= 136 and 3 <= miny <= maxy <= 54):
        raise ValueError("范围线坐标应为 CGCS2000 经纬度")
    return shapely.geometry.mapping(geom)


@dataclass(frozen=True)
class FieldKind:
    """How a payload value is parsed, and what kind of input the web map offers for it."""

    name: str
    parse: Callable[[Any], Any]
    pattern: str | None = None  # the accepted text, for the browser's own check
    max_length: int | None = None  # characters, for text kinds
    minimum: float | int | str | None = None  # numbers, or the earliest ISO date
    maximum: float | int | None = None

    def limits(self) -> dict[str, Any]:
        """The bounds the web map checks before sending (what ``parse`` enforces)."""
        bounds = {"pattern": self.pattern, "max_length": self.max_length}
        return {**bounds, "minimum": self.minimum, "maximum": self.maximum}


def _list(v: Any) -> list[str]:
    if not isinstance(v, list | tuple) or len(v) > MAX_LIST:
        raise ValueError(f"应为至多 {MAX_LIST} 项的列表")
    return [inputs.clean_name(x) for x in v]


TEXT = FieldKind("text", _text, max_length=inputs.MAX_NOTE)
NAME = FieldKind("name", _name, max_length=inputs.MAX_NAME)
# A date of something that happened: not after the day it is recorded (see parse_payload).
DATE = FieldKind("date", _date, minimum=inputs.EARLIEST_DATE.isoformat())
MONEY = FieldKind("money", _money, minimum=0, maximum=int(inputs.MAX_MONEY_YUAN))
AREA = FieldKind("area", _area, minimum=0, maximum=MAX_AREA_M2)
SHA256 = FieldKind("sha256", _sha256, pattern="[0-9a-fA-F]{64}")
COUNT = FieldKind("count", _count, minimum=0, maximum=inputs.MAX_COUNT)
LAND_CLASS = FieldKind("land_class", _land_class, pattern=LAND_CLASS_PATTERN)
FLAG = FieldKind("flag", _flag)
JUDGMENT = FieldKind("judgment", _judgment)
POLYGON = FieldKind("polygon", _polygon)
LIST = FieldKind("list", _list)
# A moment (制止 served at): ISO 8601, local time when no offset is given; not after the moment
# it is recorded (checked by ``apply``, which knows that moment).
INSTANT = FieldKind("instant", inputs.an_instant, minimum=inputs.EARLIEST_DATE.isoformat())
DAYS = FieldKind("days", _days, minimum=1, maximum=MAX_WATCH_DAYS)


@dataclass(frozen=True)
class _Field:
    kind: FieldKind
    required: bool = False

    def parse(self, value: Any, *, today: date | None = None) -> Any:
        """The value parsed by this field's kind (raises ``ValueError``); a date may not be after
        ``today`` when that is given."""
        if self.kind is DATE:
            return inputs.a_date(value, today=today)
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
        "case_no": _Field(NAME, True),
        "filed_on": _Field(DATE, True),
        "offender": _Field(NAME),
        "enforcement_id": _Field(COUNT),
    },
    Action.PENALISE: {
        "decision_no": _Field(NAME),
        "decided_on": _Field(DATE),
        "fine_yuan": _Field(MONEY, True),
        "confiscation_yuan": _Field(MONEY),
        "receipt_no": _Field(NAME),
        "paid_on": _Field(DATE),
    },
    Action.RECTIFY: {
        "rectified_on": _Field(DATE, True),
        "demolished_m2": _Field(AREA),
        "reclaimed_m2": _Field(AREA),
        "permit_no": _Field(NAME),
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
    # 动态巡查 (the finding itself, action ``find``, is recorded by geo.patrol.open_case)
    Action.FIND: {
        "violation": _Field(NAME, True),
        "found_at": _Field(INSTANT, True),
        "note": _Field(TEXT),
    },
    Action.STOP: {
        "order_no": _Field(NAME, True),  # 责令停止违法行为通知书 文号
        "served_at": _Field(INSTANT, True),
        "served_by": _Field(NAME, True),
        "note": _Field(TEXT),
    },
    Action.REPORT: {
        "reported_on": _Field(DATE, True),
        "doc_no": _Field(NAME, True),
        "reported_to": _Field(NAME),
        "note": _Field(TEXT),
    },
    Action.DISMISS: {"reason": _Field(TEXT, True)},
    Action.WATCH: {"interval_days": _Field(DAYS), "note": _Field(TEXT)},
    Action.REINSPECT: {"note": _Field(TEXT)},
    Action.REINSPECT_ACTIVE: {"note": _Field(TEXT, True)},
}


def _check_reason(data: dict[str, Any]) -> None:
    allowed = VERIFY_REASONS[data["judgment"]]
    if data["reason"] not in allowed:
        choices = [
            Labelled(f"{k}（{v}）", f"{k} ({VERIFY_REASONS_EN[k]})") for k, v in allowed.items()
        ]
        raise InvalidPayload(
            msg("payload.reason_choices", judgment=data["judgment"], choices=choices),
            field="reason",
            allowed=list(allowed),
        )


def parse_payload(
    action: Action, payload: Mapping[str, Any] | None, *, today: date | None = None
) -> dict[str, Any]:
    """Validate and normalise an action's payload; unknown keys and empty optionals are dropped.
    Dates may not be after ``today`` (the bureau's day the action is recorded) when it is given.
    Raises ``InvalidPayload`` and nothing else."""
    if payload is not None and not isinstance(payload, Mapping):
        raise InvalidPayload(msg("payload.not_object", action=action), action=action)
    spec = PAYLOADS[action]
    raw = {k: v for k, v in (payload or {}).items() if v is not None and v != ""}
    out: dict[str, Any] = {}
    for name, fld in spec.items():
        if name not in raw:
            if fld.required:
                raise InvalidPayload(
                    msg("payload.missing", action=action, field=name), field=name, action=action
                )
            continue
        try:
            out[name] = fld.parse(raw[name], today=today)
        except ValueError as exc:
            raise InvalidPayload(
                msg("payload.field", field=name, problem=problem(exc)), field=name, action=action
            ) from None
    if action is Action.VERIFY:
        _check_reason(out)
    return out
