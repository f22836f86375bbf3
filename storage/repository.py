"""CaseStore: batches, cases and events on any SQLAlchemy engine (SQLite or PostgreSQL)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import pandas as pd
from sqlalchemy import Engine, func, or_, select

from geo.batch import BatchMeta
from geo.errors import InvalidPayload, NotFound, VersionConflict
from geo.messages import msg
from geo.model import (
    Action,
    Case,
    Event,
    Judgment,
    Programme,
    State,
    coerce_fields,
    to_jsonable,
)
from geo.workflow import apply, replay
from storage import (
    audit,
    daily_counts,
    enforcement,
    facts,
    map_queries,
    patrol_rules,
    site_links,
    spatial,
)
from storage.batch_writer import batch_row, find_batch
from storage.tables import batches, case_events, cases, reissues
from storage.visibility import EVERYTHING, Scope

_MILESTONES = [c for c in Case.__dataclass_fields__ if c not in ("id", "programme")]


# Actions that start a deadline or an interval read the bureau's current rules.
_NEEDS_RULES = frozenset({Action.WATCH.value, Action.REINSPECT_ACTIVE.value})


def apply_in(
    conn: Any,
    case_id: int,
    action: str,
    *,
    actor: str,
    payload: dict[str, Any] | None,
    expected_version: int | None,
    now: datetime,
) -> Case:
    """``CaseStore.apply_action`` inside the caller's transaction (for multi-case operations)."""
    row = conn.execute(select(cases).where(cases.c.id == case_id)).first()
    if row is None:
        raise NotFound(msg("case.not_found", case_id=case_id), case_id=case_id)
    case = case_from_row(row._mapping)
    if expected_version is not None and expected_version != case.version:
        raise VersionConflict(
            msg("case.version_conflict"),
            case_id=case_id,
            expected_version=expected_version,
            current_version=case.version,
        )
    issued_on = conn.execute(
        select(batches.c.issued_on).where(batches.c.id == row.batch_id)
    ).scalar_one_or_none()
    rules = patrol_rules.current_in(conn) if action in _NEEDS_RULES else None
    new, ev = apply(
        case, action, actor=actor, at=now, payload=payload, issued_on=issued_on, rules=rules
    )
    new, ev = enforcement.carry_out(conn, case, new, ev, now=now)
    new, ev = site_links.join_open_case(conn, case, new, ev)
    record_in(conn, row._mapping, case, new, ev, now=now)
    # One site, one story: a 立案 files the cases joined to it, a join files under a 立案.
    for joined_row, before, after, event in site_links.joined_filings(conn, new, ev):
        record_in(conn, joined_row, before, after, event, now=now)
        if after.id == case_id:
            new = after
    return new


def record_in(
    conn: Any, row: Mapping[str, Any], case: Case, new: Case, ev: Event, *, now: datetime
) -> None:
    """Write an applied action: the case row (guarded by ``case``'s version), the day's counts
    and the event with its audit link, inside the caller's transaction."""
    case_id = case.id
    changed = {k: (v.value if isinstance(v, State | Judgment) else v) for k, v in ev.after.items()}
    res = conn.execute(
        cases.update()
        .where(cases.c.id == case_id, cases.c.version == case.version)
        .values(**changed, updated_at=now)
    )
    if res.rowcount != 1:
        raise VersionConflict(msg("case.version_conflict"), case_id=case_id)
    daily_counts.record_change(conn, row, case, new, now)
    append_event(conn, ev, changed)


def append_event(conn: Any, ev: Event, changed: Mapping[str, Any]) -> None:
    """Append ``ev`` to the event log with its audit-chain link, in the caller's transaction
    (``changed``: the case columns it set, codes as stored)."""
    values = {
        "case_id": ev.case_id,
        "seq": ev.seq,
        "action": ev.action.value,
        "actor": ev.actor,
        "at": ev.at,
        "before": to_jsonable(ev.before),
        "after": to_jsonable(ev.after),
        "payload": to_jsonable(ev.payload),
        "state": changed["state"],
        "judgment": changed.get("judgment"),
    }
    conn.execute(case_events.insert().values(**values, **audit.link(conn, values)))


