"""The import's write stage: a prepared batch stored as cases and reissues, in one transaction."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Engine, bindparam, select

from geo.batch import BatchMeta
from geo.errors import DuplicateBatch, NotFound
from geo.hints import HINT_COLUMNS
from geo.layers import ParcelLayer, Progress, no_progress
from geo.linking import Link
from geo.messages import msg
from geo.model import State
from geo.report import lowest_by
from storage import daily_counts, site_links, spatial
from storage.bulk import analyze, bind_constant, indexes_deferred, insert_rows, to_json
from storage.tables import batches, cases, reissues

# New cases are converted and inserted this many at a time: a million at once would hold
# several hundred MB of tuples, strings, WKB and JSON besides the geometries.
WRITE_CHUNK = 100_000
FEATURE_COLUMNS = (
    "code",
    "xzqdm",
    "attributes",
    spatial.GEOMETRY_COLUMN,
    *spatial.BBOX_COLUMNS,
    "area_m2",
    "area_mu",
)


@dataclass(frozen=True)
class Part:
    """Some rows of a prepared batch: ``index`` gives each row's place among all the batch's
    rows (the order of ``Prepared.dup_of``), ``frame`` and ``hints`` their values.

    A *summary* part (``Prepared.each_summary``) holds only the cheap columns the write needs
    before and around the rows themselves: ``row``, ``code`` and ``area_m2`` in ``frame``,
    ``township_code`` in ``hints``, and the rows' box in ``bounds``.
    """

    index: np.ndarray
    frame: pd.DataFrame  # geo.import_pipeline.describe's columns
    hints: pd.DataFrame | None
    bounds: tuple[float, float, float, float] | None = None


@dataclass(frozen=True)
class Prepared:
    """Everything the write stage stores: the layer, its links to earlier cases, its hints.

    A batch imported a chunk at a time (``storage.import_chunks``) gives its rows as ``parts``
    (called once per pass over them with the rows that pass wants, or None for all: each call
    reads the chunks back from disk, skipping those with no wanted row), the cheap columns of
    every row as ``summaries`` (see ``Part``), its in-file duplicates as ``dup_of`` and its
    row count as ``rows``; ``layer`` then holds the report and the file's facts but no rows.
    Links refer to rows by that same place.
    """

    layer: ParcelLayer
    meta: BatchMeta
    source_sha256: str
    links: list[Link]
    hints: pd.DataFrame | None = None
    hint_layers: dict[str, Any] | None = None
    parts: Callable[[np.ndarray | None], Iterator[Part]] | None = None
    summaries: Callable[[], Iterator[Part]] | None = None
    dup_of: np.ndarray | None = None
    rows: int | None = None

    def each_part(self, wanted: np.ndarray | None = None) -> Iterator[Part]:
        """The rows, a part at a time (the whole layer is one part); with ``wanted`` (a mask
        over the rows) parts holding none of them may be left out."""
        if self.parts is not None:
            yield from self.parts(wanted)
            return
        frame = self.layer.frame
        yield Part(np.arange(len(frame)), frame, self.hints)

    def each_summary(self) -> Iterator[Part]:
        """Every row's cheap columns, a part at a time (see ``Part``): what the write reads
        more than once without needing geometries or attributes."""
        if self.summaries is not None:
            yield from self.summaries()
            return
        yield from self.each_part()

    def row_count(self) -> int:
        """How many rows the batch has (kept rows of the file)."""
        return len(self.layer.frame) if self.rows is None else self.rows

    def duplicates(self) -> np.ndarray:
        """Each row's in-file root (its index), or -1."""
        if self.dup_of is not None:
            return self.dup_of
        return self.layer.frame["dup_of"].to_numpy()


@dataclass
class _Plan:
    """Which rows become new cases, and which join a case as reissues (by row of the layer)."""

    is_new: np.ndarray
    dup_of: np.ndarray
    reissue_of: dict[int, Link]
    site_of: dict[int, Link]

    def listed(self) -> np.ndarray:
        """The rows the batch lists as its 图斑, as the map draws them: its new cases and the
        图斑 it re-issued from earlier batches, not a second copy of a row within the file."""
        reissued = np.zeros(len(self.is_new), bool)
        reissued[list(self.reissue_of)] = True
        return self.is_new | (reissued & (self.dup_of < 0))


def write_batch(
    engine: Engine, batch: Prepared, *, actor: str, now: datetime, progress: Progress = no_progress
) -> tuple[dict[str, Any], bool]:
    """Store a batch: new 图斑 as cases, re-issued ones as reissues of their case.

    One transaction: a failure anywhere leaves the store as it was. Returns (batch row,
    created); the same file again for the same programme and period changes nothing.
    """
    batch.meta.validate()
    row, created = _write(engine, batch, actor=actor, now=now, progress=progress)
    if created:
        analyze(engine, cases, reissues)
    return row, created


