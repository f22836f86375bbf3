"""SQLite runs with the settings under which a committed event survives power loss."""

from __future__ import annotations

from sqlalchemy import text

from storage.engine import make_engine, sqlite_url


def test_sqlite_connections_are_wal_full_sync_with_foreign_keys(tmp_path):
    engine = make_engine(sqlite_url(tmp_path / "p.sqlite"))
    with engine.connect() as conn:
        read = {
            p: conn.execute(text(f"PRAGMA {p}")).scalar_one()
            for p in ("journal_mode", "synchronous", "foreign_keys", "busy_timeout")
        }
    engine.dispose()
    # synchronous: 0 OFF, 1 NORMAL, 2 FULL, 3 EXTRA
    assert read == {
        "journal_mode": "wal",
        "synchronous": 2,
        "foreign_keys": 1,
        "busy_timeout": 30000,
    }
