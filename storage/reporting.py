"""Goal-table values and report documents from what is stored: counts, money, notes, maps.

The counts of every (programme, period, township) come from the daily counts kept as work
happens (storage.daily_counts); they are cached in memory until a case, event, payment or
batch is added. Drill-down asks the database for the 图斑 behind one value (storage.drill).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
import shapely
import shapely.geometry
from sqlalchemy import ColumnElement, Engine, Row, and_, select

from geo.budget import execution
from geo.goals import GoalBook, Project
from geo.indicators import (
    ISSUED_PROGRAMMES,
    METRICS,
    MetricValue,
    RowValue,
    aggregate,
    compute_project,
    project_cases,
)
from geo.model import FINAL_STATES, Judgment
from geo.references import RefKind
from geo.report_doc import differences, document, project_entry
from storage import daily_counts, drill, facts, spatial
from storage.drill import DrillPage, DrillQuery
from storage.refs import RefStore
from storage.snapshots import SnapshotStore, info
from storage.tables import batches, cases
from storage.visibility import EVERYTHING, Scope

QUARTER_ENDS = ((3, 31), (6, 30), (9, 30), (12, 31))
_QUARTER = timedelta(days=92)
MAP_LIMIT = 3000  # 图斑 drawn per report map; the counts stay exact


class IndicatorSource:
    """Live or past counts and payments, cached by the store's generation."""

    def __init__(self, engine: Engine, size: int = 12) -> None:
        self.engine = engine
        self._cache: OrderedDict[tuple, tuple[pd.DataFrame, pd.DataFrame]] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def frames(
        self, as_of: date | None = None, period: str | None = None
    ) -> tuple[pd.DataFrame, pd.DataFrame]:
        """(counts, payments) live or as of the end of local day ``as_of``, cached.

        With ``period`` the counts also hold, under that period, the cases re-issued in it that
        began in another: a period counts every 图斑 issued in it. Without one each case counts
        once, in the period of its first batch, so totals never count a re-issue twice.
        """
        key = (facts.generation(self.engine), as_of, period)
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None:
                self._cache.move_to_end(key)
                return hit
        counts = daily_counts.counts(self.engine, as_of=as_of)
        if period is not None:
            again = (
                facts.live_facts(self.engine, reissued_in=period)
                if as_of is None
                else facts.facts_as_of(self.engine, as_of, reissued_in=period)
            )
            if len(again):
                counts = pd.concat([counts, aggregate(again)], ignore_index=True)
        value = (counts, facts.payments_frame(self.engine, as_of=as_of))
        with self._lock:
            self._cache[key] = value
            while len(self._cache) > self._size:
                self._cache.popitem(last=False)
        return value

    def rows(
        self,
        project: Project,
        *,
        as_of: date | None = None,
        township: str | None = None,
        period: str | None = None,
        drill: bool = False,
        scope: Scope = EVERYTHING,
    ) -> tuple[list[RowValue], int]:
        """The project's rows with values, and how many 图斑 they cover.

        The values are the bureau's, whoever asks. ``drill`` adds to each value the ids of
        the 图斑 behind it that ``scope`` may see (a verifier learns which of their own 图斑
        count, not which others do): one query per bound metric (storage.drill), so a project
        binding none reads no 图斑, and what is held is the ids, not a frame of every case.
        """
        data, paid = self.frames(as_of, period)
        rows = compute_project(project, data, paid, township=township, period=period)
        n = int(project_cases(project, data, township=township, period=period)["issued"].sum())
        if drill:
            rows = [
                replace(r, values=tuple(self._with_ids(project, v, as_of, township, period,
                                                       scope) for v in r.values))
                for r in rows
            ]  # fmt: skip
        return rows, n

    def _with_ids(
        self,
        project: Project,
        v: MetricValue,
        as_of: date | None,
        township: str | None,
        period: str | None,
        scope: Scope,
    ) -> MetricValue:
        q = DrillQuery(project, v.metric, as_of=as_of, township=township, period=period)
        ids = np.asarray(drill.case_ids(self.engine, q, scope), dtype=np.int64)
        return replace(v, ids=ids)

    def cases(
        self, q: DrillQuery, *, limit: int, offset: int, scope: Scope = EVERYTHING
    ) -> DrillPage:
        """One page of the 图斑 behind one value (storage.drill.page).

        For a caller who sees every 图斑 the count is the value's own numerator from the
        cached daily counts (the number the table shows; tests check that it equals the ids
        listed), so a page costs only the query that finds its ids: counting them again
        would read every case of the scope. Others' counts, and the money metrics', are
        counted by the database within the scope.
        """
        count = None
        metric = METRICS.get(q.metric)
        if scope.everything and metric is not None and metric.num is not None:
            data, _ = self.frames(q.as_of, q.period)
            covered = project_cases(q.project, data, township=q.township, period=q.period)
            count = int(covered[metric.num].sum())
        return drill.page(self.engine, q, limit=limit, offset=offset, scope=scope, count=count)

    def trend(
        self,
        project: Project,
        *,
        today: date,
        township: str | None = None,
        period: str | None = None,
    ) -> list[dict[str, Any]]:
        """Each bound metric at the end of every quarter of the project's year up to ``today``
        (optionally one township, or the batches of one issuing period)."""
        quarter_ends = [date(project.year, m, d) for m, d in QUARTER_ENDS]
        # the quarters done so far, then the current one up to today
        ends = [min(end, today) for end in quarter_ends if end <= today or end - today < _QUARTER]
        series: dict[str, dict[str, Any]] = {}
        for i, end in enumerate(ends):
            label = f"{project.year}Q{i + 1}"
            rows = compute_project(
                project, *self.frames(end, period), township=township, period=period
            )
            for r in rows:
                for v in r.values:
                    s = series.setdefault(
                        v.metric,
                        {"metric": v.metric, "label": v.label, "unit": v.unit, "points": []},
                    )
                    s["points"].append(
                        {"period": label, "as_of": end.isoformat(), "value": v.value}
                    )
        return list(series.values())


