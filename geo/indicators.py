"""The indicator engine: metrics over cases, bound to goal-table rows by name.

Every metric is a ratio, count or sum of a few per-case conditions (``FLAGS``). The conditions
are declared here once, as data, and evaluated three ways: on a per-case frame by pandas
(this module; it also yields the case ids behind a value, and the daily counts' rebuild
replays the event log with it), per record as each action is booked (``record_flags``), and
by the database (storage.drill compiles the same declarations to a ``WHERE``, to list the
图斑 behind one value a page at a time). The counts frame, one row per (programme, period,
township) with the number of cases meeting each condition, is what metrics read, so the
paths cannot disagree on a definition; tests check that the three agree.

Pure: nothing here reads a database or a clock.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

from geo.area import M2_PER_MU
from geo.errors import UnknownMetric
from geo.goals import IndicatorRow, Project
from geo.inputs import to_fen
from geo.localtime import LOCAL_TZ as _LOCAL
from geo.localtime import LOCAL_TZ_NAME
from geo.messages import Msg, msg
from geo.model import Judgment, Programme, State
from geo.patrol import MINING_VIOLATIONS
from geo.workflow import MIN_EVIDENCE_PHOTOS

CASE_COLUMNS = (
    "case_id",
    "programme",
    "period",
    "due_on",
    "township_code",
    "township_name",
    "state",
    "judgment",
    "verified_at",
    "filed_on",
    "closed_at",
    "evidence_at",
    "submitted_at",
    "checked_at",
    "returned_count",
    "enforcement_id",
    "approved_first_time",
    "land_class_ok",
    "photo_count",
    "area_m2",
    "land_class_before",
    # 动态巡查 and the watch list (geo.patrol): the violation found, the site it joins, the quick
    # response's deadlines beside the times its steps were done, the re-inspections.
    "violation",
    "linked_case_id",
    "stop_due_at",
    "stopped_at",
    "file_due_on",
    "report_due_on",
    "reported_on",
    "reinspections",
    "reinspected_on_time",
)
# One row per (payment, programme/period/township of a 图斑 its enforcement covers).
PAYMENT_COLUMNS = (
    "payment_id",
    "enforcement_id",
    "programme",
    "amount_yuan",
    "receipt_no",
    "paid_on",
    "period",
    "township_code",
)
GROUP_KEYS = ("programme", "period", "township_code")

# Deadlines are local calendar days; timestamps are stored in UTC.
# A zone name, not a ZoneInfo: pandas' tz_convert and storage take it as text.
LOCAL_TZ = LOCAL_TZ_NAME

# 令第15号: leaders are accountable when illegally occupied 耕地 reaches 15% of the 耕地 taken by
# new construction in a year; warn from 80% of that line so there is time to act.
FARMLAND_RATIO_LINE = 15.0
FARMLAND_RATIO_WARN = 12.0


# --- per-case conditions -----------------------------------------------------------------------


@dataclass(frozen=True)
class Cond:
    """One test on one case column. ``op`` is one of: notnull, isnull, eq, isin, notin, ge,
    prefix, is_true, on_time (the timestamp falls on or before the batch's due date, local day),
    le (both known and ``column`` ≤ the column named by ``value``: a step done by its own
    deadline), any (``value`` holds alternatives, each a tuple of conditions that must all
    hold; one alternative holding is enough; ``column`` is unused)."""

    op: str
    column: str
    value: Any = None


def either(*alternatives: tuple[Cond, ...]) -> Cond:
    """A condition met when all the conditions of any one of ``alternatives`` are."""
    return Cond("any", "", tuple(alternatives))


def cond_columns(conds: Iterable[Cond]) -> set[str]:
    """The case columns ``conds`` read (what a query must offer to evaluate them)."""
    out: set[str] = set()
    for c in conds:
        if c.op == "any":
            for alternative in c.value:
                out |= cond_columns(alternative)
            continue
        out.add(c.column)
        if c.op == "le":
            out.add(c.value)
        elif c.op == "on_time":
            out.add("due_on")
    return out


# Programmes whose cases are issued from above (下发): only they count in ``issued``, the
# denominator of every "of the issued" share; a patrol case is found by the bureau itself.
ISSUED_PROGRAMMES = tuple(p.value for p in Programme if p.is_issued)

_ILLEGAL = Cond("eq", "judgment", Judgment.ILLEGAL.value)
_PATROL = Cond("eq", "programme", Programme.PATROL.value)
_PATROL_VIOLATION = (_PATROL, _ILLEGAL)
# Closed at last: neither a 卫片 图斑 nor a patrol case is an active site once rectified.
_NOT_DONE = Cond("notin", "state", (State.RECTIFIED.value, State.CLOSED.value))
_LAND_TAKEN = (
    Cond("eq", "programme", Programme.LAND.value),
    Cond("prefix", "land_class_before", "01"),  # 前时相 was 耕地
    Cond("isin", "judgment", (Judgment.LEGAL.value, Judgment.ILLEGAL.value)),
)

# name -> all conditions must hold. Counted per group as the number of cases.
FLAGS: dict[str, tuple[Cond, ...]] = {
    "verified": (Cond("notnull", "verified_at"),),
    "verified_on_time": (Cond("on_time", "verified_at"),),
    "illegal": (_ILLEGAL,),
    "illegal_filed": (_ILLEGAL, Cond("notnull", "filed_on")),
    "illegal_closed": (_ILLEGAL, Cond("eq", "state", State.CLOSED.value)),
    # An illegal mining site still active: a mining 卫片 图斑, or a patrol finding of a mining
    # violation, judged illegal and not yet rectified; a case joined to one already handling
    # its site (linked_case_id) is that site again, not a second one.
    "mine_active": (
        either(
            (Cond("eq", "programme", Programme.MINING.value),),
            (_PATROL, Cond("isin", "violation", MINING_VIOLATIONS)),
        ),
        _ILLEGAL,
        _NOT_DONE,
        Cond("isnull", "linked_case_id"),
    ),
    "evidence": (Cond("notnull", "evidence_at"),),
    "evidence_complete": (
        Cond("notnull", "evidence_at"),
        Cond("ge", "photo_count", MIN_EVIDENCE_PHOTOS),
    ),
    "checked": (Cond("notnull", "checked_at"),),
    "passed": (Cond("eq", "state", State.PASSED.value),),
    "land_class_checked": (Cond("notnull", "checked_at"), Cond("notnull", "land_class_ok")),
    "land_class_correct": (Cond("notnull", "checked_at"), Cond("is_true", "land_class_ok")),
    "submitted_on_time": (Cond("on_time", "submitted_at"),),
    "review_done": (Cond("notnull", "approved_first_time"),),
    "approved_first_time": (Cond("is_true", "approved_first_time"),),
    "farmland_taken": _LAND_TAKEN,
    "farmland_illegal": (*_LAND_TAKEN, _ILLEGAL),
    # 动态巡查: a case is there from its find event on (before it, a blank case is in the initial
    # state); its violations, and the quick response's steps each done by its own deadline.
    "patrol_found": (_PATROL, Cond("notin", "state", (State.ISSUED.value,))),
    "patrol_violation": _PATROL_VIOLATION,
    "patrol_stopped_on_time": (*_PATROL_VIOLATION, Cond("le", "stopped_at", "stop_due_at")),
    "patrol_filed_on_time": (*_PATROL_VIOLATION, Cond("le", "filed_on", "file_due_on")),
    "patrol_reported_on_time": (*_PATROL_VIOLATION, Cond("le", "reported_on", "report_due_on")),
    # The watch list: sites re-inspected at least once, and those whose latest re-inspection
    # was done by its due day.
    "reinspected": (Cond("ge", "reinspections", 1),),
    "reinspected_on_time": (
        Cond("ge", "reinspections", 1),
        Cond("is_true", "reinspected_on_time"),
    ),
}
# Flags whose area (m²) is summed as well as counted.
AREA_FLAGS = ("farmland_taken", "farmland_illegal")


def counts_columns() -> list[str]:
    """The columns of a counts frame: group keys, ``issued``, each flag, each flagged area."""
    return [*GROUP_KEYS, "issued", *FLAGS, *(f"{f}_m2" for f in AREA_FLAGS)]


def _on_or_before_due(done_at: pd.Series, due_on: pd.Series) -> np.ndarray:
    """Whether a UTC timestamp falls on or before the due date, in local calendar days: before
    the instant the due day ends. A frame holds few due dates, so each is converted once."""
    codes, dues = pd.factorize(due_on, use_na_sentinel=True)
    if len(dues) == 0:
        return np.zeros(len(done_at), dtype=bool)
    day_after = pd.to_datetime(pd.Series(dues).astype("string")) + pd.Timedelta(days=1)
    # both as naive UTC datetime64, so numpy compares them without Timestamp objects
    ends = day_after.dt.tz_localize(LOCAL_TZ).dt.tz_convert("UTC").dt.tz_localize(None).to_numpy()
    done = pd.to_datetime(done_at, utc=True).dt.tz_localize(None).to_numpy()
    known = (codes >= 0) & done_at.notna().to_numpy(dtype=bool)
    end = ends[np.where(codes >= 0, codes, 0)]
    return known & (done < end)


def _by_value(col: pd.Series, test: Any) -> np.ndarray:
    """``test`` of each value, evaluated once per distinct value (columns of codes repeat)."""
    codes, uniques = pd.factorize(col, use_na_sentinel=True)
    hits = np.fromiter((bool(test(u)) for u in uniques), dtype=bool, count=len(uniques))
    return np.append(hits, False)[codes]  # the sentinel -1 picks the appended False


def _not_after(done: pd.Series, due: pd.Series) -> np.ndarray:
    """Whether each ``done`` is known, its ``due`` too, and ``done`` ≤ ``due``: compared only
    where both are known (a column of dates holds None, which does not compare)."""
    known = (done.notna() & due.notna()).to_numpy(dtype=bool)
    out = np.zeros(len(done), dtype=bool)
    if known.any():
        out[known] = (done[known] <= due[known]).to_numpy(dtype=bool)
    return out


def _any_mask(df: pd.DataFrame, alternatives: tuple[tuple[Cond, ...], ...]) -> np.ndarray:
    mask = np.zeros(len(df), dtype=bool)
    for conds in alternatives:
        met = np.ones(len(df), dtype=bool)
        for c in conds:
            met &= _cond_mask(df, c)
        mask |= met
    return mask


def _cond_mask(df: pd.DataFrame, c: Cond) -> np.ndarray:
    if c.op == "any":
        return _any_mask(df, c.value)
    col = df[c.column]
    match c.op:
        case "notnull":
            return col.notna().to_numpy(dtype=bool)
        case "isnull":
            return col.isna().to_numpy(dtype=bool)
        case "le":
            return _not_after(col, df[c.value])
        case "eq":
            return (col == c.value).to_numpy(dtype=bool)
        case "isin":
            return col.isin(c.value).to_numpy(dtype=bool)
        case "notin":
            return (~col.isin(c.value)).to_numpy(dtype=bool)
        case "ge":
            return (pd.to_numeric(col, errors="coerce").fillna(-np.inf) >= c.value).to_numpy()
        case "prefix":
            return _by_value(col, lambda v: isinstance(v, str) and v.startswith(c.value))
        case "is_true":
            return _by_value(col, lambda v: v is True or (not isinstance(v, bool) and v == 1))
        case "on_time":
            return _on_or_before_due(col, df["due_on"])
    raise ValueError(f"unknown condition {c.op}")  # pragma: no cover - FLAGS are fixed


def flag_mask(df: pd.DataFrame, name: str) -> np.ndarray:
    """Which cases of a per-case frame meet flag ``name``."""
    mask = np.ones(len(df), dtype=bool)
    for c in FLAGS[name]:
        mask &= _cond_mask(df, c)
    return mask


def _is_null(v: Any) -> bool:
    return v is None or v is pd.NaT or (isinstance(v, float) and np.isnan(v))


def _done_by(done_at: Any, due_on: Any) -> bool:
    """``_on_or_before_due`` for one case: a UTC timestamp against a local due date."""
    if _is_null(done_at):
        return False
    if not isinstance(done_at, datetime):
        raise TypeError(f"a milestone timestamp should be a datetime, got {done_at!r}")
    return bool(done_at.astimezone(_LOCAL).date() <= due_on)


def _cond_holds(rec: Mapping[str, Any], c: Cond) -> bool:
    if c.op == "any":
        return any(all(_cond_holds(rec, x) for x in conds) for conds in c.value)
    v = rec.get(c.column)
    match c.op:
        case "notnull":
            return not _is_null(v)
        case "isnull":
            return _is_null(v)
        case "le":
            due = rec.get(c.value)
            return not _is_null(v) and not _is_null(due) and bool(v <= due)  # type: ignore[operator]
        case "eq":
            return v == c.value
        case "isin":
            return v in c.value
        case "notin":
            return v not in c.value
        case "ge":
            return not _is_null(v) and v >= c.value
        case "prefix":
            return isinstance(v, str) and v.startswith(c.value)
        case "is_true":
            return v is True or (not isinstance(v, bool) and v == 1)
        case "on_time":
            return _done_by(v, rec.get("due_on"))
    raise ValueError(f"unknown condition {c.op}")  # pragma: no cover - FLAGS are fixed


def record_flags(rec: Mapping[str, Any]) -> dict[str, bool]:
    """The flags of one case given as a mapping (what each action books): the same
    conditions as ``flag_mask``, evaluated without a DataFrame (a test checks they agree)."""
    return {name: all(_cond_holds(rec, c) for c in conds) for name, conds in FLAGS.items()}


def aggregate(cases: pd.DataFrame) -> pd.DataFrame:
    """The counts frame of a per-case frame (what storage computes in SQL)."""
    keyed = cases.loc[:, list(GROUP_KEYS)].astype(object).where(cases[list(GROUP_KEYS)].notna())
    data: dict[str, pd.Series | np.ndarray] = {k: keyed[k].fillna("") for k in GROUP_KEYS}
    data["issued"] = cases["programme"].isin(ISSUED_PROGRAMMES).to_numpy(dtype=np.int64)
    flags = {name: flag_mask(cases, name).astype(np.int64) for name in FLAGS}
    data.update(flags)
    area = pd.to_numeric(cases["area_m2"], errors="coerce").fillna(0.0).to_numpy(dtype=float)
    for name in AREA_FLAGS:
        data[f"{name}_m2"] = np.where(flags[name] > 0, area, 0.0)
    frame = pd.DataFrame(data)
    out = frame.groupby(list(GROUP_KEYS), as_index=False, sort=True).sum()
    return out.loc[:, counts_columns()]


# --- metrics -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class MetricValue:
    """One metric's value with its display text (zh), its parts and its unit."""

    metric: str
    label: str
    value: float | None
    display: str
    numerator: float | None = None
    denominator: float | None = None
    unit: str = ""
    ids: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64), repr=False)
    warning: str | None = None

    @property
    def case_ids(self) -> tuple[int, ...]:
        """The cases behind the value (drill-down): known only when computed from a per-case
        frame; built on demand, because at scale it is large."""
        return tuple(self.ids.tolist())


