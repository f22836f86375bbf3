"""动态巡查 cases in the store: a finding becomes a case, in one transaction, like a verification.

A patrol case lives in the ``cases`` table beside the province's 图斑 (programme ``patrol``), in
a standing batch per year (动态巡查 2019), so the map, the task list, photos, the event log,
enforcement, the daily counts and drill-down all treat it as a case like any other. What the
reporter of a 举报 said and how to reach them goes to ``patrol_reports``, never to the case row.
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from typing import Any

import numpy as np
from sqlalchemy import Connection, Engine, func, select
from sqlalchemy.exc import IntegrityError

from geo.area import M2_PER_MU, ellipsoidal_area_m2
from geo.hints import HINT_COLUMNS, compute_hints
from geo.localtime import local_today
from geo.model import Case, Judgment, Programme, State
from geo.patrol import (
    Finding,
    SiteCase,
    case_code,
    code_prefix,
    handled_in,
    is_mining,
    open_case,
    same_site,
    search_box,
)
from storage import daily_counts, patrol_rules, spatial
from storage.bulk import bind_constant, insert_rows, to_json
from storage.refs import RefStore
from storage.repository import append_event
from storage.site_links import site_cases
from storage.tables import assignments, batches, cases, patrol_reports

# Patrol cases are not counted as issued: nobody issued them (geo.model.Programme.is_issued).
AUTHORITY = "本局（动态巡查）"
COUNTY_CODE = "130208"  # 丰润区: the xzqdm a finding carries until a township is known
# Two findings recorded at once may both count the same next code; the later one tries again.
WRITE_ATTEMPTS = 3


def _year_batch(conn: Connection, year: int, *, actor: str, now: datetime) -> int:
    """The standing batch that holds a year's patrol cases, made on the year's first finding."""
    period = str(year)
    found = conn.execute(
        select(batches.c.id).where(
            batches.c.programme == Programme.PATROL.value, batches.c.period == period
        )
    ).scalar_one_or_none()
    if found is not None:
        return int(found)
    key = conn.execute(
        batches.insert().values(
            programme=Programme.PATROL.value,
            period=period,
            authority=AUTHORITY,
            issued_on=date(year, 1, 1),
            due_on=date(year, 12, 31),
            source_name=f"动态巡查 {year}年",
            source_sha256=hashlib.sha256(f"tuban-patrol-{year}".encode()).hexdigest(),
            source_crs="EPSG:4490",
            encoding="UTF-8",
            feature_count=0,
            new_cases=0,
            area_m2=0.0,
            **spatial.extent_values((180.0, 90.0, -180.0, -90.0)),  # grows with each case
            imported_at=now,
            imported_by=actor,
        )
    ).inserted_primary_key
    assert key is not None
    return int(key[0])


def _grow_batch(conn: Connection, batch_id: int, geom: Any, area_m2: float) -> None:
    """The year's batch counts the new case and its extent covers it."""
    sqlite = conn.dialect.name == "sqlite"
    least, greatest = (func.min, func.max) if sqlite else (func.least, func.greatest)
    minx, miny, maxx, maxy = geom.bounds
    b = batches.c
    conn.execute(
        batches.update()
        .where(b.id == batch_id)
        .values(
            feature_count=b.feature_count + 1,
            new_cases=b.new_cases + 1,
            area_m2=b.area_m2 + area_m2,
            minx=least(b.minx, minx),
            miny=least(b.miny, miny),
            maxx=greatest(b.maxx, maxx),
            maxy=greatest(b.maxy, maxy),
        )
    )


def _next_code(conn: Connection, source: str, year: int) -> str:
    prefix = code_prefix(source, year)
    n = conn.execute(
        select(func.count())
        .select_from(cases)
        .where(cases.c.programme == Programme.PATROL.value, cases.c.code.like(f"{prefix}%"))
    ).scalar_one()
    return case_code(source, year, int(n) + 1)


