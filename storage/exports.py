"""A batch's 图斑 for an export, a chunk at a time: each with its delivered attributes, its case's
township, village, state, judgment, dates, enforcement case number and fine.

Rows come in keyset-paged chunks (by case id, then by re-issue id), so a batch of a million
图斑 is never one list in memory. Like the map (storage.map_queries), a re-issued 图斑 comes with
its own code, attributes and shape and the state of the case it joined; in-file duplicates are
left out.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, select

from geo.export_formats import ExportFormat, safe_file_stem
from geo.export_writer import ExportOptions, ExportSummary, attribute_kinds, write_export
from storage.batch_writer import batch_row
from storage.map_queries import FeatureFilter, check_batch, first_reissues, own_rows
from storage.tables import cases, enforcements, reissues
from storage.visibility import EVERYTHING, Scope

CHUNK_ROWS = 5000
# The case's own columns; a re-issue's own code, attributes, shape and areas replace these.
_CASE_COLUMNS = (
    "township_code",
    "township_name",
    "village_code",
    "village_name",
    "state",
    "judgment",
    "verify_reason",
    "verified_at",
    "filed_on",
    "rectified_on",
    "closed_at",
)
_OWN = ("code", "xzqdm", "attributes", "geom", "area_m2", "area_mu")


def _columns(source: Any) -> list[Any]:
    # The enforcement's number and fine are the 立案's (one for all its 图斑); a case filed
    # before enforcements were recorded apart keeps its own.
    return [
        *(source.c[n] for n in _OWN),
        *(cases.c[n] for n in _CASE_COLUMNS),
        func.coalesce(enforcements.c.case_no, cases.c.case_no).label("case_no"),
        func.coalesce(enforcements.c.fine_yuan, cases.c.fine_yuan).label("fine_yuan"),
    ]


def _with_enforcement(query: Any) -> Any:
    return query.outerjoin(enforcements, enforcements.c.id == cases.c.enforcement_id)


class ExportRows:
    """The reads of an export on one engine."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def batch(self, batch_id: int) -> dict[str, Any]:
        """The batch row (NotFound when there is none)."""
        with self.engine.connect() as conn:
            return batch_row(conn, batch_id)

    def export(
        self,
        batch_id: int,
        fmt: ExportFormat,
        out: Path,
        options: ExportOptions,
        *,
        scope: Scope = EVERYTHING,
    ) -> ExportSummary:
        """Write the batch's 图斑 in ``scope`` to ``out``: one pass over the delivered
        attributes for the columns and their types, then one (two for the province profile)
        over the rows."""
        options.check()
        batch = self.batch(batch_id)
        kinds = attribute_kinds(self.chunks(batch_id, scope=scope, columns="attributes"))
        return write_export(
            fmt,
            lambda: self.chunks(batch_id, scope=scope),
            kinds,
            out,
            options,
            stem=safe_file_stem(batch),
        )

    def chunks(
        self,
        batch_id: int,
        *,
        scope: Scope = EVERYTHING,
        columns: str = "all",
        chunk_rows: int = CHUNK_ROWS,
    ) -> Iterator[list[dict[str, Any]]]:
        """The batch's 图斑 in ``scope``, ``chunk_rows`` at a time: its own by case id, then
        those it re-issued. ``columns="attributes"`` reads only the delivered attributes (what
        an export's schema is found from) instead of every column."""
        f = FeatureFilter(scope=scope)
        with self.engine.connect() as conn:
            check_batch(conn, batch_id)
        yield from self._own(batch_id, f, columns, chunk_rows)
        yield from self._reissued(batch_id, f, columns, chunk_rows)

    def _own(
        self, batch_id: int, f: FeatureFilter, columns: str, n: int
    ) -> Iterator[list[dict[str, Any]]]:
        cols = [cases.c.attributes] if columns == "attributes" else _columns(cases)
        last = 0
        while True:
            q = own_rows(select(cases.c.id.label("_key"), *cols), batch_id, f)
            if columns != "attributes":
                q = _with_enforcement(q.select_from(cases))
            q = q.where(cases.c.id > last).order_by(cases.c.id).limit(n)
            with self.engine.connect() as conn:
                rows = [dict(r._mapping) for r in conn.execute(q)]
            if not rows:
                return
            last = rows[-1]["_key"]
            yield rows

    def _reissued(
        self, batch_id: int, f: FeatureFilter, columns: str, n: int
    ) -> Iterator[list[dict[str, Any]]]:
        cols = [reissues.c.attributes] if columns == "attributes" else _columns(reissues)
        last = 0
        while True:
            q = (
                select(reissues.c.id.label("_key"), *cols)
                .select_from(reissues)
                .join(cases, cases.c.id == reissues.c.case_id)
            )
            if columns != "attributes":
                q = _with_enforcement(q)
            q = (
                q.where(reissues.c.id.in_(first_reissues(batch_id, f)), reissues.c.id > last)
                .order_by(reissues.c.id)
                .limit(n)
            )
            with self.engine.connect() as conn:
                rows = [dict(r._mapping) for r in conn.execute(q)]
            if not rows:
                return
            last = rows[-1]["_key"]
            yield rows