def penalise_in(
    conn: Any,
    enforcement_id: int,
    *,
    actor: str,
    payload: dict[str, Any] | None,
    expected_versions: Mapping[int, int],
    now: datetime,
    check: Callable[[int], None] | None = None,
) -> list[int]:
    """A penalty on a 立案 case, inside the caller's transaction: every filed 图斑 of it moves,
    one event each; returns their ids.

    The decision belongs to the 立案, not to one 图斑: moving only one would leave its siblings
    filed with a blank penalty form. ``expected_versions`` (图斑 id → version the caller saw)
    are checked first, for any 图斑 of the case: one stale raises ``VersionConflict`` before
    anything is written. ``check(case_id)`` may refuse a 图斑 (permissions).
    """
    rows = conn.execute(
        select(cases.c.id, cases.c.version, cases.c.state)
        .where(cases.c.enforcement_id == enforcement_id)
        .order_by(cases.c.id)
    ).all()
    if not rows:
        raise NotFound(f"没有立案案件 {enforcement_id}", enforcement_id=enforcement_id)
    current = {r.id: r.version for r in rows}
    for cid, version in expected_versions.items():
        if cid not in current:
            raise InvalidPayload(
                f"图斑 {cid} 不属于该立案案件", field="expected_versions", case_id=cid
            )
        if current[cid] != version:
            raise VersionConflict(
                "图斑已被他人修改，请刷新后再提交",
                case_id=cid,
                expected_version=version,
                current_version=current[cid],
            )
    # None filed: the first 图斑 lets the workflow say why (already penalised, …).
    moving = [r.id for r in rows if r.state == State.FILED.value] or [rows[0].id]
    for cid in moving:
        if check is not None:
            check(cid)
        apply_in(
            conn,
            cid,
            Action.PENALISE.value,
            actor=actor,
            payload=payload,
            expected_version=current[cid],
            now=now,
        )
    return moving


def case_from_row(m: Mapping[str, Any]) -> Case:
    """The workflow's Case from a ``cases`` row (as a mapping)."""
    values = {k: m[k] for k in _MILESTONES}
    values["state"] = State(values["state"])
    values["judgment"] = Judgment(values["judgment"]) if values["judgment"] else None
    return Case(id=m["id"], programme=Programme(m["programme"]), **values)


