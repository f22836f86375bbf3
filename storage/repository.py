"""CaseStore: batches, cases and events on any SQLAlchemy engine (SQLite or PostgreSQL)."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd
import shapely
from sqlalchemy import Engine, bindparam, func, or_, select

from geo.errors import DuplicateBatch, InvalidValue, NotFound, VersionConflict
from geo.hints import HINT_COLUMNS
from geo.layers import ParcelLayer
from geo.linking import Link
from geo.model import (
    Case,
    Event,
    Judgment,
    Programme,
    State,
    coerce_fields,
    to_jsonable,
)
from geo.workflow import apply, replay
from storage import daily_counts, enforcement, facts, map_queries, spatial
from storage.bulk import bind_constant, indexes_deferred, insert_rows, to_json
from storage.tables import batches, case_events, cases, reissues

_MILESTONES = [c for c in Case.__dataclass_fields__ if c not in ("id", "programme")]


WRITE_CHUNK = 100_000
FEATURE_COLUMNS = (
    "code",
    "xzqdm",
    "attributes",
    "geom",
    "minx",
    "miny",
    "maxx",
    "maxy",
    "area_m2",
    "area_mu",
)


def _values(col: pd.Series, idx: np.ndarray) -> list[Any]:
    """Rows ``idx`` of a column as plain Python values, None for missing.

    Taken a slice at a time: a text column backed by Arrow makes a new Python string for every
    value it hands out, and all of a million-row batch's at once cost several hundred MB.
    """
    part = col.iloc[idx]
    if part.dtype != object and not part.isna().any():
        return part.tolist()
    part = part.astype(object)
    return part.where(part.notna(), None).tolist()


def _feature_columns(frame: pd.DataFrame, idx: np.ndarray) -> dict[str, list[Any]]:
    """Storage values of rows ``idx``, column by column (takes of whole columns, no per-row
    pandas)."""
    geoms = frame.geometry.to_numpy()[idx]
    b = shapely.bounds(geoms)
    return {
        "code": _values(frame["code"], idx),
        "xzqdm": _values(frame["xzqdm"], idx),
        "attributes": _values(frame["attributes"], idx),  # already JSON text
        "geom": shapely.to_wkb(geoms).tolist(),
        "minx": b[:, 0].tolist(),
        "miny": b[:, 1].tolist(),
        "maxx": b[:, 2].tolist(),
        "maxy": b[:, 3].tolist(),
        "area_m2": frame["area_m2"].to_numpy(dtype=float)[idx].tolist(),
        "area_mu": frame["area_mu"].to_numpy(dtype=float)[idx].tolist(),
    }


def _hint_columns(hints: pd.DataFrame | None, idx: np.ndarray) -> dict[str, list[Any]]:
    """Hint values of rows ``idx``, column by column; the villages list as JSON text."""
    if hints is None:
        return {}
    out = {c: _values(hints[c], idx) for c in HINT_COLUMNS}
    out["villages"] = [None if v is None else to_json(v) for v in out["villages"]]
    return out


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
        raise NotFound(f"没有图斑 {case_id}", case_id=case_id)
    case = case_from_row(row._mapping)
    if expected_version is not None and expected_version != case.version:
        raise VersionConflict(
            "图斑已被他人修改，请刷新后再提交",
            case_id=case_id,
            expected_version=expected_version,
            current_version=case.version,
        )
    new, ev = apply(case, action, actor=actor, at=now, payload=payload)
    new, ev = enforcement.carry_out(conn, case, new, ev, now=now)
    changed = {k: (v.value if isinstance(v, State | Judgment) else v) for k, v in ev.after.items()}
    res = conn.execute(
        cases.update()
        .where(cases.c.id == case_id, cases.c.version == case.version)
        .values(**changed, updated_at=now)
    )
    if res.rowcount != 1:
        raise VersionConflict("图斑已被他人修改，请刷新后再提交", case_id=case_id)
    daily_counts.record_change(conn, row._mapping, case, new, now)
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
            state=changed["state"],
            judgment=changed.get("judgment"),
        )
    )
    return new


@dataclass(frozen=True)
class BatchMeta:
    """What the issuing authority says about a batch; the file says the rest."""

    programme: Programme
    period: str
    authority: str
    issued_on: date
    due_on: date


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

    def import_batch(
        self,
        layer: ParcelLayer,
        meta: BatchMeta,
        *,
        source_sha256: str,
        actor: str,
        now: datetime,
        links: list[Link] | None = None,
        hints: pd.DataFrame | None = None,
        hint_layers: dict[str, Any] | None = None,
        progress: Any = None,
    ) -> tuple[dict[str, Any], bool]:
        """Store a batch: new 图斑 as cases, re-issued ones as reissues of their case.

        One transaction: a failure anywhere leaves the store as it was. Returns (batch,
        created); the same file again for the same programme and period changes nothing.
        """
        if meta.due_on < meta.issued_on:
            raise InvalidValue(
                "截止日期早于下发日期",
                field="due_on",
                issued_on=meta.issued_on.isoformat(),
                due_on=meta.due_on.isoformat(),
            )
        started = time.perf_counter()
        frame = layer.frame
        n = len(frame)
        progress = progress or (lambda stage, done, total: None)
        reissue_of: dict[int, Link] = {k.row: k for k in links or [] if k.kind == "reissue"}
        site_of: dict[int, Link] = {k.row: k for k in links or [] if k.kind == "site"}
        dup_of = frame["dup_of"].to_numpy()
        is_new = (dup_of < 0) & ~np.isin(np.arange(n), list(reissue_of))
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
                select(batches.c.id).where(
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
            report = layer.report
            report.imported = int(is_new.sum())
            row_no = frame["row"].to_numpy()
            code_col = frame["code"]
            link_codes = _values(code_col, np.array([k.row for k in links or []], dtype=int))
            for k, code in zip(links or [], link_codes, strict=True):
                report.links.append(
                    {
                        "row": int(row_no[k.row]),
                        "code": code,
                        "linked_case_id": k.case_id,
                        "reason": f"{k.kind}_{k.reason}",
                        "iou": k.iou,
                    }
                )
            minx, miny, maxx, maxy = layer.bounds
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
                    feature_count=n,
                    new_cases=int(is_new.sum()),
                    area_m2=float(frame["area_m2"].to_numpy()[is_new].sum()),
                    minx=minx,
                    miny=miny,
                    maxx=maxx,
                    maxy=maxy,
                    imported_at=now,
                    imported_by=actor,
                    hint_layers=hint_layers,
                )
            ).inserted_primary_key[0]
            report.batch_id = batch_id
            const = {
                "batch_id": batch_id,
                "programme": meta.programme.value,
                "state": State.ISSUED.value,
                "version": 0,
                "returned_count": 0,
                "updated_at": bind_constant(conn, cases, "updated_at", now),
            }
            new_idx = np.flatnonzero(is_new)
            land_class = (
                frame["delivered_land_class"]
                if "delivered_land_class" in frame
                else pd.Series(None, index=frame.index, dtype=object)
            )
            # Rows are built and written a slice at a time: a million at once would hold
            # several hundred MB of tuples, strings, WKB and JSON besides the geometries.
            with indexes_deferred(conn, cases, len(new_idx)):
                for s0 in range(0, len(new_idx), WRITE_CHUNK):
                    idx = new_idx[s0 : s0 + WRITE_CHUNK]
                    feats = _feature_columns(frame, idx)
                    feats.update(_hint_columns(hints, idx))
                    feats["delivered_land_class"] = _values(land_class, idx)
                    columns = [[v] * len(idx) for v in const.values()] + list(feats.values())
                    insert_rows(conn, cases, [*const, *feats], list(zip(*columns, strict=True)))
                    del feats, columns
                    progress("写入", s0 + len(idx), n)
            daily_counts.book_issued(
                conn,
                day=meta.issued_on,
                programme=meta.programme.value,
                period=meta.period,
                townships=None if hints is None else _values(hints["township_code"], new_idx),
                n=len(new_idx),
            )
            # Only the new cases that other rows point at need their ids read back.
            roots = np.unique(dup_of[dup_of >= 0])
            sites = np.array(sorted(site_of), dtype=int)
            root_code = dict(zip(roots.tolist(), _values(code_col, roots), strict=True))
            wanted = set(root_code.values()) | set(_values(code_col, sites))
            ids = self._ids_of(conn, batch_id, sorted(wanted))
            self._set_sites(conn, batch_id, frame, site_of, ids)
            rows_no = row_no.tolist()

            re_idx = np.flatnonzero(~is_new)
            re_feats = _feature_columns(frame, re_idx)
            # A reissue's case: its link's, else (an in-file duplicate) its root row's new case.

            def case_of(i: int) -> int:
                if i in reissue_of:
                    return reissue_of[i].case_id
                return ids[root_code[i]] if dup_of[i] < 0 else case_of(int(dup_of[i]))

            re_rows = []
            for k, i in enumerate(re_idx.tolist()):
                link = reissue_of.get(i)
                re_rows.append(
                    (
                        batch_id,
                        case_of(i),
                        rows_no[i],
                        *(re_feats[c][k] for c in FEATURE_COLUMNS),
                        f"reissue_{link.reason}" if link else "in_file_duplicate",
                        link.iou if link else None,
                    )
                )
            with indexes_deferred(conn, reissues, len(re_rows)):
                insert_rows(
                    conn,
                    reissues,
                    ["batch_id", "case_id", "row", *FEATURE_COLUMNS, "reason", "iou"],
                    re_rows,
                )
            # Stored once, inside the transaction, so a batch never exists without its report.
            report.seconds["write"] = time.perf_counter() - started
            report.created = True
            conn.execute(
                batches.update().where(batches.c.id == batch_id).values(report=report.to_dict())
            )
            return self._batch(conn, batch_id), True

    def _ids_of(self, conn: Any, batch_id: int, codes: list[str]) -> dict[str, int]:
        out: dict[str, int] = {}
        for i in range(0, len(codes), 500):
            q = select(cases.c.code, cases.c.id).where(
                cases.c.batch_id == batch_id, cases.c.code.in_(codes[i : i + 500])
            )
            out.update(dict(conn.execute(q).all()))
        return out

    def _set_sites(
        self,
        conn: Any,
        batch_id: int,
        frame: pd.DataFrame,
        site_of: dict[int, Link],
        ids: dict[str, int],
    ) -> None:
        """New cases on the site of another programme's case share its site_id; others own one."""
        if site_of:
            linked = [k.case_id for k in site_of.values()]
            sites = dict(
                conn.execute(
                    select(cases.c.id, cases.c.site_id).where(cases.c.id.in_(linked))
                ).all()
            )
            updates = [
                {"cid": ids[frame["code"].iloc[row]], "site": sites.get(k.case_id) or k.case_id}
                for row, k in site_of.items()
                if frame["code"].iloc[row] in ids
            ]
            if updates:
                conn.execute(
                    cases.update()
                    .where(cases.c.id == bindparam("cid"))
                    .values(site_id=bindparam("site")),
                    updates,
                )

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

    def site_cases(self, case_id: int) -> list[dict[str, Any]]:
        """Other programmes' cases on the same site as this one."""
        site_of = func.coalesce(cases.c.site_id, cases.c.id)  # NULL: the case is its own site
        site = select(site_of).where(cases.c.id == case_id).scalar_subquery()
        q = select(
            cases.c.id, cases.c.batch_id, cases.c.programme, cases.c.code, cases.c.state
        ).where(or_(cases.c.site_id == site, cases.c.id == site), cases.c.id != case_id)
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(q.order_by(cases.c.id))]

    def get_case_row(self, case_id: int) -> dict[str, Any]:
        with self.engine.connect() as conn:
            row = conn.execute(select(cases).where(cases.c.id == case_id)).first()
        if row is None:
            raise NotFound(f"没有图斑 {case_id}", case_id=case_id)
        return dict(row._mapping)

    def get_case(self, case_id: int) -> Case:
        return case_from_row(self.get_case_row(case_id))

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

    def counts(self) -> dict[str, int]:
        with self.engine.connect() as conn:
            return {
                "batches": conn.execute(select(func.count()).select_from(batches)).scalar_one(),
                "cases": conn.execute(select(func.count()).select_from(cases)).scalar_one(),
                "events": conn.execute(select(func.count()).select_from(case_events)).scalar_one(),
            }