@dataclass(frozen=True)
class RowValue:
    """A goal-table row with the value of each metric bound to it, in the row's order."""

    row: IndicatorRow
    values: tuple[MetricValue, ...]


@dataclass(frozen=True)
class Metric:
    """A metric as data: ``kind`` says how ``num`` and ``den`` (flag names) combine.

    share: num / den in %;  of_issued: count of num out of all issued;  count: num alone;
    area_share: the summed area of num over that of den, in %; money: receipted payments.
    """

    name: str
    label: str
    kind: str
    num: str | None = None
    den: str | None = None
    what: str = ""
    unit: str = ""
    lower_is_better: bool = False  # e.g. illegal mines still active: the target is a ceiling


METRIC_DEFS: tuple[Metric, ...] = (
    Metric("verified_of_issued", "已核查 / 下发图斑", "of_issued", "verified", what="已核查"),
    Metric("verified_by_due_share", "按期核查率", "share", "verified_on_time", None, "按期核查"),
    Metric("illegal_filed_share", "违法图斑立案率", "share", "illegal_filed", "illegal", "已立案"),
    Metric(
        "enforcement_closed_share", "违法图斑结案率", "share", "illegal_closed", "illegal", "已结案"
    ),
    Metric("penalties_receipted", "罚款到位（有票据）", "money", unit="元"),
    Metric("penalty_receipt_count", "罚款票据（笔）", "money_count", unit="笔"),
    Metric(
        "illegal_mines_active",
        "未整改违法矿山",
        "count",
        "mine_active",
        what="未整改违法矿山",
        unit="处",
        lower_is_better=True,
    ),
    # 动态巡查's quick response (及时发现、及时制止、及时查处、及时报告): each step by the deadline
    # stamped on the case when it was found, over the patrol violations; and the watch list.
    Metric(
        "patrol_findings",
        "动态巡查发现（含举报）",
        "count",
        "patrol_found",
        what="巡查发现",
        unit="起",
    ),
    Metric(
        "patrol_stopped_on_time_share",
        "及时制止率",
        "share",
        "patrol_stopped_on_time",
        "patrol_violation",
        "按时制止",
    ),
    Metric(
        "patrol_filed_on_time_share",
        "及时立案率",
        "share",
        "patrol_filed_on_time",
        "patrol_violation",
        "按时立案",
    ),
    Metric(
        "patrol_reported_on_time_share",
        "及时报告率",
        "share",
        "patrol_reported_on_time",
        "patrol_violation",
        "按时报告",
    ),
    Metric(
        "reinspected_on_time_share",
        "按期复查率",
        "share",
        "reinspected_on_time",
        "reinspected",
        "按期复查",
    ),
    Metric("provincial_pass_rate", "省厅通过率", "share", "passed", "checked", "通过"),
    Metric(
        "land_class_correct_rate",
        "地类正确率",
        "share",
        "land_class_correct",
        "land_class_checked",
        "地类正确",
    ),
    Metric("submitted_by_due_share", "按期提交率", "share", "submitted_on_time", None, "按期提交"),
    Metric("evidence_of_issued", "已举证 / 下发监测图斑", "of_issued", "evidence", what="已举证"),
    Metric(
        "evidence_complete_of_issued",
        "举证完整 / 下发监测图斑",
        "of_issued",
        "evidence_complete",
        what="举证完整",
    ),
    Metric(
        "approved_first_time_share",
        "核查一次通过率",
        "share",
        "approved_first_time",
        "review_done",
        "一次通过",
    ),
    Metric(
        "illegal_farmland_ratio",
        "违法占用耕地比例",
        "area_share",
        "farmland_illegal",
        "farmland_taken",
        lower_is_better=True,
    ),
)
METRICS: dict[str, Metric] = {m.name: m for m in METRIC_DEFS}


