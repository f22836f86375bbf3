"""Work lists: each person's open 图斑, and everything past its deadline."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Engine, and_, false, func, or_, select

from geo.model import FINAL_STATES, Judgment, Programme, State
from geo.roles import Role
from storage import spatial
from storage.tables import batches, cases
from storage.users import User
from storage.visibility import EVERYTHING, Scope

WEIPIAN = [Programme.MINING.value, Programme.LAND.value]
CHANGE = Programme.CHANGE_SURVEY.value
FINAL = sorted(s.value for s in FINAL_STATES)


def _in(states: list[State]) -> Any:
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


def overdue_condition(today: date) -> Any:
    """The overdue rule on ``cases`` joined with their ``batches``: unfinished and past the
    batch's due date on the local day ``today``."""
    return and_(batches.c.due_on < today, cases.c.state.not_in(FINAL))


def _query(where: Any, today: date) -> Any:
    return (
        select(
            cases.c.id.label("case_id"),
            cases.c.batch_id,
            cases.c.code,
            cases.c.programme,
            cases.c.state,
            cases.c.township_name,
            batches.c.due_on,
            cases.c.geom,
        )
        .join(batches, batches.c.id == cases.c.batch_id)
        .where(where)
        .order_by((batches.c.due_on < today).desc(), batches.c.due_on, cases.c.id)
    )


class WorkLists:
    """Each person's open 图斑 and everything overdue, overdue first, a page at a time."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def _page(
        self, where: Any, today: date, limit: int, offset: int
    ) -> tuple[list[dict[str, Any]], int]:
        q = _query(where, today).offset(offset).limit(limit)
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
            d["state_label"] = State(d["state"]).label
            d["overdue"] = d["due_on"] < today
            d["centre"] = centre
        return out, total

    def tasks(
        self, *, user: User, today: date, limit: int, offset: int = 0
    ) -> tuple[list[dict[str, Any]], int]:
        """The open 图斑 waiting for ``user``'s roles, of those in the user's scope (a
        verifier's own); returns (one page, how many in all)."""
        roles = set(user.roles)
        if Role.ADMIN in roles:
            roles |= {Role.VERIFIER, Role.REVIEWER, Role.ENFORCER}
        where = or_(*[_role_clause(r) for r in roles]) if roles else false()
        return self._page(Scope.of(user).where(where), today, limit, offset)

    def overdue(
        self, *, today: date, limit: int, offset: int = 0, scope: Scope = EVERYTHING
    ) -> tuple[list[dict[str, Any]], int]:
        """Unfinished 图斑 past their batch's due date, of those in ``scope``; returns (one page,
        how many in all)."""
        where = scope.where(overdue_condition(today))
        return self._page(where, today, limit, offset)
