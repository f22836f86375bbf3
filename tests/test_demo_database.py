"""``tuban demo`` loads into the database TUBAN_DATABASE_URL names (PostgreSQL/PostGIS here),
not into its SQLite demo file."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from storage.engine import make_engine
from tests.conftest import _drop_schema, _pg_schema_url
from tuban_cli.main import DEMO_DB, app


@pytest.fixture
def pg_url():
    url, schema = _pg_schema_url()
    yield url
    _drop_schema(schema)


def test_demo_loads_into_the_database_of_the_environment(pg_url, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # where the SQLite demo file would land
    monkeypatch.setenv("TUBAN_DATABASE_URL", pg_url)
    r = CliRunner().invoke(app, ["demo", "--no-serve", "--no-history"])
    assert r.exit_code == 0, r.output
    assert not (tmp_path / DEMO_DB).exists()
    engine = make_engine(pg_url)
    with engine.connect() as conn:
        n_cases = conn.execute(text("SELECT count(*) FROM cases")).scalar_one()
        kinds = set(conn.execute(text("SELECT DISTINCT GeometryType(geom) FROM cases")).scalars())
        n_refs = conn.execute(text("SELECT count(*) FROM ref_features")).scalar_one()
        srid = set(conn.execute(text("SELECT DISTINCT ST_SRID(geom) FROM ref_features")).scalars())
    engine.dispose()
    assert n_cases > 0 and n_refs > 0
    assert kinds == {"MULTIPOLYGON"} and srid == {4490}
    assert "已导入" in r.output


def test_demo_without_a_database_url_uses_its_sqlite_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TUBAN_DATABASE_URL", raising=False)
    r = CliRunner().invoke(app, ["demo", "--no-serve", "--no-history"])
    assert r.exit_code == 0, r.output
    assert (tmp_path / DEMO_DB).exists()
