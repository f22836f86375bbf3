"""Shared fixtures: an embedded store per test, and tiny layers on disk."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from geo.model import Programme
from storage.engine import make_engine, migrate, sqlite_url
from storage.repository import BatchMeta, CaseStore
from tests import factories

NOW = datetime(2019, 10, 20, 9, 0, tzinfo=UTC)


@pytest.fixture
def store(tmp_path: Path) -> CaseStore:
    engine = make_engine(sqlite_url(tmp_path / "t.sqlite"))
    migrate(engine)
    yield CaseStore(engine)
    engine.dispose()


@pytest.fixture
def mining_meta() -> BatchMeta:
    return BatchMeta(Programme.MINING, "2019Q3", "河北省自然资源厅", date(2019, 10, 15),
                     date(2019, 11, 30))


@pytest.fixture
def squares_gpkg(tmp_path: Path) -> Path:
    return factories.write(factories.squares(3), tmp_path / "ks.gpkg")