def _counted_flag(m: Metric) -> str:
    """The flag a metric counts; only the money metrics count none."""
    if m.num is None:
        raise ValueError(f"metric {m.name} ({m.kind}) names no flag to count")
    return m.num


def _pct(n: float, d: float) -> float | None:
    return round(100.0 * n / d, 2) if d else None


def _receipted(payments: pd.DataFrame) -> pd.DataFrame:
    """The payments that count: each once, and only with a receipt number."""
    paid = payments.drop_duplicates("payment_id")
    return paid.loc[paid["receipt_no"].fillna("").astype(str).str.strip().ne("")]


def receipted_enforcements(payments: pd.DataFrame) -> set[int]:
    """The enforcements whose 图斑 the money metrics count (drill-down of 罚款到位)."""
    return {int(e) for e in _receipted(payments)["enforcement_id"]}


def _money(m: Metric, payments: pd.DataFrame) -> tuple[Decimal, int, pd.Series]:
    paid = _receipted(payments)
    # Summed in whole 分 as integers: a float sum drifts (0.1 + 0.2), a Decimal of 分 does not.
    fen = sum(to_fen(a) for a in paid["amount_yuan"])
    return Decimal(fen) / 100, len(paid), paid["enforcement_id"]


def _evaluate(
    m: Metric, counts: pd.Series, payments: pd.DataFrame
) -> tuple[float | None, str, float | None, float | None, str | None]:
    """value, display, numerator, denominator, warning."""
    if m.kind == "money":
        total, n, _ = _money(m, payments)
        return float(total), f"¥{total:,.2f}（{n} 笔有票据）", float(total), None, None
    if m.kind == "money_count":
        _, n, _ = _money(m, payments)
        return float(n), f"{n} 笔", n, None, None
    n = int(counts[_counted_flag(m)])
    if m.kind == "count":  # said with what it counts: a row may show several counts
        return float(n), f"{m.what} {n} {m.unit}".lstrip(), n, None, None
    if m.kind == "of_issued":
        d = int(counts["issued"])
        return float(n), f"{m.what} {n} / 下发 {d}（{(100 * n / d if d else 0):.1f}%）", n, d, None
    if m.kind == "share":
        d = int(counts[m.den or "issued"])
        pct = _pct(n, d)
        shown = "—" if pct is None else f"{pct:.1f}%"
        return pct, f"{shown}（{m.what} {n} / {d}）", n, d, None
    if m.kind == "area_share":
        num, den = float(counts[f"{m.num}_m2"]), float(counts[f"{m.den}_m2"])
        pct = _pct(num, den)
        said = farmland_warning(pct)
        warning = said.text() if said else None
        shown = "—" if pct is None else f"{pct:.1f}%"
        mu_num, mu_den = num / M2_PER_MU, den / M2_PER_MU
        text = f"{shown}（违法 {mu_num:,.1f} 亩 / 新增建设占用耕地 {mu_den:,.1f} 亩）"
        return pct, text, round(num, 2), round(den, 2), warning
    raise ValueError(f"unknown metric kind {m.kind}")  # pragma: no cover


