"""Annotated dependencies: the store, the goal books, settings and the clock."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request

from api.settings import Settings
from geo.goals import GoalBook
from storage.repository import CaseStore


def get_store(request: Request) -> CaseStore:
    return request.app.state.store


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_goal_books(request: Request) -> dict[int, GoalBook]:
    return request.app.state.goal_books


def get_clock(request: Request) -> Callable[[], datetime]:
    return request.app.state.clock


StoreDep = Annotated[CaseStore, Depends(get_store)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
GoalBooksDep = Annotated[dict[int, GoalBook], Depends(get_goal_books)]
ClockDep = Annotated[Callable[[], datetime], Depends(get_clock)]
