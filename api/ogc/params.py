"""The query parameters of an items request, checked: each bad one is a 400 naming it.

``datetime`` selects by issue date (下发日期): a batch's items by the batch's issue date (all or
none), the cases collection's by the issue date of the batch that first issued each 图斑. An
instant (``2019-10-15`` or ``2019-10-15T08:00:00Z``) means that day; an interval
``start/end`` (either end open as ``..`` or empty) includes both ends' days.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime

from starlette.datastructures import QueryParams

from geo.errors import InvalidValue
from geo.inputs import MAX_COUNT
from geo.ogc_crs import OgcCrs, by_uri

DEFAULT_LIMIT = 100
MAX_LIMIT = 10_000
CQL2_TEXT = "cql2-text"
# The draft's name, which GDAL 3.6 sends: its output (comparisons, LIKE, IS NULL, AND/OR/NOT on
# queryables) is CQL2 text as well, so it goes to the same parser and whitelist.
FILTER_LANGS = (CQL2_TEXT, "cql-text")


@dataclass(frozen=True)
class Interval:
    """Days from ``start`` to ``end`` (inclusive; None: open)."""

    start: date | None
    end: date | None

    def holds(self, day: date) -> bool:
        """Whether ``day`` lies in the interval."""
        return (self.start is None or day >= self.start) and (self.end is None or day <= self.end)


@dataclass(frozen=True)
class ItemParams:
    """What an items request asked for."""

    limit: int
    offset: int
    bbox: tuple[float, float, float, float] | None  # lon/lat, CGCS2000
    crs: OgcCrs
    interval: Interval | None
    filter: str | None


def _int(params: QueryParams, name: str, default: int, low: int, high: int) -> int:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise InvalidValue(f"{name} 应为整数", field=name) from None
    if not low <= value <= high:
        raise InvalidValue(f"{name} 应在 {low} 到 {high} 之间", field=name)
    return value


def _bbox(params: QueryParams) -> tuple[float, float, float, float] | None:
    raw = params.get("bbox")
    if raw is None or raw == "":
        return None
    try:
        nums = [float(p) for p in raw.split(",")]
    except ValueError:
        raise InvalidValue("bbox 应为 4 个以逗号分隔的数", field="bbox") from None
    if len(nums) == 6:  # with heights: the box on the ground is what counts
        nums = [nums[0], nums[1], nums[3], nums[4]]
    if len(nums) != 4 or not all(math.isfinite(n) for n in nums):
        raise InvalidValue("bbox 应为 4 个以逗号分隔的有限数", field="bbox")
    if nums[0] > nums[2] or nums[1] > nums[3]:
        raise InvalidValue("bbox 的最小值不能大于最大值", field="bbox")
    crs = by_uri(params.get("bbox-crs"), param="bbox-crs")
    box = crs.box_to_lonlat((nums[0], nums[1], nums[2], nums[3]))
    if not all(math.isfinite(n) for n in box):
        raise InvalidValue("bbox 超出该坐标系的范围", field="bbox")
    return box[0], box[1], box[2], box[3]


def _day(text: str) -> date | None:
    if text in ("", ".."):
        return None
    try:
        if "T" in text or "t" in text:
            return datetime.fromisoformat(text.replace("z", "Z")).date()
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidValue(
            f"datetime 中的 {text[:40]} 不是 RFC 3339 日期或时间", field="datetime"
        ) from None


def _interval(params: QueryParams) -> Interval | None:
    raw = params.get("datetime")
    if raw is None or raw == "":
        return None
    if "/" not in raw:
        day = _day(raw)
        return Interval(day, day)
    start, _, end = raw.partition("/")
    interval = Interval(_day(start), _day(end))
    if interval.start and interval.end and interval.start > interval.end:
        raise InvalidValue("datetime 的开始晚于结束", field="datetime")
    return interval


def _filter(params: QueryParams) -> str | None:
    lang = params.get("filter-lang")
    if lang not in (None, "", *FILTER_LANGS):
        raise InvalidValue(f"filter-lang 只支持 {CQL2_TEXT}", field="filter-lang")
    text = params.get("filter")
    return text if text and text.strip() else None


def item_params(params: QueryParams) -> ItemParams:
    """The checked parameters of an items request (InvalidValue: 400)."""
    return ItemParams(
        limit=_int(params, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT),
        offset=_int(params, "offset", 0, 0, MAX_COUNT),
        bbox=_bbox(params),
        crs=by_uri(params.get("crs")),
        interval=_interval(params),
        filter=_filter(params),
    )
