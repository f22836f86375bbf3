"""The bureau's calendar day of a UTC instant."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from geo.localtime import LOCAL_TZ, local_time, local_today


def test_the_local_day_starts_at_1600_utc():
    assert local_today(datetime(2019, 12, 31, 15, 59, tzinfo=UTC)) == date(2019, 12, 31)
    assert local_today(datetime(2019, 12, 31, 16, 0, tzinfo=UTC)) == date(2020, 1, 1)


def test_local_time_keeps_the_instant():
    at = datetime(2019, 6, 30, 23, 0, tzinfo=UTC)
    assert local_time(at) == at and local_time(at).tzinfo is LOCAL_TZ


def test_a_naive_datetime_is_refused():
    with pytest.raises(ValueError, match="naive"):
        local_today(datetime(2019, 6, 30, 12, 0))
