"""The event log is tamper-evident: raw SQL edits of case events are named by ``verify``."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import text

from geo.audit_chain import GENESIS, event_hash
from geo.errors import VersionConflict
from storage import audit
from storage.imports import import_file
from tests.conftest import NOW

STEPS = [
    ("verify", {"judgment": "illegal", "reason": "unlicensed_mining", "note": "越界开采"}),
    ("approve", {}),
    ("file", {"case_no": "丰国土资罚〔2019〕3号", "filed_on": "2019-10-18"}),
    ("penalise", {"fine_yuan": 12000.5, "receipt_no": "HB01", "paid_on": "2019-10-20"}),
]


def _worked_cases(store, meta, path, n: int = 2) -> list[int]:
    batch, _ = import_file(store, path, meta, actor="t", now=NOW)
    ids = [f["id"] for f in store.features(batch["id"])][:n]
    for cid in ids:
        for i, (action, payload) in enumerate(STEPS):
            store.apply_action(
                cid, action, actor="王五", payload=payload, expected_version=i,
                now=NOW + timedelta(days=i, hours=cid),
            )  # fmt: skip
    return ids


def _sql(store, sql: str, **params) -> None:
    with store.engine.begin() as conn:
        conn.execute(text(sql), params)


def _json(store) -> str:
    return "CAST(:p AS json)" if store.engine.dialect.name == "postgresql" else ":p"


def test_untouched_store_verifies_and_hashes_follow_the_rule(store, mining_meta, squares_gpkg):
    ids = _worked_cases(store, mining_meta, squares_gpkg)
    verdict = audit.verify(store.engine)
    assert verdict.ok, verdict
    assert verdict.events == 2 * len(STEPS) and verdict.cases == 3
    with store.engine.connect() as conn:
        rows = (
            conn.execute(
                text("SELECT * FROM case_events WHERE case_id = :c ORDER BY seq"), {"c": ids[0]}
            )
            .mappings()
            .all()
        )
    assert rows[0]["prev_hash"] == GENESIS
    assert rows[1]["prev_hash"] == rows[0]["hash"]
    assert rows[0]["hash"] == event_hash(GENESIS, _decoded(store, ids[0])[0])


def _decoded(store, cid):
    from sqlalchemy import select

    from storage.tables import case_events

    with store.engine.connect() as conn:
        q = select(case_events).where(case_events.c.case_id == cid).order_by(case_events.c.seq)
        return [dict(r._mapping) for r in conn.execute(q)]


def _edit_payload(store, cid):
    _sql(store, f"UPDATE case_events SET payload = {_json(store)} WHERE case_id = :c AND seq = 4",
         p='{"fine_yuan": 1.0, "receipt_no": "HB01", "paid_on": "2019-11-09"}', c=cid)  # fmt: skip
    return 4


def _edit_actor(store, cid):
    _sql(store, "UPDATE case_events SET actor = '李四' WHERE case_id = :c AND seq = 2", c=cid)
    return 2


def _edit_state_column(store, cid):
    _sql(store, "UPDATE case_events SET state = 'closed' WHERE case_id = :c AND seq = 3", c=cid)
    return 3


def _delete_middle(store, cid):
    _sql(store, "DELETE FROM case_events WHERE case_id = :c AND seq = 2", c=cid)
    return 3  # the event after the gap is the first whose seq is wrong


def _reorder(store, cid):
    for a, b in ((2, -2), (3, 2), (-2, 3)):
        _sql(store, "UPDATE case_events SET seq = :b WHERE case_id = :c AND seq = :a",
             a=a, b=b, c=cid)  # fmt: skip
    return 2


def _rehash_forged(store, cid):
    """An editor who also recomputes the edited event's hash still breaks the next link."""
    ev = _decoded(store, cid)[1]
    ev["actor"] = "李四"
    forged = event_hash(ev["prev_hash"], ev)
    _sql(store, "UPDATE case_events SET actor = '李四', hash = :h WHERE id = :i", h=forged,
         i=ev["id"])  # fmt: skip
    return 3


@pytest.mark.parametrize(
    "tamper",
    [_edit_payload, _edit_actor, _edit_state_column, _delete_middle, _reorder, _rehash_forged],
)
def test_a_raw_sql_edit_is_named_by_verify(store, mining_meta, squares_gpkg, tamper):
    ids = _worked_cases(store, mining_meta, squares_gpkg)
    assert audit.verify(store.engine).ok
    seq = tamper(store, ids[1])
    verdict = audit.verify(store.engine)
    assert not verdict.ok
    broken = verdict.broken
    assert (broken.case_id, broken.seq) == (ids[1], seq), broken
    assert broken.expected != broken.stored
    with store.engine.connect() as conn:
        assert audit.check_case(conn, ids[0]) is None  # the other case holds
    assert audit.verify(store.engine, case_id=ids[1]).broken == broken


def test_deleting_the_latest_event_is_seen(store, mining_meta, squares_gpkg):
    ids = _worked_cases(store, mining_meta, squares_gpkg)
    _sql(store, "DELETE FROM case_events WHERE case_id = :c AND seq = 4", c=ids[0])
    broken = audit.verify(store.engine).broken
    assert (
        broken is not None and broken.case_id == ids[0] and broken.reason == "事件数与案件版本不符"
    )


