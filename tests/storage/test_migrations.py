"""The Alembic migrations build exactly the schema the code's tables describe, on each backend."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from storage.tables import metadata

# PostGIS's own table, in schema public: the tests' search path reaches it (PostGIS functions
# live there), and reflection lists every table the search path makes visible.
POSTGIS_TABLES = {"spatial_ref_sys"}


def _ours(name, type_, parent_names) -> bool:
    return not (type_ == "table" and name in POSTGIS_TABLES)


def test_migrated_schema_matches_the_tables(store):
    with store.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_name": _ours})
        diff = compare_metadata(context, metadata)
    assert diff == []
