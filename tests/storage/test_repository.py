"""CaseStore on the embedded store: atomic import, actions with events, conflicts, rebuild."""

from __future__ import annotations

from datetime import timedelta

import pytest

from geo.errors import InvalidGeometry, InvalidTransition, VersionConflict
from geo.model import State
from storage.imports import import_file
from tests import factories
from tests.conftest import NOW


def test_import_creates_one_issued_case_per_parcel(store, mining_meta, squares_gpkg):
    batch, created = import_file(store, squares_gpkg, mining_meta, actor="t", now=NOW)
    assert created and batch["feature_count"] == 3
    assert batch["source_crs"] == "EPSG:4527"
    rows = store.features(batch["id"])
    assert [r["state"] for r in rows] == ["issued"] * 3
    assert all(r["version"] == 0 for r in rows)
    assert rows[0]["area_m2"] == pytest.approx(10000, rel=5e-3)


def test_reimport_same_file_is_idempotent(store, mining_meta, squares_gpkg):
    b1, c1 = import_file(store, squares_gpkg, mining_meta, actor="t", now=NOW)
    b2, c2 = import_file(store, squares_gpkg, mining_meta, actor="t", now=NOW)
    assert c1 and not c2 and b1["id"] == b2["id"]
    assert store.counts() == {"batches": 1, "cases": 3, "events": 0}


def test_bad_file_leaves_store_unchanged(store, mining_meta, squares_gpkg, tmp_path):
    import_file(store, squares_gpkg, mining_meta, actor="t", now=NOW)
    before = store.counts()
    f = factories.squares(50)
    f.loc[49, "geometry"] = factories.degenerate()  # the very last row is bad
    bad = factories.write(f, tmp_path / "bad.gpkg")
    with pytest.raises(InvalidGeometry) as exc:
        import_file(store, bad, mining_meta, actor="t", now=NOW)
    assert exc.value.details["row"] == 50
    assert store.counts() == before


def test_database_failure_mid_insert_rolls_back(store, mining_meta, squares_gpkg, monkeypatch):
    from storage import batch_writer

    real = batch_writer.insert_rows
    calls = []

    def failing_after_cases(conn, table, columns, rows):
        calls.append(table.name)
        real(conn, table, columns, rows)  # the cases are written ...
        if table.name == "reissues":
            raise RuntimeError("disk full")  # ... then the write fails

    monkeypatch.setattr(batch_writer, "insert_rows", failing_after_cases)
    with pytest.raises(RuntimeError):
        import_file(store, squares_gpkg, mining_meta, actor="t", now=NOW)
    assert calls == ["cases", "reissues"]
    assert store.counts() == {"batches": 0, "cases": 0, "events": 0}


def _first_case(store, path, meta):
    batch, _ = import_file(store, path, meta, actor="t", now=NOW)
    return store.features(batch["id"])[0]["id"]


def test_action_updates_case_and_appends_event(store, mining_meta, squares_gpkg):
    cid = _first_case(store, squares_gpkg, mining_meta)
    c = store.apply_action(
        cid,
        "verify",
        actor="王五",
        payload={"judgment": "illegal", "reason": "unlicensed_mining"},
        expected_version=0,
        now=NOW,
    )
    assert c.state is State.VERIFIED and c.version == 1
    assert store.get_case(cid) == c
    [ev] = store.events(cid)
    assert (ev.actor, ev.at, ev.before["state"], ev.after["state"]) == (
        "王五",
        NOW,
        State.ISSUED,
        State.VERIFIED,
    )


def test_stale_version_gets_conflict_and_writes_nothing(store, mining_meta, squares_gpkg):
    cid = _first_case(store, squares_gpkg, mining_meta)
    store.apply_action(
        cid,
        "verify",
        actor="甲",
        payload={"judgment": "illegal", "reason": "unlicensed_mining"},
        expected_version=0,
        now=NOW,
    )
    with pytest.raises(VersionConflict) as exc:
        store.apply_action(
            cid,
            "file",
            actor="乙",
            expected_version=0,
            now=NOW,
            payload={"case_no": "X1", "filed_on": "2019-11-01"},
        )
    assert exc.value.details["current_version"] == 1
    assert store.get_case(cid).state is State.VERIFIED
    assert len(store.events(cid)) == 1


def test_invalid_transition_writes_nothing(store, mining_meta, squares_gpkg):
    cid = _first_case(store, squares_gpkg, mining_meta)
    with pytest.raises(InvalidTransition):
        store.apply_action(cid, "close", actor="甲", payload={}, expected_version=None, now=NOW)
    assert store.get_case(cid).version == 0 and store.events(cid) == []


def test_case_can_be_rebuilt_from_its_events(store, mining_meta, squares_gpkg):
    cid = _first_case(store, squares_gpkg, mining_meta)
    steps = [
        ("verify", {"judgment": "illegal", "reason": "unlicensed_mining", "note": "越界开采"}),
        ("approve", {}),
        ("file", {"case_no": "丰国土资罚〔2019〕3号", "filed_on": "2019-10-16"}),
        ("penalise", {"fine_yuan": 12000.5, "receipt_no": "HB01", "paid_on": "2019-10-18"}),
        ("rectify", {"rectified_on": "2019-10-19"}),
        ("close", {}),
    ]
    for i, (a, p) in enumerate(steps):
        store.apply_action(
            cid, a, actor="甲", payload=p, expected_version=i, now=NOW + timedelta(days=i)
        )
    current = store.get_case(cid)
    assert current.state is State.CLOSED and current.fine_yuan == 12000.5
    assert store.rebuild_case(cid) == current


def test_cases_frame_has_batch_period_and_due(store, mining_meta, squares_gpkg):
    cid = _first_case(store, squares_gpkg, mining_meta)
    store.apply_action(
        cid,
        "verify",
        actor="甲",
        payload={"judgment": "legal", "reason": "approved"},
        expected_version=0,
        now=NOW,
    )
    df = store.cases_frame()
    assert len(df) == 3
    row = df.set_index("case_id").loc[cid]
    assert row["period"] == "2019Q3" and row["due_on"] == mining_meta.due_on
    assert row["judgment"] == "legal" and row["verified_at"] == NOW
