"""The quick response's deadlines as the bureau edits them (table ``patrol_rules``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, select

from geo.deadlines import Deadlines
from storage.tables import patrol_rules


def current_in(conn: Connection) -> Deadlines:
    """The deadlines in force: the latest saved, or the defaults when none was ever saved."""
    doc = conn.execute(
        select(patrol_rules.c.doc).order_by(patrol_rules.c.id.desc()).limit(1)
    ).scalar_one_or_none()
    return Deadlines.from_doc(doc)


class PatrolRules:
    """Read and save the deadlines; every save is a new row, so past rules stay on record."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def current(self) -> Deadlines:
        """The deadlines in force."""
        with self.engine.connect() as conn:
            return current_in(conn)

    def history(self) -> list[dict[str, Any]]:
        """Every saved version, newest first."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(patrol_rules).order_by(patrol_rules.c.id.desc()))
            return [dict(r._mapping) for r in rows]

    def save(
        self, doc: dict[str, Any], *, by: str, now: datetime, note: str | None = None
    ) -> Deadlines:
        """Save ``doc`` (validated: unknown keys, bad values refused) over the current rules."""
        rules = Deadlines.from_doc({**self.current().to_doc(), **doc})
        with self.engine.begin() as conn:
            conn.execute(
                patrol_rules.insert().values(
                    doc=rules.to_doc(), note=note, created_by=by, created_at=now
                )
            )
        return rules