def _write(
    engine: Engine, batch: Prepared, *, actor: str, now: datetime, progress: Progress
) -> tuple[dict[str, Any], bool]:
    started = time.perf_counter()
    plan = _plan(batch)
    with engine.begin() as conn:
        existing = existing_batch_id(conn, batch.source_sha256, batch.meta)
        if existing is not None:
            return batch_row(conn, existing), False
        _refuse_same_name(conn, batch)
        _note_links(batch)
        batch_id = _insert_batch(conn, batch, plan, actor=actor, now=now)
        new_idx = np.flatnonzero(plan.is_new)
        _insert_cases(conn, batch, batch_id, new_idx, now=now, progress=progress)
        _book_issued(conn, batch, new_idx)
        ids = _ids_of(conn, batch_id, _codes_read_back(batch, plan))
        _set_sites(conn, plan.site_of, ids)
        _insert_reissues(conn, batch, batch_id, plan, ids)
        _note_patrol_sites(batch, site_links.link_patrol_sites(conn, batch_id))
        # Stored once, inside the transaction, so a batch never exists without its report.
        report = batch.layer.report
        report.seconds["write"] = time.perf_counter() - started
        report.created = True
        conn.execute(
            batches.update().where(batches.c.id == batch_id).values(report=report.to_dict())
        )
        return batch_row(conn, batch_id), True


def find_batch(engine: Engine, source_sha256: str, meta: BatchMeta) -> dict[str, Any] | None:
    """The batch already imported from this exact file for this programme and period."""
    with engine.connect() as conn:
        bid = existing_batch_id(conn, source_sha256, meta)
        return None if bid is None else batch_row(conn, bid)


def existing_batch_id(conn: Connection, source_sha256: str, meta: BatchMeta) -> int | None:
    """Id of the batch imported from the file with this hash for the same programme and period."""
    return conn.execute(
        select(batches.c.id).where(
            batches.c.source_sha256 == source_sha256,
            batches.c.programme == meta.programme.value,
            batches.c.period == meta.period,
        )
    ).scalar()


def batch_row(conn: Connection, batch_id: int) -> dict[str, Any]:
    """The ``batches`` row as a dict; ``NotFound`` if there is none."""
    row = conn.execute(select(batches).where(batches.c.id == batch_id)).first()
    if row is None:
        raise NotFound(f"没有批次 {batch_id}", batch_id=batch_id)
    return dict(row._mapping)


def _plan(batch: Prepared) -> _Plan:
    n = batch.row_count()
    reissue_of = {k.row: k for k in batch.links if k.kind == "reissue"}
    site_of = {k.row: k for k in batch.links if k.kind == "site"}
    dup_of = batch.duplicates()
    is_new = (dup_of < 0) & ~np.isin(np.arange(n), list(reissue_of))
    return _Plan(is_new, dup_of, reissue_of, site_of)


def _refuse_same_name(conn: Connection, batch: Prepared) -> None:
    """A different file under the same name for the same programme and period is refused."""
    meta, name = batch.meta, batch.layer.source_name
    clash = conn.execute(
        select(batches.c.id).where(
            batches.c.programme == meta.programme.value,
            batches.c.period == meta.period,
            batches.c.source_name == name,
        )
    ).first()
    if clash is not None:
        raise DuplicateBatch(
            msg("import.duplicate_batch", period=meta.period, programme=meta.programme),
            file=name,
            batch_id=clash.id,
        )


def _note_links(batch: Prepared) -> None:
    """Each link to an earlier case, in the report."""
    report = batch.layer.report
    # A layer's rows are in file order: its lowest rows are the lowest file rows, the only
    # links the report lists (the writer uses batch.links, all of them).
    listed = lowest_by(batch.links, lambda k: k.row)
    found = _gather(batch, np.array([k.row for k in listed], dtype=int), ("row", "code"))
    entries = []
    for k in listed:
        row_no, code = found[k.row]
        entries.append(
            {
                "row": int(row_no),
                "code": code,
                "linked_case_id": k.case_id,
                "reason": f"{k.kind}_{k.reason}",
                "iou": k.iou,
            }
        )
    report.add_links(entries, Counter(f"{k.kind}_{k.reason}" for k in batch.links))


