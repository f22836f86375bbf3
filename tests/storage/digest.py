"""One hash of everything a store holds, to prove that something left it exactly as it was."""

from __future__ import annotations

import hashlib
from collections.abc import Collection

from sqlalchemy import Engine, select

from storage.tables import metadata


def store_digest(engine: Engine, *, leave: Collection[str] = ()) -> str:
    """A hash of every row of every table (but those named in ``leave``), in key order: equal
    digests, equal stores."""
    h = hashlib.sha256()
    with engine.connect() as conn:
        for table in metadata.sorted_tables:
            if table.name in leave:
                continue
            order = list(table.primary_key.columns) or list(table.columns)
            for row in conn.execute(select(table).order_by(*order)):
                h.update(table.name.encode() + repr(tuple(row)).encode())
    return h.hexdigest()
