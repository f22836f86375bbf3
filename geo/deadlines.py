"""The quick response's deadlines (动态巡查): how long each step may take, as data the bureau edits.

Pure: callers pass every instant. The deadlines in force when a violation is found are stamped
on its case (geo.patrol.open_case), so a later edit never rewrites whether past work was on time.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from datetime import date, datetime, timedelta
from typing import Any

from geo.errors import InvalidPayload
from geo.localtime import local_today
from geo.messages import msg

MAX_STOP_HOURS = 24 * 30
MAX_DAYS = 366


@dataclass(frozen=True)
class Deadlines:
    """How long each step of the quick response may take; the bureau edits these.

    ``stop_within_hours``: 制止 after discovery. ``file_within_days``: 立案 after discovery (local
    days). ``report_by_month_end``: 报告 by the end of the month of discovery plus
    ``report_within_days``; otherwise ``report_within_days`` after discovery.
    ``reinspect_every_days``: the default interval of a watched site's re-inspections.
    """

    stop_within_hours: int = 24
    file_within_days: int = 7
    report_by_month_end: bool = True
    report_within_days: int = 0
    reinspect_every_days: int = 90

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any] | None) -> Deadlines:
        """Rules read from stored or submitted JSON; unknown keys and bad values refused."""
        doc = dict(doc or {})
        known = {f.name for f in fields(cls)}
        extra = sorted(set(doc) - known)
        if extra:
            raise InvalidPayload(
                msg("patrol.deadline_unknown", names=", ".join(extra)), field=extra[0]
            )
        values: dict[str, Any] = {}
        for f in fields(cls):
            if f.name not in doc:
                continue
            v = doc[f.name]
            if f.type == "bool":
                if not isinstance(v, bool):
                    raise InvalidPayload(msg("patrol.deadline_bool", name=f.name), field=f.name)
                values[f.name] = v
                continue
            top = MAX_STOP_HOURS if f.name == "stop_within_hours" else MAX_DAYS
            low = 0 if f.name == "report_within_days" else 1
            if isinstance(v, bool) or not isinstance(v, int) or not low <= v <= top:
                raise InvalidPayload(
                    msg("patrol.deadline_range", name=f.name, low=low, high=top), field=f.name
                )
            values[f.name] = v
        return cls(**values)

    def to_doc(self) -> dict[str, Any]:
        """As stored and served."""
        return asdict(self)

    def due(self, found_at: datetime) -> dict[str, Any]:
        """The deadlines of a violation found at ``found_at`` (an aware instant)."""
        day = local_today(found_at)
        if self.report_by_month_end:
            last = calendar.monthrange(day.year, day.month)[1]
            report = date(day.year, day.month, last) + timedelta(days=self.report_within_days)
        else:
            report = day + timedelta(days=self.report_within_days)
        return {
            "stop_due_at": found_at + timedelta(hours=self.stop_within_hours),
            "file_due_on": day + timedelta(days=self.file_within_days),
            "report_due_on": report,
        }
