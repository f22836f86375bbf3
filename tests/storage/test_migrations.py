"""The Alembic migrations build exactly the schema the code's tables describe, on each backend."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from storage import spatial
from storage.tables import metadata


def test_migrated_schema_matches_the_tables(store):
    with store.engine.connect() as conn:
        opts = {"include_object": spatial.beside_metadata(conn.dialect.name)}
        diff = compare_metadata(MigrationContext.configure(conn, opts=opts), metadata)
    assert diff == []
