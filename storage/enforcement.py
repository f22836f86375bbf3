"""立案 cases covering one or more 图斑, their penalty decisions and receipted payments."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from geo.errors import NotFound
from geo.model import Action, Case, Event, State
from geo.workflow import (
    OpenEnforcement,
    RecordedEnforcement,
    RecordPenalty,
    SetDecision,
    effects_of,
    parse_payload,
    penalty_writes,
    with_enforcement,
)
from storage.tables import cases, enforcements, payments
from storage.visibility import EVERYTHING, Scope


def open_enforcement(conn: Any, request: OpenEnforcement, *, actor: str, now: datetime) -> int:
    """Carry out a 立案's request: the enforcement with its case number, or a new one."""
    row = conn.execute(
        select(enforcements.c.id).where(enforcements.c.case_no == request.case_no)
    ).first()
    if row is not None:
        return int(row.id)
    return int(
        conn.execute(
            enforcements.insert().values(
                case_no=request.case_no,
                offender=request.offender,
                filed_on=request.filed_on,
                created_by=actor,
                created_at=now,
            )
        ).inserted_primary_key[0]
    )


def open_for(conn: Any, payload: dict[str, Any], *, actor: str, now: datetime) -> int:
    """The enforcement a 立案 payload opens or joins (its fields checked by the workflow)."""
    data = parse_payload(Action.FILE, payload)
    request = OpenEnforcement(data["case_no"], data["filed_on"], data.get("offender"))
    return open_enforcement(conn, request, actor=actor, now=now)


def recorded(conn: Any, enforcement_id: int) -> RecordedEnforcement:
    """The enforcement as the fine-consistency rule reads it."""
    enf = conn.execute(
        select(
            enforcements.c.id,
            enforcements.c.case_no,
            enforcements.c.fine_yuan,
            enforcements.c.filed_on,
            enforcements.c.decided_on,
        ).where(enforcements.c.id == enforcement_id)
    ).first()
    if enf is None:
        raise NotFound(f"没有立案案件 {enforcement_id}", enforcement_id=enforcement_id)
    return RecordedEnforcement(
        int(enf.id), enf.case_no, enf.fine_yuan, enf.filed_on, enf.decided_on
    )


def record_penalty(conn: Any, penalty: RecordPenalty, *, actor: str, now: datetime) -> None:
    """Carry out a penalty's writes, as geo.workflow.penalty_writes decides them."""
    for write in penalty_writes(recorded(conn, penalty.enforcement_id), penalty):
        if isinstance(write, SetDecision):
            conn.execute(
                enforcements.update()
                .where(enforcements.c.id == write.enforcement_id)
                .values(
                    decision_no=write.decision_no,
                    fine_yuan=write.fine_yuan,
                    confiscation_yuan=write.confiscation_yuan,
                    decided_on=write.decided_on,
                )
            )
        else:
            add_payment(
                conn,
                write.enforcement_id,
                amount=write.amount_yuan,
                receipt_no=write.receipt_no,
                paid_on=write.paid_on,
                actor=actor,
                now=now,
            )


def carry_out(
    conn: Any, before: Case, after: Case, event: Event, *, now: datetime
) -> tuple[Case, Event]:
    """Carry out the requests an applied action makes (geo.workflow.effects_of), in order;
    returns the case and event as they stand then (a 立案 learns its enforcement id)."""
    actor = event.actor
    for request in effects_of(before, event):
        if isinstance(request, OpenEnforcement):
            eid = open_enforcement(conn, request, actor=actor, now=now)
            after, event = with_enforcement(after, event, eid)
        else:
            record_penalty(conn, request, actor=actor, now=now)
    return after, event


def add_payment(
    conn: Any,
    enforcement_id: int,
    *,
    amount: Decimal | float | int,
    receipt_no: str | None,
    paid_on: date | None,
    actor: str,
    now: datetime,
) -> int | None:
    """Append a payment; the same receipt recorded twice is one payment (returns None)."""
    if receipt_no:
        dup = conn.execute(
            select(payments.c.id).where(
                payments.c.enforcement_id == enforcement_id,
                payments.c.receipt_no == receipt_no,
            )
        ).first()
        if dup is not None:
            return None
    return int(
        conn.execute(
            payments.insert().values(
                enforcement_id=enforcement_id,
                amount_yuan=amount,
                receipt_no=receipt_no,
                paid_on=paid_on,
                recorded_by=actor,
                recorded_at=now,
            )
        ).inserted_primary_key[0]
    )


def summary(conn: Any, enforcement_id: int, scope: Scope = EVERYTHING) -> dict[str, Any]:
    """A 立案 case with its payments, its 图斑, the receipted sum paid and what is still owed.

    Only the 图斑 in ``scope`` are listed; a case none of whose 图斑 is in it is not found, as if
    it did not exist (its offender and fine are personal data of other people's 图斑).
    """
    row = conn.execute(select(enforcements).where(enforcements.c.id == enforcement_id)).first()
    parcels = conn.execute(
        select(cases.c.id, cases.c.code, cases.c.state, cases.c.batch_id, cases.c.version)
        .where(scope.where(cases.c.enforcement_id == enforcement_id))
        .order_by(cases.c.id)
    ).all()
    if row is None or not (parcels or scope.everything):
        raise NotFound(f"没有立案案件 {enforcement_id}", enforcement_id=enforcement_id)
    paid = conn.execute(
        select(payments).where(payments.c.enforcement_id == enforcement_id).order_by(payments.c.id)
    ).all()
    # Summed here, exactly: SQLite would add the amounts as floats.
    total = sum((p.amount_yuan for p in paid if p.receipt_no is not None), Decimal("0.00"))
    return {
        **dict(row._mapping),
        "paid_yuan": total,
        "outstanding_yuan": max((row.fine_yuan or Decimal(0)) - total, Decimal("0.00")),
        "payments": [dict(p._mapping) for p in paid],
        "cases": [{**dict(c._mapping), "state_label": State(c.state).label} for c in parcels],
    }
