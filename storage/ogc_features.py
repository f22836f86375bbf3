"""The store's side of OGC API - Features: collections (batches, reference layers, all cases)
and their items a page at a time, narrowed by a box, the user's scope and compiled CQL2.

A batch's items are the web map's (``storage.map_queries.MapView``: its own 图斑, then those it
re-issued, found through the spatial index), with extra conditions added to its filter. The
cases collection is every case once, by id. Feature ids are case ids (reference features:
their row ids), so an item is found again at ``…/items/{id}``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Engine, Select, false, func, select

from geo.errors import NotFound
from storage import spatial
from storage.cql2 import Queryable, compile_cql2, property_equals
from storage.map_queries import FeatureFilter, MapView
from storage.spatial import Box
from storage.tables import batches, cases, ref_features, ref_layers
from storage.visibility import EVERYTHING, Scope

BATCH_COLUMNS = ("id", "programme", "period", "authority", "issued_on", "due_on", "source_name")


@dataclass(frozen=True)
class Narrowed(FeatureFilter):
    """The map's filter with further conditions on ``cases`` (compiled CQL2, datetime, one id)."""

    extra: tuple[ColumnElement[bool], ...] = ()

    def on(self, query: Select[Any], table: Any) -> Select[Any]:
        """The map's narrowing, then the extra conditions."""
        return super().on(query, table).where(*self.extra)


@dataclass(frozen=True)
class ItemsQuery:
    """Which items, and which page of them."""

    bbox: Box | None = None
    scope: Scope = EVERYTHING
    conditions: tuple[ColumnElement[bool], ...] = ()
    limit: int = 100
    offset: int = 0


Page = tuple[list[dict[str, Any]], int]


