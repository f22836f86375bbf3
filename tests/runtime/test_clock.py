"""runtime.clock: the real clock, or one set to start at an instant (TUBAN_CLOCK) and run on."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from geo.localtime import LOCAL_TZ
from runtime.clock import RunningClock, clock_for, set_start, utc_now
from runtime.compose import build
from runtime.settings import Settings
from storage.engine import sqlite_url

START = datetime(2019, 11, 20, 10, 0, tzinfo=LOCAL_TZ)


class Ticks:
    """A monotonic counter the test moves by hand."""

    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def test_a_running_clock_starts_at_its_instant_and_advances_with_real_time():
    ticks = Ticks()
    clock = RunningClock(START, ticks=ticks)
    assert clock() == START and clock().tzinfo is UTC
    ticks.t += 90.5
    assert clock() == START + timedelta(seconds=90.5)
    assert set_start(clock) == START


def test_without_a_set_start_the_clock_is_the_real_one():
    assert clock_for(None) is utc_now and set_start(utc_now) is None
    assert isinstance(clock_for(START), RunningClock)


def test_tuban_clock_sets_the_services_clock(tmp_path, monkeypatch):
    monkeypatch.setenv("TUBAN_CLOCK", "2019-11-20T10:00+08:00")
    settings = Settings(
        database_url=sqlite_url(tmp_path / "t.sqlite"), photos_dir=tmp_path / "photos"
    )
    assert settings.clock == START
    services = build(settings)
    try:
        now = services.clock()
        assert START <= now < START + timedelta(minutes=5)
    finally:
        services.engine.dispose()


def test_a_clock_without_a_time_zone_is_refused(monkeypatch):
    monkeypatch.setenv("TUBAN_CLOCK", "2019-11-20T10:00")
    with pytest.raises(ValidationError, match="时区"):
        Settings()
