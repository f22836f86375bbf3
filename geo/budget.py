"""Budget execution (预算执行): cumulative spending against the goal table's 资金支出计划.

The plan gives the cumulative share of the budget to be spent by the end of March, June,
October and December. Pure: callers pass the plan, the budget and the spending rows.

How empty plan cells are read (the seed leaves many empty: 规划编制 plans only 12月底 = 100,
土地变更调查 only 10月底 = 100):

- an empty cell before or between filled ones is *no target at that checkpoint*: the office
  committed to nothing there, so no deviation is reported (``planned_pct`` is None);
- an empty cell after a filled 100 is 100: once the whole budget was due to be spent, every
  later checkpoint still expects all of it (``planned_carried`` is True). After a filled cell
  below 100 it stays empty: the earlier share is only a floor, not a target.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from geo.goals import CHECKPOINTS

LABELS = {"mar": "3月底", "jun": "6月底", "oct": "10月底", "dec": "12月底"}
# The same checkpoints as the English dashboard names them.
LABELS_EN = {
    "mar": "end of March",
    "jun": "end of June",
    "oct": "end of October",
    "dec": "end of December",
}
_MONTH_END = {"mar": (3, 31), "jun": (6, 30), "oct": (10, 31), "dec": (12, 31)}


@dataclass(frozen=True)
class Checkpoint:
    """Planned against actual spending at one checkpoint (3月底, 6月底, 10月底, 12月底)."""

    checkpoint: str  # mar / jun / oct / dec
    label: str  # 3月底 …
    date: date
    planned_pct: float | None  # cumulative share of the budget planned by this date
    actual_yuan: float | None  # cumulative spending up to this date; None if after as_of
    actual_pct: float | None
    deviation_pct: float | None  # actual − planned, in percentage points
    planned_carried: bool = False  # planned_pct came from an earlier 100, not this cell


def checkpoint_date(year: int, checkpoint: str) -> date:
    """The last day of a checkpoint's month (``"jun"`` → 30 June) in ``year``."""
    month, day = _MONTH_END[checkpoint]
    return date(year, month, day)


def planned(spending_plan: Mapping[str, float | None]) -> dict[str, tuple[float | None, bool]]:
    """The planned cumulative share per checkpoint and whether it was carried from a 100."""
    out: dict[str, tuple[float | None, bool]] = {}
    done = False
    for k in CHECKPOINTS:
        v = spending_plan.get(k)
        if v is not None:
            out[k] = (float(v), False)
            done = float(v) >= 100
        else:
            out[k] = (100.0, True) if done else (None, False)
    return out


def spent_by(expenditures: Iterable[tuple[date, float]], year: int, until: date) -> float:
    """Cumulative spending of ``year`` up to and including ``until`` (corrections included)."""
    return round(sum(a for d, a in expenditures if d.year == year and d <= until), 2)


def execution(
    spending_plan: Mapping[str, float | None],
    budget_total: float | None,
    expenditures: Iterable[tuple[date, float]],
    year: int,
    as_of: date,
) -> list[Checkpoint]:
    """The four checkpoints of ``year`` with plan, cumulative actual and deviation.

    Each spending row counts on its own date; a correction (a negative row) lowers the total
    from the day it was booked. Checkpoints after ``as_of`` have no actual yet, and spending
    dated after ``as_of`` is not counted anywhere.

    >>> rows = [(date(2019, 3, 1), 30000.0), (date(2019, 5, 2), 60000.0)]
    >>> plan = {"mar": 10, "jun": 40, "oct": 60, "dec": 100}
    >>> [(c.label, c.actual_pct, c.deviation_pct)
    ...  for c in execution(plan, 300000, rows, 2019, date(2019, 7, 1))]
    [('3月底', 10.0, 0.0), ('6月底', 30.0, -10.0), ('10月底', None, None), ('12月底', None, None)]
    """
    rows = [(d, float(a)) for d, a in expenditures if d <= as_of]
    plan = planned(spending_plan)
    out = []
    for k in CHECKPOINTS:
        when = checkpoint_date(year, k)
        pct_plan, carried = plan[k]
        if when > as_of:
            actual = actual_pct = None
        else:
            actual = spent_by(rows, year, when)
            actual_pct = round(100 * actual / budget_total, 2) if budget_total else None
        deviation = (
            round(actual_pct - pct_plan, 2)
            if actual_pct is not None and pct_plan is not None
            else None
        )
        out.append(Checkpoint(k, LABELS[k], when, pct_plan, actual, actual_pct, deviation, carried))
    return out
