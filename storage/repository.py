"""CaseStore: batches, cases and events on any SQLAlchemy engine (SQLite or PostgreSQL)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import pandas as pd
import shapely
from sqlalchemy import Engine, and_, func, select

from geo.errors import DuplicateBatch, InvalidValue, NotFound, VersionConflict
from geo.indicators import CASE_COLUMNS
from geo.layers import ParcelLayer
from geo.model import Case, Event, Judgment, Programme, State, coerce_fields, to_jsonable
from geo.workflow import apply, replay
from storage.tables import batches, case_events, cases

_MILESTONES = [c for c in Case.__dataclass_fields__ if c not in ("id", "programme")]


@dataclass(frozen=True)
class BatchMeta:
    """What the issuing authority says about a batch; the file says the rest."""

    programme: Programme
    period: str
    authority: str
    issued_on: date
    due_on: date


def _row_to_case(row: Any) -> Case:
    m = row._mapping
    values = {k: m[k] for k in _MILESTONES}
    values["state"] = State(values["state"])
    values["judgment"] = Judgment(values["judgment"]) if values["judgment"] else None
    return Case(id=m["id"], programme=Programme(m["programme"]), **values)


class CaseStore:
    """All reads and writes of batches, cases and case events go through here."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # --- batches ------------------------------------------------------------------------------

    def import_batch(
        self,
        layer: ParcelLayer,
        meta: BatchMeta,
        *,
        source_sha256: str,
        actor: str,
        now: datetime,
    ) -> tuple[dict[str, Any], bool]:
        """Store a batch and one case per 图斑 in one transaction.

        Returns (batch, created). Importing the same file again for the same programme and
        period returns the existing batch and changes nothing.
        """
        if meta.due_on < meta.issued_on:
            raise InvalidValue(
                "截止日期早于下发日期",
                field="due_on",
                issued_on=meta.issued_on.isoformat(),
                due_on=meta.due_on.isoformat(),
            )
        with self.engine.begin() as conn:
            existing = conn.execute(
                select(batches.c.id).where(
                    batches.c.source_sha256 == source_sha256,
                    batches.c.programme == meta.programme.value,
                    batches.c.period == meta.period,
                )
            ).scalar()
            if existing is not None:
                return self._batch(conn, existing), False
            clash = conn.execute(
                select(batches.c.id, batches.c.source_name).where(
                    batches.c.programme == meta.programme.value,
                    batches.c.period == meta.period,
                    batches.c.source_name == layer.source_name,
                )
            ).first()
            if clash is not None:
                raise DuplicateBatch(
                    f"{meta.period} {meta.programme.label} 已导入过同名但内容不同的文件",
                    file=layer.source_name,
                    batch_id=clash.id,
                )
            minx, miny, maxx, maxy = layer.bounds
            frame = layer.frame
            batch_id = conn.execute(
                batches.insert().values(
                    programme=meta.programme.value,
                    period=meta.period,
                    authority=meta.authority,
                    issued_on=meta.issued_on,
                    due_on=meta.due_on,
                    source_name=layer.source_name,
                    source_sha256=source_sha256,
                    source_crs=layer.source_crs,
                    encoding=layer.encoding,
                    feature_count=len(frame),
                    area_m2=float(frame["area_m2"].sum()),
                    minx=minx,
                    miny=miny,
                    maxx=maxx,
                    maxy=maxy,
                    imported_at=now,
                    imported_by=actor,
                )
            ).inserted_primary_key[0]
            bounds = shapely.bounds(frame.geometry.values)
            wkb = shapely.to_wkb(frame.geometry.values)
            rows = [
                {
                    "batch_id": batch_id,
                    "programme": meta.programme.value,
                    "code": code,
                    "xzqdm": xzqdm,
                    "attributes": attrs,
                    "geom": g,
                    "minx": b[0],
                    "miny": b[1],
                    "maxx": b[2],
                    "maxy": b[3],
                    "area_m2": float(a),
                    "area_mu": float(mu),
                    "state": State.ISSUED.value,
                    "version": 0,
                    "returned_count": 0,
                    "updated_at": now,
                }
                for code, xzqdm, attrs, g, b, a, mu in zip(
                    frame["code"],
                    frame["xzqdm"],
                    frame["attributes"],
                    wkb,
                    bounds,
                    frame["area_m2"],
                    frame["area_mu"],
                    strict=True,
                )
            ]
            conn.execute(cases.insert(), rows)
            return self._batch(conn, batch_id), True

    def find_batch(self, source_sha256: str, meta: BatchMeta) -> dict[str, Any] | None:
        """The batch already imported from this exact file for this programme and period."""
        with self.engine.connect() as conn:
            bid = conn.execute(
                select(batches.c.id).where(
                    batches.c.source_sha256 == source_sha256,
                    batches.c.programme == meta.programme.value,
                    batches.c.period == meta.period,
                )
            ).scalar()
            return None if bid is None else self._batch(conn, bid)

    def _batch(self, conn: Any, batch_id: int) -> dict[str, Any]:
        row = conn.execute(select(batches).where(batches.c.id == batch_id)).first()
        if row is None:
            raise NotFound(f"没有批次 {batch_id}", batch_id=batch_id)
        return dict(row._mapping)

    def get_batch(self, batch_id: int) -> dict[str, Any]:
        with self.engine.connect() as conn:
            return self._batch(conn, batch_id)

    def list_batches(self) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(batches).order_by(batches.c.period, batches.c.programme, batches.c.id)
            )
            return [dict(r._mapping) for r in rows]

    # --- cases --------------------------------------------------------------------------------

    def features(
        self, batch_id: int, bbox: tuple[float, float, float, float] | None = None
    ) -> list[dict[str, Any]]:
        """Cases of a batch (with WKB geometry), optionally only those meeting ``bbox``."""
        q = select(cases).where(cases.c.batch_id == batch_id).order_by(cases.c.id)
        if bbox is not None:
            minx, miny, maxx, maxy = bbox
            q = q.where(
                and_(
                    cases.c.maxx >= minx,
                    cases.c.minx <= maxx,
                    cases.c.maxy >= miny,
                    cases.c.miny <= maxy,
                )
            )
        with self.engine.connect() as conn:
            if conn.execute(select(batches.c.id).where(batches.c.id == batch_id)).first() is None:
                raise NotFound(f"没有批次 {batch_id}", batch_id=batch_id)
            return [dict(r._mapping) for r in conn.execute(q)]

    def get_case_row(self, case_id: int) -> dict[str, Any]:
        with self.engine.connect() as conn:
            row = conn.execute(select(cases).where(cases.c.id == case_id)).first()
        if row is None:
            raise NotFound(f"没有图斑 {case_id}", case_id=case_id)
        return dict(row._mapping)

    def get_case(self, case_id: int) -> Case:
        with self.engine.connect() as conn:
            row = conn.execute(select(cases).where(cases.c.id == case_id)).first()
        if row is None:
            raise NotFound(f"没有图斑 {case_id}", case_id=case_id)
        return _row_to_case(row)

    def events(self, case_id: int) -> list[Event]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(case_events)
                .where(case_events.c.case_id == case_id)
                .order_by(case_events.c.seq)
            )
            return [
                Event(
                    case_id=r.case_id,
                    seq=r.seq,
                    action=r.action,
                    actor=r.actor,
                    at=r.at,
                    before=coerce_fields(r.before),
                    after=coerce_fields(r.after),
                    payload=r.payload,
                )
                for r in rows
            ]

    def apply_action(
        self,
        case_id: int,
        action: str,
        *,
        actor: str,
        payload: dict[str, Any] | None,
        expected_version: int | None,
        now: datetime,
    ) -> Case:
        """Apply a workflow action and append its event, atomically and optimistically.

        A stale ``expected_version``, or another writer committing first, raises
        ``VersionConflict``; nothing is written in that case.
        """
        with self.engine.begin() as conn:
            row = conn.execute(select(cases).where(cases.c.id == case_id)).first()
            if row is None:
                raise NotFound(f"没有图斑 {case_id}", case_id=case_id)
            case = _row_to_case(row)
            if expected_version is not None and expected_version != case.version:
                raise VersionConflict(
                    "图斑已被他人修改，请刷新后再提交",
                    case_id=case_id,
                    expected_version=expected_version,
                    current_version=case.version,
                )
            new, ev = apply(case, action, actor=actor, at=now, payload=payload)
            changed = {
                k: (v.value if isinstance(v, State | Judgment) else v) for k, v in ev.after.items()
            }
            res = conn.execute(
                cases.update()
                .where(cases.c.id == case_id, cases.c.version == case.version)
                .values(**changed, updated_at=now)
            )
            if res.rowcount != 1:
                raise VersionConflict("图斑已被他人修改，请刷新后再提交", case_id=case_id)
            conn.execute(
                case_events.insert().values(
                    case_id=case_id,
                    seq=ev.seq,
                    action=ev.action.value,
                    actor=ev.actor,
                    at=ev.at,
                    before=to_jsonable(ev.before),
                    after=to_jsonable(ev.after),
                    payload=to_jsonable(ev.payload),
                )
            )
            return new

    def rebuild_case(self, case_id: int) -> Case:
        """The case as its event log says it is (should equal ``get_case``)."""
        current = self.get_case(case_id)
        issued = Case(id=current.id, programme=current.programme)
        return replay(issued, self.events(case_id))

    # --- indicator input ----------------------------------------------------------------------

    def cases_frame(self) -> pd.DataFrame:
        """One row per case with the columns the indicator engine reads."""
        special = {"case_id": cases.c.id, "period": batches.c.period, "due_on": batches.c.due_on}
        q = select(
            *[(special[c] if c in special else cases.c[c]).label(c) for c in CASE_COLUMNS]
        ).join(batches, batches.c.id == cases.c.batch_id)
        with self.engine.connect() as conn:
            rows = conn.execute(q).all()
        return pd.DataFrame(rows, columns=list(CASE_COLUMNS))

    def counts(self) -> dict[str, int]:
        with self.engine.connect() as conn:
            return {
                "batches": conn.execute(select(func.count()).select_from(batches)).scalar_one(),
                "cases": conn.execute(select(func.count()).select_from(cases)).scalar_one(),
                "events": conn.execute(select(func.count()).select_from(case_events)).scalar_one(),
            }
