"""Which 图斑 a user may see: the one visibility rule every read applies in its query.

A verifier sees the 图斑 assigned to them by hand and those of their townships; everyone else
sees every 图斑 (``geo.roles.sees_all``). Reads do not fetch and then filter: they add
``Scope.clause()`` to their ``WHERE``, so lists omit what is not visible, counts count only what
is, and a single 图斑 outside the scope is simply not found.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Connection, Engine, and_, exists, or_, select

from geo.errors import NotFound
from geo.roles import sees_all
from storage.tables import assignments, cases


@dataclass(frozen=True)
class Scope:
    """What one user may see of the 图斑: everything (``user_id`` None), or the 图斑 assigned to
    ``user_id`` plus those of ``townships``."""

    user_id: int | None = None
    townships: tuple[str, ...] = ()

    @classmethod
    def of(cls, user: Any) -> Scope:
        """The scope of a ``storage.users.User`` (anything with id, roles and townships)."""
        if sees_all(user.roles):
            return EVERYTHING
        return cls(user_id=user.id, townships=tuple(user.townships))

    @property
    def everything(self) -> bool:
        """Whether this scope holds every 图斑."""
        return self.user_id is None

    def clause(self) -> ColumnElement[bool] | None:
        """The condition on ``cases`` for the visible 图斑; None when every 图斑 is visible (no
        condition at all, so the plans of who sees everything stay as they were)."""
        if self.user_id is None:
            return None
        by_hand = select(assignments.c.case_id).where(assignments.c.user_id == self.user_id)
        return or_(cases.c.id.in_(by_hand), cases.c.township_code.in_(list(self.townships)))

    def conditions(self) -> list[ColumnElement[bool]]:
        """``clause()`` as a list to splice into a ``WHERE``: empty when everything is visible."""
        visible = self.clause()
        return [] if visible is None else [visible]

    def on(self, case_id: Any) -> list[ColumnElement[bool]]:
        """Conditions keeping the rows whose ``case_id`` column names a visible 图斑 (photos,
        events, …): none for everything, else one ``IN`` over the visible cases."""
        visible = self.clause()
        return [] if visible is None else [case_id.in_(select(cases.c.id).where(visible))]

    def where(self, *conds: Any) -> ColumnElement[bool]:
        """``conds`` joined with this scope's clause on ``cases``."""
        clause = self.clause()
        return and_(*conds, *([] if clause is None else [clause]))

    def sees(self, conn: Connection, case_id: int) -> bool:
        """Whether the 图斑 ``case_id`` exists and lies in this scope."""
        q = select(exists().where(self.where(cases.c.id == case_id)))
        return bool(conn.execute(q).scalar())

    def require(self, conn: Connection, case_id: int) -> None:
        """NotFound (the same as for a 图斑 that does not exist) unless ``case_id`` is visible."""
        if not self.sees(conn, case_id):
            raise NotFound(f"没有图斑 {case_id}", case_id=case_id)

    def case_ids(self, conn: Connection) -> set[int] | None:
        """The ids of the visible 图斑; None for everything (nobody should list them all)."""
        if self.everything:
            return None
        return set(conn.execute(select(cases.c.id).where(self.where())).scalars())


EVERYTHING = Scope()


class Visibility:
    """The visibility rule on one engine, for callers outside a transaction (the API)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def sees(self, scope: Scope, case_id: int) -> bool:
        """Whether ``scope`` holds the 图斑 ``case_id`` (everything-scopes hold any id)."""
        if scope.everything:
            return True
        with self.engine.connect() as conn:
            return scope.sees(conn, case_id)

    def require(self, scope: Scope, case_id: int) -> None:
        """NotFound unless ``scope`` holds ``case_id`` (see ``Scope.require``)."""
        if not self.sees(scope, case_id):
            raise NotFound(f"没有图斑 {case_id}", case_id=case_id)

    def case_ids(self, scope: Scope) -> set[int] | None:
        """The ids of the 图斑 in ``scope``; None when it holds every 图斑."""
        if scope.everything:
            return None
        with self.engine.connect() as conn:
            return scope.case_ids(conn)