def township_name(engine: Engine, code: str) -> str:
    """A township's name as its 图斑 record it; the code itself when none does."""
    with engine.connect() as conn:
        name = conn.execute(
            select(cases.c.township_name).where(cases.c.township_code == code).limit(1)
        ).scalar()
    return name or code


def _features(rows: Sequence[Row[Any]], props: list[str]) -> dict[str, Any]:
    geoms = spatial.geometries([r.geom for r in rows])
    feats = []
    for r, g in zip(rows, geoms, strict=True):
        g = shapely.simplify(g, 0.00002, preserve_topology=True)
        feats.append(
            {
                "type": "Feature",
                "geometry": shapely.geometry.mapping(g),
                "properties": {p: _plain(getattr(r, p)) for p in props},
            }
        )
    return {"type": "FeatureCollection", "features": feats}


def _plain(v: Any) -> Any:
    return v.isoformat() if isinstance(v, date) else v


def report_maps(
    engine: Engine,
    project: Project,
    *,
    today: date,
    township: str | None = None,
    scope: Scope = EVERYTHING,
) -> dict[str, Any]:
    """Townships with their illegal counts, the illegal 图斑 and the overdue ones: those of
    ``scope`` (the maps name each 图斑, so a verifier's report draws only their own)."""
    progs = [p.value for p in project.programmes]
    conds: list[ColumnElement[bool]] = [
        cases.c.programme.in_(progs),
        batches.c.period.like(f"{project.year}%"),
    ]
    if township is not None:
        conds.append(cases.c.township_code == township)
    conds += scope.conditions()
    cols = [
        cases.c.id.label("case_id"),
        cases.c.code,
        cases.c.township_code,
        cases.c.township_name,
        cases.c.state,
        cases.c.area_mu,
        batches.c.due_on,
        cases.c.geom,
    ]
    base = select(*cols).join(batches, batches.c.id == cases.c.batch_id)
    with engine.connect() as conn:
        illegal = conn.execute(
            base.where(and_(*conds, cases.c.judgment == Judgment.ILLEGAL.value)).limit(MAP_LIMIT)
        ).all()
        overdue = conn.execute(
            base.where(
                and_(
                    *conds,
                    # by their batch's due day: a patrol case's steps have deadlines of their own
                    cases.c.programme.in_(ISSUED_PROGRAMMES),
                    batches.c.due_on < today,
                    cases.c.state.not_in(sorted(s.value for s in FINAL_STATES)),
                )
            ).limit(MAP_LIMIT)
        ).all()
    ill = _features(illegal, ["case_id", "code", "township_name", "state", "area_mu"])
    late = _features(overdue, ["case_id", "code", "township_name", "state", "due_on"])
    for f, r in zip(late["features"], overdue, strict=True):
        f["properties"]["days_overdue"] = (today - r.due_on).days
    return {"townships": _townships(engine, illegal), "illegal": ill, "overdue": late}


