"""The bureau's time zone: which calendar day a UTC instant falls on, in 丰润区."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

# Every deadline, quarter end and "as of" day is a local calendar day; instants are stored in
# UTC. China keeps one zone (UTC+8, no daylight saving), so one constant serves the county.
LOCAL_TZ_NAME = "Asia/Shanghai"
LOCAL_TZ = ZoneInfo(LOCAL_TZ_NAME)


def local_time(now: datetime) -> datetime:
    """The aware instant ``now`` on the bureau's wall clock.

    >>> from datetime import UTC
    >>> local_time(datetime(2019, 9, 30, 16, 30, tzinfo=UTC)).isoformat()
    '2019-10-01T00:30:00+08:00'
    """
    if now.tzinfo is None:
        raise ValueError(f"naive datetime has no instant: {now.isoformat()}")
    return now.astimezone(LOCAL_TZ)


def local_today(now: datetime) -> date:
    """The bureau's calendar day at the aware instant ``now``.

    >>> from datetime import UTC
    >>> local_today(datetime(2019, 9, 30, 16, 30, tzinfo=UTC))
    datetime.date(2019, 10, 1)
    """
    return local_time(now).date()


def beijing_text(value: datetime | str | None) -> str:
    """An instant as the bureau reads it, "2019-08-03 14:05" (Beijing time); a calendar day
    stays as it is; ``None`` or an empty value is "—", an unreadable one is shown unchanged.

    >>> beijing_text("2019-08-03T06:05:09+00:00")
    '2019-08-03 14:05'
    >>> beijing_text("2019-11-05")
    '2019-11-05'
    """
    if value is None or value == "":
        return "—"
    if isinstance(value, str):
        if len(value) == 10:
            return value
        try:
            instant = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
    else:
        instant = value
    if instant.tzinfo is None:  # the API's instants are UTC; a naive one is read as UTC
        instant = instant.replace(tzinfo=ZoneInfo("UTC"))
    return local_time(instant).strftime("%Y-%m-%d %H:%M")
