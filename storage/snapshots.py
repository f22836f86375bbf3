"""Indicator values frozen at a reporting date, so a report can show them and what changed."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.exc import IntegrityError

from geo.errors import Conflict, InvalidPayload, NotFound
from storage.rows import inserted_id
from storage.tables import indicator_snapshots


class SnapshotStore:
    """Named, dated snapshots (快照) of a year's indicator table; a name is unique per year."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def save(
        self,
        *,
        year: int,
        label: str,
        as_of: date,
        goal_version: int,
        projects: list[dict[str, Any]],
        actor: str,
        now: datetime,
    ) -> dict[str, Any]:
        """Freeze ``projects`` (the indicator table as of ``as_of``) under a label; returns it."""
        label = (label or "").strip()
        if not label or len(label) > 100:
            raise InvalidPayload("快照名称须为 1–100 个字", field="label")
        if as_of.year != year:
            raise InvalidPayload(f"快照日期 {as_of} 不在 {year} 年内", field="as_of")
        row = {
            "year": year,
            "label": label,
            "as_of": as_of,
            "goal_version": goal_version,
            "projects": projects,
            "taken_by": actor,
            "taken_at": now,
        }
        try:
            with self.engine.begin() as conn:
                new_id = inserted_id(conn.execute(indicator_snapshots.insert().values(**row)))
        except IntegrityError:
            raise Conflict(f"{year} 年已有名为“{label}”的快照", year=year, label=label) from None
        return {"id": new_id, **row}

    def list(self, year: int | None = None) -> list[dict[str, Any]]:
        """Snapshots (without their frozen tables), oldest reporting date first."""
        cols = [c for c in indicator_snapshots.c if c.name != "projects"]
        q = select(*cols).order_by(indicator_snapshots.c.as_of, indicator_snapshots.c.id)
        if year is not None:
            q = q.where(indicator_snapshots.c.year == year)
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(q)]

    def get(self, snapshot_id: int) -> dict[str, Any]:
        """One snapshot with its frozen table; NotFound otherwise."""
        q = select(indicator_snapshots).where(indicator_snapshots.c.id == snapshot_id)
        with self.engine.connect() as conn:
            row = conn.execute(q).first()
        if row is None:
            raise NotFound(f"没有快照 {snapshot_id}", snapshot_id=snapshot_id)
        return dict(row._mapping)

    def count(self) -> int:
        """How many snapshots exist, over all years."""
        with self.engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(indicator_snapshots)).scalar_one()


def info(snapshot: dict[str, Any]) -> dict[str, Any]:
    """What a report says about the snapshot it shows."""
    return {
        "id": snapshot["id"],
        "label": snapshot["label"],
        "as_of": snapshot["as_of"].isoformat(),
        "taken_at": snapshot["taken_at"].isoformat(),
        "taken_by": snapshot["taken_by"],
        "goal_version": snapshot["goal_version"],
    }