def farmland_warning(pct: float | None) -> Msg | None:
    """The warning a farmland ratio earns: at the accountability line, or near it."""
    if pct is not None and pct >= FARMLAND_RATIO_LINE:
        return msg("indicator.farmland_line", pct=pct, line=FARMLAND_RATIO_LINE)
    if pct is not None and pct >= FARMLAND_RATIO_WARN:
        return msg("indicator.farmland_near", pct=pct, line=FARMLAND_RATIO_LINE)
    return None


def _metric_ids(m: Metric, cases: pd.DataFrame | None, payments: pd.DataFrame) -> np.ndarray:
    if cases is None:
        return np.empty(0, np.int64)
    if m.kind in ("money", "money_count"):
        mask = cases["enforcement_id"].isin(_money(m, payments)[2]).to_numpy(dtype=bool)
    else:
        mask = flag_mask(cases, _counted_flag(m))
    return cases["case_id"].to_numpy()[mask].astype(np.int64, copy=False)


def _lookup(name: str) -> Metric:
    try:
        return METRICS[name]
    except KeyError:
        raise UnknownMetric(f"未知指标 {name}", metric=name) from None


def _totals(facts: pd.DataFrame) -> tuple[pd.Series, pd.DataFrame | None]:
    """Column sums of the counts, and the per-case frame when there is one (for ids)."""
    per_case = "case_id" in facts.columns
    counts = aggregate(facts) if per_case else facts
    totals = counts.drop(columns=list(GROUP_KEYS)).sum()
    return totals, (facts if per_case else None)


