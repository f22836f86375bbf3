"""Work lists: each person's open 图斑, and everything past its deadline.

A 图斑 of a province batch is due on its batch's due date. A patrol case (动态巡查) is due step
by step instead (geo.patrol.STEPS: 制止 by an instant, 立案 and 报告 by a day), and a watched
site of any programme by its re-inspection day; the item names the step (``step``) and its
deadline (``step_due``). Which steps a person's list holds is geo.roles' word on who takes
each step's action.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Date,
    Engine,
    and_,
    case,
    false,
    func,
    literal,
    not_,
    or_,
    select,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from geo.localtime import LOCAL_TZ, LOCAL_TZ_NAME, local_today
from geo.model import FINAL_STATES, Judgment, Programme, State
from geo.patrol import PATROL_WORK, REINSPECT_NOTICE_DAYS, STEP_BY_CODE, STEPS, Step, steps_for
from geo.roles import Role, may_act
from storage import spatial
from storage.tables import batches, cases
from storage.users import User
from storage.visibility import EVERYTHING, Scope

WEIPIAN = [Programme.MINING.value, Programme.LAND.value]
CHANGE = Programme.CHANGE_SURVEY.value
PATROL = Programme.PATROL.value
FINAL = sorted(s.value for s in FINAL_STATES)


class local_day(FunctionElement[date]):  # noqa: N801 - a SQL function, named as one
    """The bureau's calendar day of a stored UTC instant, in SQL on either backend."""

    type = Date()
    name = "local_day"
    inherit_cache = True


