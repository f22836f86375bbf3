"""The indicator engine: metrics over case rows, bound to goal-table rows by name.

Pure and vectorised: callers pass a pandas DataFrame of cases (one row per 图斑, the columns
of ``CASE_COLUMNS``); nothing here reads a database or a clock.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from geo.area import M2_PER_MU
from geo.errors import UnknownMetric
from geo.goals import IndicatorRow, Project
from geo.model import Judgment, Programme, State
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
)
# One row per (payment, programme of a 图斑 its enforcement covers).
PAYMENT_COLUMNS = (
    "payment_id",
    "enforcement_id",
    "programme",
    "amount_yuan",
    "receipt_no",
    "paid_on",
)

# Deadlines are local calendar days; timestamps are stored in UTC.
LOCAL_TZ = "Asia/Shanghai"


# 令第15号: leaders are accountable when illegally occupied 耕地 reaches 15% of the 耕地 taken by
# new construction in a year; warn from 80% of that line so there is time to act.
FARMLAND_RATIO_LINE = 15.0
FARMLAND_RATIO_WARN = 12.0


@dataclass(frozen=True)
class MetricValue:
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
        """The cases behind the value (drill-down); built on demand, it is large at scale."""
        return tuple(self.ids.tolist())


@dataclass(frozen=True)
class RowValue:
    row: IndicatorRow
    values: tuple[MetricValue, ...]


def _on_or_before_due(done_at: pd.Series, due_on: pd.Series) -> pd.Series:
    """Whether a UTC timestamp falls on or before the due date, in local calendar days."""
    local_day = pd.to_datetime(done_at, utc=True).dt.tz_convert(LOCAL_TZ).dt.tz_localize(None)
    due = pd.to_datetime(due_on.astype("string"))
    return done_at.notna() & (local_day.dt.normalize() <= due)


def _ids(df: pd.DataFrame, mask: pd.Series | np.ndarray) -> np.ndarray:
    return df["case_id"].to_numpy()[np.asarray(mask, dtype=bool)].astype(np.int64, copy=False)


def _share(
    metric: str, label: str, df: pd.DataFrame, num: pd.Series, den: pd.Series, what: str
) -> MetricValue:
    n, d = int(num.sum()), int(den.sum())
    pct = (100.0 * n / d) if d else None
    shown = f"{pct:.1f}%" if pct is not None else "—"
    return MetricValue(
        metric,
        label,
        None if pct is None else round(pct, 2),
        f"{shown}（{what} {n} / {d}）",
        numerator=n,
        denominator=d,
        unit="%",
        ids=_ids(df, num),
    )


def _of_issued(
    metric: str, label: str, df: pd.DataFrame, done: pd.Series, what: str
) -> MetricValue:
    """How many of the issued 图斑 reached a step: a count, shown with its share."""
    n, d = int(done.sum()), len(df)
    return MetricValue(
        metric,
        label,
        float(n),
        f"{what} {n} / 下发 {d}（{(100 * n / d if d else 0):.1f}%）",
        numerator=n,
        denominator=d,
        unit="个",
        ids=_ids(df, done),
    )


def verified_of_issued(df: pd.DataFrame, payments: pd.DataFrame | None = None) -> MetricValue:
    return _of_issued(
        "verified_of_issued", "已核查 / 下发图斑", df, df["verified_at"].notna(), "已核查"
    )


def verified_by_due_share(df: pd.DataFrame, payments: pd.DataFrame | None = None) -> MetricValue:
    on_time = _on_or_before_due(df["verified_at"], df["due_on"])
    return _share(
        "verified_by_due_share",
        "按期核查率",
        df,
        on_time,
        pd.Series(True, index=df.index),
        "按期核查",
    )


def _illegal(df: pd.DataFrame) -> pd.Series:
    return df["judgment"] == Judgment.ILLEGAL.value


def illegal_filed_share(df: pd.DataFrame, payments: pd.DataFrame | None = None) -> MetricValue:
    ill = _illegal(df)
    return _share(
        "illegal_filed_share", "违法图斑立案率", df, ill & df["filed_on"].notna(), ill, "已立案"
    )


def enforcement_closed_share(df: pd.DataFrame, payments: pd.DataFrame | None = None) -> MetricValue:
    ill = _illegal(df)
    return _share(
        "enforcement_closed_share",
        "违法图斑结案率",
        df,
        ill & (df["state"] == State.CLOSED.value),
        ill,
        "已结案",
    )


def penalties_receipted(df: pd.DataFrame, payments: pd.DataFrame) -> MetricValue:
    # Only money backed by a receipt (票据) and paid within the reporting year counts as 处罚到位;
    # payments belong to the enforcement case, so a fine covering several 图斑 counts once.
    paid = payments.drop_duplicates("payment_id")
    has = paid["receipt_no"].fillna("").astype(str).str.strip().ne("")
    total = float(paid.loc[has, "amount_yuan"].astype(float).sum())
    n = int(has.sum())
    behind = df["enforcement_id"].isin(paid.loc[has, "enforcement_id"])
    return MetricValue(
        "penalties_receipted",
        "罚款到位（有票据）",
        round(total, 2),
        f"¥{total:,.2f}（{n} 笔有票据）",
        numerator=total,
        denominator=None,
        unit="元",
        ids=_ids(df, behind),
    )


def illegal_mines_active(df: pd.DataFrame, payments: pd.DataFrame | None = None) -> MetricValue:
    done = df["state"].isin([State.RECTIFIED.value, State.CLOSED.value])
    active = (df["programme"] == Programme.MINING.value) & _illegal(df) & ~done
    n = int(active.sum())
    return MetricValue(
        "illegal_mines_active",
        "未整改违法矿山",
        float(n),
        f"{n} 处",
        numerator=n,
        unit="处",
        ids=_ids(df, active),
    )


def provincial_pass_rate(df: pd.DataFrame, payments: pd.DataFrame | None = None) -> MetricValue:
    checked = df["checked_at"].notna()
    passed = df["state"] == State.PASSED.value
    return _share("provincial_pass_rate", "省厅通过率", df, passed, checked, "通过")


def submitted_by_due_share(df: pd.DataFrame, payments: pd.DataFrame | None = None) -> MetricValue:
    on_time = _on_or_before_due(df["submitted_at"], df["due_on"])
    return _share(
        "submitted_by_due_share",
        "按期提交率",
        df,
        on_time,
        pd.Series(True, index=df.index),
        "按期提交",
    )


def evidence_of_issued(df: pd.DataFrame, payments: pd.DataFrame | None = None) -> MetricValue:
    return _of_issued(
        "evidence_of_issued", "已举证 / 下发监测图斑", df, df["evidence_at"].notna(), "已举证"
    )


def evidence_complete_of_issued(
    df: pd.DataFrame, payments: pd.DataFrame | None = None
) -> MetricValue:
    """每个变化图斑都需要实地举证: evidence recorded with at least the photos a submission needs."""
    photos = pd.to_numeric(df["photo_count"], errors="coerce").fillna(0)
    done = df["evidence_at"].notna() & (photos >= MIN_EVIDENCE_PHOTOS)
    return _of_issued(
        "evidence_complete_of_issued", "举证完整 / 下发监测图斑", df, done, "举证完整"
    )


def land_class_correct_rate(df: pd.DataFrame, payments: pd.DataFrame | None = None) -> MetricValue:
    verdict = df["land_class_ok"]
    checked = df["checked_at"].notna() & verdict.notna()
    ok = checked & (verdict == True)  # noqa: E712 - object column: True, False or None
    return _share("land_class_correct_rate", "地类正确率", df, ok, checked, "地类正确")


def approved_first_time_share(
    df: pd.DataFrame, payments: pd.DataFrame | None = None
) -> MetricValue:
    """出具报告准确无误: verifications the reviewer approved without sending them back."""
    seen = df["approved_first_time"].notna()
    first = seen & (df["approved_first_time"] == True)  # noqa: E712
    return _share("approved_first_time_share", "核查一次通过率", df, first, seen, "一次通过")


def penalty_receipt_count(df: pd.DataFrame, payments: pd.DataFrame) -> MetricValue:
    paid = payments.drop_duplicates("payment_id")
    has = paid["receipt_no"].fillna("").astype(str).str.strip().ne("")
    n = int(has.sum())
    behind = df["enforcement_id"].isin(paid.loc[has, "enforcement_id"])
    return MetricValue(
        "penalty_receipt_count",
        "罚款票据（笔）",
        float(n),
        f"{n} 笔",
        numerator=n,
        unit="笔",
        ids=_ids(df, behind),
    )


def illegal_farmland_ratio(df: pd.DataFrame, payments: pd.DataFrame | None = None) -> MetricValue:
    """违法占用耕地面积 ÷ 新增建设用地占用耕地面积 over the land 卫片, against 令第15号's 15%.

    A 图斑 takes 耕地 when its class before the change (前时相地类) is 01xx; it is new
    construction on 耕地 once judged legal or illegal (其他 means no real construction).
    """
    land = df["programme"] == Programme.LAND.value
    farmland = df["land_class_before"].fillna("").astype(str).str.startswith("01")
    judged = df["judgment"].isin([Judgment.LEGAL.value, Judgment.ILLEGAL.value])
    taken = land & farmland & judged
    illegal = taken & _illegal(df)
    area = pd.to_numeric(df["area_m2"], errors="coerce").fillna(0.0)
    num, den = float(area[illegal].sum()), float(area[taken].sum())
    pct = round(100.0 * num / den, 2) if den else None
    warning = None
    if pct is not None and pct >= FARMLAND_RATIO_LINE:
        warning = f"违法占用耕地比例 {pct:.1f}%，已达 15% 问责线"
    elif pct is not None and pct >= FARMLAND_RATIO_WARN:
        warning = f"违法占用耕地比例 {pct:.1f}%，接近 15% 问责线"
    shown = "—" if pct is None else f"{pct:.1f}%"
    return MetricValue(
        "illegal_farmland_ratio",
        "违法占用耕地比例",
        pct,
        f"{shown}（违法 {num / M2_PER_MU:,.1f} 亩 / 新增建设占用耕地 {den / M2_PER_MU:,.1f} 亩）",
        numerator=round(num, 2),
        denominator=round(den, 2),
        unit="%",
        ids=_ids(df, illegal),
        warning=warning,
    )


METRICS: dict[str, Callable[..., MetricValue]] = {
    f.__name__: f
    for f in (
        verified_of_issued,
        verified_by_due_share,
        illegal_filed_share,
        enforcement_closed_share,
        penalties_receipted,
        illegal_mines_active,
        provincial_pass_rate,
        submitted_by_due_share,
        evidence_of_issued,
        evidence_complete_of_issued,
        land_class_correct_rate,
        approved_first_time_share,
        penalty_receipt_count,
        illegal_farmland_ratio,
    )
}


def project_cases(
    project: Project, cases: pd.DataFrame, *, township: str | None = None, period: str | None = None
) -> pd.DataFrame:
    """The cases a project's indicators are computed over: its programmes and year, optionally
    one township (by code) and one issuing period (e.g. ``2019Q3``: that quarter's batches)."""
    progs = [p.value for p in project.programmes]
    periods = cases["period"].astype(str)
    mask = cases["programme"].isin(progs) & periods.str.startswith(str(project.year))
    if township is not None:
        mask &= cases["township_code"] == township
    if period is not None:
        mask &= periods == period
    return cases.loc[mask]


def project_payments(project: Project, payments: pd.DataFrame) -> pd.DataFrame:
    """Payments for the project's programmes made within its year (by paid date)."""
    progs = [p.value for p in project.programmes]
    paid_year = pd.to_datetime(payments["paid_on"].astype("string"), errors="coerce").dt.year
    return payments.loc[payments["programme"].isin(progs) & (paid_year == project.year)]


def compute_metric(
    name: str, cases: pd.DataFrame, payments: pd.DataFrame | None = None
) -> MetricValue:
    try:
        fn = METRICS[name]
    except KeyError:
        raise UnknownMetric(f"未知指标 {name}", metric=name) from None
    return fn(cases, empty_payments() if payments is None else payments)


def compute_project(
    project: Project,
    cases: pd.DataFrame,
    payments: pd.DataFrame | None = None,
    *,
    township: str | None = None,
    period: str | None = None,
) -> list[RowValue]:
    """Every indicator row of a goal table with the value of each bound metric.

    Whether the values are live or as of a past day depends only on the frames passed in
    (see storage.facts); a township scope also limits payments to the enforcements of its
    图斑, so money is never credited to a township whose 图斑 it did not cover.
    """
    scoped = project_cases(project, cases, township=township, period=period)
    paid = project_payments(project, empty_payments() if payments is None else payments)
    if township is not None or period is not None:
        paid = paid.loc[paid["enforcement_id"].isin(scoped["enforcement_id"].dropna())]
    return [
        RowValue(row, tuple(compute_metric(m, scoped, paid) for m in row.metrics))
        for row in project.indicators
    ]


def empty_cases() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in CASE_COLUMNS})


def empty_payments() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in PAYMENT_COLUMNS})
