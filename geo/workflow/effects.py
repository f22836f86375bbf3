"""What an action asks of the world besides its case row, as typed requests storage carries out.

A 立案 opens (or joins) an enforcement; a penalty records the decision once per enforcement and
a receipted payment. The decisions (what to open, whether a fine is consistent) are made here;
storage.enforcement only reads and writes.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from geo import inputs
from geo.errors import InvalidPayload
from geo.inputs import to_fen
from geo.messages import Labelled, msg, problem
from geo.model import Action, Case, Event

# Money is an exact Decimal of whole 分 (geo.inputs.money); stored amounts may come back as
# float, int or Decimal depending on the backend, so the rules compare whole 分.
Money = Decimal | float | int


@dataclass(frozen=True)
class OpenEnforcement:
    """Open the enforcement with this case number, or join it if it exists."""

    case_no: str
    filed_on: date
    offender: str | None = None


@dataclass(frozen=True)
class RecordPenalty:
    """A penalty decision on an enforcement, with its receipt if paid on the spot."""

    enforcement_id: int
    fine_yuan: Money
    decision_no: str | None = None
    confiscation_yuan: Money | None = None
    receipt_no: str | None = None
    paid_on: date | None = None
    decided_on: date | None = None


@dataclass(frozen=True)
class RecordedEnforcement:
    """What the fine-consistency rule needs to know of an enforcement already on file."""

    id: int
    case_no: str
    fine_yuan: Money | None
    filed_on: date | None = None
    decided_on: date | None = None


@dataclass(frozen=True)
class SetDecision:
    """Write the penalty decision onto the enforcement."""

    enforcement_id: int
    decision_no: str | None
    fine_yuan: Money
    confiscation_yuan: Money | None
    decided_on: date | None = None


@dataclass(frozen=True)
class RecordPayment:
    """Append a receipted payment (the same receipt twice is one payment)."""

    enforcement_id: int
    amount_yuan: Money
    receipt_no: str
    paid_on: date | None


Effect = OpenEnforcement | RecordPenalty


def effects_of(before: Case, event: Event) -> list[Effect]:
    """The requests ``event`` (made by ``apply`` on ``before``) makes besides its case row."""
    data = event.payload
    if event.action is Action.FILE:
        return [OpenEnforcement(data["case_no"], data["filed_on"], data.get("offender"))]
    if event.action is Action.PENALISE:
        if before.enforcement_id is None:
            raise InvalidPayload(
                msg("payload.no_enforcement"), field="enforcement_id", case_id=before.id
            )
        return [
            RecordPenalty(
                enforcement_id=before.enforcement_id,
                fine_yuan=data["fine_yuan"],
                decision_no=data.get("decision_no"),
                confiscation_yuan=data.get("confiscation_yuan"),
                receipt_no=data.get("receipt_no"),
                paid_on=data.get("paid_on"),
                decided_on=data.get("decided_on"),
            )
        ]
    return []


def with_enforcement(case: Case, event: Event, enforcement_id: int) -> tuple[Case, Event]:
    """A 立案's case and event once its enforcement is known (storage opened or found it)."""
    after = {**event.after, "enforcement_id": enforcement_id}
    payload = {**event.payload, "enforcement_id": enforcement_id}
    return (
        case.replace(enforcement_id=enforcement_id),
        dataclasses.replace(event, after=after, payload=payload),
    )


def check_fine(recorded: RecordedEnforcement, fine_yuan: Money | None) -> None:
    """The fine-consistency rule: once an enforcement has a fine, each further penalty on it
    repeats that amount. Several 图斑 share one decision; a different amount would be a
    second, conflicting one. Raises ``InvalidPayload``."""
    if recorded.fine_yuan is None:
        return
    if to_fen(recorded.fine_yuan) != to_fen(fine_yuan or 0):
        raise InvalidPayload(
            msg(
                "payload.fine_mismatch",
                case_no=recorded.case_no,
                recorded=recorded.fine_yuan,
                given=fine_yuan,
            ),
            field="fine_yuan",
            enforcement_id=recorded.id,
        )