def _value(
    m: Metric, totals: pd.Series, paid: pd.DataFrame, cases: pd.DataFrame | None
) -> MetricValue:
    value, display, num, den, warning = _evaluate(m, totals, paid)
    return MetricValue(
        m.name,
        m.label,
        value,
        display,
        numerator=num,
        denominator=den,
        unit="%" if m.kind in ("share", "area_share") else (m.unit or "个"),
        ids=_metric_ids(m, cases, paid),
        warning=warning,
    )


def compute_metric(
    name: str,
    facts: pd.DataFrame,
    payments: pd.DataFrame | None = None,
) -> MetricValue:
    """One metric over a per-case frame (with drill-down ids) or a counts frame (without)."""
    m = _lookup(name)
    totals, cases = _totals(facts)
    return _value(m, totals, empty_payments() if payments is None else payments, cases)


def _scope(
    frame: pd.DataFrame, programmes: Iterable[str], year: int, township: str | None,
    period: str | None,
) -> np.ndarray:  # fmt: skip
    periods = frame["period"].astype(str)
    mask = frame["programme"].isin(list(programmes)) & periods.str.startswith(str(year))
    if township is not None:
        mask &= frame["township_code"].fillna("") == township
    if period is not None:
        mask &= periods == period
    return mask.to_numpy(dtype=bool)


