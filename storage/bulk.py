"""Bulk row writes at a million-row scale: executemany on SQLite, COPY on PostgreSQL (via a
staging table for a PostGIS table: ``storage.spatial.staged_insert``).

SQLAlchemy's per-row parameter processing costs more than the write itself at this scale, so
callers hand over plain tuples with JSON already encoded; constant values are converted once
with the column type's own bind processor, so stored values match what Core would write.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, Table

from storage import spatial

_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def to_json(value: Any) -> str | None:
    """``value`` as JSON text for a JSON column, None stays NULL."""
    return None if value is None else _ENCODER.encode(value)


def bind_constant(conn: Connection, table: Table, column: str, value: Any) -> Any:
    """``value`` as the driver should receive it for ``table.column`` (e.g. UTC timestamps)."""
    proc = table.c[column].type._cached_bind_processor(conn.dialect)
    return proc(value) if proc else value


def insert_rows(
    conn: Connection, table: Table, columns: Sequence[str], rows: Sequence[tuple[Any, ...]]
) -> None:
    """Insert ``rows`` (tuples in ``columns`` order) inside the caller's transaction."""
    if not rows:
        return
    cols = ", ".join(f'"{c}"' for c in columns)
    if conn.dialect.name == "postgresql":
        target, finish = table.name, None
        if spatial.postgis_table(conn, table):  # WKB into a staging table, geometry made after
            target = f"stage_{table.name}"
            create, finish = spatial.staged_insert(table, columns, target)
            for statement in create:
                conn.exec_driver_sql(statement)
        raw = conn.connection.driver_connection
        assert raw is not None  # a checked-out connection always holds its DBAPI connection
        with raw.cursor() as cur, cur.copy(f'COPY "{target}" ({cols}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row(row)
        if finish is not None:
            conn.exec_driver_sql(finish)
            conn.exec_driver_sql(f'DROP TABLE "{target}"')
        return
    marks = ", ".join("?" for _ in columns)
    conn.exec_driver_sql(f'INSERT INTO "{table.name}" ({cols}) VALUES ({marks})', list(rows))


# Below this many incoming rows, keeping the indexes up to date row by row costs little.
DEFER_MIN_ROWS = 20_000


@contextmanager
def indexes_deferred(conn: Connection, table: Table, incoming: int) -> Iterator[bool]:
    """On SQLite, drop ``table``'s plain indexes for a large write and build them again after it.

    Inserting a million rows into B-trees keyed on random values (bounding boxes, township
    codes) dirties index pages all over the file, which spill from the page cache again and
    again; building each index once from the finished table sorts instead, about twice as fast
    in all. Both happen inside the caller's transaction (SQLite's DDL is transactional), so a
    failed or killed import leaves the indexes exactly as they were. Only when the batch is at
    least half the size of the table: rebuilding reads every row already stored. Partial
    indexes (``WHERE ...``) hold almost nothing at import time and are left alone.
    PostgreSQL keeps its indexes: DROP INDEX would lock the table against readers until commit.
    A table's R*Tree is left out of any large insert and filled after it
    (``storage.spatial.rtree_deferred``). Yields whether the indexes were deferred.
    """
    raw = conn.connection.driver_connection if conn.dialect.name == "sqlite" else None
    if raw is None or incoming < DEFER_MIN_ROWS or not raw.in_transaction:
        yield False
        return
    # The R*Tree is filled once after the insert whatever the table's size: only new rows go in.
    with spatial.rtree_deferred(conn, table):
        stored = conn.exec_driver_sql(f'SELECT max(rowid) FROM "{table.name}"').scalar() or 0
        if incoming * 2 < stored:
            yield False
            return
        indexes = conn.exec_driver_sql(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? "
            "AND sql IS NOT NULL ORDER BY name",
            (table.name,),
        ).all()
        plain = [(name, sql) for name, sql in indexes if " WHERE " not in sql.upper()]
        for name, _ in plain:
            conn.exec_driver_sql(f'DROP INDEX "{name}"')
        yield True
        for _, sql in plain:  # the statements SQLite kept: the indexes come back as they were
            conn.exec_driver_sql(sql)


def analyze(engine: Engine, *tables: Table) -> None:
    """On PostgreSQL, refresh the planner's statistics of ``tables`` after a large write.

    Autovacuum would get there too, but only after a while: until then the planner guesses a
    freshly imported table's size and may scan it instead of using the GiST index. Run after
    the import's commit (it writes only statistics), so the import itself stays one
    transaction. SQLite needs none: its box queries are driven from the R*Tree by their form
    (``storage.spatial.within``), not by statistics.
    """
    if engine.dialect.name != "postgresql":
        return
    with engine.connect() as conn:
        for t in tables:
            conn.exec_driver_sql(f'ANALYZE "{t.name}"')
        conn.commit()
