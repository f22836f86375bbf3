"""Shared fixtures: a fresh store per test on each backend, and tiny layers on disk.

Every storage and API test runs twice: on the embedded SQLite store and on PostgreSQL (a
throw-away schema in the server on 127.0.0.1). Without a reachable server the PostgreSQL runs
skip on a laptop; in CI (``CI`` set) they fail instead, so a missing server can't pass quietly.
"""

from __future__ import annotations

import os
import uuid
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from geo.batch import BatchMeta
from geo.model import Programme
from storage.engine import make_engine, migrate, sqlite_url
from storage.repository import CaseStore
from tests import factories

NOW = datetime(2019, 10, 20, 9, 0, tzinfo=UTC)
PG_URL = os.environ.get("TUBAN_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _pg_schema_url() -> tuple[str, str]:
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except OperationalError as exc:
        admin.dispose()
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL at {PG_URL} is required in CI: {exc}")
        pytest.skip(f"PostgreSQL not reachable at {PG_URL}")
    admin.dispose()
    return f"{PG_URL}?options=-csearch_path%3D{schema}%2Cpublic", schema


def _drop_schema(schema: str) -> None:
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path: Path) -> str:
    if request.param == "sqlite":
        yield sqlite_url(tmp_path / "t.sqlite")
        return
    url, schema = _pg_schema_url()
    yield url
    _drop_schema(schema)


@pytest.fixture
def store(database_url: str) -> CaseStore:
    engine = make_engine(database_url)
    migrate(engine)
    yield CaseStore(engine)
    engine.dispose()


@pytest.fixture
def mining_meta() -> BatchMeta:
    return BatchMeta(
        Programme.MINING, "2019Q3", "河北省自然资源厅", date(2019, 10, 15), date(2019, 11, 30)
    )


@pytest.fixture
def squares_gpkg(tmp_path: Path) -> Path:
    return factories.write(factories.squares(3), tmp_path / "ks.gpkg")
