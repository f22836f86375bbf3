"""Goal documents: the sample round-trips, row numbers are stable, bad input names its place."""

from __future__ import annotations

import copy

import pytest

from geo.goals import (
    GoalFileError,
    goals_to_dict,
    goals_to_yaml,
    load_goals,
    parse_goals,
    read_goal_doc,
)
from geo.indicators import METRICS
from runtime.settings import DEFAULT_GOALS_DIR

SAMPLE = DEFAULT_GOALS_DIR / "fengrun-2019.yaml"


@pytest.fixture
def doc() -> dict:
    return read_goal_doc(SAMPLE)


def test_sample_round_trips_through_dict_and_yaml(doc):
    import yaml

    book = parse_goals(doc, "sample", METRICS)
    again = parse_goals(goals_to_dict(book), "again", METRICS)
    assert again == book
    assert parse_goals(yaml.safe_load(goals_to_yaml(book)), "yaml") == book
    assert book.currency_unit == "元"
    assert [len(book.department[k]) for k in ("overall_goals", "sub_goals", "safeguards")] == [
        15,
        6,
        4,
    ]


def test_rows_are_numbered_in_order_and_carry_targets(doc):
    book = parse_goals(doc, "sample")
    for p in book.projects:
        assert [r.row_no for r in p.indicators] == list(range(1, len(p.indicators) + 1))
    mining = book.project("mining_enforcement")
    assert mining.row(1).targets == {"verified_by_due_share": 100.0}
    assert mining.row(5).targets == {
        "illegal_mines_active": 0.0,
        "illegal_farmland_ratio": 15.0,
        "patrol_stopped_on_time_share": 100.0,
        "patrol_filed_on_time_share": 100.0,
        "patrol_reported_on_time_share": 100.0,
        "reinspected_on_time_share": 100.0,
    }
    assert "patrol_findings" in mining.row(5).metrics  # shown, with no target
    assert mining.row(6).targets == {} and mining.row(6).metrics == ()
    # every target names a metric bound to its own row
    for p in book.projects:
        for r in p.indicators:
            assert set(r.targets) <= set(r.metrics)


def test_row_numbers_survive_an_inserted_row(doc):
    numbered = goals_to_dict(parse_goals(doc, "sample"))
    rows = numbered["projects"][1]["indicators"]
    new = {k: "新增" for k in ("level1", "level2", "level3", "description", "target", "basis")}
    rows.insert(1, new)  # an admin inserts a row second
    book = parse_goals(numbered, "edited")
    nos = [r.row_no for r in book.project("mining_enforcement").indicators]
    assert nos == [1, 7, 2, 3, 4, 5, 6]
    assert book.project("mining_enforcement").row(7).level3 == "新增"


def _break(doc, path, value):
    d = copy.deepcopy(doc)
    target = d
    for k in path[:-1]:
        target = target[k]
    if value is KeyError:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return d


@pytest.mark.parametrize(
    ("path", "value", "project", "row", "field"),
    [
        (("year",), "2019年", None, None, "year"),
        (("projects",), [], None, None, "projects"),
        (("projects", 1, "indicators", 2, "basis"), KeyError, "mining_enforcement", 3, "basis"),
        (("projects", 1, "indicators", 0, "level1"), " ", "mining_enforcement", 1, "level1"),
        (("projects", 1, "indicators", 0, "metric"), ["x"], "mining_enforcement", 1, "metric"),
        (
            ("projects", 1, "indicators", 0, "targets"),
            {"verified_by_due_share": "全部"},
            "mining_enforcement",
            1,
            "targets.verified_by_due_share",
        ),
        (
            ("projects", 1, "indicators", 3, "targets"),
            {"verified_by_due_share": 100},
            "mining_enforcement",
            4,
            "targets",
        ),
        (
            ("projects", 1, "indicators", 0, "metrics"),
            ["verified_by_due_shar"],
            "mining_enforcement",
            1,
            "metrics",
        ),
        (("projects", 1, "indicators", 1, "row_no"), 0, "mining_enforcement", 2, "row_no"),
        (("projects", 2, "programmes"), ["survey"], "land_change_survey", None, "programmes"),
        (("projects", 0, "budget", "total"), -1, "planning", None, "budget.total"),
        (("projects", 0, "budget", "total"), None, "planning", None, "budget.total"),
        (
            ("projects", 1, "spending_plan", "jun"),
            5,
            "mining_enforcement",
            None,
            "spending_plan.jun",
        ),
        (
            ("projects", 1, "spending_plan", "dec"),
            120,
            "mining_enforcement",
            None,
            "spending_plan.dec",
        ),
        (("projects", 1, "spending_plan", "may"), 20, "mining_enforcement", None, "may"),
        (("projects", 2, "id"), "Land Survey", 3, None, "id"),
        (("projects", 2, "id"), "planning", "planning", None, "id"),
        (("projects", 0, "name"), "", "planning", None, "name"),
        (
            ("department", "safeguards", 0, "title"),
            None,
            None,
            None,
            "department.safeguards[1].title",
        ),
    ],
)
def test_each_invalid_document_names_where(doc, path, value, project, row, field):
    bad = _break(doc, path, value)
    with pytest.raises(GoalFileError) as err:
        parse_goals(bad, "bad.yaml", METRICS)
    details = err.value.details
    assert details["file"] == "bad.yaml"
    assert details.get("project") == project
    assert details.get("row") == row
    assert details.get("field") == field
    assert "bad.yaml" in err.value.message


def test_duplicate_row_numbers_are_refused(doc):
    bad = _break(doc, ("projects", 0, "indicators", 1, "row_no"), 1)
    bad = _break(bad, ("projects", 0, "indicators", 0, "row_no"), 1)
    with pytest.raises(GoalFileError) as err:
        parse_goals(bad, "dup.yaml")
    assert err.value.details["field"] == "row_no" and err.value.details["row"] == 1


def test_metric_names_are_only_checked_when_known_metrics_are_given(doc):
    bad = _break(doc, ("projects", 1, "indicators", 5, "metrics"), ["someday_metric"])
    with pytest.raises(GoalFileError):
        parse_goals(bad, "strict", METRICS)
    assert parse_goals(bad, "lenient").project("mining_enforcement").row(6).metrics == (
        "someday_metric",
    )


def test_load_goals_names_an_unreadable_file(tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text("year: [2019\n", encoding="utf-8")
    with pytest.raises(GoalFileError) as err:
        load_goals(broken)
    assert err.value.details["file"] == "broken.yaml"
