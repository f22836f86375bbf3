"""The 图斑 behind one indicator value (drill-down), found by the database a page at a time.

A metric counts the cases meeting a flag (geo.indicators.FLAGS), or, for the money metrics,
the cases whose enforcement has receipted payments. Here the flag's conditions are compiled
to a ``WHERE`` over the per-case facts of storage.facts (live: the ``cases`` row; as of a past
day: the event-log replay compiled from the milestone map), together with the project's scope
and the user's visibility (storage.visibility), so no per-case frame is read and a page costs
one indexed or scanning query, not a million rows in Python. The money metrics take the
receipted enforcements from geo.indicators (payments are few) and match them in SQL.

tests/storage/test_drill.py checks, for every bound metric, that the ids equal those of the
per-case computation in geo.indicators.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Engine, Select, and_, case, false, func, or_, select, true

from geo.errors import UnknownMetric
from geo.goals import Project
from geo.indicators import (
    FLAGS,
    METRICS,
    Cond,
    Metric,
    cond_columns,
    project_payments,
    receipted_enforcements,
)
from storage import facts
from storage.tables import batches, cases
from storage.visibility import EVERYTHING, Scope


@dataclass(frozen=True)
class DrillQuery:
    """Which value to drill into: a project's metric, live or as of a day, optionally one
    township (code) and one issuing period, as the goal table was shown."""

    project: Project
    metric: str
    as_of: date | None = None
    township: str | None = None
    period: str | None = None


@dataclass(frozen=True)
class DrillPage:
    """One page of the 图斑 behind a value: their rows (id, code, township, state now) and
    how many there are in all (those the user may see)."""

    rows: list[dict[str, Any]]
    count: int


def _metric(name: str) -> Metric:
    try:
        return METRICS[name]
    except KeyError:
        raise UnknownMetric(f"未知指标 {name}", metric=name) from None


def _on_time(rel: facts.Relation, col: ColumnElement[Any], days: Sequence[date]) -> Any:
    """``col`` falls on or before the case's due day (local): before the end of that day."""
    if not days:
        return False
    ends = {d: facts.instant(rel, facts.end_of_day_utc(d)) for d in days}
    return and_(col.is_not(None), col < case(ends, value=rel.columns["due_on"]))


def _cond(rel: facts.Relation, c: Cond, due_days: Sequence[date]) -> Any:
    """One condition of geo.indicators.Cond in SQL: what ``_cond_mask`` does to a frame."""
    if c.op == "any":
        return or_(*(and_(*(_cond(rel, x, due_days) for x in conds)) for conds in c.value))
    col = rel.columns[c.column]
    match c.op:
        case "notnull":
            return col.is_not(None)
        case "isnull":
            return col.is_(None)
        case "le":
            due = rel.columns[c.value]
            return and_(col.is_not(None), due.is_not(None), col <= due)
        case "eq":
            return col == c.value
        case "isin":
            return col.in_(list(c.value))
        case "notin":  # a missing value is not in the list (pandas' ~isin)
            return or_(col.is_(None), col.not_in(list(c.value)))
        case "ge":
            return col >= c.value
        case "prefix":
            return func.substr(col, 1, len(c.value)) == c.value
        case "is_true":
            return col.is_(True)
        case "on_time":
            return _on_time(rel, col, due_days)
    raise ValueError(f"unknown condition {c.op}")  # pragma: no cover - FLAGS are fixed


_SCOPE_COLUMNS = ("case_id", "programme", "period", "township_code", "due_on")


def _scope(rel: facts.Relation, q: DrillQuery) -> list[ColumnElement[bool]]:
    """The cases a project's indicators cover (geo.indicators.project_cases) in SQL."""
    cols = rel.columns
    progs = [p.value for p in q.project.programmes]
    out: list[ColumnElement[bool]] = [cols["programme"].in_(progs)]
    if q.period is None:
        out.append(cols["period"].like(f"{q.project.year}%"))
    else:  # the period's own 图斑 and those re-issued in it (as IndicatorSource.frames counts)
        again = facts.reissued_case_ids(q.period, q.as_of)
        out.append(or_(cols["period"] == q.period, cols["case_id"].in_(again)))
        if not q.period.startswith(str(q.project.year)):
            out.append(false())
    if q.township:  # plain equality, so that the township index serves it
        out.append(cols["township_code"] == q.township)
    elif q.township is not None:  # "": the 图斑 in no known township
        out.append(func.coalesce(cols["township_code"], "") == "")
    return out


