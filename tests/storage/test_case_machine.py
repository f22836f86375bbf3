"""The case workflow through a real store, driven by a Hypothesis state machine on both backends.

Random users of every role take random actions on real cases (a mining batch and a 变更调查
batch, imported from files) with valid and hostile payloads, current, stale or no versions, at
a clock that only moves forward; files are imported again, and a later batch re-issues a 图斑.
The role rule is ``geo.roles.may_act`` (what the API checks before it calls the store); what
the store is asked, it must either do exactly as the pure workflow says or refuse with the
workflow's own error, leaving nothing behind. After every step:

- each case row equals the pure model's replay (``geo.workflow.replay``) of its stored events;
- every event names its actor, time, before and after, and the hash chain verifies;
- the indicator counts kept action by action equal those recomputed from the cases, count each
  case once (``issued`` is the number of cases) and are never negative.
"""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from geo.batch import BatchMeta
from geo.errors import InvalidPayload, InvalidTransition, TubanError, VersionConflict
from geo.indicators import aggregate
from geo.localtime import local_today
from geo.model import VERIFY_REASONS, Action, Judgment, Programme
from geo.roles import Role, may_act
from geo.workflow import allowed_actions, apply
from storage import audit, daily_counts, facts
from storage.engine import make_engine, migrate
from storage.imports import import_file
from storage.repository import CaseStore
from storage.tables import case_events
from tests import factories
from tests.security import hostile
from tests.storage.digest import store_digest

ISSUED_ON = date(2019, 10, 15)
START = datetime(2019, 10, 16, 1, 0, tzinfo=UTC)
USERS = {
    "hecha": Role.VERIFIER,
    "shenhe": Role.REVIEWER,
    "zhifa": Role.ENFORCER,
    "tongji": Role.VIEWER,
    "admin": Role.ADMIN,
}
_examples = itertools.count()


def _valid_payload(action: Action, today: str) -> st.SearchStrategy[dict]:
    """A payload the action's fields accept, dated the day it is recorded."""
    judged = st.sampled_from(list(Judgment)).flatmap(
        lambda j: st.fixed_dictionaries(
            {"judgment": st.just(j.value), "reason": st.sampled_from(list(VERIFY_REASONS[j]))},
            optional={"note": st.just("现场为露天采坑")},
        )
    )
    land = st.sampled_from(["0103", "0702", "0602", "1202", "0307K"])
    match action:
        case Action.VERIFY:
            return judged
        case Action.FILE:
            return st.fixed_dictionaries(
                {"case_no": st.sampled_from(["丰罚1号", "丰罚2号"]), "filed_on": st.just(today)}
            )
        case Action.PENALISE:
            return st.fixed_dictionaries(
                {"fine_yuan": st.sampled_from(["500", "35000.50"])},
                optional={"receipt_no": st.just("HB001"), "paid_on": st.just(today)},
            )
        case Action.RECTIFY:
            return st.just({"rectified_on": today})
        case Action.COLLECT_EVIDENCE:
            return st.fixed_dictionaries({"land_class_before": land, "land_class_after": land})
        case Action.PASS:
            return st.fixed_dictionaries({}, optional={"land_class_ok": st.booleans()})
        case Action.RETURN:
            return st.fixed_dictionaries(
                {"reason": st.sampled_from(["地类错误", "照片方向不符"])},
                optional={"land_class_ok": st.booleans()},
            )
        case Action.RETURN_VERIFICATION | Action.REOPEN:
            return st.just({"reason": "照片不清晰"})
        case Action.ANNOTATE:
            return st.just({"note": "已电话核实"})
        case Action.ADD_PHOTO:
            return st.binary(min_size=32, max_size=32).map(lambda b: {"sha256": b.hex()})
    return st.just({})