class CaseStore:
    """All reads and writes of batches, cases and case events go through here."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # --- batches ------------------------------------------------------------------------------

    def link_candidates(
        self, bounds: tuple[float, float, float, float], codes: list[str], programme: str
    ) -> pd.DataFrame:
        """Existing cases a new batch could repeat: overlapping its extent, or same codes."""
        cols = [cases.c.id, cases.c.code, cases.c.programme, cases.c.geom]
        near = select(*cols).where(spatial.overlaps(cases, bounds))
        rows: dict[int, Any] = {}
        with self.engine.connect() as conn:
            for r in conn.execute(near):
                rows[r.id] = r
            any_case = select(cases.c.id).where(cases.c.programme == programme).limit(1)
            if conn.execute(any_case).first() is None:
                codes = []  # the programme's first batch: no code can repeat an earlier one
            for i in range(0, len(codes), 5000):
                chunk = codes[i : i + 5000]
                q = select(*cols).where(cases.c.programme == programme, cases.c.code.in_(chunk))
                for r in conn.execute(q):
                    rows[r.id] = r
        return pd.DataFrame(
            {
                "id": [r.id for r in rows.values()],
                "code": [r.code for r in rows.values()],
                "programme": [r.programme for r in rows.values()],
                "geometry": spatial.geometries([r.geom for r in rows.values()]),
            }
        )

    def find_batch(self, source_sha256: str, meta: BatchMeta) -> dict[str, Any] | None:
        """The batch already imported from this exact file for this programme and period."""
        return find_batch(self.engine, source_sha256, meta)

    def _batch(self, conn: Any, batch_id: int) -> dict[str, Any]:
        return batch_row(conn, batch_id)

    def get_batch(self, batch_id: int) -> dict[str, Any]:
        """The batch row with its counts; NotFound when there is none."""
        with self.engine.connect() as conn:
            return self._batch(conn, batch_id)

    def list_batches(self) -> list[dict[str, Any]]:
        """Every batch, by period, programme and id."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(batches).order_by(batches.c.period, batches.c.programme, batches.c.id)
            )
            return [dict(r._mapping) for r in rows]

    # --- cases --------------------------------------------------------------------------------

    def features(
        self, batch_id: int, bbox: tuple[float, float, float, float] | None = None
    ) -> list[dict[str, Any]]:
        """The 图斑 of a batch with their case state, optionally only those meeting ``bbox``.

        A 图斑 this batch re-issued appears with its own geometry and code but the state of the
        case it joined (``reissue_of_batch`` says where that case began). In-file duplicates are
        left out: they are the same case, drawn once. (storage.map_queries filters and pages.)
        """
        where = map_queries.FeatureFilter(bbox=bbox)
        return map_queries.MapView(self.engine).features(batch_id=batch_id, where=where)

    def issuances(self, case_id: int) -> list[dict[str, Any]]:
        """Every time this case's 图斑 was issued: first its own batch, then re-issues."""
        q_first = (
            select(
                batches.c.id.label("batch_id"),
                batches.c.period,
                batches.c.programme,
                cases.c.code,
                cases.c.area_m2,
            )
            .join(cases, cases.c.batch_id == batches.c.id)
            .where(cases.c.id == case_id)
        )
        q_again = (
            select(
                batches.c.id.label("batch_id"),
                batches.c.period,
                batches.c.programme,
                reissues.c.code,
                reissues.c.area_m2,
                reissues.c.reason,
                reissues.c.iou,
            )
            .join(reissues, reissues.c.batch_id == batches.c.id)
            .where(reissues.c.case_id == case_id)
            .order_by(reissues.c.id)
        )
        with self.engine.connect() as conn:
            first = [{**dict(r._mapping), "reason": "first"} for r in conn.execute(q_first)]
            return first + [dict(r._mapping) for r in conn.execute(q_again)]

    def site_cases(self, case_id: int, scope: Scope = EVERYTHING) -> list[dict[str, Any]]:
        """Other programmes' cases on the same site as this one, of those in ``scope``."""
        site_of = func.coalesce(cases.c.site_id, cases.c.id)  # NULL: the case is its own site
        site = select(site_of).where(cases.c.id == case_id).scalar_subquery()
        q = select(
            cases.c.id, cases.c.batch_id, cases.c.programme, cases.c.code, cases.c.state
        ).where(
            scope.where(or_(cases.c.site_id == site, cases.c.id == site), cases.c.id != case_id)
        )
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(q.order_by(cases.c.id))]

    def case_by_code(self, programme: str, code: str) -> dict[str, Any] | None:
        """The case of ``programme`` with this code (the first issued, when re-issued)."""
        q = (
            select(cases)
            .where(cases.c.programme == programme, cases.c.code == code)
            .order_by(cases.c.id)
            .limit(1)
        )
        with self.engine.connect() as conn:
            row = conn.execute(q).first()
        return None if row is None else dict(row._mapping)

    def get_case_row(self, case_id: int) -> dict[str, Any]:
        """The ``cases`` row as a dict; NotFound when there is none."""
        with self.engine.connect() as conn:
            row = conn.execute(select(cases).where(cases.c.id == case_id)).first()
        if row is None:
            raise NotFound(msg("case.not_found", case_id=case_id), case_id=case_id)
        return dict(row._mapping)

    def get_case(self, case_id: int) -> Case:
        """The workflow's Case for ``case_id``."""
        return case_from_row(self.get_case_row(case_id))

    def events(self, case_id: int) -> list[Event]:
        """The case's event log, oldest first."""
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

        A penalty on a filed 图斑 of a 立案 case moves all its filed 图斑 (``penalise_in``).
        A stale ``expected_version``, or another writer committing first, raises
        ``VersionConflict``; nothing is written in that case.
        """
        with self.engine.begin() as conn:
            if action == Action.PENALISE.value:
                enf = conn.execute(
                    select(cases.c.enforcement_id, cases.c.state).where(cases.c.id == case_id)
                ).first()
                if enf is not None and enf.enforcement_id and enf.state == State.FILED.value:
                    # The 立案's other 图斑 move with it (penalise_in).
                    seen = {} if expected_version is None else {case_id: expected_version}
                    penalise_in(
                        conn,
                        enf.enforcement_id,
                        actor=actor,
                        payload=payload,
                        expected_versions=seen,
                        now=now,
                    )
                    moved = conn.execute(select(cases).where(cases.c.id == case_id)).one()
                    return case_from_row(dict(moved._mapping))
            return apply_in(
                conn,
                case_id,
                action,
                actor=actor,
                payload=payload,
                expected_version=expected_version,
                now=now,
            )

    def rebuild_case(self, case_id: int) -> Case:
        """The case as its event log says it is (should equal ``get_case``)."""
        current = self.get_case(case_id)
        issued = Case(id=current.id, programme=current.programme)
        return replay(issued, self.events(case_id))

    # --- indicator input ----------------------------------------------------------------------

    def cases_frame(self) -> pd.DataFrame:
        """One row per case with the columns the indicator engine reads (storage.facts)."""
        return facts.live_facts(self.engine)

    def payments_frame(self) -> pd.DataFrame:
        """Payments, one row per programme/period/township their enforcement covers."""
        return facts.payments_frame(self.engine)

    def last_event_at(self) -> datetime | None:
        """When the latest case event was recorded (aware UTC); None for a store without any."""
        with self.engine.connect() as conn:
            at = conn.execute(select(func.max(case_events.c.at))).scalar_one_or_none()
        if at is None:
            return None
        return at if at.tzinfo is not None else at.replace(tzinfo=UTC)

    def counts(self) -> dict[str, int]:
        """How many batches, cases and events the store holds."""
        with self.engine.connect() as conn:
            return {
                "batches": conn.execute(select(func.count()).select_from(batches)).scalar_one(),
                "cases": conn.execute(select(func.count()).select_from(cases)).scalar_one(),
                "events": conn.execute(select(func.count()).select_from(case_events)).scalar_one(),
            }
