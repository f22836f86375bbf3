"""What an action asks of the world besides its case row, as typed requests storage carries out.

A 立案 opens (or joins) an enforcement; a penalty records the decision once per enforcement and
a receipted payment. The decisions (what to open, whether a fine is consistent) are made here;
storage.enforcement only reads and writes.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date

from geo.errors import InvalidPayload
from geo.model import Action, Case, Event


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
    fine_yuan: float
    decision_no: str | None = None
    confiscation_yuan: float | None = None
    receipt_no: str | None = None
    paid_on: date | None = None


@dataclass(frozen=True)
class RecordedEnforcement:
    """What the fine-consistency rule needs to know of an enforcement already on file."""

    id: int
    case_no: str
    fine_yuan: float | None


@dataclass(frozen=True)
class SetDecision:
    """Write the penalty decision onto the enforcement."""

    enforcement_id: int
    decision_no: str | None
    fine_yuan: float
    confiscation_yuan: float | None


@dataclass(frozen=True)
class RecordPayment:
    """Append a receipted payment (the same receipt twice is one payment)."""

    enforcement_id: int
    amount_yuan: float
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
                "该图斑没有关联的立案案件", field="enforcement_id", case_id=before.id
            )
        return [
            RecordPenalty(
                enforcement_id=before.enforcement_id,
                fine_yuan=data["fine_yuan"],
                decision_no=data.get("decision_no"),
                confiscation_yuan=data.get("confiscation_yuan"),
                receipt_no=data.get("receipt_no"),
                paid_on=data.get("paid_on"),
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


def check_fine(recorded: RecordedEnforcement, fine_yuan: float | None) -> None:
    """The fine-consistency rule: once an enforcement has a fine, each further penalty on it
    repeats that amount. Several 图斑 share one decision; a different amount would be a
    second, conflicting one. Raises ``InvalidPayload``."""
    if recorded.fine_yuan is None:
        return
    if float(recorded.fine_yuan) != float(fine_yuan or 0):
        raise InvalidPayload(
            f"案件 {recorded.case_no} 已记录罚款 {recorded.fine_yuan:,.2f} 元，"
            f"与本次 {fine_yuan} 不一致",
            field="fine_yuan",
            enforcement_id=recorded.id,
        )


def penalty_writes(
    recorded: RecordedEnforcement, penalty: RecordPenalty
) -> list[SetDecision | RecordPayment]:
    """What a penalty writes: its decision, unless one is on file (which it must repeat), and
    a payment when it carries a receipt for a non-zero fine."""
    check_fine(recorded, penalty.fine_yuan)
    out: list[SetDecision | RecordPayment] = []
    if recorded.fine_yuan is None:
        out.append(
            SetDecision(
                recorded.id, penalty.decision_no, penalty.fine_yuan, penalty.confiscation_yuan
            )
        )
    if penalty.receipt_no and penalty.fine_yuan:
        out.append(
            RecordPayment(
                recorded.id, float(penalty.fine_yuan), penalty.receipt_no, penalty.paid_on
            )
        )
    return out
