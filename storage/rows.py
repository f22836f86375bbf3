"""What SQLAlchemy hands back after a write, typed: the key a single-row INSERT created."""

from __future__ import annotations

from typing import Any

from sqlalchemy import CursorResult


def inserted_id(result: CursorResult[Any]) -> int:
    """The primary key the single-row INSERT behind ``result`` created."""
    key = result.inserted_primary_key
    # SQLAlchemy types this Optional: it is None only for statements that are not a
    # single-row INSERT, which would be a programming error here, not bad input.
    if key is None:
        raise TypeError("inserted_id needs the result of a single-row INSERT")
    return int(key[0])
