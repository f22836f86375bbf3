"""立案 cases covering one or more 图斑, their penalty decisions and receipted payments."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select

from geo.errors import InvalidPayload, NotFound
from geo.model import Case, State
from storage.tables import cases, enforcements, payments


def open_for(conn: Any, payload: dict[str, Any], *, actor: str, now: datetime) -> int:
    """The enforcement a 立案 joins: the one with this case number, or a new one."""
    case_no = str(payload.get("case_no") or "").strip()
    if not case_no:
        return 0  # the workflow refuses the missing case number with a clear message
    row = conn.execute(select(enforcements).where(enforcements.c.case_no == case_no)).first()
    if row is not None:
        return int(row.id)
    filed_on = payload.get("filed_on")
    try:
        filed = filed_on if isinstance(filed_on, date) else date.fromisoformat(str(filed_on))
    except ValueError:
        return 0  # the workflow reports the malformed date
    return int(
        conn.execute(
            enforcements.insert().values(
                case_no=case_no,
                offender=payload.get("offender"),
                filed_on=filed,
                created_by=actor,
                created_at=now,
            )
        ).inserted_primary_key[0]
    )


def record_penalty(
    conn: Any, case: Case, data: dict[str, Any], *, actor: str, now: datetime
) -> None:
    """Record the decision once per enforcement, and a receipted payment once per receipt."""
    if case.enforcement_id is None:
        raise InvalidPayload("该图斑没有关联的立案案件", field="enforcement_id", case_id=case.id)
    enf = conn.execute(select(enforcements).where(enforcements.c.id == case.enforcement_id)).first()
    if enf is None:
        raise NotFound(f"没有立案案件 {case.enforcement_id}", enforcement_id=case.enforcement_id)
    decision = {k: data.get(k) for k in ("decision_no", "fine_yuan", "confiscation_yuan")}
    if enf.fine_yuan is None:
        conn.execute(enforcements.update().where(enforcements.c.id == enf.id).values(**decision))
    elif float(enf.fine_yuan) != float(decision["fine_yuan"] or 0):
        # Several 图斑 share one decision; a different amount would be a second, conflicting one.
        raise InvalidPayload(
            f"案件 {enf.case_no} 已记录罚款 {enf.fine_yuan:,.2f} 元，"
            f"与本次 {decision['fine_yuan']} 不一致",
            field="fine_yuan",
            enforcement_id=enf.id,
        )
    receipt = data.get("receipt_no")
    if receipt and data.get("fine_yuan"):
        add_payment(
            conn,
            enf.id,
            amount=float(data["fine_yuan"]),
            receipt_no=receipt,
            paid_on=data.get("paid_on"),
            actor=actor,
            now=now,
        )


def add_payment(
    conn: Any,
    enforcement_id: int,
    *,
    amount: float,
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
                amount_yuan=round(amount, 2),
                receipt_no=receipt_no,
                paid_on=paid_on,
                recorded_by=actor,
                recorded_at=now,
            )
        ).inserted_primary_key[0]
    )


def summary(conn: Any, enforcement_id: int) -> dict[str, Any]:
    row = conn.execute(select(enforcements).where(enforcements.c.id == enforcement_id)).first()
    if row is None:
        raise NotFound(f"没有立案案件 {enforcement_id}", enforcement_id=enforcement_id)
    paid = conn.execute(
        select(payments).where(payments.c.enforcement_id == enforcement_id).order_by(payments.c.id)
    ).all()
    parcels = conn.execute(
        select(cases.c.id, cases.c.code, cases.c.state, cases.c.batch_id)
        .where(cases.c.enforcement_id == enforcement_id)
        .order_by(cases.c.id)
    ).all()
    total = conn.execute(
        select(func.coalesce(func.sum(payments.c.amount_yuan), 0)).where(
            payments.c.enforcement_id == enforcement_id,
            payments.c.receipt_no.is_not(None),
        )
    ).scalar_one()
    return {
        **dict(row._mapping),
        "paid_yuan": float(total),
        "outstanding_yuan": max(float(row.fine_yuan or 0) - float(total), 0.0),
        "payments": [dict(p._mapping) for p in paid],
        "cases": [{**dict(c._mapping), "state_label": State(c.state).label} for c in parcels],
    }