def _due_days(engine: Engine, q: DrillQuery) -> list[date]:
    progs = [p.value for p in q.project.programmes]
    # A period's re-issued 图斑 keep their own batch's due day, perhaps of an earlier year.
    year = batches.c.period.like(f"{q.project.year}%") if q.period is None else true()
    sel = select(batches.c.due_on).where(batches.c.programme.in_(progs), year).distinct()
    with engine.connect() as conn:
        return sorted(conn.execute(sel).scalars())


def _money_ids(engine: Engine, q: DrillQuery) -> list[int]:
    paid = facts.payments_frame(engine, as_of=q.as_of)
    scoped = project_payments(q.project, paid, township=q.township, period=q.period)
    return sorted(receipted_enforcements(scoped))


def selection(
    engine: Engine, q: DrillQuery, scope: Scope = EVERYTHING, *, paged: bool = False
) -> Select[Any]:
    """The ids of the 图斑 behind ``q``'s value that ``scope`` may see, as a query; ``paged``:
    a query for a page by id, which reads a past day's events case by case and so stops
    once the page is full (all ids at once are cheaper from one grouped pass)."""
    m = _metric(q.metric)
    money = m.kind in ("money", "money_count")
    used = {"enforcement_id"} if money else cond_columns(FLAGS[m.num or ""])
    rel = (
        facts.live_relation()
        if q.as_of is None
        else facts.as_of_relation(
            engine.dialect.name, q.as_of, {*_SCOPE_COLUMNS, *used}, per_case=paged
        )
    )
    conds = _scope(rel, q)
    if money:
        conds.append(rel.columns["enforcement_id"].in_(_money_ids(engine, q)))
    else:
        due = _due_days(engine, q)
        conds += [_cond(rel, c, due) for c in FLAGS[m.num or ""]]
    case_id = rel.columns["case_id"]
    return (
        select(case_id.label("case_id")).select_from(rel.source).where(*conds, *scope.on(case_id))
    )


def case_ids(engine: Engine, q: DrillQuery, scope: Scope = EVERYTHING) -> list[int]:
    """Every id behind ``q``'s value that ``scope`` may see, ascending."""
    sel = selection(engine, q, scope)
    with engine.connect() as conn:
        return list(conn.execute(sel.order_by(sel.selected_columns[0])).scalars())


def page(
    engine: Engine,
    q: DrillQuery,
    *,
    limit: int,
    offset: int,
    scope: Scope = EVERYTHING,
    count: int | None = None,
) -> DrillPage:
    """``limit`` of the 图斑 behind ``q``'s value from ``offset`` (by id), and their count:
    ``count`` when the caller knows it already, else counted by the database."""
    inner = selection(engine, q, scope, paged=True).subquery()
    with engine.connect() as conn:
        if count is None:
            count = conn.execute(select(func.count()).select_from(inner)).scalar_one()
        # Asking for no more rows than remain lets the scan stop at the last of them instead
        # of reading on to the end (a value of 3 图斑 among a million); none remain: no query.
        wanted = max(0, min(limit, count - offset))
        page = select(inner.c.case_id).order_by(inner.c.case_id).limit(wanted).offset(offset)
        ids = list(conn.execute(page).scalars()) if wanted else []
        rows = conn.execute(
            select(
                cases.c.id.label("case_id"), cases.c.code, cases.c.township_code,
                cases.c.township_name, cases.c.state,
            ).where(cases.c.id.in_(ids)).order_by(cases.c.id)
        ).mappings().all()  # fmt: skip
    return DrillPage([dict(r) for r in rows], int(count))
