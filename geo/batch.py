"""What the issuing authority says about a batch of 图斑, and the rule it must obey."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from geo.errors import InvalidValue
from geo.messages import msg
from geo.model import Programme


@dataclass(frozen=True)
class BatchMeta:
    """What the issuing authority says about a batch; the file says the rest."""

    programme: Programme
    period: str
    authority: str
    issued_on: date
    due_on: date

    def validate(self) -> None:
        """Raise ``InvalidValue`` when the programme is not one that is issued in batches (field
        ``programme``: patrol cases come from findings) or the batch is due before it is issued
        (field ``due_on``)."""
        if not self.programme.is_issued:
            raise InvalidValue(msg("import.not_issued", programme=self.programme.label),
                               field="programme")  # fmt: skip
        if self.due_on < self.issued_on:
            raise InvalidValue(
                "截止日期早于下发日期",
                field="due_on",
                issued_on=self.issued_on.isoformat(),
                due_on=self.due_on.isoformat(),
            )
