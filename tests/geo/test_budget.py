"""Budget execution against the spending plan, checked against figures worked out by hand."""

from __future__ import annotations

from datetime import date

from geo.budget import execution, planned

MINING_PLAN = {"mar": 10.0, "jun": 40.0, "oct": 60.0, "dec": 100.0}


def _by(points):
    return {c.checkpoint: c for c in points}


def test_full_plan_with_a_correction():
    rows = [
        (date(2019, 3, 15), 28500.0),
        (date(2019, 3, 31), 3000.0),  # on the checkpoint day: counts for 3月底
        (date(2019, 4, 1), 45000.0),
        (date(2019, 6, 12), 86000.0),
        (date(2019, 6, 14), -77400.0),  # correction of the 86000 row: it was 8600
        (date(2019, 10, 31), 60000.0),
        (date(2019, 12, 31), 110000.0),
    ]
    c = _by(execution(MINING_PLAN, 300000.0, rows, 2019, date(2019, 12, 31)))
    # 3月底: 28500 + 3000 = 31500 → 10.5 %
    assert (c["mar"].actual_yuan, c["mar"].actual_pct, c["mar"].deviation_pct) == (31500, 10.5, 0.5)
    # 6月底: 31500 + 45000 + 86000 − 77400 = 85100 → 28.37 % (−11.63 against 40)
    assert (c["jun"].actual_yuan, c["jun"].actual_pct, c["jun"].deviation_pct) == (
        85100,
        28.37,
        -11.63,
    )
    # 10月底: 145100 → 48.37 %
    assert (c["oct"].actual_yuan, c["oct"].actual_pct, c["oct"].deviation_pct) == (
        145100,
        48.37,
        -11.63,
    )
    # 12月底: 255100 → 85.03 %
    assert (c["dec"].actual_yuan, c["dec"].actual_pct, c["dec"].deviation_pct) == (
        255100,
        85.03,
        -14.97,
    )
    assert [x.label for x in c.values()] == ["3月底", "6月底", "10月底", "12月底"]
    assert c["oct"].date == date(2019, 10, 31) and c["jun"].date == date(2019, 6, 30)


def test_as_of_before_a_checkpoint_leaves_later_ones_open():
    rows = [(date(2019, 3, 1), 30000.0), (date(2019, 7, 10), 90000.0), (date(2019, 8, 1), 1.0)]
    c = _by(execution(MINING_PLAN, 300000.0, rows, 2019, date(2019, 7, 31)))
    assert c["mar"].actual_pct == 10.0 and c["jun"].actual_pct == 10.0
    assert c["jun"].deviation_pct == -30.0
    for k in ("oct", "dec"):
        assert c[k].actual_yuan is None and c[k].actual_pct is None and c[k].deviation_pct is None
        assert c[k].planned_pct is not None  # the plan is known, the actual is not yet


def test_spending_after_as_of_is_not_counted_even_before_the_checkpoint():
    rows = [(date(2019, 3, 10), 100.0), (date(2019, 3, 20), 200.0)]
    c = _by(execution(MINING_PLAN, 1000.0, rows, 2019, date(2019, 3, 15)))
    assert c["mar"].actual_yuan is None  # 3月底 has not come yet
    c = _by(execution(MINING_PLAN, 1000.0, rows, 2019, date(2019, 3, 31)))
    assert c["mar"].actual_yuan == 300.0


def test_planning_only_december():
    plan = {"mar": None, "jun": None, "oct": None, "dec": 100.0}
    rows = [(date(2019, 7, 5), 160000.0), (date(2019, 11, 28), 200000.0)]
    c = _by(execution(plan, 400000.0, rows, 2019, date(2020, 1, 15)))
    assert [c[k].planned_pct for k in ("mar", "jun", "oct")] == [None, None, None]
    assert c["oct"].actual_pct == 40.0 and c["oct"].deviation_pct is None  # no target, no gap
    assert c["dec"].actual_pct == 90.0 and c["dec"].deviation_pct == -10.0


def test_survey_all_by_october_carries_100_into_december():
    plan = {"mar": None, "jun": None, "oct": 100.0, "dec": None}
    rows = [
        (date(2019, 4, 15), 60000.0),
        (date(2019, 9, 30), 90000.0),
        (date(2019, 12, 20), 120000.0),
    ]
    c = _by(execution(plan, 300000.0, rows, 2019, date(2019, 12, 31)))
    assert c["jun"].planned_pct is None and c["jun"].actual_pct == 20.0
    assert (c["oct"].planned_pct, c["oct"].actual_pct, c["oct"].deviation_pct) == (100, 50, -50)
    assert c["dec"].planned_pct == 100.0 and c["dec"].planned_carried
    assert c["dec"].deviation_pct == -10.0


def test_an_empty_cell_between_filled_ones_has_no_target():
    got = planned({"mar": 10, "jun": None, "oct": 60, "dec": None})
    assert got == {
        "mar": (10.0, False),
        "jun": (None, False),
        "oct": (60.0, False),
        "dec": (None, False),  # 60 % is a floor for December, not a target
    }


def test_other_years_and_missing_budget():
    rows = [(date(2018, 12, 31), 999.0), (date(2019, 1, 2), 10.0)]
    c = _by(execution(MINING_PLAN, None, rows, 2019, date(2019, 12, 31)))
    assert c["mar"].actual_yuan == 10.0  # 2018 spending belongs to 2018's budget
    assert c["mar"].actual_pct is None and c["mar"].deviation_pct is None
