"""The printable case sheet shows times in Beijing time and codes as labels."""

from __future__ import annotations

import shapely
from shapely.geometry import box

from webmap.case_sheet import render_sheet


def _case() -> dict:
    return {
        "code": "KS2019Q3-001",
        "programme": "mining",
        "batch_id": 3,
        "area_m2": 1000.0,
        "area_mu": 1.5,
        "state_label": "已核查",
        "milestones": {"verified_at": "2019-08-03T16:30:00+00:00"},
        "photos": [{"thumb_url": "api/photos/1/thumb", "taken_at": "2019-08-03T02:05:00Z"}],
        "events": [
            {
                "at": "2019-08-03T06:05:09.123456+00:00",
                "action_label": "核查",
                "actor": "张三",
                "before": {"state": "issued"},
                "after": {"state": "verified"},
            }
        ],
    }


def test_sheet_times_are_beijing_time_never_utc_iso() -> None:
    html = render_sheet(_case(), shapely.to_wkb(box(118.1, 39.8, 118.2, 39.9)))
    assert "2019-08-03 14:05" in html  # the event, 06:05 UTC
    assert "2019-08-04 00:30" in html  # verified_at: after 16:00 UTC it is the next day
    assert "2019-08-03 10:05" in html  # the photo, taken 02:05 UTC
    assert "06:05" not in html and "T06" not in html and "+00:00" not in html


def test_sheet_shows_state_and_programme_labels_not_codes() -> None:
    html = render_sheet(_case(), shapely.to_wkb(box(118.1, 39.8, 118.2, 39.9)))
    assert "已下发" in html and "已核查" in html and "矿山卫片" in html
    assert ">issued<" not in html and ">verified<" not in html and "mining ·" not in html
