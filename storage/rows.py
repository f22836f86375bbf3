"""What SQLAlchemy hands back after a write, typed: the key a single-row INSERT created."""

from __future__ import annotations

from typing import Any

from sqlalchemy import CursorResult


def inserted_id(result: CursorResult[Any]) -> int:
    """The integer primary key the single-row INSERT behind ``result`` created."""
    key = result.inserted_primary_key
    # SQLAlchemy types the key Optional: it is None (or holds None) for an INSERT that created
    # no row it can name, e.g. INSERT ... SELECT. Here that is a programming error.
    if key is None or key[0] is None:
        raise RuntimeError("inserted_id needs a single-row INSERT that created a key")
    return int(key[0])
