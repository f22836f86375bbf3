"""Annotated dependencies: the store, the goal books, settings and the clock."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request

from geo.errors import NotFound
from geo.goals import GoalBook
from runtime.compose import Services
from runtime.settings import Settings
from storage.expenditures import ExpenditureStore
from storage.goalbooks import GoalBookStore
from storage.indicator_notes import NoteStore
from storage.repository import CaseStore


def get_store(request: Request) -> CaseStore:
    return request.app.state.store


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_goal_book_store(request: Request) -> GoalBookStore:
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
    return get_services(request).expenditures


def get_notes(request: Request) -> NoteStore:
    return get_services(request).notes()


def get_clock(request: Request) -> Callable[[], datetime]:
    return request.app.state.clock


StoreDep = Annotated[CaseStore, Depends(get_store)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
GoalBooksDep = Annotated[dict[int, GoalBook], Depends(get_goal_books)]
GoalBookStoreDep = Annotated[GoalBookStore, Depends(get_goal_book_store)]
ExpendituresDep = Annotated[ExpenditureStore, Depends(get_expenditures)]
NotesDep = Annotated[NoteStore, Depends(get_notes)]
ClockDep = Annotated[Callable[[], datetime], Depends(get_clock)]