class OgcFeatures:
    """OGC API - Features reads on one engine."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.map = MapView(engine)

    def batches(self, batch_id: int | None = None) -> list[dict[str, Any]]:
        """Every batch (or the one ``batch_id``) with its dates and stored extent, by id."""
        cols = [batches.c[n] for n in BATCH_COLUMNS]
        q = select(*cols, *spatial.bbox_columns(batches)).order_by(batches.c.id)
        if batch_id is not None:
            q = q.where(batches.c.id == batch_id)
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(q)]

    def batch(self, batch_id: int) -> dict[str, Any]:
        """One batch as ``batches`` lists it; NotFound for an unknown id."""
        found = self.batches(batch_id)
        if not found:
            raise NotFound(f"没有批次 {batch_id}", batch_id=batch_id)
        return found[0]

    def layers(self, layer_id: int | None = None) -> list[dict[str, Any]]:
        """Every reference layer version (or the one ``layer_id``) with its stored extent."""
        q = select(
            ref_layers.c.id,
            ref_layers.c.kind,
            ref_layers.c.name,
            ref_layers.c.version,
            *spatial.bbox_columns(ref_layers),
        ).order_by(ref_layers.c.id)
        if layer_id is not None:
            q = q.where(ref_layers.c.id == layer_id)
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(q)]

    def layer(self, layer_id: int) -> dict[str, Any]:
        """One reference layer; NotFound for an unknown id."""
        found = self.layers(layer_id)
        if not found:
            raise NotFound(f"没有参考图层 {layer_id}", layer_id=layer_id)
        return found[0]

    def batch_items(self, batch_id: int, q: ItemsQuery) -> Page:
        """A page of the batch's 图斑 (own, then re-issued) and how many match in all."""
        where = Narrowed(bbox=q.bbox, scope=q.scope, extra=q.conditions)
        rows, matched = self.map.page(
            batch_id=batch_id, where=where, limit=q.limit, offset=q.offset
        )
        return self._dated(rows), int(matched or 0)

    def case_items(self, q: ItemsQuery) -> Page:
        """A page of every case the scope holds (each once, as first issued), by id."""
        narrowed = Narrowed(bbox=q.bbox, scope=q.scope, extra=q.conditions)
        ids = narrowed.on(select(cases.c.id), cases)
        with self.engine.connect() as conn:
            matched = conn.execute(select(func.count()).select_from(ids.subquery())).scalar_one()
            page = narrowed.on(select(cases), cases).order_by(cases.c.id)
            rows = [dict(r._mapping) for r in conn.execute(page.offset(q.offset).limit(q.limit))]
        return self._dated(rows), int(matched)

    def reference_items(self, layer_id: int, q: ItemsQuery) -> Page:
        """A page of a reference layer's features meeting the box and conditions."""
        self.layer(layer_id)
        base = select(ref_features.c.id).where(ref_features.c.layer_id == layer_id, *q.conditions)
        ids = spatial.within(base, ref_features, q.bbox)
        cols = (
            ref_features.c.id,
            ref_features.c.ident,
            ref_features.c.label,
            ref_features.c.attributes,
            ref_features.c.geom,
        )
        page = spatial.within(
            select(*cols).where(ref_features.c.layer_id == layer_id, *q.conditions),
            ref_features,
            q.bbox,
        ).order_by(ref_features.c.id)
        with self.engine.connect() as conn:
            matched = conn.execute(select(func.count()).select_from(ids.subquery())).scalar_one()
            rows = [dict(r._mapping) for r in conn.execute(page.offset(q.offset).limit(q.limit))]
        return rows, int(matched)

    def _dated(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """``rows`` with the period and dates of the batch that first issued each 图斑."""
        wanted = sorted({r["batch_id"] for r in rows})
        if not wanted:
            return rows
        q = select(batches.c.id, batches.c.period, batches.c.issued_on, batches.c.due_on)
        with self.engine.connect() as conn:
            found = {b.id: b for b in conn.execute(q.where(batches.c.id.in_(wanted)))}
        for r in rows:
            b = found[r["batch_id"]]
            r.update(period=b.period, issued_on=b.issued_on, due_on=b.due_on)
        return rows


def programmes_condition(programmes: Sequence[str]) -> Condition:
    """The cases of these programmes (the verification collection: the 卫片 ones)."""
    return cases.c.programme.in_(list(programmes))


def code_condition(code: str, batch_id: int | None = None) -> Condition:
    """The cases whose 图斑编号 is ``code``, in batch ``batch_id`` when given (a code is unique
    within a batch, not across batches)."""
    if batch_id is None:
        return cases.c.code == code
    return (cases.c.code == code) & (cases.c.batch_id == batch_id)


def ids_condition(ids: Sequence[int], *, reference: bool = False) -> ColumnElement[bool]:
    """The condition picking these cases (or reference features): one item by id."""
    table = ref_features if reference else cases
    return table.c.id.in_(list(ids))


Condition = ColumnElement[bool]


def nothing() -> Condition:
    """A condition no row meets."""
    return false()


def item_conditions(
    queryables: Mapping[str, Queryable],
    params: Iterable[tuple[str, str]],
    filter_text: str | None,
    issued: tuple[date | None, date | None] | None,
) -> list[Condition]:
    """The SQL conditions of an items request: each queryable given as a query parameter
    (``?state=verified``), the CQL2 text ``filter``, and for the cases collection the issue
    dates ``issued`` (start, end; None: not asked)."""
    conds = [
        property_equals(queryables, name, value) for name, value in params if name in queryables
    ]
    if filter_text is not None:
        conds.append(compile_cql2(filter_text, queryables))
    if issued is not None:
        conds.append(issued_between(*issued))
    return conds


def issued_between(start: date | None, end: date | None) -> ColumnElement[bool]:
    """The 图斑 first issued by a batch whose issue date lies from ``start`` to ``end``
    (inclusive; None: open)."""
    conds = []
    if start is not None:
        conds.append(batches.c.issued_on >= start)
    if end is not None:
        conds.append(batches.c.issued_on <= end)
    return cases.c.batch_id.in_(select(batches.c.id).where(*conds))
