"""Goal books in the store: versions per year, no-op re-imports, optimistic concurrency."""

from __future__ import annotations

import copy
from datetime import timedelta

import pytest

from geo.errors import NotFound
from geo.goals import GoalFileError, goals_to_dict, load_goals, read_goal_doc
from runtime.settings import DEFAULT_GOALS_DIR
from storage.goalbooks import GoalBookStore, GoalVersionConflict
from tests.conftest import NOW

SAMPLE = DEFAULT_GOALS_DIR / "fengrun-2019.yaml"


@pytest.fixture
def books(store) -> GoalBookStore:
    return GoalBookStore(store.engine)


@pytest.fixture
def doc() -> dict:
    return read_goal_doc(SAMPLE)


def test_import_is_idempotent_and_latest_matches_the_file(books):
    assert books.import_file(SAMPLE, actor="a", now=NOW) == (2019, 1, True)
    assert books.import_file(SAMPLE, actor="a", now=NOW) == (2019, 1, False)
    book, version = books.latest(2019)
    assert version == 1 and book == load_goals(SAMPLE)
    assert books.years() == [2019]
    assert books.latest_books() == {2019: book}
    [rec] = books.versions(2019)
    assert rec["created_by"] == "a" and rec["note"] == "导入 fengrun-2019.yaml"
    assert rec["created_at"] == NOW


def test_each_change_is_a_new_version_and_old_ones_stay_readable(books, doc):
    books.save(doc, actor="a", now=NOW)
    edited = copy.deepcopy(doc)
    edited["projects"][1]["indicators"][0]["targets"] = {"verified_by_due_share": 95}
    key = books.change_key()
    assert books.save(edited, actor="b", now=NOW + timedelta(hours=1), note="调低目标") == 2
    assert books.change_key() != key
    assert books.get(2019, 1).project("mining_enforcement").row(1).targets == {
        "verified_by_due_share": 100
    }
    assert books.latest(2019)[0].project("mining_enforcement").row(1).targets == {
        "verified_by_due_share": 95
    }
    assert [(v["version"], v["created_by"], v["note"]) for v in books.versions(2019)] == [
        (1, "a", None),
        (2, "b", "调低目标"),
    ]
    stored, rec = books.doc(2019, 1)
    assert stored == goals_to_dict(load_goals(SAMPLE)) and rec["version"] == 1


def test_stale_base_version_is_a_conflict_and_stores_nothing(books, doc):
    books.save(doc, actor="a", now=NOW)
    edited = copy.deepcopy(doc)
    edited["unit_name"] = "改名"
    assert books.save(edited, actor="a", now=NOW, base_version=1) == 2
    again = copy.deepcopy(doc)
    again["unit_name"] = "另一个名字"
    with pytest.raises(GoalVersionConflict) as err:
        books.save(again, actor="b", now=NOW, base_version=1)
    assert err.value.details["current_version"] == 2
    assert len(books.versions(2019)) == 2


def test_invalid_document_stores_nothing(books, doc):
    bad = copy.deepcopy(doc)
    bad["projects"][1]["indicators"][0]["metrics"] = ["no_such_metric"]
    with pytest.raises(GoalFileError) as err:
        books.save(bad, actor="a", now=NOW, source="edit")
    assert err.value.details["project"] == "mining_enforcement"
    assert err.value.details["row"] == 1 and err.value.details["field"] == "metrics"
    assert books.years() == []


def test_unknown_year_or_version_is_not_found(books, doc):
    with pytest.raises(NotFound):
        books.latest(2019)
    books.save(doc, actor="a", now=NOW)
    with pytest.raises(NotFound):
        books.get(2019, 5)


def test_seeding_from_a_directory_never_replaces_an_edit(books, doc, tmp_path):
    assert books.seed_from_dir(DEFAULT_GOALS_DIR, actor="system", now=NOW) == [2019]
    edited = copy.deepcopy(doc)
    edited["unit_name"] = "改名"
    books.save(edited, actor="admin", now=NOW)
    assert books.seed_from_dir(DEFAULT_GOALS_DIR, actor="system", now=NOW) == []
    assert books.latest(2019)[0].unit_name == "改名"
    other = copy.deepcopy(doc)
    other["year"] = 2020
    import yaml

    (tmp_path / "b.yaml").write_text(yaml.safe_dump(other, allow_unicode=True), encoding="utf-8")
    assert books.seed_from_dir(tmp_path, actor="system", now=NOW) == [2020]
    assert [r["year"] for r in books.latest_records()] == [2019, 2020]
    assert [r["version"] for r in books.latest_records()] == [2, 1]
