"""The action → milestone map: which event sets which time, count or value of a case, as data.

One table serves three readers: ``apply`` (the case fields an action stamps), the as-of facts
(storage.facts compiles it into one grouped SQL pass over the event log) and the daily counts'
rebuild (geo.workflow.history replays it over an event frame). A new milestone is one row here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from geo.model import Action, Case, State


class Tally(StrEnum):
    """How a milestone is read from the events that set it."""

    AT = "at"  # the time of the latest such event
    COUNT = "count"  # how many such events there were
    LATEST = "latest"  # the value of event column ``source`` at the latest such event


@dataclass(frozen=True)
class Milestone:
    """One fact of a case that its events establish.

    ``undone_by``: a later event of one of these actions cancels the milestone (a reopen
    undoes a close). ``on_case``: ``name`` is also a Case field that ``apply`` keeps current
    (otherwise it lives only in the event log). ``as_of``: the facts as of a past day read it.
    """

    name: str
    actions: tuple[Action, ...]
    tally: Tally = Tally.AT
    undone_by: tuple[Action, ...] = ()
    on_case: bool = False
    as_of: bool = True
    source: str | None = None

    @property
    def every_action(self) -> bool:
        """Set by any event at all (no need to look at the action)."""
        return set(self.actions) == set(Action)


A = Action
# A site enforced again (reopened, or found active again on re-inspection) is not closed.
_AGAIN = (A.REOPEN, A.REINSPECT_ACTIVE)
MILESTONES: tuple[Milestone, ...] = (
    Milestone("state", tuple(Action), Tally.LATEST, source="state"),
    Milestone("judgment", (A.VERIFY, A.FIND, A.DISMISS), Tally.LATEST, source="judgment"),
    Milestone("verified_at", (A.VERIFY,), on_case=True),
    Milestone("filed_at", (A.FILE,)),
    Milestone("closed_at", (A.CLOSE,), undone_by=_AGAIN, on_case=True),
    Milestone("evidence_at", (A.COLLECT_EVIDENCE,), on_case=True),
    Milestone("submitted_at", (A.SUBMIT,), on_case=True),
    Milestone("checked_at", (A.PASS, A.RETURN), on_case=True),
    Milestone("returned_count", (A.RETURN,), Tally.COUNT, on_case=True),
    Milestone("photo_count", (A.ADD_PHOTO,), Tally.COUNT, on_case=True),
    Milestone("approved_at", (A.APPROVE,)),
    Milestone("reviewed_at", (A.APPROVE, A.RETURN_VERIFICATION), on_case=True, as_of=False),
    Milestone("review_returns", (A.RETURN_VERIFICATION,), Tally.COUNT, on_case=True, as_of=False),
    # 动态巡查 and the watch list
    Milestone("stop_at", (A.STOP,), undone_by=(A.REINSPECT_ACTIVE,)),
    Milestone("report_at", (A.REPORT,), undone_by=(A.REINSPECT_ACTIVE,)),
    Milestone("watched_at", (A.WATCH,)),
    Milestone("last_inspected_at", (A.REINSPECT, A.REINSPECT_ACTIVE), on_case=True),
    Milestone("reinspections", (A.REINSPECT, A.REINSPECT_ACTIVE), Tally.COUNT, on_case=True),
)

# Case fields with no event column of their own (they come from a payload): known at a past
# moment only once the milestone of the action that set them had happened.
KNOWN_AFTER: dict[str, str] = {
    "filed_on": "filed_at",
    "enforcement_id": "filed_at",
    "approved_first_time": "approved_at",
    "land_class_ok": "checked_at",
    "stopped_at": "stop_at",
    "reported_on": "report_at",
    "watch_interval_days": "watched_at",
    "reinspected_on_time": "last_inspected_at",
}
INITIAL_STATE = State.ISSUED


def as_of_milestones(milestones: tuple[Milestone, ...] = MILESTONES) -> tuple[Milestone, ...]:
    """The milestones the facts as of a past day are built from."""
    return tuple(m for m in milestones if m.as_of)


def undo_columns(m: Milestone) -> tuple[str, str]:
    """Names of the sequence numbers that decide whether ``m`` was undone (set, undo)."""
    return f"{m.name}_seq", f"{m.name}_undo_seq"


def milestone_changes(case: Case, action: Action, at: datetime) -> dict[str, Any]:
    """The Case fields ``action`` stamps (taken ``at``), per the milestone map."""
    out: dict[str, Any] = {}
    for m in MILESTONES:
        if not m.on_case:
            continue
        if action in m.actions:
            out[m.name] = at if m.tally is Tally.AT else getattr(case, m.name) + 1
        elif action in m.undone_by:
            out[m.name] = None
    return out
