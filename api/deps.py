"""Annotated dependencies: the stores, the goal books, settings, the clock and paging."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, TypeVar

from fastapi import Depends, Query, Request
from starlette.datastructures import URL

from geo.errors import NotFound
from geo.goals import GoalBook
from runtime.compose import Services
from runtime.settings import Settings
from storage.expenditures import ExpenditureStore
from storage.goalbooks import GoalBookStore
from storage.indicator_notes import NoteStore
from storage.repository import CaseStore

T = TypeVar("T")


def get_store(request: Request) -> CaseStore:
    """The 图斑 case store the app was built with."""
    return request.app.state.store


def get_settings(request: Request) -> Settings:
    """The settings the app was built with."""
    return request.app.state.settings


def get_goal_book_store(request: Request) -> GoalBookStore:
    """The goal book store: every saved version of every year."""
    return request.app.state.goal_book_store


def get_goal_books(request: Request) -> dict[int, GoalBook]:
    """The latest version of each year's goal book, re-read only when a version was added."""
    state = request.app.state
    key = state.goal_book_store.change_key()
    cached = getattr(state, "goal_books_cache", None)
    if cached is None or cached[0] != key:
        cached = (key, state.goal_book_store.latest_books())
        state.goal_books_cache = cached
    return cached[1]


def book_for(books: dict[int, GoalBook], year: int | None) -> GoalBook:
    """The goal book of ``year`` (the latest year when None), or a 404 naming the years held."""
    if not books:
        raise NotFound("没有加载任何绩效目标表")
    year = year or max(books)
    if year not in books:
        raise NotFound(f"没有 {year} 年的绩效目标表", year=year, years=sorted(books))
    return books[year]


def get_services(request: Request) -> Services:
    """Everything runtime.compose built for this app."""
    return request.app.state.services


def get_expenditures(request: Request) -> ExpenditureStore:
    """The store of recorded spending rows (支出)."""
    return get_services(request).expenditures


def get_notes(request: Request) -> NoteStore:
    """The store of goal-table row notes and their evidence files."""
    return get_services(request).notes()


def get_clock(request: Request) -> Callable[[], datetime]:
    """The app's clock (create_app's ``clock``): called for the current time."""
    return request.app.state.clock


def on_loop(getter: Callable[[Request], T]) -> Callable[[Request], Awaitable[T]]:
    """``getter``, which only reads app state, as an async dependency.

    FastAPI runs a plain ``def`` dependency on the thread pool; for a getter that hand-off
    costs far more than the getter, and under load the event loop spent half its time on it
    (benchmarks/README.md, load benchmark). An ``async def`` one runs inline on the loop.
    """

    async def dependency(request: Request) -> T:
        return getter(request)

    dependency.__name__ = getter.__name__
    dependency.__doc__ = getter.__doc__
    return dependency


StoreDep = Annotated[CaseStore, Depends(on_loop(get_store))]
SettingsDep = Annotated[Settings, Depends(on_loop(get_settings))]
GoalBooksDep = Annotated[dict[int, GoalBook], Depends(get_goal_books)]
GoalBookStoreDep = Annotated[GoalBookStore, Depends(on_loop(get_goal_book_store))]
ExpendituresDep = Annotated[ExpenditureStore, Depends(on_loop(get_expenditures))]
NotesDep = Annotated[NoteStore, Depends(on_loop(get_notes))]
ClockDep = Annotated[Callable[[], datetime], Depends(on_loop(get_clock))]
ServicesDep = Annotated[Services, Depends(on_loop(get_services))]


# Every list endpoint pages the same way: a default page big enough for the web map's lists,
# and a maximum that keeps one answer small.
DEFAULT_LIMIT = 100
MAX_LIMIT = 1000


@dataclass(frozen=True)
class Paging:
    """One page of a list: ``limit`` items from ``offset``, and the request to link onwards."""

    limit: int
    offset: int
    url: URL

    def next_url(self, count: int) -> str | None:
        """The URL of the next page (same query, offset moved on), or None on the last page."""
        if self.offset + self.limit >= count:
            return None
        return str(self.url.include_query_params(limit=self.limit, offset=self.offset + self.limit))

    def slice(self, items: Sequence[T]) -> list[T]:
        """This page of a list already in memory (the short lists: batches, users, …)."""
        return list(items[self.offset : self.offset + self.limit])


def get_paging(
    request: Request,
    limit: Annotated[
        int, Query(ge=1, le=MAX_LIMIT, description=f"items per page (≤ {MAX_LIMIT})")
    ] = DEFAULT_LIMIT,
    offset: Annotated[int, Query(ge=0, description="items to skip")] = 0,
) -> Paging:
    """The page a list endpoint was asked for: ``limit`` (1 to MAX_LIMIT, default DEFAULT_LIMIT)
    items from ``offset``; other values are refused with 422."""
    return Paging(limit=limit, offset=offset, url=request.url)


PagingDep = Annotated[Paging, Depends(get_paging)]
