"""The shipped sample data: the demo manifest imports whole, and the goal tables match the seed."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from geo.goals import load_goals
from runtime.settings import DEFAULT_GOALS_DIR, REPO_ROOT
from storage.engine import make_engine, migrate, sqlite_url
from storage.repository import CaseStore
from tuban_cli.demo import load_batches as load_demo

MANIFEST = REPO_ROOT / "sample_data" / "fengrun" / "batches.json"


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory):
    engine = make_engine(sqlite_url(tmp_path_factory.mktemp("demo") / "demo.sqlite"))
    migrate(engine)
    store = CaseStore(engine)
    load_demo(store)
    yield store
    engine.dispose()


def test_every_manifest_batch_imports(demo_store):
    items = json.loads(MANIFEST.read_text(encoding="utf-8"))
    batches = demo_store.list_batches()
    assert len(batches) == len(items) == 9
    assert Counter(b["programme"] for b in batches) == {"mining": 4, "land": 4, "change_survey": 1}
    assert 300 <= sum(b["feature_count"] for b in batches) <= 1000


def test_delivery_crs_and_encodings_as_real_provinces_send_them(demo_store):
    by_prog = {}
    for b in demo_store.list_batches():
        by_prog.setdefault(b["programme"], b)
    assert by_prog["mining"]["source_crs"] == "EPSG:4527"
    assert "GBK" in by_prog["mining"]["encoding"] and "无 .cpg" in by_prog["mining"]["encoding"]
    assert by_prog["land"]["source_crs"] == "EPSG:4548"
    assert ".cpg" in by_prog["land"]["encoding"]


def test_chinese_attributes_are_not_mojibake(demo_store):
    b = next(b for b in demo_store.list_batches() if b["programme"] == "mining")
    rows = demo_store.features(b["id"])
    text = "".join(str(v) for r in rows for v in r["attributes"].values() if isinstance(v, str))
    assert "丰润区" in text
    assert "\ufffd" not in text and "Ã" not in text


def test_demo_load_is_idempotent(demo_store):
    before = demo_store.counts()
    load_demo(demo_store)
    assert demo_store.counts() == before


def test_goal_tables_transcribe_the_seed():
    book = load_goals(DEFAULT_GOALS_DIR / "fengrun-2019.yaml")
    assert book.year == 2019 and book.unit_code == "334002"
    rows = {p.id: len(p.indicators) for p in book.projects}
    assert rows == {"planning": 5, "mining_enforcement": 6, "land_change_survey": 5}
    mining = book.project("mining_enforcement")
    assert mining.budget["total"] == 300000.0
    assert [mining.spending_plan[k] for k in ("mar", "jun", "oct", "dec")] == [10, 40, 60, 100]
    assert all(r.level1 for p in book.projects for r in p.indicators)
    bound = [m for r in mining.indicators for m in r.metrics]
    assert "penalties_receipted" in bound and "illegal_mines_active" in bound
    assert len(book.department["overall_goals"]) == 15


def test_demo_history_is_consistent_with_the_event_log(tmp_path):
    from runtime.compose import build
    from runtime.settings import Settings
    from tuban_cli.demo import play_history

    services = build(
        Settings(database_url=sqlite_url(tmp_path / "h.sqlite"), photos_dir=tmp_path / "photos")
    )
    store, engine = services.cases, services.engine
    load_demo(store)
    added = play_history(services, seed=7)
    assert added == store.counts()["events"] > 300
    states, actors = Counter(), set()
    for b in store.list_batches():
        for row in store.features(b["id"]):
            case = store.get_case(row["id"])
            states[case.state.value] += 1
            assert store.rebuild_case(row["id"]) == case
            actors |= {e.actor for e in store.events(row["id"])}
    # every stage of both workflows occurs, and work is left to do
    assert {
        "issued",
        "verified",
        "approved",
        "filed",
        "penalised",
        "closed",
        "passed",
        "returned",
    } <= set(states)
    # every 变更调查 图斑 that went to the province carries the photos the rules ask for
    df = store.cases_frame()
    assert (
        df.loc[df.submitted_at.notna(), "case_id"].map(lambda c: store.get_case(c).photo_count) >= 2
    ).all()
    assert actors and all(a.endswith("（示例）") for a in actors)
    engine.dispose()


def test_hints_match_the_relations_planted_in_the_sample_data(tmp_path):
    """The generator computed permit and approval relations independently; hints must agree."""
    from tuban_cli.demo import load_references

    edge = json.loads((MANIFEST.parent / "edge_cases.json").read_text(encoding="utf-8"))
    engine = make_engine(sqlite_url(tmp_path / "hints.sqlite"))
    migrate(engine)
    store = CaseStore(engine)
    load_references(store)
    load_demo(store)
    by_code = {}
    for b in store.list_batches():
        for r in store.features(b["id"]):
            by_code.setdefault(r["code"], r)
    relation = edge["mining_permit_relation"]
    got = {c: by_code[c]["permit_relation"] for c in relation}
    assert got == relation
    cover = edge["approval_cover_share"]
    for code, share in cover.items():
        if code in by_code and not by_code[code].get("reissue_of_batch"):
            assert by_code[code]["approval_share"] == pytest.approx(share, abs=0.002), code
    assert sum(1 for r in by_code.values() if (r["farmland_m2"] or 0) > 0.5) >= 50
    # the pit across the county line is flagged
    assert by_code["130208KS2019Q3001"]["outside_share"] > 0.3
    engine.dispose()