def _townships(engine: Engine, illegal: Sequence[Row[Any]]) -> dict[str, Any]:
    refs = RefStore(engine)
    layer = refs.current().get(RefKind.TOWNSHIP)
    if layer is None:
        return {"type": "FeatureCollection", "features": []}
    frame = refs.frame(layer["id"])
    count: dict[str, int] = {}
    area: dict[str, float] = {}
    for r in illegal:
        count[r.township_code] = count.get(r.township_code, 0) + 1
        area[r.township_code] = area.get(r.township_code, 0.0) + float(r.area_mu or 0)
    feats = []
    for ident, label, g in zip(frame["ident"], frame["label"], frame.geometry, strict=True):
        feats.append(
            {
                "type": "Feature",
                "geometry": shapely.geometry.mapping(shapely.simplify(g, 0.0002)),
                "properties": {
                    "code": ident,
                    "name": label,
                    "illegal_count": count.get(ident, 0),
                    "illegal_area_mu": round(area.get(ident, 0.0), 2),
                },
            }
        )
    return {"type": "FeatureCollection", "features": feats}


def build_report(
    source: IndicatorSource,
    book: GoalBook,
    *,
    goal_version: int,
    spending_rows: dict[str, list[dict[str, Any]]],
    notes: dict[str, dict[int, Any]],
    today: date,
    now: datetime,
    kind: str = "self_evaluation",
    as_of: date | None = None,
    township: str | None = None,
    period: str | None = None,
    snapshot: dict[str, Any] | None = None,
    with_maps: bool = True,
    with_trend: bool = True,
    scope: Scope = EVERYTHING,
) -> dict[str, Any]:
    """The report document of a goal book: live (as of ``as_of`` or today) or a snapshot's.

    ``spending_rows`` and ``notes`` are by project id (ExpenditureStore.list rows, and
    NoteStore.current). A snapshot report shows the frozen values and lists every value
    that differs from the live one now.
    """
    engine = source.engine
    day = as_of or today
    frozen_values = None
    if snapshot is not None:
        day = snapshot["as_of"]
        frozen_values = {p["id"]: p for p in snapshot["projects"]}
    projects, live_projects = [], []
    for p in book.projects:
        spent = [(r["spent_on"], float(r["amount_yuan"])) for r in spending_rows.get(p.id, [])]
        checkpoints = execution(p.spending_plan, p.budget.get("total"), spent, book.year, day)
        trend = source.trend(p, today=day, township=township, period=period) if with_trend else ()
        maps = (
            report_maps(engine, p, today=day, township=township, scope=scope) if with_maps else {}
        )
        rows, _ = source.rows(p, as_of=as_of, township=township, period=period)
        live = project_entry(
            p,
            rows,
            notes=notes.get(p.id, {}),
            spending=checkpoints,
            spent_total=sum(a for d, a in spent if d <= day),
            trend=trend,
            maps=maps,
        )
        live_projects.append(live)
        if frozen_values is not None and p.id in frozen_values:
            frozen = dict(live)
            frozen["rows"] = frozen_rows(live["rows"], frozen_values[p.id]["rows"])
            frozen["warnings"] = [
                v["warning"] for r in frozen["rows"] for v in r["values"] if v.get("warning")
            ]
            projects.append(frozen)
        else:
            projects.append(live)
    diffs = differences(projects, live_projects) if snapshot is not None else []
    place = (township, township_name(engine, township)) if township else None
    return document(
        book,
        projects,
        kind=kind,
        as_of=day,
        computed_at=now,
        township=place,
        period=period,
        snapshot=info(snapshot) if snapshot is not None else None,
        differences=diffs,
        dated=as_of is not None,
    ) | {"goal_version": goal_version}


def frozen_rows(live_rows: list[dict], frozen_rows: list[dict]) -> list[dict]:
    """The live rows' text and notes with the snapshot's values in place of the live ones."""
    by_no = {r["row_no"]: r for r in frozen_rows}
    out = []
    for r in live_rows:
        f = by_no.get(r["row_no"])
        if f is None:
            out.append(r)
            continue
        values = f["values"]
        actual = "；".join(v["display"] for v in values) if values else r["actual"]
        out.append({**r, "values": values, "actual": actual, "deviation": f.get("deviation", "")})
    return out


def take_snapshot(
    source: IndicatorSource,
    store: SnapshotStore,
    book: GoalBook,
    *,
    goal_version: int,
    label: str,
    as_of: date,
    actor: str,
    now: datetime,
) -> dict[str, Any]:
    """Freeze every project's values as of the end of local day ``as_of``."""
    projects = []
    for p in book.projects:
        rows, n = source.rows(p, as_of=as_of)
        entry = project_entry(p, rows)
        projects.append(
            {
                "id": p.id,
                "name": p.name,
                "case_count": n,
                "rows": [
                    {k: r[k] for k in ("row_no", "level3", "values", "deviation")}
                    for r in entry["rows"]
                ],
            }
        )
    return store.save(
        year=book.year,
        label=label,
        as_of=as_of,
        goal_version=goal_version,
        projects=projects,
        actor=actor,
        now=now,
    )