def penalty_writes(
    recorded: RecordedEnforcement, penalty: RecordPenalty
) -> list[SetDecision | RecordPayment]:
    """What a penalty writes: its decision, unless one is on file (which it must repeat), and
    a payment when it carries a receipt for a non-zero fine."""
    check_fine(recorded, penalty.fine_yuan)
    if recorded.fine_yuan is None and penalty.decided_on is not None:
        # The decision this penalty records is the one its receipt pays.
        recorded = dataclasses.replace(recorded, decided_on=penalty.decided_on)
    check_payment_date(recorded, penalty.paid_on)
    out: list[SetDecision | RecordPayment] = []
    if recorded.fine_yuan is None:
        out.append(
            SetDecision(
                recorded.id,
                penalty.decision_no,
                penalty.fine_yuan,
                penalty.confiscation_yuan,
                penalty.decided_on,
            )
        )
    if penalty.receipt_no and penalty.fine_yuan:
        out.append(
            RecordPayment(recorded.id, penalty.fine_yuan, penalty.receipt_no, penalty.paid_on)
        )
    return out


# The words of the dates the order rules compare, for their messages.
_DATE_WORDS = {
    "issued_on": "图斑下发日期",
    "filed_on": "立案日期",
    "decided_on": "处罚决定日期",
    "paid_on": "缴款日期",
    "rectified_on": "整改日期",
}


def _date_word(field: str) -> Labelled:
    return Labelled(_DATE_WORDS[field], msg(f"date.{field}").text("en"))


def _not_before(field: str, on: date | None, earlier: str, earlier_on: date | None) -> None:
    if on is not None and earlier_on is not None and on < earlier_on:
        raise InvalidPayload(
            msg(
                "payload.date_order",
                field=_date_word(field),
                on=on,
                earlier=_date_word(earlier),
                earlier_on=earlier_on,
            ),
            field=field,
            earlier=earlier_on.isoformat(),
        )


def check_dates(
    before: Case, action: Action, data: Mapping[str, Any], *, issued_on: date | None = None
) -> None:
    """The order of a case's dates: 立案 on or after the 图斑 was issued (when ``issued_on`` is
    known), the decision on or after 立案, payment on or after the decision (or 立案 when no
    decision date is given), rectification on or after 立案. Raises ``InvalidPayload``."""
    if action is Action.FILE:
        _not_before("filed_on", data.get("filed_on"), "issued_on", issued_on)
    elif action is Action.PENALISE:
        decided = data.get("decided_on")
        _not_before("decided_on", decided, "filed_on", before.filed_on)
        if decided is not None:
            _not_before("paid_on", data.get("paid_on"), "decided_on", decided)
        else:
            _not_before("paid_on", data.get("paid_on"), "filed_on", before.filed_on)
    elif action is Action.RECTIFY:
        _not_before("rectified_on", data.get("rectified_on"), "filed_on", before.filed_on)


def check_payment_date(recorded: RecordedEnforcement, paid_on: date | None) -> None:
    """A payment on a 立案 case is not dated before the penalty decision it pays, or, when no
    decision date is on file, before the case was filed. Raises ``InvalidPayload``."""
    if recorded.decided_on is not None:
        _not_before("paid_on", paid_on, "decided_on", recorded.decided_on)
    else:
        _not_before("paid_on", paid_on, "filed_on", recorded.filed_on)


def payment_of(
    recorded: RecordedEnforcement, amount: Any, receipt_no: Any, paid_on: Any, *, today: date
) -> RecordPayment:
    """A receipted payment on ``recorded`` from what a form sent: an amount above 0 in whole 分
    (geo.inputs.money), a receipt number, and a day neither after ``today`` nor before the case
    was filed. Raises ``InvalidPayload`` naming the field."""
    parsed: dict[str, Any] = {}
    checks = (
        ("amount_yuan", amount, inputs.money),
        ("receipt_no", receipt_no, inputs.clean_name),
        ("paid_on", paid_on, lambda v: inputs.a_date(v, today=today)),
    )
    for name, value, check in checks:
        try:
            parsed[name] = check(value)
        except ValueError as exc:
            raise InvalidPayload(
                msg("payload.field", field=name, problem=problem(exc)),
                field=name,
                enforcement_id=recorded.id,
            ) from None
    if parsed["amount_yuan"] <= 0:
        raise InvalidPayload(msg("payload.payment_positive"), field="amount_yuan")
    check_payment_date(recorded, parsed["paid_on"])
    return RecordPayment(
        recorded.id, parsed["amount_yuan"], parsed["receipt_no"], parsed["paid_on"]
    )
