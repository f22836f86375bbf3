"""动态巡查 in the indicators: a seeded random patrol history replayed three ways.

Findings and reports are recorded through PatrolStore.create and worked through
CaseStore.apply_action at increasing times (stops late and on time, filings, penalties, reports,
dismissals, the watch list, re-inspections late and on time, sites found active again). For
several days the values from the daily counts (booked as each action happened) must equal those
of the per-case facts replayed from the event log (storage.facts) and an independent count made
here from the cases as the test played them; drill-down lists exactly the facts' ids.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
from pyproj import Transformer
from sqlalchemy import select

from geo.batch import BatchMeta
from geo.goals import load_goals
from geo.indicators import aggregate, compute_project
from geo.localtime import LOCAL_TZ, local_today
from geo.model import Action, Case, Judgment, Programme, State
from geo.patrol import MINING_VIOLATIONS, VIOLATIONS, parse_finding
from geo.workflow import allowed_actions
from runtime.settings import DEFAULT_GOALS_DIR
from storage import daily_counts, drill, facts
from storage.imports import import_file
from storage.patrol import PatrolStore
from storage.reporting import IndicatorSource
from storage.tables import cases
from tests import factories
from tests.conftest import NOW
from tests.geo.test_workflow import PAYLOADS
from tests.storage.test_drill import TOWNS, _towns

BOOK = load_goals(Path(DEFAULT_GOALS_DIR) / "fengrun-2019.yaml")
PROJECT = BOOK.project("mining_enforcement")
PATROL_METRICS = (
    "illegal_mines_active",
    "patrol_findings",
    "patrol_stopped_on_time_share",
    "patrol_filed_on_time_share",
    "patrol_reported_on_time_share",
    "reinspected_on_time_share",
)
_TO_LONLAT = Transformer.from_crs(4527, 4490, always_xy=True)
START = datetime(2019, 6, 1, 1, tzinfo=UTC)
FAR = date(2030, 1, 1)  # a day after everything: the as-of replay of the whole log


def _lonlat(x: float, y: float) -> dict:
    lon, lat = _TO_LONLAT.transform(x, y)
    return {"type": "Point", "coordinates": [lon, lat]}


def _square(x: float, y: float, side: float = 60.0) -> dict:
    ring = [_TO_LONLAT.transform(px, py) for px, py in
            ((x, y), (x + side, y), (x + side, y + side), (x, y + side), (x, y))]  # fmt: skip
    return {"type": "Polygon", "coordinates": [[list(p) for p in ring]]}


@dataclass
class Played:
    """Each case as the test made it: (time of the change, the case after it), in order."""

    store: object
    seen: dict[int, list[tuple[datetime, Case]]] = field(default_factory=dict)
    last: datetime = START
    filings: int = 0

    def at(self, case_id: int, cutoff: datetime) -> Case | None:
        """The case as it stood just before ``cutoff`` (None: not there yet)."""
        before = [c for t, c in self.seen[case_id] if t < cutoff]
        return before[-1] if before else None


def _served(case: Case, now: datetime, rnd: random.Random) -> str:
    """A stop order served between the finding and now, within 40 hours of the finding: some
    within the deadline (24 hours), some late."""
    found = case.found_at or now
    at = found + min(now - found, timedelta(hours=40)) * rnd.random()
    return at.astimezone(LOCAL_TZ).isoformat(timespec="seconds")


def _payload(play: Played, case: Case, action: Action, now: datetime, rnd: random.Random) -> dict:
    day = local_today(now).isoformat()
    if action is Action.VERIFY:
        judgment = "illegal" if rnd.random() < 0.7 else "legal"
        return {
            "judgment": judgment,
            "reason": {"illegal": "unlicensed_mining", "legal": "permitted_mining"}[judgment],
        }
    if action is Action.FILE:
        play.filings += 1  # one 立案 per filing: no sibling moves with a penalty
        return {"case_no": f"丰国土罚〔2019〕{play.filings}号", "filed_on": day}
    if action is Action.STOP:
        return {"order_no": f"丰国土停{case.id}", "served_at": _served(case, now, rnd),
                "served_by": "李四"}  # fmt: skip
    if action is Action.REPORT:
        return {"reported_on": day, "doc_no": f"丰国土报{case.id}"}
    if action is Action.WATCH:
        return {"interval_days": rnd.choice([3, 10, 30])}
    dated = {"paid_on", "rectified_on"}
    return {k: day if k in dated else v for k, v in PAYLOADS[action].items()}


def _find(play: Played, places: list[dict], rnd: random.Random, now: datetime) -> None:
    source = rnd.choice(["patrol", "patrol", "hotline_12336", "letter"])
    violation = rnd.choice([*MINING_VIOLATIONS, *VIOLATIONS])
    found = now - timedelta(hours=rnd.choice([0, 2, 9, 20]))
    doc = {"source": source, "violation": violation, "geometry": rnd.choice(places),
           "found_at": found.isoformat()}  # fmt: skip
    made = PatrolStore(play.store.engine).create(parse_finding(doc, now=now), actor="x", now=now)
    play.seen[made["case_id"]] = [(now, play.store.get_case(made["case_id"]))]


def _act(play: Played, rnd: random.Random, now: datetime) -> None:
    cid = rnd.choice(sorted(play.seen))
    case = play.seen[cid][-1][1] if play.seen[cid] else play.store.get_case(cid)
    options = [a for a in allowed_actions(case) if a is not Action.ADD_PHOTO]
    if not options:
        return
    action = rnd.choice(options)
    new = play.store.apply_action(
        cid, action.value, actor="x", now=now, expected_version=None,
        payload=_payload(play, case, action, now, rnd),
    )  # fmt: skip
    play.seen[cid].append((now, new))
    _follow_joined(play, cid, now)


def _follow_joined(play: Played, cid: int, now: datetime) -> None:
    """Cases joined to ``cid`` that its action moved too (a 立案 takes the cases joined to it
    under it, one file event each): their new state goes into the record as well."""
    with play.store.engine.connect() as conn:
        joined = conn.execute(
            select(cases.c.id, cases.c.version).where(cases.c.linked_case_id == cid)
        ).all()
    for other, version in joined:
        seen = play.seen.get(other)
        if seen is not None and seen and seen[-1][1].version != version:
            seen.append((now, play.store.get_case(other)))


def play_history(store, tmp_path: Path, seed: int, steps: int = 260) -> Played:
    """Two townships, three mining 卫片 图斑, and a patrol history: findings at random places
    (some at the 卫片 sites and at earlier findings' sites), worked at increasing times."""
    _towns(store, tmp_path)
    meta = BatchMeta(Programme.MINING, "2019Q2", "省厅", date(2019, 5, 15), date(2019, 7, 31))
    src = factories.write(factories.squares(3), tmp_path / "ks.gpkg")
    batch, _ = import_file(store, src, meta, actor="t", now=NOW)
    play = Played(store, {r["id"]: [] for r in store.features(batch["id"])})
    x, y = factories.FENGRUN_X, factories.FENGRUN_Y
    # inside each 卫片 square, and open ground in both townships
    places = [_lonlat(x + i * 500 + 50, y + 50) for i in range(3)]
    places += [_lonlat(x + dx, y + dy) for dx in (-600, 900, 2000, 3000) for dy in (1500, 3500)]
    places += [_square(x + 2600, y + 2600), _square(x - 400, y + 600)]
    rnd = random.Random(seed)
    now = START
    for _ in range(steps):
        now += timedelta(hours=rnd.randint(1, 14))
        if rnd.random() < 0.22:
            _find(play, places, rnd, now)
        else:
            _act(play, rnd, now)
    play.last = now
    return play


# --- the independent count: the goal row's numbers restated over the cases as played ---------


def _mine(c: Case) -> bool:
    kind = c.programme is Programme.MINING or (
        c.programme is Programme.PATROL and c.violation in MINING_VIOLATIONS
    )
    return (kind and c.judgment is Judgment.ILLEGAL and c.linked_case_id is None
            and c.state not in (State.RECTIFIED, State.CLOSED))  # fmt: skip


def _by(done, due) -> bool:
    return done is not None and due is not None and done <= due


def independent(play: Played, day: date, township: str | None = None) -> dict[str, tuple]:
    """(numerator, denominator) of each patrol metric as of the end of ``day``."""
    cutoff = facts.end_of_day_utc(day)
    towns = facts.live_facts(play.store.engine).set_index("case_id")["township_code"]
    cases = [play.at(cid, cutoff) for cid in play.seen]
    cases = [c for c in cases if c is not None and (township is None or towns[c.id] == township)]
    patrol = [c for c in cases if c.programme is Programme.PATROL]
    violations = [c for c in patrol if c.judgment is Judgment.ILLEGAL]
    inspected = [c for c in cases if c.reinspections > 0]
    n = len(violations)
    return {
        "illegal_mines_active": (sum(map(_mine, cases)), None),
        "patrol_findings": (len(patrol), None),
        "patrol_stopped_on_time_share": (
            sum(_by(c.stopped_at, c.stop_due_at) for c in violations), n),
        "patrol_filed_on_time_share": (
            sum(_by(c.filed_on, c.file_due_on) for c in violations), n),
        "patrol_reported_on_time_share": (
            sum(_by(c.reported_on, c.report_due_on) for c in violations), n),
        "reinspected_on_time_share": (
            sum(c.reinspected_on_time is True for c in inspected), len(inspected)),
    }  # fmt: skip


def _values(rows) -> dict:
    return {v.metric: v for r in rows for v in r.values}


def _parts(v) -> tuple:
    den = None if v.denominator is None else int(v.denominator)
    return (int(v.numerator), den)


@pytest.fixture
def played(store, tmp_path):
    return play_history(store, tmp_path, seed=16)


def test_the_history_reaches_every_step(played):
    """The seeded walk is rich enough to test anything: every step, late and on time."""
    cases = [h[-1][1] for h in played.seen.values() if h]
    patrol = [c for c in cases if c.programme is Programme.PATROL]
    assert len(patrol) >= 20
    states = {c.state for c in patrol}
    assert {State.FOUND, State.STOPPED, State.FILED, State.CLOSED} <= states, states
    ever = [c for h in played.seen.values() for _, c in h if c.programme is Programme.PATROL]
    assert any(_by(c.stopped_at, c.stop_due_at) for c in ever)
    assert any(c.stopped_at and not _by(c.stopped_at, c.stop_due_at) for c in ever)
    assert any(c.reported_on and not _by(c.reported_on, c.report_due_on) for c in ever)
    assert any(_by(c.filed_on, c.file_due_on) for c in ever)
    assert any(c.judgment is Judgment.OTHER for c in ever)  # dismissed
    assert any(c.linked_case_id is not None for c in patrol)  # joined an open case
    inspected = [c for h in played.seen.values() for _, c in h if c.reinspections]
    assert {True, False} <= {c.reinspected_on_time for c in inspected}
    again = [t for h in played.seen.values() for t, c in h if c.found_at and c.reinspections
             and c.state is State.FOUND]  # fmt: skip
    assert again, "no site was found active again"


def _days(play: Played) -> list[date]:
    first = local_today(START)
    span = (local_today(play.last) - first).days
    return [first + timedelta(days=span * k // 7) for k in range(8)] + [FAR]


def test_daily_counts_facts_and_an_independent_count_agree_day_by_day(played):
    source = IndicatorSource(played.store.engine)
    paid = facts.payments_frame
    seen_nonzero = set()
    for day in _days(played):
        counted, _ = source.rows(PROJECT, as_of=day)
        per_case = facts.facts_as_of(played.store.engine, day)
        replayed = compute_project(PROJECT, per_case, paid(played.store.engine, as_of=day))
        by_counts, by_facts = _values(counted), _values(replayed)
        want = independent(played, day)
        for metric in PATROL_METRICS:
            assert _parts(by_counts[metric]) == want[metric], (day, metric)
            assert _parts(by_facts[metric]) == want[metric], (day, metric)
            if want[metric][0]:
                seen_nonzero.add(metric)
        # every value of the row, old metrics included, the same from both paths
        for metric, v in by_counts.items():
            assert (v.value, v.numerator, v.denominator) == (
                by_facts[metric].value,
                by_facts[metric].numerator,
                by_facts[metric].denominator,
            ), (day, metric)
    assert seen_nonzero == set(PATROL_METRICS)


@pytest.mark.parametrize("township", TOWNS)
def test_per_township_values_agree(played, township):
    source = IndicatorSource(played.store.engine)
    for day in _days(played)[2::3]:
        counted, _ = source.rows(PROJECT, as_of=day, township=township)
        want = independent(played, day, township)
        got = _values(counted)
        for metric in PATROL_METRICS:
            assert _parts(got[metric]) == want[metric], (day, township, metric)


def test_drill_lists_the_facts_ids(played):
    engine = played.store.engine
    for day in [*_days(played)[1::3], None]:
        per_case = facts.live_facts(engine) if day is None else facts.facts_as_of(engine, day)
        for township in (None, TOWNS[1]):
            rows = compute_project(PROJECT, per_case, township=township)
            for metric, v in _values(rows).items():
                if metric in ("penalties_receipted", "penalty_receipt_count"):
                    continue  # money: drilled through its payments (tests/storage/test_drill)
                q = drill.DrillQuery(PROJECT, metric, as_of=day, township=township)
                assert drill.case_ids(engine, q) == sorted(v.case_ids), (day, township, metric)
                if metric in PATROL_METRICS:  # a page reads the events case by case
                    page = drill.page(engine, q, limit=3, offset=1)
                    assert [r["case_id"] for r in page.rows] == sorted(v.case_ids)[1:4]
                    assert page.count == len(v.case_ids), (day, township, metric)


def test_live_equals_the_replay_of_the_whole_log(played):
    engine = played.store.engine
    live = facts.live_facts(engine).sort_values("case_id").reset_index(drop=True)
    replay = facts.facts_as_of(engine, FAR).sort_values("case_id").reset_index(drop=True)
    pd.testing.assert_frame_equal(live, replay, check_dtype=False)
    pd.testing.assert_frame_equal(
        daily_counts.counts(engine), daily_counts.counts(engine, as_of=FAR), check_dtype=False
    )
    pd.testing.assert_frame_equal(daily_counts.counts(engine), aggregate(live), check_dtype=False)


def test_the_rebuild_books_what_each_action_booked(played):
    engine = played.store.engine
    days = [*_days(played), None]
    kept = {d: daily_counts.counts(engine, as_of=d) for d in days}
    daily_counts.rebuild(engine)
    for d in days:
        pd.testing.assert_frame_equal(
            daily_counts.counts(engine, as_of=d), kept[d], check_dtype=False, obj=str(d)
        )


def test_a_patrol_case_is_not_there_before_it_was_found(played):
    engine = played.store.engine
    first = min(h[0][0] for h in played.seen.values() if h and h[0][1].found_at)
    before = facts.facts_as_of(engine, local_today(first) - timedelta(days=1))
    assert Programme.PATROL.value not in set(before["programme"])
    counts = daily_counts.counts(engine)
    assert counts.loc[counts["programme"] == Programme.PATROL.value, "issued"].sum() == 0


# --- one site, one story ----------------------------------------------------------------------


def test_a_finding_joined_to_an_open_case_is_not_a_second_mine(store, tmp_path):
    _towns(store, tmp_path)
    meta = BatchMeta(Programme.MINING, "2019Q2", "省厅", date(2019, 5, 15), date(2019, 7, 31))
    src = factories.write(factories.squares(1), tmp_path / "ks.gpkg")
    batch, _ = import_file(store, src, meta, actor="t", now=NOW)
    [pit] = [r["id"] for r in store.features(batch["id"])]
    t = datetime(2019, 6, 3, 2, tzinfo=UTC)
    store.apply_action(pit, "verify", actor="hc", now=t, expected_version=None,
                       payload={"judgment": "illegal", "reason": "unlicensed_mining"})  # fmt: skip
    x, y = factories.FENGRUN_X, factories.FENGRUN_Y
    patrol = PatrolStore(store.engine)
    at_pit = {"violation": "illegal_mining", "geometry": _lonlat(x + 50, y + 50)}
    joined = patrol.create(parse_finding(at_pit, now=t + timedelta(days=1)), actor="hc",
                           now=t + timedelta(days=1))  # fmt: skip
    assert joined["linked_case_id"] == pit
    elsewhere = {"violation": "beyond_boundary_mining", "geometry": _lonlat(x + 3000, y + 3000)}
    other = patrol.create(parse_finding(elsewhere, now=t + timedelta(days=2)), actor="hc",
                          now=t + timedelta(days=2))  # fmt: skip
    source = IndicatorSource(store.engine)
    for day in (date(2019, 6, 4), date(2019, 6, 5), None):
        v = _values(source.rows(PROJECT, as_of=day)[0])
        q = drill.DrillQuery(PROJECT, "illegal_mines_active", as_of=day)
        ids = drill.case_ids(store.engine, q)
        want = [pit] if day == date(2019, 6, 4) else [pit, other["case_id"]]
        assert ids == want and v["illegal_mines_active"].value == len(want), day
        assert v["patrol_findings"].value == (1 if day == date(2019, 6, 4) else 2)
    # the 卫片 shares keep their denominators: patrol cases are never issued
    assert v["verified_of_issued"].denominator == 1


def test_only_the_listed_actions_set_a_replayed_field(played):
    """storage.facts.REPLAYED reads a field from the events of its listed actions only: no
    other event of the history wrote it."""
    from storage.tables import case_events

    with played.store.engine.connect() as conn:
        events = conn.execute(case_events.select()).mappings().all()
    assert len(events) > 100
    setters = {r.name: {a.value for a in r.actions} for r in facts.REPLAYED}
    for ev in events:
        for name in setters.keys() & ev["after"].keys():
            assert ev["action"] in setters[name], (ev["action"], name)
