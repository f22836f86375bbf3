"""立案 cases covering several 图斑, and their payments."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from api.deps import ClockDep, ServicesDep
from api.documented_errors import errors
from api.schemas import DbInt, EnforcementPublic, SafeName
from api.security import ScopeDep, VisibilityDep, check_action, check_visible, require
from geo.roles import Role
from storage.users import User

router = APIRouter(prefix="/api/enforcements", tags=["enforcements"])
Enforcer = Annotated[User, Depends(require(Role.ENFORCER))]


class EnforcementCreate(BaseModel):
    """A 立案 case to file: case number, filing day, offender, and the 图斑 it covers (1 to 500)."""

    case_no: SafeName = Field(min_length=1, max_length=100)
    filed_on: date
    offender: SafeName | None = Field(default=None, max_length=200)
    case_ids: list[DbInt] = Field(min_length=1, max_length=500)


class PaymentCreate(BaseModel):
    """A receipted payment on a 立案 case: amount in 元 (above 0), receipt number, day paid."""

    amount_yuan: Decimal = Field(gt=0, le=10**10, max_digits=14, decimal_places=2)
    receipt_no: SafeName = Field(min_length=1, max_length=100)
    paid_on: date


class PenaltyCreate(BaseModel):
    """The penalty decision of a 立案 case (the penalise action's payload: decision number and
    day, fine, confiscation, receipt and day paid), and the version of each of its 图斑 the
    client saw (id → version; any stale one refuses the whole penalty)."""

    payload: dict[str, Any] = Field(
        examples=[{"decision_no": "丰国土资罚决〔2019〕21号", "fine_yuan": 90000}]
    )
    expected_versions: dict[DbInt, DbInt] = Field(default_factory=dict, max_length=500)


@router.post(
    "", status_code=201, operation_id="enforcements-create", responses=errors(403, 404, 409)
)
def create(
    body: EnforcementCreate, user: Enforcer, services: ServicesDep, clock: ClockDep
) -> EnforcementPublic:
    """File every listed 图斑 under one 立案 case: all of them or none."""
    payload = {
        "case_no": body.case_no,
        "filed_on": body.filed_on.isoformat(),
        "offender": body.offender,
    }
    saved = services.enforcements.file(
        case_ids=body.case_ids, payload=payload, actor=user.actor, now=clock()
    )
    return EnforcementPublic.model_validate(saved)


@router.get("/{enforcement_id}", operation_id="enforcements-get")
def get(enforcement_id: int, services: ServicesDep, scope: ScopeDep) -> EnforcementPublic:
    """The 立案 case with its payments and those of its 图斑 the user may see; 404 for a verifier
    none of whose 图斑 it covers."""
    return EnforcementPublic.model_validate(services.enforcements.get(enforcement_id, scope))


@router.post(
    "/{enforcement_id}/penalty",
    operation_id="enforcements-penalise",
    responses=errors(403, 404, 409),
)
def penalise(
    enforcement_id: int,
    body: PenaltyCreate,
    user: Enforcer,
    services: ServicesDep,
    clock: ClockDep,
    visibility: VisibilityDep,
) -> EnforcementPublic:
    """Record the penalty on every filed 图斑 of the 立案 case, one event each, all or none: a
    stale version of any of them gets 409 and nothing changes."""

    def may_penalise(case_id: int) -> None:
        check_visible(user, case_id, visibility)
        check_action(user, "penalise", case_id, visibility)

    saved = services.enforcements.penalise(
        enforcement_id,
        payload=body.payload,
        expected_versions=body.expected_versions,
        actor=user.actor,
        now=clock(),
        check=may_penalise,
    )
    return EnforcementPublic.model_validate(saved)


@router.post(
    "/{enforcement_id}/payments",
    status_code=201,
    operation_id="enforcements-pay",
    responses=errors(403, 409),
)
def pay(
    enforcement_id: int, body: PaymentCreate, user: Enforcer, services: ServicesDep, clock: ClockDep
) -> EnforcementPublic:
    """Record a receipted payment (the same receipt twice is one payment)."""
    saved = services.enforcements.pay(
        enforcement_id,
        amount=body.amount_yuan,
        receipt_no=body.receipt_no,
        paid_on=body.paid_on,
        actor=user.actor,
        now=clock(),
    )
    return EnforcementPublic.model_validate(saved)
