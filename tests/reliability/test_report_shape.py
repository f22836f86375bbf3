"""docs/reliability.md is the generated table, covering every check on both backends."""

from __future__ import annotations

from pathlib import Path

from benchmarks.reliability_report import HEADER, MARK
from tests.reliability.scenarios import CHECKS

DOC = Path(__file__).resolve().parents[2] / "docs" / "reliability.md"


def test_reliability_doc_is_the_generated_table_of_every_check():
    text = DOC.read_text(encoding="utf-8")
    assert text.startswith(MARK)
    assert HEADER in text
    rows = {
        tuple(c.strip() for c in line.split("|")[1:3])
        for line in text.splitlines()
        if line.startswith("| ") and line != HEADER
    }
    for check in CHECKS:
        for backend in ("sqlite", "postgresql"):
            assert (check, backend) in rows, f"docs/reliability.md has no row {check}/{backend}"
    assert "**FAILED**" not in text