def test_anchor_sees_a_deleted_tail_even_when_the_version_is_rolled_back(
    store, mining_meta, squares_gpkg
):
    ids = _worked_cases(store, mining_meta, squares_gpkg)
    written = audit.anchor(store.engine, NOW + timedelta(days=30))
    assert [a["day"] for a in written] == sorted({a["day"] for a in written})
    assert written and written[-1]["events"] == 2 * len(STEPS)
    assert audit.anchor(store.engine, NOW + timedelta(days=30)) == []  # idempotent
    assert audit.verify(store.engine).ok
    _sql(store, "DELETE FROM case_events WHERE case_id = :c AND seq = 4", c=ids[0])
    _sql(store, "UPDATE cases SET version = 3 WHERE id = :c", c=ids[0])
    verdict = audit.verify(store.engine)
    assert verdict.broken is None and verdict.anchor_break is not None
    assert "日锚" in verdict.anchor_break
    with pytest.raises(ValueError, match="日锚校验失败"):
        audit.anchor(store.engine, NOW + timedelta(days=31))


def test_concurrent_writers_keep_the_chain_linear(store, mining_meta, squares_gpkg):
    batch, _ = import_file(store, squares_gpkg, mining_meta, actor="t", now=NOW)
    cid = store.features(batch["id"])[0]["id"]
    store.apply_action(cid, "verify", actor="甲", expected_version=0, now=NOW,
                       payload={"judgment": "illegal", "reason": "unlicensed_mining"})  # fmt: skip
    store.apply_action(cid, "return_verification", actor="乙", payload={"reason": "补拍"},
                       expected_version=1, now=NOW)  # fmt: skip
    done = {"甲": 0, "乙": 0}

    def write(who: str) -> None:
        while done[who] < 8:
            try:
                note = {"note": f"{who}{done[who]}"}
                store.apply_action(
                    cid, "annotate", actor=who, payload=note, expected_version=None, now=NOW
                )
                done[who] += 1
            except VersionConflict:
                continue

    threads = [threading.Thread(target=write, args=(w,)) for w in done]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    events = _decoded(store, cid)
    assert [e["seq"] for e in events] == list(range(1, 19))
    assert all(b["prev_hash"] == a["hash"] for a, b in zip(events, events[1:], strict=False))
    assert audit.verify(store.engine).ok


def test_migration_0007_hashes_the_events_a_store_already_held(
    database_url, mining_meta, squares_gpkg
):
    from alembic import command

    from storage.engine import alembic_config, make_engine, migrate
    from storage.repository import CaseStore

    engine = make_engine(database_url)
    migrate(engine)
    old = CaseStore(engine)
    # Imported by today's code, then taken back to revision 0005 (which keeps the 图斑 and
    # drops the chain columns): a store as that revision's code left it.
    batch, _ = import_file(old, squares_gpkg, mining_meta, actor="t", now=NOW)
    cid = old.features(batch["id"])[0]["id"]
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0005")
    j = "CAST({} AS json)" if engine.dialect.name == "postgresql" else "{}"
    with engine.begin() as conn:  # an event written by the code of revision 0005
        conn.execute(
            text(
                "INSERT INTO case_events (case_id, seq, action, actor, at, before, after, payload,"
                f" state, judgment) VALUES (:c, 1, 'verify', '甲', :at, {j.format(':b')},"
                f" {j.format(':a')}, {j.format(':p')}, 'verified', 'illegal')"
            ).bindparams(
                c=cid,
                at=NOW,
                b='{"state": "issued"}',
                a='{"state": "verified"}',
                p='{"judgment": "illegal", "reason": "unlicensed_mining"}',
            )  # fmt: skip
        )
        conn.execute(
            text(
                "UPDATE cases SET version = 1, state = 'verified', judgment = 'illegal'"
                " WHERE id = :c"
            ),
            {"c": cid},
        )
    migrate(engine)
    assert audit.verify(engine).ok
    old.apply_action(cid, "approve", actor="乙", payload={}, expected_version=1, now=NOW)
    verdict = audit.verify(engine)
    engine.dispose()
    assert verdict.ok and verdict.events == 2


def test_cli_verify_exits_0_with_counts_then_1_naming_the_break(tmp_path, mining_meta):
    from typer.testing import CliRunner

    from tests import factories
    from tuban_cli.main import app

    db = tmp_path / "cli.sqlite"
    from storage.engine import make_engine, migrate, sqlite_url
    from storage.repository import CaseStore

    engine = make_engine(sqlite_url(db))
    migrate(engine)
    store = CaseStore(engine)
    ids = _worked_cases(
        store, mining_meta, factories.write(factories.squares(2), tmp_path / "k.gpkg")
    )
    runner = CliRunner()
    ok = runner.invoke(app, ["audit", "verify", "--db", str(db)])
    assert ok.exit_code == 0, ok.output
    assert "2 个图斑，8 个事件" in ok.output and "日锚" in ok.output
    _edit_actor(store, ids[1])
    bad = runner.invoke(app, ["audit", "verify", "--db", str(db)])
    engine.dispose()
    assert bad.exit_code == 1
    assert f"图斑 {ids[1]}，序号 2" in bad.output and "应为" in bad.output
