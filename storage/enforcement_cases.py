"""立案 cases as a whole: filing several 图斑 under one case number, reading it, its payments."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine

from geo.localtime import local_today
from geo.workflow import payment_of
from storage import enforcement
from storage.repository import apply_in, penalise_in
from storage.visibility import EVERYTHING, Scope


class EnforcementStore:
    """Reads and writes of 立案 cases, each in its own transaction."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def get(self, enforcement_id: int, scope: Scope = EVERYTHING) -> dict[str, Any]:
        """The case with its payments and the 图斑 of it in ``scope``; NotFound for an unknown
        id, and for a case none of whose 图斑 is in ``scope``."""
        with self.engine.connect() as conn:
            return enforcement.summary(conn, enforcement_id, scope)

    def file(
        self, *, case_ids: list[int], payload: dict[str, Any], actor: str, now: datetime
    ) -> dict[str, Any]:
        """File every listed 图斑 under one 立案 case: all of them or none."""
        with self.engine.begin() as conn:
            for cid in dict.fromkeys(case_ids):
                apply_in(
                    conn, cid, "file", actor=actor, payload=payload, expected_version=None, now=now
                )
            eid = enforcement.open_for(conn, payload, actor=actor, now=now)
            return enforcement.summary(conn, eid)

    def penalise(
        self,
        enforcement_id: int,
        *,
        payload: dict[str, Any],
        expected_versions: Mapping[int, int],
        actor: str,
        now: datetime,
        check: Callable[[int], None] | None = None,
    ) -> dict[str, Any]:
        """Record the penalty decision of a 立案 case on every filed 图斑 of it, one event each,
        all or none (storage.repository.penalise_in); returns the case."""
        with self.engine.begin() as conn:
            penalise_in(
                conn,
                enforcement_id,
                actor=actor,
                payload=payload,
                expected_versions=expected_versions,
                now=now,
                check=check,
            )
            return enforcement.summary(conn, enforcement_id)

    def pay(
        self,
        enforcement_id: int,
        *,
        amount: Decimal | float | str,
        receipt_no: str,
        paid_on: date | str,
        actor: str,
        now: datetime,
    ) -> dict[str, Any]:
        """Record a receipted payment (the same receipt twice is one) and return the case; the
        amount, receipt and date are checked by geo.workflow.payment_of (InvalidPayload)."""
        with self.engine.begin() as conn:
            recorded = enforcement.recorded(conn, enforcement_id)  # NotFound for an unknown case
            payment = payment_of(recorded, amount, receipt_no, paid_on, today=local_today(now))
            enforcement.add_payment(
                conn,
                enforcement_id,
                amount=payment.amount_yuan,
                receipt_no=payment.receipt_no,
                paid_on=payment.paid_on,
                actor=actor,
                now=now,
            )
            return enforcement.summary(conn, enforcement_id)
