"""立案 cases covering several 图斑, and their payments."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from api.deps import ClockDep, StoreDep
from api.security import require
from geo.roles import Role
from storage import enforcement
from storage.repository import apply_in
from storage.users import User

router = APIRouter(prefix="/api/enforcements", tags=["enforcements"])
Enforcer = Annotated[User, Depends(require(Role.ENFORCER))]


class EnforcementCreate(BaseModel):
    case_no: str = Field(min_length=1, max_length=100)
    filed_on: date
    offender: str | None = Field(default=None, max_length=200)
    case_ids: list[int] = Field(min_length=1, max_length=500)


class PaymentCreate(BaseModel):
    amount_yuan: float = Field(gt=0)
    receipt_no: str = Field(min_length=1, max_length=100)
    paid_on: date


@router.post("", status_code=201, operation_id="enforcements-create")
def create(body: EnforcementCreate, user: Enforcer, store: StoreDep, clock: ClockDep) -> dict:
    """File every listed 图斑 under one 立案 case: all of them or none."""
    now = clock()
    payload = {
        "case_no": body.case_no,
        "filed_on": body.filed_on.isoformat(),
        "offender": body.offender,
    }
    with store.engine.begin() as conn:
        for cid in dict.fromkeys(body.case_ids):
            apply_in(
                conn, cid, "file", actor=user.actor, payload=payload, expected_version=None, now=now
            )
        eid = enforcement.open_for(conn, payload, actor=user.actor, now=now)
        return enforcement.summary(conn, eid)


@router.get("/{enforcement_id}", operation_id="enforcements-get")
def get(enforcement_id: int, store: StoreDep) -> dict:
    with store.engine.connect() as conn:
        return enforcement.summary(conn, enforcement_id)


@router.post("/{enforcement_id}/payments", status_code=201, operation_id="enforcements-pay")
def pay(
    enforcement_id: int, body: PaymentCreate, user: Enforcer, store: StoreDep, clock: ClockDep
) -> dict:
    with store.engine.begin() as conn:
        enforcement.summary(conn, enforcement_id)  # 404 for an unknown case
        enforcement.add_payment(
            conn,
            enforcement_id,
            amount=body.amount_yuan,
            receipt_no=body.receipt_no,
            paid_on=body.paid_on,
            actor=user.actor,
            now=clock(),
        )
        return enforcement.summary(conn, enforcement_id)
