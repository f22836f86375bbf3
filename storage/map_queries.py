"""The web map's reads of a batch: its 图斑 in a box (counted and paged), counts by state and
township, and search by 图斑编号 or place name."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, Select, and_, func, or_, select, union_all

from geo.errors import NotFound
from storage import spatial
from storage.spatial import Box
from storage.tables import batches, cases, reissues
from storage.visibility import EVERYTHING, Scope

# A re-issued 图斑 shows its own geometry and code with the state of the case it joined.
_REISSUE_OWN = ("code", "xzqdm", "attributes", "geom", "area_m2", "area_mu")
# Not a column of ``cases``: the 图斑's geometry as GeoJSON text (``spatial.as_geojson``), for a
# caller of ``MapView.page`` that writes GeoJSON without decoding the shape.
GEOJSON = "geom_geojson"


def _own_columns(columns: Sequence[str] | None) -> list[Any]:
    if columns is None:
        return [cases]
    return [_column(cases, n) for n in columns]


def _reissue_columns(columns: Sequence[str] | None) -> list[Any]:
    names = [c.name for c in cases.c] if columns is None else list(columns)
    picked = [
        _column(reissues if n in _REISSUE_OWN or n == GEOJSON else cases, n)
        for n in names
        if n != "batch_id"
    ]
    return [
        *picked,
        cases.c.batch_id.label("reissue_of_batch"),
        reissues.c.reason.label("reissue_reason"),
    ]


def _dicts(result: Any) -> list[dict[str, Any]]:
    # The rows fetched at once and zipped with the keys: a page of 3 000 costs a third of
    # ``dict(row._mapping)`` row by row.
    keys = list(result.keys())
    return [dict(zip(keys, r, strict=True)) for r in result.all()]


def _column(t: Any, name: str) -> Any:
    if name == GEOJSON:
        return spatial.as_geojson(t.c[spatial.GEOMETRY_COLUMN]).label(GEOJSON)
    if name not in t.c:
        raise ValueError(f"no column {name!r} in {t.name}")
    return t.c[name]


@dataclass(frozen=True)
class FeatureFilter:
    """Which of a batch's 图斑 a view wants: a box, states, townships, and what the user sees."""

    bbox: Box | None = None
    states: Sequence[str] = ()
    townships: Sequence[str] = ()
    scope: Scope = EVERYTHING

    def on(self, query: Select[Any], table: Any) -> Select[Any]:
        """``query`` narrowed to what the view wants, the box taken on ``table`` (cases, or
        reissues for their own shape) and found through its spatial index."""
        conds: list[Any] = []
        if self.states:
            conds.append(cases.c.state.in_(list(self.states)))
        if self.townships:
            conds.append(cases.c.township_code.in_(list(self.townships)))
        visible = self.scope.clause()
        if visible is not None:
            conds.append(visible)
        return spatial.within(query, table, self.bbox).where(*conds)


def own_rows(query: Select[Any], batch_id: int, f: FeatureFilter) -> Select[Any]:
    """``query`` (over ``cases``) narrowed to the batch's own 图斑 meeting ``f``."""
    return f.on(query.where(cases.c.batch_id == batch_id), cases)


def first_reissues(batch_id: int, f: FeatureFilter) -> Select[Any]:
    """The first re-issue (in file order) of each earlier case this batch issued again.

    In-file duplicates are left out: they are the same case, drawn once.
    """
    again = (
        select(func.min(reissues.c.id))
        .join(cases, cases.c.id == reissues.c.case_id)
        .where(reissues.c.batch_id == batch_id, cases.c.batch_id != batch_id)
    )
    return f.on(again, reissues).group_by(reissues.c.case_id)


def check_batch(conn: Any, batch_id: int) -> None:
    """NotFound unless the batch exists."""
    if conn.execute(select(batches.c.id).where(batches.c.id == batch_id)).first() is None:
        raise NotFound(f"没有批次 {batch_id}", batch_id=batch_id)


def _counts(conn: Any, batch_id: int, f: FeatureFilter, upto: int | None = None) -> tuple[int, int]:
    """How many own and re-issued 图斑 meet ``f``; with ``upto``, counted no further than
    ``upto + 1`` in all (a sum above ``upto`` then says only "more than ``upto``")."""
    own = own_rows(select(cases.c.id), batch_id, f)
    again = first_reissues(batch_id, f)
    if upto is None:
        n_own = conn.execute(select(func.count()).select_from(own.subquery())).scalar_one()
        n_again = conn.execute(select(func.count()).select_from(again.subquery())).scalar_one()
        return int(n_own), int(n_again)
    n_own = spatial.count_upto(conn, own, upto)
    if n_own > upto:
        return n_own, 0
    return n_own, spatial.count_upto(conn, again, upto - n_own)