def _nearby(conn: Connection, geom: Any) -> dict[int, SiteCase]:
    """Earlier cases whose box meets the finding's, grown by the site tolerance."""
    cols = [cases.c.id, cases.c.geom, cases.c.state, cases.c.judgment, cases.c.linked_case_id,
            cases.c.site_id]  # fmt: skip
    rows = conn.execute(select(*cols).where(spatial.overlaps(cases, search_box(geom)))).all()
    return {c.id: c for c in site_cases(rows)}


def _hints(refs: RefStore, geom: Any, area_m2: float, violation: str) -> dict[str, Any]:
    """Township, village, farmland, permits and approvals at the finding, as for any 图斑."""
    minx, miny, maxx, maxy = (float(v) for v in geom.bounds)
    reference = refs.reference_set((minx, miny, maxx, maxy))
    programme = "mining" if is_mining(violation) else "land"
    frame = compute_hints(np.array([geom], dtype=object), np.array([area_m2]), programme, reference)
    return {c: _plain(frame.iloc[0][c]) for c in HINT_COLUMNS}


def _plain(v: Any) -> Any:
    """A hint as the driver takes it: numpy scalars as Python ones (SQLite would store a
    numpy float as a BLOB), NaN as None."""
    if isinstance(v, np.generic):
        v = v.item()
    return None if isinstance(v, float) and np.isnan(v) else v


def _case_row(
    conn: Connection,
    finding: Finding,
    batch_id: int,
    code: str,
    area: float,
    hints: dict[str, Any],
    site_id: int | None,
    now: datetime,
) -> dict[str, Any]:
    """The new case's row as written before its find event sets state and milestones."""
    geom = finding.geometry
    row = {
        "batch_id": batch_id,
        "programme": Programme.PATROL.value,
        "code": code,
        "xzqdm": (hints.get("township_code") or COUNTY_CODE)[:12],
        "attributes": to_json({"来源": finding.source, "违法类型": finding.violation}),
        **_one(spatial.geometry_values(np.array([geom], dtype=object))),
        "area_m2": round(area, 2),
        "area_mu": round(area / M2_PER_MU, 4),
        "state": State.ISSUED.value,  # replaced by the find event
        "version": 0,
        "returned_count": 0,
        "updated_at": bind_constant(conn, cases, "updated_at", now),
        "site_id": site_id,
        **hints,
    }
    if row["villages"] is not None:
        row["villages"] = to_json(row["villages"])
    return row


def _one(columns: dict[str, list[Any]]) -> dict[str, Any]:
    return {k: v[0] for k, v in columns.items()}


