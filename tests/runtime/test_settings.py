"""Settings: TUBAN_* variables, the CLI's --db, and where evidence lives."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from runtime.settings import Settings, load_settings


@pytest.mark.parametrize(
    ("text", "workers"), [("", None), ("  ", None), ("0", 1), ("1", 1), (" 3 ", 3), ("-2", 1)]
)
def test_import_workers_come_from_the_environment(monkeypatch, text, workers):
    monkeypatch.setenv("TUBAN_IMPORT_WORKERS", text)
    assert Settings().import_workers == workers


def test_import_workers_unset_lets_the_importer_choose(monkeypatch):
    monkeypatch.delenv("TUBAN_IMPORT_WORKERS", raising=False)
    assert Settings().import_workers is None


def test_import_workers_not_a_number_is_refused_by_name(monkeypatch):
    monkeypatch.setenv("TUBAN_IMPORT_WORKERS", "two")
    with pytest.raises(ValidationError, match="TUBAN_IMPORT_WORKERS 应为整数"):
        Settings()


def test_db_file_puts_photos_and_reports_beside_it(tmp_path):
    s = load_settings(tmp_path / "a" / "x.sqlite")
    assert s.database_url == f"sqlite:///{(tmp_path / 'a' / 'x.sqlite').resolve()}"
    assert s.photos_dir == tmp_path / "a" / "photos"
    assert s.reports_dir == tmp_path / "a" / "reports"
    assert s.evidence_dir() == tmp_path / "a" / "evidence"


def test_without_db_file_the_environment_decides(monkeypatch, tmp_path):
    monkeypatch.setenv("TUBAN_DATABASE_URL", "postgresql://u@127.0.0.1/tuban")
    monkeypatch.setenv("TUBAN_PHOTOS_DIR", str(tmp_path / "p"))
    s = load_settings()
    assert s.database_url == "postgresql://u@127.0.0.1/tuban"
    assert s.evidence_dir() == Path(tmp_path / "evidence")
