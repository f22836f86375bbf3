"""The report document's choice between live values and a past day."""

from __future__ import annotations

from datetime import date

from storage.report_document import past_day


def test_only_a_day_before_today_is_a_past_day():
    today = date(2019, 10, 8)
    assert past_day(date(2019, 10, 7), today) == date(2019, 10, 7)
    assert past_day(today, today) is None
    assert past_day(date(2019, 10, 9), today) is None
    assert past_day(None, today) is None
