"""One report document assembled from the stores, shared by the report route and `tuban report`.

It lives in storage/, beside ``build_report``, rather than in a route module or the CLI: both
callers need it, it reads only stores and a clock, and it knows nothing of HTTP or settings.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from geo.goals import GoalBook
from geo.localtime import local_time, local_today
from storage.expenditures import ExpenditureStore
from storage.goalbooks import GoalBookStore
from storage.indicator_notes import NoteStore
from storage.reporting import IndicatorSource, build_report
from storage.snapshots import SnapshotStore
from storage.visibility import EVERYTHING, Scope

Kind = Literal["self_evaluation", "targets"]


@dataclass(frozen=True)
class ReportSources:
    """Everything a report is assembled from (runtime.compose.Services.report_sources builds it)."""

    books: GoalBookStore
    counts: IndicatorSource
    expenditures: ExpenditureStore
    notes: NoteStore
    snapshots: SnapshotStore
    clock: Callable[[], datetime]


@dataclass
class ReportQuery:
    """Which report: its kind, and live / as of a day / a snapshot, for which scope."""

    kind: Kind = "self_evaluation"
    as_of: date | None = None
    township: str | None = None
    period: str | None = None
    snapshot: int | None = None


def past_day(as_of: date | None, today: date) -> date | None:
    """A day before today, or None for live values (today and later are the live state).

    >>> today = date(2019, 10, 8)
    >>> past_day(date(2019, 9, 30), today), past_day(today, today)
    (datetime.date(2019, 9, 30), None)
    """
    return as_of if as_of is not None and as_of < today else None


def report_document(
    book: GoalBook, src: ReportSources, q: ReportQuery, *, maps: bool, scope: Scope = EVERYTHING
) -> dict:
    """The whole report of ``book`` as a JSON-ready document (the files are rendered from it);
    its maps draw only the 图斑 in ``scope``."""
    _, version = src.books.latest(book.year)
    now = src.clock()
    today = local_today(now)
    return build_report(
        src.counts,
        book,
        goal_version=version,
        spending_rows={p.id: src.expenditures.list(book.year, p.id) for p in book.projects},
        notes={p.id: src.notes.current(book.year, p.id) for p in book.projects},
        today=today,
        now=local_time(now),
        kind=q.kind,
        as_of=past_day(q.as_of, today),
        township=q.township,
        period=q.period,
        snapshot=src.snapshots.get(q.snapshot) if q.snapshot is not None else None,
        with_maps=maps,
        scope=scope,
    )
