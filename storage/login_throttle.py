"""Sign-in throttling: failures counted per user name and per client address, in the database.

After ``limit`` failures within ``WINDOW`` a key is locked for a delay that doubles with every
further failure (30 s, 1 min, 2 min … up to the window). The count lives in ``login_attempts`` so
that every worker process of the server, and a restart, sees the same one. A user name is counted
whether or not the account exists, so the answer says nothing about which names are real.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import Engine, delete, func, select

from geo.errors import TubanError
from geo.messages import msg
from storage.tables import login_attempts

WINDOW = timedelta(minutes=15)
FIRST_DELAY = timedelta(seconds=30)
USER_LIMIT = 5
# An office's staff may share one address behind the bureau's NAT: a looser count there.
ADDRESS_LIMIT = 20


class TooManyAttempts(TubanError):
    """Too many failed sign-ins for this user name or address: wait ``retry_after`` seconds."""

    code = "TOO_MANY_ATTEMPTS"

    @property
    def retry_after(self) -> int:
        """Whole seconds until the next attempt is looked at."""
        return int(self.details["retry_after"])


def locked_until(failures: int, last: datetime, limit: int) -> datetime | None:
    """When a key with ``failures`` in the window, the latest at ``last``, may try again; None
    while it is under ``limit``."""
    if failures < limit:
        return None
    delay = min(WINDOW, FIRST_DELAY * 2 ** min(failures - limit, 10))
    return last + delay


def keys_for(username: str, address: str | None) -> list[tuple[str, int]]:
    """The throttle keys of an attempt with their limits: its user name's and its address's."""
    keys = [(f"user:{username.strip().casefold()[:150]}", USER_LIMIT)]
    if address:
        keys.append((f"addr:{address[:150]}", ADDRESS_LIMIT))
    return keys


class LoginThrottle:
    """Counts failed sign-ins and refuses attempts on a locked key."""

    def __init__(self, engine: Engine) -> None:
        """Use the store's engine (the ``login_attempts`` table)."""
        self.engine = engine

    def check(self, keys: Sequence[tuple[str, int]], *, now: datetime) -> None:
        """TooManyAttempts (429) when any key is locked at ``now``."""
        since = now - WINDOW
        q = (
            select(login_attempts.c.key, func.count(), func.max(login_attempts.c.at))
            .where(login_attempts.c.key.in_([k for k, _ in keys]), login_attempts.c.at > since)
            .group_by(login_attempts.c.key)
        )
        limits = dict(keys)
        with self.engine.connect() as conn:
            rows = conn.execute(q).all()
        waits = [
            until
            for key, count, last in rows
            if (until := locked_until(count, last, limits[key])) is not None and until > now
        ]
        if waits:
            seconds = math.ceil((max(waits) - now).total_seconds())
            raise TooManyAttempts(
                msg("auth.too_many_attempts", seconds=seconds), retry_after=seconds
            )

    def failed(self, keys: Sequence[tuple[str, int]], *, now: datetime) -> None:
        """Count a failure against every key; failures older than the window are dropped."""
        with self.engine.begin() as conn:
            conn.execute(delete(login_attempts).where(login_attempts.c.at <= now - WINDOW))
            conn.execute(login_attempts.insert(), [{"key": k, "at": now} for k, _ in keys])

    def succeeded(self, username: str) -> None:
        """Forget the user name's failures. Not the address's: signing in to one's own account
        must not reset the count of guesses at others'."""
        (user_key, _), *_ = keys_for(username, None)
        with self.engine.begin() as conn:
            conn.execute(delete(login_attempts).where(login_attempts.c.key == user_key))
