"""Spending rows: validated against the year's goal book; corrections name what they fix."""

from __future__ import annotations

from datetime import date

import pytest

from geo.budget import execution
from geo.errors import NotFound
from runtime.settings import DEFAULT_GOALS_DIR
from storage.expenditures import ExpenditureStore, InvalidExpenditure
from storage.goalbooks import GoalBookStore
from tests.conftest import NOW


@pytest.fixture
def spend(store) -> ExpenditureStore:
    GoalBookStore(store.engine).import_file(
        DEFAULT_GOALS_DIR / "fengrun-2019.yaml", actor="a", now=NOW
    )
    return ExpenditureStore(store.engine)


def _add(spend, amount, on=date(2019, 3, 1), project="mining_enforcement", **kw):
    return spend.add(2019, project, on, amount, "监管服务费", actor="统计员", now=NOW, **kw)


def test_rows_are_listed_by_date_and_feed_the_checkpoints(spend):
    a = _add(spend, 86000, on=date(2019, 6, 12), voucher_no="记-118")
    _add(spend, 30000, on=date(2019, 3, 20))
    fix = _add(spend, -77400, on=date(2019, 6, 14), corrects_id=a["id"])
    _add(spend, 5000, project="planning")
    assert fix["corrects_id"] == a["id"] and fix["amount_yuan"] == -77400
    assert a["voucher_no"] == "记-118" and a["recorded_by"] == "统计员"
    rows = spend.list(2019, "mining_enforcement")
    assert [r["spent_on"] for r in rows] == [
        date(2019, 3, 20),
        date(2019, 6, 12),
        date(2019, 6, 14),
    ]
    assert len(spend.list(2019)) == 4 and spend.list(2020) == []
    plan = {"mar": 10, "jun": 40, "oct": 60, "dec": 100}
    pts = execution(
        plan, 300000, [(r["spent_on"], r["amount_yuan"]) for r in rows], 2019, date(2019, 7, 1)
    )
    assert [p.actual_yuan for p in pts[:2]] == [30000, 38600]


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"amount": 0}, "amount_yuan"),
        ({"amount": 12.345}, "amount_yuan"),
        ({"amount": float("nan")}, "amount_yuan"),
        ({"amount": -100}, "corrects_id"),
        ({"amount": 100, "on": date(2020, 1, 2)}, "spent_on"),
    ],
)
def test_invalid_rows_are_refused(spend, kw, field):
    with pytest.raises(InvalidExpenditure) as err:
        _add(spend, **kw)
    assert err.value.details["field"] == field
    assert spend.list(2019) == []


def test_corrections_must_name_a_row_of_the_same_project_and_not_exceed_it(spend):
    a = _add(spend, 1000)
    other = _add(spend, 500, project="planning")
    with pytest.raises(InvalidExpenditure, match="没有第"):
        _add(spend, -100, corrects_id=other["id"])
    with pytest.raises(InvalidExpenditure, match="没有第"):
        _add(spend, -100, corrects_id=9999)
    with pytest.raises(InvalidExpenditure, match="只能冲减"):
        _add(spend, 100, corrects_id=a["id"])
    _add(spend, -600, corrects_id=a["id"])
    with pytest.raises(InvalidExpenditure) as err:
        _add(spend, -500, corrects_id=a["id"])  # only 400 left of the 1000
    assert err.value.details["remaining"] == 400
    fix = _add(spend, -400, corrects_id=a["id"])
    with pytest.raises(InvalidExpenditure, match="不能更正一笔更正"):
        _add(spend, -1, corrects_id=fix["id"])
    assert len(spend.list(2019)) == 4


def test_unknown_project_or_year_is_not_found(spend):
    with pytest.raises(NotFound):
        _add(spend, 100, project="roads")
    with pytest.raises(NotFound):
        spend.add(2018, "planning", date(2018, 5, 1), 1, "x", actor="a", now=NOW)