class PatrolStore:
    """Record findings and reports as patrol cases."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.refs = RefStore(engine)

    def create(
        self,
        finding: Finding,
        *,
        actor: str,
        now: datetime,
        assign_to: int | None = None,
        client_ref: str | None = None,
    ) -> dict[str, Any]:
        """Record ``finding`` as a new case (state ``found``) with its ``find`` event, in one
        transaction; returns ``{"case_id", "code", "linked_case_id", "site_id"}``.

        Its township and other hints come from the reference layers; an earlier case at the same
        site gives it a ``site_id``, and when that case is still open and illegal the finding
        joins it (``linked_case_id``) instead of counting as a second active site.
        ``assign_to``: the verifier who found it, so it is in their task list. ``client_ref``:
        the sender's own id of this finding; a second send with it returns the case the first
        made (``"existing": True``) and writes nothing.
        """
        if client_ref is not None:
            done = self.by_client_ref(client_ref)
            if done is not None:
                return done
        geom = finding.geometry
        area = 0.0 if geom.geom_type == "Point" else float(ellipsoidal_area_m2([geom])[0])
        hints = _hints(self.refs, geom, area, finding.violation)
        for attempt in range(WRITE_ATTEMPTS):
            try:
                return self._write(finding, area, hints, actor, now, assign_to, client_ref)
            except IntegrityError:
                # A concurrent send: of the same finding (its client_ref is taken: answer the
                # case it made), or of another one that took the next code (count again).
                done = None if client_ref is None else self.by_client_ref(client_ref)
                if done is not None:
                    return done
                if attempt == WRITE_ATTEMPTS - 1:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def _write(
        self,
        finding: Finding,
        area: float,
        hints: dict[str, Any],
        actor: str,
        now: datetime,
        assign_to: int | None,
        client_ref: str | None,
    ) -> dict[str, Any]:
        """``create``'s transaction: the case, its find event, report, assignment and batch."""
        geom = finding.geometry
        year = local_today(finding.found_at).year
        with self.engine.begin() as conn:
            rules = patrol_rules.current_in(conn)
            batch_id = _year_batch(conn, year, actor=actor, now=now)
            code = _next_code(conn, finding.source, year)
            near = _nearby(conn, geom)
            match = same_site(geom, list(near.values()))
            joins = handled_in(match, near)
            site_id = None if match is None else (match.site_id or match.id)
            row = _case_row(conn, finding, batch_id, code, area, hints, site_id, now)
            row["client_ref"] = client_ref
            insert_rows(conn, cases, list(row), [tuple(row.values())])
            case_id = conn.execute(
                select(cases.c.id).where(cases.c.batch_id == batch_id, cases.c.code == code)
            ).scalar_one()
            case, ev = open_case(
                case_id,
                violation=finding.violation,
                found_at=finding.found_at,
                actor=actor,
                at=now,
                rules=rules,
                note=finding.note,
                linked_case_id=None if joins is None else joins.id,
            )
            self._write_opened(conn, case, ev, row, now)
            if finding.is_report:
                conn.execute(
                    patrol_reports.insert().values(
                        case_id=case_id,
                        source=finding.source,
                        received_at=finding.found_at,
                        reporter_name=finding.reporter_name,
                        reporter_contact=finding.reporter_contact,
                        content=finding.content,
                        received_by=actor,
                    )
                )
            if assign_to is not None:
                conn.execute(
                    assignments.insert().values(
                        case_id=case_id, user_id=assign_to, assigned_by=actor, assigned_at=now
                    )
                )
            _grow_batch(conn, batch_id, geom, area)
        return {
            "case_id": case_id,
            "code": code,
            "batch_id": batch_id,
            "version": case.version,
            "linked_case_id": case.linked_case_id,
            "site_id": site_id,
            "existing": False,
        }

    def by_client_ref(self, client_ref: str) -> dict[str, Any] | None:
        """The case a finding with this sender's id already made, if any."""
        c = cases.c
        q = select(c.id, c.code, c.batch_id, c.version, c.linked_case_id, c.site_id).where(
            c.client_ref == client_ref
        )
        with self.engine.connect() as conn:
            r = conn.execute(q).first()
        if r is None:
            return None
        return {
            "case_id": r.id,
            "code": r.code,
            "batch_id": r.batch_id,
            "version": r.version,
            "linked_case_id": r.linked_case_id,
            "site_id": r.site_id,
            "existing": True,
        }

    @staticmethod
    def _write_opened(
        conn: Connection, case: Case, ev: Any, row: dict[str, Any], now: datetime
    ) -> None:
        """The case row set to what the find event made it, the event appended, counts booked."""
        changed = {
            k: (v.value if isinstance(v, State | Judgment) else v) for k, v in ev.after.items()
        }
        conn.execute(cases.update().where(cases.c.id == case.id).values(**changed))
        blank = Case(id=case.id, programme=Programme.PATROL)
        daily_counts.record_change(conn, {**row, "id": case.id}, blank, case, now)
        append_event(conn, ev, changed)

    def report_of(self, case_id: int) -> dict[str, Any] | None:
        """The 举报 behind a case (reporter and contact included): for office roles only."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(patrol_reports).where(patrol_reports.c.case_id == case_id)
            ).first()
        return None if row is None else dict(row._mapping)
