"""Drill-down in SQL (storage.drill) names exactly the 图斑 the per-case computation does."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import geopandas as gpd
import pytest
from shapely import box

from geo.batch import BatchMeta
from geo.goals import load_goals
from geo.indicators import compute_project
from geo.model import Programme
from geo.workflow import allowed_actions
from runtime.settings import DEFAULT_GOALS_DIR
from storage import drill, facts
from storage.imports import import_file, import_reference
from storage.visibility import Scope
from tests import factories
from tests.conftest import NOW
from tests.storage.test_workflow_sql import _payload

X, Y = factories.FENGRUN_X, factories.FENGRUN_Y
TOWNS = ("130208100", "130208101")
BOOK = load_goals(Path(DEFAULT_GOALS_DIR) / "fengrun-2019.yaml")
PAST = date(2019, 11, 20)


def _layer(tmp_path: Path, name: str, dy: float, land_classes: list | None = None) -> Path:
    f = factories.squares(6)
    f = f.set_geometry(f.geometry.translate(0, dy))
    f["TBBH"] = [f"130208{name}{i:03d}" for i in range(6)]
    if land_classes is not None:
        f["QSXDL"] = land_classes
    return factories.write(f, tmp_path / f"{name}.gpkg")


def _towns(store, tmp_path: Path) -> None:
    """Two townships side by side: the first three squares of a row in one, the rest in the
    other."""
    f = gpd.GeoDataFrame(
        {"XZQDM": list(TOWNS), "XZQMC": ["丰润镇", "任各庄镇"]},
        geometry=[box(X - 1000, Y - 1000, X + 1250, Y + 5000),
                  box(X + 1250, Y - 1000, X + 5000, Y + 5000)],
        crs="EPSG:4527",
    )  # fmt: skip
    path = factories.write(f, tmp_path / "towns.gpkg")
    import_reference(store, path, "township", name="乡镇", version="2019", actor="t", now=NOW)


def _walk(store, ids: list[int], rnd: random.Random, steps: int) -> None:
    t = datetime(2019, 10, 16, 1, tzinfo=UTC)
    for _ in range(steps):
        cid = rnd.choice(ids)
        # Read afresh: an action may move other 图斑 too (a 立案's penalty moves all of them).
        options = allowed_actions(store.get_case(cid))
        if not options:
            continue
        action = rnd.choice(options)
        t += timedelta(hours=rnd.randint(1, 12))
        store.apply_action(
            cid, action.value, actor="x", now=t, expected_version=None,
            payload=_payload(action, rnd, cid, t),
        )  # fmt: skip


def build_spread(store, tmp_path: Path) -> list[int]:
    """24 图斑 (mining 2019Q3 and Q4, land 2019Q3 with 耕地 and other 前时相地类, the 2019
    change survey) in two townships, walked through random allowed actions into every state."""
    _towns(store, tmp_path)
    due = date(2019, 11, 15)
    batches = (
        (Programme.MINING, "2019Q3", _layer(tmp_path, "KS2019Q3", 0)),
        (Programme.MINING, "2019Q4", _layer(tmp_path, "KS2019Q4", 1000)),
        (Programme.LAND, "2019Q3",
         _layer(tmp_path, "TD2019Q3", 2000, ["0103", "0101", "0201", "0102", None, "0301"])),
        (Programme.CHANGE_SURVEY, "2019", _layer(tmp_path, "BG2019", 3000)),
    )  # fmt: skip
    ids = []
    for prog, period, path in batches:
        meta = BatchMeta(prog, period, "省厅", date(2019, 10, 15), due)
        batch, _ = import_file(store, path, meta, actor="t", now=NOW)
        ids += [r["id"] for r in store.features(batch["id"])]
    _walk(store, ids, random.Random(11), 400)
    return ids


@pytest.fixture
def spread(store, tmp_path):
    """A store holding ``build_spread``'s 图斑."""
    return store, build_spread(store, tmp_path)


def expected_ids(store, project, *, as_of, township, period) -> dict:
    """(row_no, metric) → the ids behind each value, by the per-case computation."""
    return _expected(store, project, as_of=as_of, township=township, period=period)


def _expected(store, project, *, as_of, township, period) -> dict:
    per_case = (
        facts.live_facts(store.engine) if as_of is None else facts.facts_as_of(store.engine, as_of)
    )
    paid = facts.payments_frame(store.engine, as_of=as_of)
    rows = compute_project(project, per_case, paid, township=township, period=period)
    return {(r.row.row_no, v.metric): sorted(v.case_ids) for r in rows for v in r.values}


SCOPES = [
    (None, None, None),
    (PAST, None, None),
    (None, TOWNS[0], "2019Q3"),
    (PAST, TOWNS[1], "2019Q3"),
    (PAST, None, "2019"),
]


@pytest.mark.parametrize(("as_of", "township", "period"), SCOPES, ids=str)
def test_every_bound_metric_drills_to_the_per_case_ids(spread, as_of, township, period):
    store, ids = spread
    checked = nonempty = 0
    for project in BOOK.projects:
        want = _expected(store, project, as_of=as_of, township=township, period=period)
        for (_, metric), expected in want.items():
            q = drill.DrillQuery(project, metric, as_of=as_of, township=township, period=period)
            assert drill.case_ids(store.engine, q) == expected, (project.id, metric)
            checked += 1
            nonempty += bool(expected)
    assert checked >= 12
    if (as_of, township, period) == (None, None, None):
        assert nonempty >= 12  # the walk left cases behind nearly every value


def test_the_spread_reaches_the_states_that_matter(spread):
    store, _ = spread
    live = facts.live_facts(store.engine)
    states = set(live["state"])
    assert {"closed", "passed", "rework", "filed"} <= states and len(states) >= 6, states
    assert set(live["township_code"]) == set(TOWNS)


@pytest.mark.parametrize("as_of", [None, PAST])
def test_a_verifier_gets_only_their_own_ids(spread, as_of):
    store, _ = spread
    scope = Scope(user_id=10_000, townships=(TOWNS[1],))
    live = facts.live_facts(store.engine)
    theirs = set(live.loc[live["township_code"] == TOWNS[1], "case_id"])
    for project in BOOK.projects:
        want = _expected(store, project, as_of=as_of, township=None, period=None)
        for (_, metric), expected in want.items():
            q = drill.DrillQuery(project, metric, as_of=as_of)
            got = drill.case_ids(store.engine, q, scope)
            assert got == [i for i in expected if i in theirs], (project.id, metric)


def test_pages_follow_the_ids_in_order(spread):
    store, _ = spread
    project = BOOK.project("land_change_survey")
    q = drill.DrillQuery(project, "evidence_of_issued")
    every = drill.case_ids(store.engine, q)
    assert len(every) >= 2
    seen, offset = [], 0
    while True:
        p = drill.page(store.engine, q, limit=2, offset=offset)
        assert p.count == len(every)
        if not p.rows:
            break
        seen += [r["case_id"] for r in p.rows]
        offset += 2
    assert seen == every
