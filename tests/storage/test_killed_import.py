"""kill -9 in the middle of an import leaves the embedded store exactly as it was."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from tests import factories

ROOT = Path(__file__).resolve().parents[2]
ARGS = [
    "--programme",
    "mining",
    "--period",
    "2019Q3",
    "--authority",
    "河北省自然资源厅",
    "--issued-on",
    "2019-10-15",
    "--due-on",
    "2019-11-30",
    "--quiet",
]


def _run_import(src: Path, db: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "tuban_cli.main", "import", str(src), *ARGS, "--db", str(db)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def _counts(db: Path) -> tuple[int, int, str]:
    con = sqlite3.connect(db)
    try:
        b = con.execute("SELECT count(*) FROM batches").fetchone()[0]
        c = con.execute("SELECT count(*) FROM cases").fetchone()[0]
        ok = con.execute("PRAGMA integrity_check").fetchone()[0]
        return b, c, ok
    finally:
        con.close()


def test_kill_during_write_leaves_store_unchanged(tmp_path):
    db = tmp_path / "k.sqlite"
    first = factories.write(factories.squares(3), tmp_path / "first.gpkg")
    done = _run_import(first, db)
    assert done.wait(timeout=120) == 0, done.stderr.read().decode()
    before = _counts(db)
    assert before == (1, 3, "ok")

    n = 40_000
    big = factories.write(factories.grid(n), tmp_path / "big.gpkg")
    wal = db.with_name(db.name + "-wal")
    base = wal.stat().st_size if wal.exists() else 0
    proc = _run_import(big, db)
    killed_mid_write = False
    deadline = time.monotonic() + 120  # bounded wait
    while proc.poll() is None and time.monotonic() < deadline:
        # The write transaction has started once the WAL grows by a few MB.
        if wal.exists() and wal.stat().st_size > base + (4 << 20):
            os.kill(proc.pid, signal.SIGKILL)
            killed_mid_write = True
            break
        time.sleep(0.005)
    if proc.poll() is None and not killed_mid_write:
        proc.kill()
    proc.wait(timeout=30)
    assert killed_mid_write and proc.returncode == -signal.SIGKILL
    assert _counts(db) == before  # nothing half-written

    # and the store still works: the same import now runs to completion
    again = _run_import(big, db)
    assert again.wait(timeout=300) == 0, again.stderr.read().decode()
    assert _counts(db) == (2, 3 + n, "ok")