@compiles(local_day, "sqlite")
def _local_day_sqlite(element: local_day, compiler: SQLCompiler, **kw: Any) -> str:
    # China keeps one offset all year (geo.localtime): SQLite's date modifiers need no zone data.
    offset = LOCAL_TZ.utcoffset(datetime(2000, 1, 1)) or timedelta()
    hours = int(offset.total_seconds() // 3600)
    return f"date({compiler.process(element.clauses, **kw)}, '{hours:+d} hours')"


@compiles(local_day, "postgresql")
def _local_day_postgresql(element: local_day, compiler: SQLCompiler, **kw: Any) -> str:
    arg = compiler.process(element.clauses, **kw)
    return f"CAST(timezone('{LOCAL_TZ_NAME}', {arg}) AS DATE)"


def _in(states: Iterable[State]) -> Any:
    return cases.c.state.in_([s.value for s in states])


def _role_clause(role: Role) -> Any:
    weipian, change = cases.c.programme.in_(WEIPIAN), cases.c.programme == CHANGE
    match role:
        case Role.VERIFIER:
            return or_(
                and_(weipian, _in([State.ISSUED, State.REWORK])),
                and_(change, _in([State.ISSUED, State.RETURNED])),
            )
        case Role.REVIEWER:
            return or_(
                and_(weipian, _in([State.VERIFIED, State.RECTIFIED])),
                and_(
                    weipian,
                    cases.c.state == State.APPROVED.value,
                    cases.c.judgment != Judgment.ILLEGAL.value,
                ),
                and_(change, _in([State.EVIDENCE_COLLECTED, State.SUBMITTED])),
            )
        case Role.ENFORCER:
            return and_(
                weipian,
                or_(
                    and_(
                        cases.c.state == State.APPROVED.value,
                        cases.c.judgment == Judgment.ILLEGAL.value,
                    ),
                    _in([State.FILED, State.PENALISED]),
                ),
            )
    return false()


# --- steps with a deadline (geo.patrol.STEPS) in SQL ------------------------------------------


def step_open(step: Step) -> ColumnElement[bool]:
    """``step.is_open`` as a condition on ``cases``."""
    c = cases.c
    conds: list[ColumnElement[bool]] = [c[step.due].is_not(None)]
    if step.programme is not None:
        conds.append(c.programme == step.programme.value)
    if step.states is not None:
        conds.append(_in(step.states))
    if step.judgment is not None:
        conds.append(c.judgment == step.judgment.value)
    conds += [c[f].is_(None) for f in step.unset]
    if step.needs is not None:
        conds.append(c[step.needs].is_not(None))
    return and_(*conds)


def step_day(step: Step) -> ColumnElement[date]:
    """The local day ``step`` is due on (an instant's day in the bureau's zone)."""
    col = cases.c[step.due]
    return local_day(col) if step.instant else col


def step_late(step: Step, today: date, now: datetime) -> ColumnElement[bool]:
    """``step.overdue`` of its deadline: an instant passed at ``now``, a day before ``today``."""
    if step.instant:
        return cases.c[step.due] < literal(now, cases.c[step.due].type)
    return cases.c[step.due] < today


def _first_step(steps: tuple[Step, ...], open_: dict[str, Any]) -> Any:
    """The code of the open step due first (ties: the one listed first), or NULL."""
    whens = []
    for i, s in enumerate(steps):
        beats = []
        for j, o in enumerate(steps):
            if j != i:
                first = step_day(s) < step_day(o) if j < i else step_day(s) <= step_day(o)
                beats.append(or_(not_(open_[o.code]), first))
        whens.append((and_(open_[s.code], *beats), s.code))
    return case(*whens, else_=None) if whens else literal(None)


def _due_day(steps: tuple[Step, ...], step: Any) -> Any:
    """The day the item is due on: its step's, else its batch's."""
    whens = [(step == s.code, step_day(s)) for s in steps]
    return case(*whens, else_=batches.c.due_on) if whens else batches.c.due_on


def _late(steps: tuple[Step, ...], step: Any, today: date, now: datetime) -> Any:
    """Whether the item is overdue: its step's deadline passed, else (a province 图斑) its
    batch's due date; a patrol case with no step due is not late by its year's batch."""
    whens = [(step == s.code, step_late(s, today, now)) for s in steps]
    whens.append((cases.c.programme == PATROL, false()))
    return case(*whens, else_=and_(batches.c.due_on < today, cases.c.state.not_in(FINAL)))


def overdue_condition(today: date, now: datetime | None = None) -> Any:
    """The overdue rule on ``cases`` joined with their ``batches``: a province 图斑 unfinished
    and past its batch's due date on the local day ``today``; a patrol case or a watched site
    with a step past its deadline (``now``: the instant a stop order is late after; default
    the start of ``today``, so a map tile stays the same all day)."""
    now = now or datetime.combine(today, time(), LOCAL_TZ)
    # The batch's due date through a subquery of the (few) batches past it, so the rule also
    # holds on ``cases`` alone (OGC's CQL2 ``overdue``), not only joined with ``batches``.
    past_due = select(batches.c.id).where(batches.c.due_on < today)
    by_batch = and_(
        cases.c.programme != PATROL, cases.c.batch_id.in_(past_due), cases.c.state.not_in(FINAL)
    )
    return or_(by_batch, *(and_(step_open(s), step_late(s, today, now)) for s in STEPS))


def _reinspect_window(today: date) -> ColumnElement[bool]:
    """A re-inspection is on the task lists from ``REINSPECT_NOTICE_DAYS`` before its day."""
    return cases.c.watch_due_on <= today + timedelta(days=REINSPECT_NOTICE_DAYS)


def _work_clause(roles: set[Role]) -> Any:
    """Patrol cases on the enforcement path (no deadline of their own) for who takes the
    next action."""
    states = [s.value for s, action in PATROL_WORK.items() if may_act(roles, action)]
    return and_(cases.c.programme == PATROL, cases.c.state.in_(states)) if states else false()


class WorkLists:
    """Each person's open 图斑 and everything overdue, overdue first, a page at a time."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def _page(
        self,
        where: Any,
        steps: tuple[Step, ...],
        open_: dict[str, Any],
        when: tuple[date, datetime],
        paging: tuple[int, int],
    ) -> tuple[list[dict[str, Any]], int]:
        today, now = when
        step = _first_step(steps, open_)
        q = (
            select(
                cases.c.id.label("case_id"),
                cases.c.batch_id,
                cases.c.code,
                cases.c.programme,
                cases.c.state,
                cases.c.township_name,
                batches.c.due_on,
                cases.c.geom,
                step.label("step"),
                *(cases.c[s.due] for s in STEPS),
            )  # fmt: skip
            .join(batches, batches.c.id == cases.c.batch_id)
            .where(where)
            .order_by(_late(steps, step, today, now).desc(), _due_day(steps, step), cases.c.id)
            .offset(paging[1])
            .limit(paging[0])
        )
        counted = (
            select(func.count())
            .select_from(cases.join(batches, batches.c.id == cases.c.batch_id))
            .where(where)
        )
        with self.engine.connect() as conn:
            out = [dict(r._mapping) for r in conn.execute(q)]
            total = int(conn.execute(counted).scalar_one())
        # One vectorised pass for the page: a phone sorts its list by distance from these.
        for d, centre in zip(out, spatial.centres([d.pop("geom") for d in out]), strict=True):
            _finish(d, today, now)
            d["centre"] = centre
        return out, total

    def tasks(
        self,
        *,
        user: User,
        today: date,
        limit: int,
        offset: int = 0,
        now: datetime | None = None,
    ) -> tuple[list[dict[str, Any]], int]:
        """The open 图斑 waiting for ``user``'s roles, of those in the user's scope (a
        verifier's own); returns (one page, how many in all). Patrol cases and watched sites
        come with the step the user takes next (``now``: for a stop order's deadline; default
        the start of ``today``)."""
        now = now or datetime.combine(today, time(), LOCAL_TZ)
        roles = set(user.roles)
        if Role.ADMIN in roles:
            roles |= {Role.VERIFIER, Role.REVIEWER, Role.ENFORCER}
        steps = steps_for(roles)
        open_ = {s.code: step_open(s) for s in steps}
        if "reinspect" in open_:
            open_["reinspect"] = and_(open_["reinspect"], _reinspect_window(today))
        where = or_(*[_role_clause(r) for r in roles], _work_clause(roles), *open_.values())
        return self._page(Scope.of(user).where(where), steps, open_, (today, now), (limit, offset))

    def overdue(
        self,
        *,
        today: date,
        limit: int,
        offset: int = 0,
        scope: Scope = EVERYTHING,
        now: datetime | None = None,
    ) -> tuple[list[dict[str, Any]], int]:
        """Unfinished 图斑 past their batch's due date, and patrol cases and watched sites with
        a step past its deadline, of those in ``scope``; returns (one page, how many in all)."""
        now = now or datetime.combine(today, time(), LOCAL_TZ)
        open_ = {s.code: and_(step_open(s), step_late(s, today, now)) for s in STEPS}
        where = scope.where(overdue_condition(today, now))
        return self._page(where, STEPS, open_, (today, now), (limit, offset))


def _finish(d: dict[str, Any], today: date, now: datetime) -> None:
    """An item's labels, deadline and lateness from its row (the step's own columns dropped)."""
    dues = {s.due: d.pop(s.due) for s in STEPS}
    d["state_label"] = State(d["state"]).label
    step = STEP_BY_CODE.get(d["step"] or "")
    if step is not None:
        due = dues[step.due]
        d["step_label"] = step.label
        d["step_due"] = due.isoformat()
        d["due_on"] = local_today(due) if step.instant else due
        d["overdue"] = step.overdue(due, now)
    else:
        d["step_label"] = d["step_due"] = None
        d["overdue"] = d["programme"] != PATROL and d["due_on"] < today
