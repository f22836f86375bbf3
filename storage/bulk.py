"""Bulk row writes at a million-row scale: executemany on SQLite, COPY on PostgreSQL.

SQLAlchemy's per-row parameter processing costs more than the write itself at this scale, so
callers hand over plain tuples with JSON already encoded; constant values are converted once
with the column type's own bind processor, so stored values match what Core would write.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Table

_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def to_json(value: Any) -> str | None:
    return None if value is None else _ENCODER.encode(value)


def bind_constant(conn: Connection, table: Table, column: str, value: Any) -> Any:
    """``value`` as the driver should receive it for ``table.column`` (e.g. UTC timestamps)."""
    proc = table.c[column].type._cached_bind_processor(conn.dialect)  # type: ignore[attr-defined]
    return proc(value) if proc else value


def insert_rows(
    conn: Connection, table: Table, columns: Sequence[str], rows: Sequence[tuple[Any, ...]]
) -> None:
    """Insert ``rows`` (tuples in ``columns`` order) inside the caller's transaction."""
    if not rows:
        return
    cols = ", ".join(f'"{c}"' for c in columns)
    if conn.dialect.name == "postgresql":
        raw = conn.connection.driver_connection
        with raw.cursor() as cur, cur.copy(f'COPY "{table.name}" ({cols}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row(row)
        return
    marks = ", ".join("?" for _ in columns)
    conn.exec_driver_sql(f'INSERT INTO "{table.name}" ({cols}) VALUES ({marks})', list(rows))
