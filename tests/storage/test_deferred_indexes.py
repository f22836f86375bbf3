"""A large import builds the store's indexes after its rows, inside the same transaction.

On SQLite the plain indexes of ``cases`` and ``reissues`` are dropped for a big write and
created again before commit; a failed or killed import must leave them exactly as they were.
"""

from __future__ import annotations

import dataclasses
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, Text, text

from storage import batch_writer as writer_module
from storage import bulk
from storage.engine import make_engine, migrate, sqlite_url
from storage.imports import import_file
from storage.repository import CaseStore
from tests import factories
from tests.conftest import NOW

ROOT = Path(__file__).resolve().parents[2]


def _indexes(store: CaseStore) -> list[tuple]:
    """Every index of the store as (table, name, definition), on either backend."""
    with store.engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            q = "SELECT tbl_name, name, sql FROM sqlite_master WHERE type = 'index' ORDER BY name"
        else:
            q = (
                "SELECT tablename, indexname, indexdef FROM pg_indexes "
                "WHERE schemaname = current_schema() ORDER BY indexname"
            )
        return [tuple(r) for r in conn.execute(text(q))]


def _layer_with_duplicates(tmp_path: Path, n: int) -> Path:
    """``n`` squares, the last two repeating the first two (so reissues get rows too)."""
    f = factories.grid(n)
    f.loc[n - 2 :, "geometry"] = f.geometry.iloc[:2].to_numpy()
    return factories.write(f, tmp_path / "grid.gpkg")


def test_large_import_keeps_every_index_as_it_was(store, mining_meta, tmp_path, monkeypatch):
    monkeypatch.setattr(bulk, "DEFER_MIN_ROWS", 10)
    deferred = []
    real = bulk.indexes_deferred

    def spy(conn, table, incoming):
        cm = real(conn, table, incoming)

        class Wrap:
            def __enter__(self):
                done = cm.__enter__()
                deferred.append((table.name, done))
                return done

            def __exit__(self, *exc):
                return cm.__exit__(*exc)

        return Wrap()

    monkeypatch.setattr(writer_module, "indexes_deferred", spy)
    before = _indexes(store)
    batch, created = import_file(
        store, _layer_with_duplicates(tmp_path, 60), mining_meta, actor="t", now=NOW
    )
    assert created and batch["new_cases"] == 58
    is_sqlite = store.engine.dialect.name == "sqlite"
    assert deferred == [("cases", is_sqlite), ("reissues", False)]  # 2 reissues: below 10
    assert _indexes(store) == before
    with store.engine.connect() as conn:
        # the rebuilt indexes hold every row: the bbox and code indexes find what a scan finds
        q = "SELECT count(*) FROM cases WHERE minx > -1000 AND programme = 'mining'"
        assert conn.execute(text(q)).scalar() == 58
        if is_sqlite:
            assert conn.execute(text("PRAGMA integrity_check")).scalar() == "ok"


def test_only_a_batch_large_against_the_table_defers(tmp_path):
    engine = make_engine(sqlite_url(tmp_path / "s.sqlite"))
    migrate(engine)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
        conn.exec_driver_sql("CREATE INDEX ix_t_v ON t (v)")
        conn.exec_driver_sql("INSERT INTO t (v) VALUES ('a')")
        has_index = "SELECT count(*) FROM sqlite_master WHERE name = 'ix_t_v'"
        t = Table("t", MetaData(), Column("id", Integer, primary_key=True), Column("v", Text))
        with bulk.indexes_deferred(conn, t, bulk.DEFER_MIN_ROWS) as done:
            assert done
            assert conn.exec_driver_sql(has_index).scalar() == 0
        assert conn.exec_driver_sql(has_index).scalar() == 1
        conn.exec_driver_sql(
            "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 50000) "
            "INSERT INTO t (v) SELECT i FROM s"
        )
        with bulk.indexes_deferred(conn, t, bulk.DEFER_MIN_ROWS) as done:
            assert not done  # 20 000 rows into 50 001: keeping the index costs less
        with bulk.indexes_deferred(conn, t, 10) as done:
            assert not done  # small writes never defer
    engine.dispose()


def test_failed_write_leaves_indexes_and_rows_as_they_were(
    store, mining_meta, tmp_path, monkeypatch
):
    monkeypatch.setattr(bulk, "DEFER_MIN_ROWS", 10)
    monkeypatch.setattr(writer_module, "WRITE_CHUNK", 20)
    first = factories.write(factories.squares(3), tmp_path / "first.gpkg")
    import_file(store, first, mining_meta, actor="t", now=NOW)
    before, counts = _indexes(store), store.counts()
    calls = []
    real = writer_module.insert_rows

    def fail_second_slice(conn, table, columns, rows):
        calls.append(table.name)
        if len(calls) == 2:  # the indexes are dropped and some rows written by now
            raise RuntimeError("disk full")
        return real(conn, table, columns, rows)

    monkeypatch.setattr(writer_module, "insert_rows", fail_second_slice)
    big = factories.write(factories.grid(60), tmp_path / "big.gpkg")
    meta = dataclasses.replace(mining_meta, period="2019Q4")
    with pytest.raises(RuntimeError, match="disk full"):
        import_file(store, big, meta, actor="t", now=NOW)
    assert calls == ["cases", "cases"]
    assert _indexes(store) == before
    assert store.counts() == counts


def test_killed_large_import_leaves_the_indexes(tmp_path):
    db = tmp_path / "k.sqlite"
    engine = make_engine(sqlite_url(db))
    migrate(engine)
    engine.dispose()
    con = sqlite3.connect(db)
    before = con.execute("SELECT name, sql FROM sqlite_master ORDER BY name").fetchall()
    con.close()
    big = factories.write(factories.grid(40_000), tmp_path / "big.gpkg")
    wal = db.with_name(db.name + "-wal")
    base = wal.stat().st_size if wal.exists() else 0
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tuban_cli.main",
            "import",
            str(big),
            "--programme",
            "land",
            "--period",
            "2024Q1",
            "--authority",
            "河北省自然资源厅",
            "--issued-on",
            "2024-04-01",
            "--due-on",
            "2024-06-30",
            "--quiet",
            "--db",
            str(db),
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    killed = False
    deadline = time.monotonic() + 120
    while proc.poll() is None and time.monotonic() < deadline:
        # Once the WAL holds several MB, rows are being written with the indexes dropped.
        if wal.exists() and wal.stat().st_size > base + (4 << 20):
            os.kill(proc.pid, signal.SIGKILL)
            killed = True
            break
        time.sleep(0.005)
    if proc.poll() is None and not killed:
        proc.kill()
    proc.wait(timeout=30)
    assert killed and proc.returncode == -signal.SIGKILL
    con = sqlite3.connect(db)
    try:
        assert con.execute("SELECT name, sql FROM sqlite_master ORDER BY name").fetchall() == before
        assert con.execute("SELECT count(*) FROM cases").fetchone()[0] == 0
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        con.close()