def _note_patrol_sites(batch: Prepared, links: list[dict[str, Any]]) -> None:
    """Each new 图斑 put on a patrol case's site (storage.site_links), in the report."""
    if not links:
        return
    wanted = {k["code"] for k in links}
    rows: dict[str, int] = {}
    for part in batch.each_summary():
        hit = part.frame[part.frame["code"].isin(wanted)]
        for r, c in zip(hit["row"].tolist(), hit["code"].tolist(), strict=True):
            rows.setdefault(c, int(r))
    entries = [
        {
            "row": rows.get(k["code"], 0),
            "code": k["code"],
            "linked_case_id": k["patrol_case_id"],
            "linked_code": k["patrol_code"],
            "reason": "site_patrol",
            "iou": None,
        }
        for k in links
    ]
    listed = lowest_by(entries, lambda e: int(e["row"]))
    batch.layer.report.add_links(listed, Counter({"site_patrol": len(links)}))


def _insert_batch(
    conn: Connection, batch: Prepared, plan: _Plan, *, actor: str, now: datetime
) -> int:
    layer, meta = batch.layer, batch.meta
    new_count = int(plan.is_new.sum())
    listed = plan.listed()
    # The report's imported matches the batch's count; reissued says how many of them joined an
    # earlier case, so the new cases are still imported - reissued.
    layer.report.imported = int(listed.sum())
    layer.report.reissued = int(listed.sum()) - new_count
    area = np.zeros(batch.row_count())
    box = [np.inf, np.inf, -np.inf, -np.inf]
    for part in batch.each_summary():
        area[part.index] = part.frame["area_m2"].to_numpy(dtype=float)
        if len(part.frame):
            b = part.frame.total_bounds if part.bounds is None else part.bounds
            box = [min(box[0], b[0]), min(box[1], b[1]), max(box[2], b[2]), max(box[3], b[3])]
    key = conn.execute(
        batches.insert().values(
            programme=meta.programme.value,
            period=meta.period,
            authority=meta.authority,
            issued_on=meta.issued_on,
            due_on=meta.due_on,
            source_name=layer.source_name,
            source_sha256=batch.source_sha256,
            source_crs=layer.source_crs,
            encoding=layer.encoding,
            feature_count=int(listed.sum()),
            new_cases=new_count,
            area_m2=float(area[listed].sum()),
            **spatial.extent_values(tuple(float(v) for v in box)),
            imported_at=now,
            imported_by=actor,
            hint_layers=batch.hint_layers,
        )
    ).inserted_primary_key
    assert key is not None  # an INSERT of one row always has its key
    layer.report.batch_id = batch_id = int(key[0])
    return batch_id


def _insert_cases(
    conn: Connection,
    batch: Prepared,
    batch_id: int,
    new_idx: np.ndarray,
    *,
    now: datetime,
    progress: Progress,
) -> None:
    """The new cases, part by part and a slice of ``WRITE_CHUNK`` rows at a time."""
    n = batch.row_count()
    is_new = np.zeros(n, bool)
    is_new[new_idx] = True
    const = {
        "batch_id": batch_id,
        "programme": batch.meta.programme.value,
        "state": State.ISSUED.value,
        "version": 0,
        "returned_count": 0,
        "updated_at": bind_constant(conn, cases, "updated_at", now),
    }
    done = 0
    with indexes_deferred(conn, cases, len(new_idx)):
        for part in batch.each_part(is_new):
            frame = part.frame
            land_class = (
                frame["delivered_land_class"]
                if "delivered_land_class" in frame
                else pd.Series(None, index=frame.index, dtype=object)
            )
            mine = np.flatnonzero(is_new[part.index])
            for s0 in range(0, len(mine), WRITE_CHUNK):
                idx = mine[s0 : s0 + WRITE_CHUNK]
                feats = _feature_columns(frame, idx)
                feats.update(_hint_columns(part.hints, idx))
                feats["delivered_land_class"] = _values(land_class, idx)
                columns = [[v] * len(idx) for v in const.values()] + list(feats.values())
                insert_rows(conn, cases, [*const, *feats], list(zip(*columns, strict=True)))
                del feats, columns
                done += len(idx)
                progress("写入", done, n)


def _book_issued(conn: Connection, batch: Prepared, new_idx: np.ndarray) -> None:
    """The new cases, counted by township a part at a time (a list of every new case's
    township was 1.3 GB at 10M 图斑)."""
    is_new = np.zeros(batch.row_count(), bool)
    is_new[new_idx] = True
    by_township: Counter[str] = Counter()
    for part in batch.each_summary():
        mine = np.flatnonzero(is_new[part.index])
        if part.hints is None:
            by_township[""] += len(mine)
            continue
        towns = part.hints["township_code"].iloc[mine].astype(object)
        counted = towns.where(towns.notna(), "").astype(str).value_counts()
        by_township.update({str(k): int(v) for k, v in counted.items()})
    daily_counts.book_issued(
        conn,
        day=batch.meta.issued_on,
        programme=batch.meta.programme.value,
        period=batch.meta.period,
        by_township=by_township,
    )


