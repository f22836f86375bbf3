"""Facts for the indicator engine: live from the cases, and as of a past day from the event log."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pandas as pd
import pytest

from geo.indicators import CASE_COLUMNS, aggregate, counts_columns
from storage import daily_counts, facts
from storage.imports import import_file
from tests.conftest import NOW


def at(y, m, d, h=10):
    """A local (UTC+8) wall-clock time as the UTC instant the store records."""
    return datetime(y, m, d, h, tzinfo=UTC) - timedelta(hours=8)


@pytest.fixture
def history(store, mining_meta, squares_gpkg):
    """Three 卫片 图斑 with a known history through October and November 2019."""
    batch, _ = import_file(store, squares_gpkg, mining_meta, actor="t", now=NOW)
    a, b, c = (r["id"] for r in store.features(batch["id"]))

    def act(case_id, action, *, actor, now, payload=None):
        store.apply_action(
            case_id, action, actor=actor, now=now, payload=payload, expected_version=None
        )

    act(
        a,
        "verify",
        actor="hc",
        now=at(2019, 10, 20),
        payload={"judgment": "illegal", "reason": "unlicensed_mining"},
    )
    act(a, "approve", actor="sh", now=at(2019, 10, 21))
    act(
        a,
        "file",
        actor="zf",
        now=at(2019, 10, 25),
        payload={"case_no": "丰国土罚〔2019〕1号", "filed_on": "2019-10-25"},
    )
    # b: judged illegal first, sent back, then judged legal after the cut-off day
    act(
        b,
        "verify",
        actor="hc",
        now=at(2019, 10, 22),
        payload={"judgment": "illegal", "reason": "unlicensed_mining"},
    )
    act(
        b,
        "return_verification",
        actor="sh",
        now=at(2019, 10, 31, 23),
        payload={"reason": "照片不清"},
    )
    act(
        b,
        "verify",
        actor="hc",
        now=at(2019, 11, 2),
        payload={"judgment": "legal", "reason": "permitted_mining"},
    )
    return store, (a, b, c)


def test_live_facts_are_the_cases_as_they_stand(history):
    store, (a, b, c) = history
    df = facts.live_facts(store.engine).set_index("case_id")
    assert list(df.reset_index().columns) == list(CASE_COLUMNS)
    assert df.loc[a, "state"] == "filed" and str(df.loc[a, "filed_on"]) == "2019-10-25"
    assert df.loc[b, "judgment"] == "legal" and df.loc[c, "state"] == "issued"
    assert df.loc[b, "verified_at"] == pd.Timestamp(at(2019, 11, 2))
    assert pd.isna(df.loc[c, "verified_at"])


def test_facts_as_of_a_past_day_replay_the_event_log(history):
    store, (a, b, c) = history
    df = facts.facts_as_of(store.engine, date(2019, 10, 31)).set_index("case_id")
    # b's return happened at 23:00 local on the 31st: inside the day, so it counts
    assert df.loc[b, "state"] == "rework" and df.loc[b, "judgment"] == "illegal"
    assert df.loc[b, "verified_at"] == pd.Timestamp(at(2019, 10, 22))
    assert df.loc[a, "state"] == "filed" and df.loc[a, "approved_first_time"] == True  # noqa: E712
    assert df.loc[c, "state"] == "issued" and pd.isna(df.loc[c, "verified_at"])
    early = facts.facts_as_of(store.engine, date(2019, 10, 21)).set_index("case_id")
    assert early.loc[a, "state"] == "approved" and pd.isna(early.loc[a, "filed_on"])
    assert pd.isna(early.loc[a, "enforcement_id"]) and early.loc[b, "state"] == "issued"


def test_facts_as_of_today_equal_the_live_facts(history):
    store, _ = history
    live = facts.live_facts(store.engine).sort_values("case_id").reset_index(drop=True)
    now = facts.facts_as_of(store.engine, date(2030, 1, 1)).sort_values("case_id")
    pd.testing.assert_frame_equal(live, now.reset_index(drop=True), check_dtype=False)


def test_cases_of_batches_issued_later_are_not_there_yet(history):
    store, _ = history
    assert facts.facts_as_of(store.engine, date(2019, 10, 14)).empty  # issued 10-15


def test_generation_changes_with_every_event(history):
    store, (a, b, c) = history
    g = facts.generation(store.engine)
    store.apply_action(
        c,
        "verify",
        actor="hc",
        now=at(2019, 11, 5),
        expected_version=None,
        payload={"judgment": "other", "reason": "unchanged"},
    )
    assert facts.generation(store.engine) != g


@pytest.mark.parametrize("day", [None, date(2019, 10, 21), date(2019, 10, 31), date(2030, 1, 1)])
def test_daily_counts_kept_as_work_happens_equal_the_event_log_replay(history, day):
    store, _ = history
    per_case = (
        facts.live_facts(store.engine) if day is None else facts.facts_as_of(store.engine, day)
    )
    expected = aggregate(per_case)
    got = daily_counts.counts(store.engine, as_of=day)
    assert list(got.columns) == counts_columns()
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)
    if day == date(2019, 10, 31):
        row = got.iloc[0]
        assert (row["issued"], row["verified"], row["illegal"], row["illegal_filed"]) == (
            3,
            2,
            2,
            1,
        )


def test_rebuilt_daily_counts_equal_the_ones_kept_as_work_happened(history):
    store, _ = history
    kept = {d: daily_counts.counts(store.engine, as_of=d) for d in DAYS}
    daily_counts.rebuild(store.engine)
    for d in DAYS:
        pd.testing.assert_frame_equal(
            daily_counts.counts(store.engine, as_of=d), kept[d], check_dtype=False
        )


DAYS = (date(2019, 10, 14), date(2019, 10, 21), date(2019, 10, 31), None)


def test_import_stores_the_delivered_land_class_before(store, tmp_path):
    from geo.batch import BatchMeta
    from geo.model import Programme
    from tests import factories

    f = factories.squares(3)
    f["QSXDL"] = ["0103", "0201", None]
    path = factories.write(f, tmp_path / "td.gpkg")
    meta = BatchMeta(Programme.LAND, "2019Q3", "省厅", date(2019, 10, 15), date(2019, 11, 30))
    import_file(store, path, meta, actor="t", now=NOW)
    live = facts.live_facts(store.engine).sort_values("case_id")
    assert [None if pd.isna(v) else v for v in live["land_class_before"]] == ["0103", "0201", None]


def test_rebuild_over_a_realistic_spread_equals_the_counts_kept(store, tmp_path):
    """Four batches of three programmes in two townships, 400 random actions (reopenings,
    returns, payments): the rebuild from the event log books what each action booked, on
    every day, and both agree with the per-case replay."""
    from tests.storage.test_drill import build_spread

    build_spread(store, tmp_path)
    days = [date(2019, 10, 14) + timedelta(days=4 * i) for i in range(40)] + [None]
    kept = {d: daily_counts.counts(store.engine, as_of=d) for d in days}
    assert int(kept[None]["verified"].sum()) >= 10
    assert daily_counts.rebuild(store.engine) > 0
    for d in days:
        got = daily_counts.counts(store.engine, as_of=d)
        pd.testing.assert_frame_equal(got, kept[d], check_dtype=False, obj=str(d))
    for d in days[::8]:
        replay = facts.live_facts(store.engine) if d is None else facts.facts_as_of(store.engine, d)
        pd.testing.assert_frame_equal(kept[d], aggregate(replay), check_dtype=False, obj=str(d))


def test_rebuild_books_an_event_a_moment_before_local_midnight_on_its_day(history):
    """The rebuild reads event times in whole seconds on PostgreSQL: a verification at
    23:59:59.9 local still counts on that day, for its day and for its deadline."""
    store, (_, _, c) = history
    store.apply_action(
        c,
        "verify",
        actor="hc",
        now=datetime(2019, 11, 30, 15, 59, 59, 900_000, tzinfo=UTC),  # 23:59:59.9 local, due day
        expected_version=None,
        payload={"judgment": "other", "reason": "unchanged"},
    )
    days = (date(2019, 11, 29), date(2019, 11, 30), date(2019, 12, 1))
    kept = {d: daily_counts.counts(store.engine, as_of=d) for d in days}
    assert kept[days[1]]["verified_on_time"].sum() == kept[days[0]]["verified_on_time"].sum() + 1
    daily_counts.rebuild(store.engine)
    for d in days:
        pd.testing.assert_frame_equal(
            daily_counts.counts(store.engine, as_of=d), kept[d], check_dtype=False
        )


def test_rebuild_reads_township_codes_as_written(history):
    """On PostgreSQL the rebuild reads its slices as CSV text: a code with a leading zero, one
    with a comma, quotes and a line break (township codes come from files), and an empty one
    come back as written, and the rebuilt counts equal the per-case replay's."""
    from sqlalchemy import update

    from storage.tables import cases

    store, ids = history
    codes = ["0103", '镇,"甲"\n乙', None]
    with store.engine.begin() as conn:
        for case_id, code in zip(ids, codes, strict=True):
            conn.execute(update(cases).where(cases.c.id == case_id).values(township_code=code))
    daily_counts.rebuild(store.engine)
    got = daily_counts.counts(store.engine)
    assert set(got["township_code"]) == {"0103", '镇,"甲"\n乙', ""}
    expected = aggregate(facts.live_facts(store.engine))
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)