def project_cases(
    project: Project,
    facts: pd.DataFrame,
    *,
    township: str | None = None,
    period: str | None = None,
) -> pd.DataFrame:
    """The cases (or counts rows) a project's indicators cover: its programmes and year,
    optionally one township (by code) and one issuing period (``2019Q3``: that quarter's
    batches)."""
    progs = [p.value for p in project.programmes]
    return facts.loc[_scope(facts, progs, project.year, township, period)]


def project_payments(
    project: Project,
    payments: pd.DataFrame,
    *,
    township: str | None = None,
    period: str | None = None,
) -> pd.DataFrame:
    """Payments for the project's 图斑 made within its year (by paid date). A township or
    period scope keeps only the money of enforcements covering 图斑 in that scope, so money is
    never credited to a township whose 图斑 it did not cover."""
    progs = [p.value for p in project.programmes]
    paid_year = pd.to_datetime(payments["paid_on"].astype("string"), errors="coerce").dt.year
    mask = payments["programme"].isin(progs) & (paid_year == project.year).fillna(False)
    if township is not None:
        mask &= payments["township_code"].fillna("") == township
    if period is not None:
        mask &= payments["period"].astype(str) == period
    return payments.loc[mask.to_numpy(dtype=bool)]


def compute_project(
    project: Project,
    facts: pd.DataFrame,
    payments: pd.DataFrame | None = None,
    *,
    township: str | None = None,
    period: str | None = None,
) -> list[RowValue]:
    """Every indicator row of a goal table with the value of each bound metric.

    ``facts`` is a per-case frame (``CASE_COLUMNS``; values carry drill-down ids) or a counts
    frame (``counts_columns()``, as storage computes it). Whether the values are live or as of
    a past day depends only on the frames passed in.
    """
    scoped = project_cases(project, facts, township=township, period=period)
    paid = project_payments(
        project,
        empty_payments() if payments is None else payments,
        township=township,
        period=period,
    )
    totals, cases = _totals(scoped)
    return [
        RowValue(row, tuple(_value(_lookup(m), totals, paid, cases) for m in row.metrics))
        for row in project.indicators
    ]


def empty_cases() -> pd.DataFrame:
    """A per-case frame with no cases (``CASE_COLUMNS``, all object columns)."""
    return pd.DataFrame({c: pd.Series(dtype=object) for c in CASE_COLUMNS})


def empty_payments() -> pd.DataFrame:
    """A payments frame with no payments (``PAYMENT_COLUMNS``, all object columns)."""
    return pd.DataFrame({c: pd.Series(dtype=object) for c in PAYMENT_COLUMNS})
