"""The app's clock: the real one, or one that starts at a set instant and runs on from there.

A demo of 2019 data served today would show every task overdue and every new photo late; its
clock starts in late 2019 instead (``TUBAN_CLOCK``, ``tuban demo``) and advances with real time,
so events recorded while it runs keep their order.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """The real clock: an aware UTC instant (tests pass their own clock to ``build``)."""
    return datetime.now(UTC)


class RunningClock:
    """A clock showing ``start`` when made, then advancing with real (monotonic) time."""

    def __init__(self, start: datetime, *, ticks: Callable[[], float] = time.monotonic) -> None:
        if start.tzinfo is None:
            raise ValueError(f"naive datetime has no instant: {start.isoformat()}")
        self.start = start.astimezone(UTC)
        self._ticks = ticks
        self._t0 = ticks()

    def __call__(self) -> datetime:
        """The instant now, on this clock (aware, UTC)."""
        return self.start + timedelta(seconds=self._ticks() - self._t0)


def clock_for(start: datetime | None) -> Clock:
    """The real clock when ``start`` is None, else a ``RunningClock`` from ``start``."""
    return utc_now if start is None else RunningClock(start)


def set_start(clock: Clock) -> datetime | None:
    """The instant a running clock started at (None for the real clock)."""
    return clock.start if isinstance(clock, RunningClock) else None
