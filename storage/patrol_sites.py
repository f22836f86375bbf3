"""Illegal sites for the map (active and watched, patrol and 卫片 together) and the watch list
of closed illegal sites, with the visibility every read applies."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Engine, and_, func, not_, or_, select

from geo.model import Judgment, Programme, State
from geo.patrol import site_is_mining, site_rank, site_status
from storage import spatial
from storage.spatial import Box
from storage.tables import cases
from storage.visibility import EVERYTHING, Scope

_DONE = [State.RECTIFIED.value, State.CLOSED.value]
_SITE_COLUMNS = (
    "id", "batch_id", "code", "programme", "violation", "township_name", "state",
    "linked_case_id", "watch_due_on", "site_id",
)  # fmt: skip


def _watched() -> Any:
    return and_(cases.c.watch_interval_days.is_not(None), cases.c.state.in_(_DONE))


class PatrolSites:
    """The map's illegal sites and the watch list, on one engine."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def sites(
        self, *, today: date, bbox: Box | None = None, scope: Scope = EVERYTHING
    ) -> list[dict[str, Any]]:
        """The illegal sites meeting ``bbox`` that ``scope`` sees, one per site, by case id.

        A site is an illegal case that has not joined another (``linked_case_id``: its story
        is that case's), still open or closed under watch; cases of one site (``site_id``) are
        drawn once, by the most pressing (geo.patrol.site_rank). Each comes with ``geometry``
        (GeoJSON text) and ``status`` (geo.patrol.site_status) beside its columns.
        """
        q = select(
            *(cases.c[n] for n in _SITE_COLUMNS),
            spatial.as_geojson(cases.c[spatial.GEOMETRY_COLUMN]).label("geometry"),
        ).where(
            cases.c.judgment == Judgment.ILLEGAL.value,
            cases.c.linked_case_id.is_(None),
            or_(not_(cases.c.state.in_(_DONE)), _watched()),
            *scope.conditions(),
        )
        q = spatial.within(q, cases, bbox).order_by(cases.c.id)
        with self.engine.connect() as conn:
            rows = [dict(r._mapping) for r in conn.execute(q)]
            texts = spatial.geojson_texts(conn.dialect.name, [r["geometry"] for r in rows])
        best: dict[int, dict[str, Any]] = {}
        for r, text in zip(rows, texts, strict=True):
            status = site_status(State(r["state"]), r["watch_due_on"], today)
            if status is None:
                continue
            r.update(geometry=text, status=status)
            r["mining"] = site_is_mining(Programme(r["programme"]), r["violation"])
            key = r.pop("site_id") or r["id"]
            held = best.get(key)
            if held is None or site_rank(status) < site_rank(held["status"]):
                best[key] = r
        return sorted(best.values(), key=lambda r: r["id"])

    def watch(
        self, *, today: date, limit: int, offset: int = 0, scope: Scope = EVERYTHING
    ) -> tuple[list[dict[str, Any]], int]:
        """The watched sites (closed illegal cases under watch) that ``scope`` sees, those due
        for re-inspection before ``today`` first, then by re-inspection day; (one page, how
        many in all)."""
        where = scope.where(_watched())
        late = cases.c.watch_due_on < today
        q = (
            select(
                cases.c.id.label("case_id"),
                cases.c.batch_id,
                cases.c.code,
                cases.c.programme,
                cases.c.township_name,
                cases.c.state,
                cases.c.violation,
                cases.c.watch_interval_days,
                cases.c.watch_due_on,
                cases.c.last_inspected_at,
                cases.c.reinspections,
                cases.c.geom,
            )  # fmt: skip
            .where(where)
            .order_by(late.desc(), cases.c.watch_due_on, cases.c.id)
            .offset(offset)
            .limit(limit)
        )
        with self.engine.connect() as conn:
            out = [dict(r._mapping) for r in conn.execute(q)]
            total = int(
                conn.execute(select(func.count()).select_from(cases).where(where)).scalar_one()
            )
        for d, centre in zip(out, spatial.centres([d.pop("geom") for d in out]), strict=True):
            d["overdue"] = d["watch_due_on"] < today
            d["state_label"] = State(d["state"]).label
            d["centre"] = centre
        return out, total