def _codes_read_back(batch: Prepared, plan: _Plan) -> dict[int, str]:
    """Codes of the new cases whose ids are needed (by row): the rows other rows repeat, and
    the rows on another programme's site. Only these are read back."""
    roots = np.unique(plan.dup_of[plan.dup_of >= 0])
    sites = np.array(sorted(plan.site_of), dtype=int)
    rows = np.concatenate([roots, sites]).astype(int)
    found = _gather(batch, rows, ("code",))
    return {row: found[row][0] for row in rows.tolist()}


def _gather(
    batch: Prepared, rows: np.ndarray, columns: tuple[str, ...], hint: str | None = None
) -> dict[int, tuple[Any, ...]]:
    """Values of ``columns`` (and of the hint column ``hint``) for the batch's rows ``rows``,
    by row: one pass over the summaries, so only their columns can be asked for. Empty when a
    hint is asked for and there are none."""
    wanted = np.zeros(batch.row_count(), bool)
    wanted[rows] = True
    out: dict[int, tuple[Any, ...]] = {}
    for part in batch.each_summary():
        if hint is not None and part.hints is None:
            return {}
        idx = np.flatnonzero(wanted[part.index])
        if not len(idx):
            continue
        cols = [_values(part.frame[c], idx) for c in columns]
        if hint is not None:
            assert part.hints is not None
            cols.append(_values(part.hints[hint], idx))
        out.update(zip(part.index[idx].tolist(), zip(*cols, strict=True), strict=True))
    return out


def _ids_of(conn: Connection, batch_id: int, codes: dict[int, str]) -> dict[int, int]:
    """Case id by row, for the rows of ``codes``."""
    wanted = sorted(set(codes.values()))
    by_code: dict[str, int] = {}
    for i in range(0, len(wanted), 500):
        q = select(cases.c.code, cases.c.id).where(
            cases.c.batch_id == batch_id, cases.c.code.in_(wanted[i : i + 500])
        )
        by_code.update(dict(conn.execute(q).all()))
    return {row: by_code[c] for row, c in codes.items() if c in by_code}


def _set_sites(conn: Connection, site_of: dict[int, Link], ids: dict[int, int]) -> None:
    """New cases on the site of another programme's case share its site_id; others own one."""
    if not site_of:
        return
    linked = [k.case_id for k in site_of.values()]
    sites = dict(
        conn.execute(select(cases.c.id, cases.c.site_id).where(cases.c.id.in_(linked))).all()
    )
    updates = [
        {"cid": ids[row], "site": sites.get(k.case_id) or k.case_id}
        for row, k in site_of.items()
        if row in ids
    ]
    if updates:
        conn.execute(
            cases.update().where(cases.c.id == bindparam("cid")).values(site_id=bindparam("site")),
            updates,
        )


def _insert_reissues(
    conn: Connection, batch: Prepared, batch_id: int, plan: _Plan, ids: dict[int, int]
) -> None:
    """Rows that repeat a case: re-issued from an earlier batch, or an in-file duplicate."""

    def case_of(i: int) -> int:
        # Its link's case, else (an in-file duplicate) its root row's new case.
        if i in plan.reissue_of:
            return plan.reissue_of[i].case_id
        return ids[i] if plan.dup_of[i] < 0 else case_of(int(plan.dup_of[i]))

    columns = ["batch_id", "case_id", "row", *FEATURE_COLUMNS, "reason", "iou"]
    with indexes_deferred(conn, reissues, int((~plan.is_new).sum())):
        for part in batch.each_part(~plan.is_new):
            mine = np.flatnonzero(~plan.is_new[part.index])
            feats = _feature_columns(part.frame, mine)
            rows_no = part.frame["row"].to_numpy()[mine].tolist()
            rows = []
            for k, i in enumerate(part.index[mine].tolist()):
                link = plan.reissue_of.get(i)
                rows.append(
                    (
                        batch_id,
                        case_of(i),
                        rows_no[k],
                        *(feats[c][k] for c in FEATURE_COLUMNS),
                        f"reissue_{link.reason}" if link else "in_file_duplicate",
                        link.iou if link else None,
                    )
                )
            insert_rows(conn, reissues, columns, rows)
            del feats, rows


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
    return {
        "code": _values(frame["code"], idx),
        "xzqdm": _values(frame["xzqdm"], idx),
        "attributes": _values(frame["attributes"], idx),  # already JSON text
        **spatial.geometry_values(frame.geometry.to_numpy()[idx]),  # geom and its bbox
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