_junk = st.one_of(
    st.sampled_from([*hostile.ALL, "Infinity", "NaN", "1e400", "2099-01-01", "1999-12-31"]),
    st.sampled_from(["a\x00b", "\ud800", "x\u202ey", "长" * 2001, "", " "]),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(),
    st.none(),
    st.lists(st.integers(), max_size=2),
)
_fields = st.sampled_from(
    ["judgment", "reason", "note", "case_no", "filed_on", "fine_yuan", "paid_on",
     "rectified_on", "land_class_before", "land_class_after", "sha256", "land_class_ok"]
)  # fmt: skip
hostile_payloads = st.one_of(
    st.dictionaries(_fields, _junk, max_size=4),
    st.dictionaries(st.text(max_size=8), _junk, max_size=2),
    st.none(),
)


class CaseMachine(RuleBasedStateMachine):
    """One example: two fresh batches in a store shared by the examples of a test."""

    store: CaseStore
    folder: Path

    def __init__(self) -> None:
        super().__init__()
        self.n = next(_examples)
        self.now = START
        self.files: list[tuple[Path, BatchMeta, str]] = []
        self.ids: list[int] = []
        for programme, period in ((Programme.MINING, "2019Q3"), (Programme.CHANGE_SURVEY, "2019")):
            self.ids += self._import(programme, period, ISSUED_ON)

    def _import(self, programme: Programme, period: str, issued_on: date) -> list[int]:
        # Each example's 图斑 lie apart from earlier examples', so none re-issues another's.
        shift = 700.0 * self.n + (300.0 if programme is Programme.CHANGE_SURVEY else 0.0)
        frame = factories.squares(2)
        frame["geometry"] = frame.geometry.translate(0, shift)
        frame["TBBH"] = [f"{programme.value}-{self.n}-{i}" for i in range(2)]
        path = factories.write(frame, self.folder / f"{programme.value}-{period}-{self.n}.gpkg")
        meta = BatchMeta(programme, period, "省厅", issued_on, date(2019, 12, 31))
        name = f"{self.n}-{path.name}"
        batch, created = import_file(
            self.store, path, meta, actor="admin", now=self.now, workers=1, source_name=name
        )
        assert created
        self.files.append((path, meta, name))
        return [f["id"] for f in self.store.features(batch["id"])]

    # --- rules ------------------------------------------------------------------------------

    @rule(data=st.data())
    def advance(self, data: st.DataObject) -> None:
        """What the case allows, by someone who may, with a valid payload and its version."""
        self._act(data, st.just(False))

    @rule(data=st.data())
    def act(self, data: st.DataObject) -> None:
        """As ``advance``, but one draw in five of each is anything at all instead."""
        self._act(data, st.integers(0, 4).map(lambda k: k == 4))

    def _act(self, data: st.DataObject, odd: st.SearchStrategy[bool]) -> None:
        self.now += timedelta(minutes=data.draw(st.integers(1, 36 * 60)))
        cid = data.draw(st.sampled_from(self.ids))
        pre = self.store.get_case(cid)
        allowed = allowed_actions(pre)
        pool = list(Action) if data.draw(odd) or not allowed else allowed
        action = data.draw(st.sampled_from(pool))
        permitted = [u for u, role in USERS.items() if may_act({role}, action)]
        user = data.draw(st.sampled_from([*USERS, "  "] if data.draw(odd) else permitted))
        if user.strip() and not may_act({USERS[user]}, action):
            event("refused by role")  # the API answers 403 without calling the store
            return
        today = local_today(self.now).isoformat()
        payload = data.draw(hostile_payloads if data.draw(odd) else _valid_payload(action, today))
        others = [None, pre.version - 1, pre.version + 1, 2**31 - 1]
        version = data.draw(st.sampled_from(others)) if data.draw(odd) else pre.version
        expected: Exception | None = None
        try:
            apply(pre, action, actor=user, at=self.now, payload=payload, issued_on=ISSUED_ON)
        except (InvalidTransition, InvalidPayload) as exc:
            expected = exc
        stale = version is not None and version != pre.version
        before = store_digest(self.store.engine)
        try:
            new = self.store.apply_action(
                cid, action.value, actor=user, payload=payload, expected_version=version,
                now=self.now,
            )  # fmt: skip
        except TubanError as exc:
            event(f"refused: {type(exc).__name__}")
            if stale:
                assert isinstance(exc, VersionConflict), exc
            elif expected is not None:
                assert type(exc) is type(expected), (exc, expected)
            else:  # only the side effects of 立案/处罚 may refuse what the workflow allowed,
                # and the site rule a 图斑 judged already_handled (no open case at its site)
                assert isinstance(exc, InvalidPayload), exc
                joins = action is A.VERIFY and exc.details.get("field") == "reason"
                assert action in (A.FILE, A.PENALISE) or joins, exc
            assert store_digest(self.store.engine) == before, "a refused action wrote something"
            return
        event(f"done: {action.value}")
        assert not stale and expected is None, (version, pre.version, expected)
        stored = self.store.get_case(cid)
        assert stored == new and stored.version == pre.version + 1
        assert len(self.store.events(cid)) == stored.version

    @rule()
    def import_the_same_file_again(self) -> None:
        path, meta, name = self.files[0]
        before = store_digest(self.store.engine)
        _, created = import_file(
            self.store, path, meta, actor="admin", now=self.now, workers=1, source_name=name
        )
        assert not created and store_digest(self.store.engine) == before

    @rule(data=st.data())
    def reissue_next_quarter(self, data: st.DataObject) -> None:
        """The next batch repeats one 图斑 of the first: it joins its case, no new case."""
        if len(self.files) > 2:
            return
        cases_before = self.store.counts()["cases"]
        ids = self._import(Programme.MINING, "2019Q4", ISSUED_ON + timedelta(days=1))
        assert self.store.counts()["cases"] == cases_before
        assert set(ids) <= set(self.ids), "a re-issued 图斑 joins the case it repeats"

    # --- invariants ---------------------------------------------------------------------------

    @invariant()
    def cases_are_the_replay_of_their_events(self) -> None:
        for cid in self.ids:
            assert self.store.get_case(cid) == self.store.rebuild_case(cid), cid

    @invariant()
    def events_name_actor_time_before_and_after_and_chain(self) -> None:
        with self.store.engine.connect() as conn:
            rows = conn.execute(case_events.select().where(case_events.c.case_id.in_(self.ids)))
            for r in rows:
                assert r.actor and r.actor.strip() == r.actor and r.at is not None
                assert r.before and r.after and "state" in r.after and "state" in r.before
        verdict = audit.verify(self.store.engine)
        assert verdict.ok, (verdict.broken, verdict.anchor_break)

    @invariant()
    def indicators_count_each_case_once_and_never_below_zero(self) -> None:
        kept = daily_counts.counts(self.store.engine)
        recomputed = aggregate(facts.live_facts(self.store.engine))
        pd.testing.assert_frame_equal(kept, recomputed, check_dtype=False)
        numbers = kept.drop(columns=["programme", "period", "township_code"])
        assert (numbers >= 0).all().all()
        assert int(kept["issued"].sum()) == self.store.counts()["cases"]
        flags = [c for c in numbers.columns if c != "issued" and not c.endswith("_m2")]
        assert (kept[flags].le(kept["issued"], axis=0)).all().all()


A = Action


@pytest.mark.parametrize("steps", [20])
def test_the_workflow_through_the_store_keeps_its_invariants(database_url, tmp_path, steps):
    engine = make_engine(database_url)
    migrate(engine)
    machine = type(
        "CaseMachineHere", (CaseMachine,), {"store": CaseStore(engine), "folder": tmp_path}
    )
    try:
        run_state_machine_as_test(
            machine,
            settings=settings(
                max_examples=15,
                stateful_step_count=steps,
                deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
            ),
        )
    finally:
        engine.dispose()