class MapView:
    """The web map's queries on one engine."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def count(self, *, batch_id: int, where: FeatureFilter) -> int:
        """How many of the batch's 图斑 (own and re-issued) meet ``where``: counted on the
        spatial index and the box columns, no geometry read."""
        with self.engine.connect() as conn:
            check_batch(conn, batch_id)
            return sum(_counts(conn, batch_id, where))

    def features(
        self,
        *,
        batch_id: int,
        where: FeatureFilter | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[dict[str, Any]]:
        """The batch's 图斑 meeting ``where`` with their case state, a page at a time.

        Its own 图斑 come first (by case id), then those it re-issued (in file order;
        ``reissue_of_batch`` names where the case began); ``limit``/``offset`` page that order.
        """
        return self.page(batch_id=batch_id, where=where, limit=limit, offset=offset)[0]

    def page(
        self,
        *,
        batch_id: int,
        where: FeatureFilter | None = None,
        limit: int | None = None,
        offset: int = 0,
        count_upto: int | None = None,
        columns: Sequence[str] | None = None,
    ) -> tuple[list[dict[str, Any]], int | None]:
        """``features`` and how many match in all (numberMatched), counted once.

        With ``count_upto`` (at least ``offset + limit``) the count stops there: the number is
        None when more match, so a view of the whole county costs O(``count_upto``) rows, not
        a count of every 图斑 in it.

        ``columns`` names the columns of ``cases`` read (default: all), ``GEOJSON`` among them
        for the geometry as GeoJSON text; a re-issued 图斑 also carries ``reissue_of_batch``
        and ``reissue_reason``, and ``batch_id`` when asked for (the batch of its case).
        """
        f = where or FeatureFilter()
        if count_upto is not None and limit is not None:
            count_upto = max(count_upto, offset + limit)
        with self.engine.connect() as conn:
            check_batch(conn, batch_id)
            if offset == 0 and limit:
                rows, n_own, n_again = self._first_page(conn, batch_id, f, limit, columns)
                if n_again is None:  # the page is full: count, as far as asked
                    n_own, n_again = _counts(conn, batch_id, f, count_upto)
            else:
                rows, n_own, n_again = self._page_at(
                    conn, batch_id, f, limit, offset, columns, count_upto
                )
            if columns is not None and GEOJSON in columns and rows:
                texts = spatial.geojson_texts(conn.dialect.name, [r[GEOJSON] for r in rows])
                for r, t in zip(rows, texts, strict=True):
                    r[GEOJSON] = t
            matched = n_own + n_again
            return rows, None if count_upto is not None and matched > count_upto else matched

    def _first_page(
        self,
        conn: Any,
        batch_id: int,
        f: FeatureFilter,
        limit: int,
        columns: Sequence[str] | None,
    ) -> tuple[list[dict[str, Any]], int, int | None]:
        """The first page, read before anything is counted: a view holding fewer than
        ``limit`` 图斑 (a village, the usual case) has them all on its page, so their number
        is the page's and no count statement runs. (rows, own, re-issued); re-issued None
        when the page is full and the numbers are not known."""
        own = own_rows(select(*_own_columns(columns)), batch_id, f).order_by(cases.c.id)
        rows = _dicts(conn.execute(own.limit(limit)))
        if len(rows) == limit:
            return rows, len(rows), None
        n_own, left = len(rows), limit - len(rows)
        again = self._reissued(conn, batch_id, f, 0, left, columns)
        return rows + again, n_own, None if len(again) == left else len(again)

    def _page_at(
        self,
        conn: Any,
        batch_id: int,
        f: FeatureFilter,
        limit: int | None,
        offset: int,
        columns: Sequence[str] | None,
        count_upto: int | None,
    ) -> tuple[list[dict[str, Any]], int, int]:
        """A later page (or all, or none): counted first, to know where the own 图斑 end."""
        n_own, n_again = _counts(conn, batch_id, f, count_upto)
        rows: list[dict[str, Any]] = []
        if offset < n_own and limit != 0:
            own = own_rows(select(*_own_columns(columns)), batch_id, f).order_by(cases.c.id)
            rows = _dicts(conn.execute(own.offset(offset).limit(limit)))
        left = None if limit is None else limit - len(rows)
        if n_again and (left is None or left > 0):
            skip = max(offset - n_own, 0)
            rows += self._reissued(conn, batch_id, f, skip, left, columns)
        return rows, n_own, n_again

    @staticmethod
    def _reissued(
        conn: Any,
        batch_id: int,
        f: FeatureFilter,
        skip: int,
        limit: int | None,
        columns: Sequence[str] | None,
    ) -> list[dict[str, Any]]:
        again = (
            select(*_reissue_columns(columns))
            .select_from(reissues)
            .join(cases, cases.c.id == reissues.c.case_id)
            .where(reissues.c.id.in_(first_reissues(batch_id, f)))
            .order_by(reissues.c.id)
            .offset(skip)
            .limit(limit)
        )
        rows = _dicts(conn.execute(again))
        if columns is None or "batch_id" in columns:
            for r in rows:
                r["batch_id"] = r["reissue_of_batch"]
        return rows

    def summary(self, *, batch_id: int, scope: Scope = EVERYTHING) -> dict[str, Any]:
        """Counts of the batch's 图斑 (those in ``scope``) by state and by township."""
        cols = (cases.c.id, cases.c.state, cases.c.township_code, cases.c.township_name)
        own = select(*cols).where(cases.c.batch_id == batch_id)
        again = (
            select(*cols)
            .join(reissues, reissues.c.case_id == cases.c.id)
            .where(reissues.c.batch_id == batch_id, cases.c.batch_id != batch_id)
        )
        visible = scope.clause()
        if visible is not None:
            own, again = own.where(visible), again.where(visible)
        both = union_all(own, again.distinct()).subquery()
        stmt = select(
            both.c.state, both.c.township_code, both.c.township_name, func.count().label("n")
        ).group_by(both.c.state, both.c.township_code, both.c.township_name)
        states: dict[str, int] = {}
        towns: dict[str, dict[str, Any]] = {}
        total = 0
        with self.engine.connect() as conn:
            check_batch(conn, batch_id)
            for r in conn.execute(stmt):
                states[r.state] = states.get(r.state, 0) + r.n
                key = r.township_code or ""
                t = towns.setdefault(
                    key, {"code": r.township_code, "name": r.township_name, "n": 0}
                )
                t["n"] += r.n
                total += r.n
        return {
            "batch_id": batch_id,
            "total": total,
            "states": states,
            "townships": sorted(towns.values(), key=lambda t: (t["code"] is None, t["code"] or "")),
        }

    def search(
        self,
        *,
        text: str,
        programme: str | None,
        batch_id: int | None,
        scope: Scope = EVERYTHING,
        limit: int,
        offset: int = 0,
    ) -> tuple[list[dict[str, Any]], int]:
        """Cases whose 图斑编号, village or township name contains ``text``, exact codes first;
        returns (one page of rows, how many match)."""
        # Literal text: a % or _ typed is looked for as itself (autoescape), never a wildcard,
        # and a backslash means the same on both backends (PostgreSQL's LIKE escapes with it).
        where = [
            or_(
                cases.c.code.contains(text, autoescape=True),
                cases.c.village_name.contains(text, autoescape=True),
                cases.c.township_name.contains(text, autoescape=True),
            )
        ]
        if programme is not None:
            where.append(cases.c.programme == programme)
        if batch_id is not None:
            where.append(cases.c.batch_id == batch_id)
        visible = scope.clause()
        if visible is not None:
            where.append(visible)
        stmt = (
            select(
                cases.c.id,
                cases.c.batch_id,
                cases.c.code,
                cases.c.programme,
                cases.c.state,
                cases.c.township_name,
                cases.c.village_name,
                batches.c.period,
                *spatial.bbox_columns(cases),
            )
            .join(batches, batches.c.id == cases.c.batch_id)
            .where(and_(*where))
            .order_by((cases.c.code == text).desc(), cases.c.code, cases.c.id)
            .offset(offset)
            .limit(limit)
        )
        counted = select(func.count()).select_from(cases).where(and_(*where))
        with self.engine.connect() as conn:
            rows = [dict(r._mapping) for r in conn.execute(stmt)]
            return rows, int(conn.execute(counted).scalar_one())
