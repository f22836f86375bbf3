"""Goal tables with their values: live, as of a past day, per township or quarter, or frozen.

Values come from storage.reporting.IndicatorSource, which keeps the counts in memory until
something in the store changes. The 图斑 behind one value are listed a page at a time by
``/projects/{project}/rows/{row_no}/cases`` (storage.drill); ``drill=true`` on the goal table
still lists those of every value at once, for older clients.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from api.deps import (
    ClockDep,
    GoalBooksDep,
    GoalBookStoreDep,
    NotesDep,
    PagingDep,
    book_for,
    get_services,
)
from api.documented_errors import errors
from api.errors import language
from api.schemas import (
    DbInt,
    DrillCasePublic,
    DrillCasesPublic,
    IndicatorRowPublic,
    IndicatorsPublic,
    MetricPublic,
    ProjectPublic,
    ProjectsPublic,
    ReportDocumentPublic,
    SafeName,
    SnapshotDetailPublic,
    SnapshotPublic,
    SnapshotsPublic,
    TrendPublic,
)
from api.security import ScopeDep, require
from geo.errors import NotFound
from geo.goals import Project
from geo.indicator_words import rows_in, series_in
from geo.localtime import local_today
from geo.model import State
from geo.report_doc import project_entry
from geo.roles import BOOKKEEPER_ROLES
from storage.drill import DrillQuery
from storage.report_document import ReportQuery, ReportSources, past_day, report_document
from storage.reporting import IndicatorSource, frozen_rows, take_snapshot
from storage.snapshots import SnapshotStore
from storage.users import User

router = APIRouter(prefix="/api", tags=["indicators"])
Bookkeeper = Annotated[User, Depends(require(*BOOKKEEPER_ROLES))]


def get_source(request: Request) -> IndicatorSource:
    """The app's indicator counts (storage.reporting.IndicatorSource)."""
    return get_services(request).indicators


def get_snapshots(request: Request) -> SnapshotStore:
    """The store of frozen snapshots."""
    return get_services(request).snapshots


SourceDep = Annotated[IndicatorSource, Depends(get_source)]
SnapshotsDep = Annotated[SnapshotStore, Depends(get_snapshots)]
AsOf = Annotated[
    date | None, Query(description="values as they stood at the end of this local day")
]
Township = Annotated[str | None, Query(description="township code (乡镇代码)")]
Period = Annotated[str | None, Query(description="issuing period, e.g. 2019Q3")]


def _today(clock) -> date:
    return local_today(clock())


def _project_public(p: Project) -> ProjectPublic:
    return ProjectPublic(
        id=p.id,
        name=p.name,
        code=p.code,
        table_title=p.table_title,
        table_unit=p.table_unit,
        year=p.year,
        budget=p.budget,
        purpose=p.purpose,
        spending_plan=p.spending_plan,
        goals=list(p.goals),
        programmes=list(p.programmes),
    )


@router.get("/projects", operation_id="projects-list", responses=errors(404))
def list_projects(
    books: GoalBooksDep, paging: PagingDep, year: int | None = None
) -> ProjectsPublic:
    """The projects of a year's goal book (the latest year by default)."""
    if not books and year is None:
        return ProjectsPublic(data=[], count=0)
    projects = book_for(books, year).projects
    data = [_project_public(p) for p in paging.slice(projects)]
    return ProjectsPublic(data=data, count=len(projects), next=paging.next_url(len(projects)))


@router.get("/indicators", operation_id="indicators-get", responses=errors(400, 404))
def indicators(
    request: Request,
    books: GoalBooksDep,
    source: SourceDep,
    notes: NotesDep,
    snapshots: SnapshotsDep,
    clock: ClockDep,
    scope: ScopeDep,
    project: Annotated[str, Query(examples=["mining_enforcement"])],
    year: int | None = None,
    as_of: AsOf = None,
    township: Township = None,
    period: Period = None,
    snapshot: Annotated[int | None, Query(description="show this snapshot's frozen values")] = None,
    drill: Annotated[
        bool,
        Query(
            description="include the case ids behind each value (deprecated: page through "
            "/api/projects/{project}/rows/{row_no}/cases instead)"
        ),
    ] = False,
) -> IndicatorsPublic:
    """A project's goal table with its values: live, as they stood at the end of ``as_of``, for one
    township or issuing period, or a snapshot's frozen values (``snapshot``). ``drill=true`` adds
    the case ids behind each value (a verifier: only those of their own 图斑; the values are the
    bureau's for everyone). An unknown year, project or snapshot gets 404."""
    book = book_for(books, year)
    proj = book.project(project)
    now = clock()
    today = _today(clock)
    day = past_day(as_of, today)
    frozen = snapshots.get(snapshot) if snapshot is not None else None
    if frozen is not None:
        day = frozen["as_of"]
    rows, n = source.rows(
        proj, as_of=day, township=township, period=period, drill=drill, scope=scope
    )
    entry = project_entry(proj, rows, notes=notes.current(book.year, proj.id))
    ids = {(r.row.row_no, v.metric): v.case_ids for r in rows for v in r.values} if drill else {}
    if frozen is not None:
        kept = {p["id"]: p for p in frozen["projects"]}.get(proj.id, {"rows": []})
        entry["rows"] = frozen_rows(entry["rows"], kept["rows"])
    entry["rows"] = rows_in(entry["rows"], language(request))  # metric names, warnings
    return IndicatorsPublic(
        project=_project_public(proj),
        unit_code=book.unit_code,
        unit_name=book.unit_name,
        mode="frozen" if frozen is not None else "live",
        as_of=(day or today),
        snapshot_id=snapshot,
        township=township,
        period=period,
        computed_at=now,
        case_count=n,
        warnings=[v["warning"] for r in entry["rows"] for v in r["values"] if v.get("warning")],
        rows=[
            IndicatorRowPublic(
                row_no=r["row_no"],
                level1=r["level1"],
                level2=r["level2"],
                level3=r["level3"],
                description=r["description"],
                target=r["target"],
                basis=r["basis"],
                qualitative=r["qualitative"],
                actual=r["actual"],
                deviation=r["deviation"],
                reason=r["reason"],
                values=[
                    MetricPublic(
                        **{k: v.get(k) for k in MetricPublic.model_fields if k != "case_ids"},
                        case_ids=list(ids.get((r["row_no"], v["metric"]), ())) if drill else None,
                    )
                    for v in r["values"]
                ],
            )
            for r in entry["rows"]
        ],
    )


@router.get(
    "/projects/{project}/rows/{row_no}/cases",
    operation_id="indicators-cases",
    responses=errors(400, 404),
)
def value_cases(
    project: Annotated[str, Path(max_length=100, examples=["mining_enforcement"])],
    row_no: Annotated[int, Path(ge=1, le=10_000)],
    metric: Annotated[str, Query(max_length=100, examples=["verified_of_issued"])],
    books: GoalBooksDep,
    source: SourceDep,
    snapshots: SnapshotsDep,
    clock: ClockDep,
    scope: ScopeDep,
    paging: PagingDep,
    year: int | None = None,
    as_of: AsOf = None,
    township: Township = None,
    period: Period = None,
    snapshot: Annotated[int | None, Query(description="the day of this snapshot")] = None,
) -> DrillCasesPublic:
    """The 图斑 behind one value of a goal table (drill-down), a page at a time by id: those
    counted in ``metric`` of row ``row_no``, live or as they stood at the end of ``as_of`` (or
    of a snapshot's day), optionally one township or issuing period. A verifier gets only their
    own 图斑. A row or metric the project's table does not have gets 404."""
    proj = book_for(books, year).project(project)
    row = next((r for r in proj.indicators if r.row_no == row_no), None)
    if row is None or metric not in row.metrics:
        raise NotFound(f"第 {row_no} 行没有指标 {metric}", row_no=row_no, metric=metric)
    day = past_day(as_of, _today(clock))
    if snapshot is not None:
        day = snapshots.get(snapshot)["as_of"]
    q = DrillQuery(proj, metric, as_of=day, township=township, period=period)
    found = source.cases(q, limit=paging.limit, offset=paging.offset, scope=scope)
    data = [DrillCasePublic(**r, state_label=State(r["state"]).label) for r in found.rows]
    return DrillCasesPublic(data=data, count=found.count, next=paging.next_url(found.count))


@router.get("/indicators/trend", operation_id="indicators-trend", responses=errors(400, 404))
def trend(
    request: Request,
    books: GoalBooksDep,
    source: SourceDep,
    clock: ClockDep,
    project: str,
    year: int | None = None,
    as_of: AsOf = None,
    township: Township = None,
    period: Period = None,
) -> TrendPublic:
    """Each bound metric at the end of every quarter up to today (or ``as_of``)."""
    book = book_for(books, year)
    proj = book.project(project)
    day = past_day(as_of, _today(clock)) or _today(clock)
    return TrendPublic.model_validate(
        {
            "project": proj.id,
            "year": book.year,
            "series": [
                series_in(s, language(request))
                for s in source.trend(proj, today=day, township=township, period=period)
            ],
        }
    )


# --- snapshots ----------------------------------------------------------------------------------


class SnapshotCreate(BaseModel):
    """A reporting date to freeze: the year, a label, and the day whose values are kept (a day after
    today is taken as today)."""

    year: DbInt
    label: SafeName = Field(min_length=1, max_length=100, examples=["2019年第三季度"])
    as_of: date = Field(description="freeze the values as they stood at the end of this day")


def _snapshot_public(s: dict) -> dict:
    return {k: v for k, v in s.items() if k != "projects"}


@router.get("/snapshots", operation_id="snapshots-list")
def list_snapshots(
    snapshots: SnapshotsDep, paging: PagingDep, year: int | None = None
) -> SnapshotsPublic:
    """Frozen reporting dates, oldest first (without their values)."""
    rows = snapshots.list(year)
    data = [SnapshotPublic.model_validate(_snapshot_public(s)) for s in paging.slice(rows)]
    return SnapshotsPublic(data=data, count=len(rows), next=paging.next_url(len(rows)))


@router.get("/snapshots/{snapshot_id}", operation_id="snapshots-get")
def get_snapshot(snapshot_id: int, snapshots: SnapshotsDep) -> SnapshotDetailPublic:
    """A snapshot with every project's frozen values."""
    return SnapshotDetailPublic.model_validate(snapshots.get(snapshot_id))


@router.post(
    "/snapshots", status_code=201, operation_id="snapshots-create", responses=errors(403, 404, 409)
)
def create_snapshot(
    body: SnapshotCreate,
    user: Bookkeeper,
    books: GoalBooksDep,
    book_store: GoalBookStoreDep,
    source: SourceDep,
    snapshots: SnapshotsDep,
    clock: ClockDep,
) -> SnapshotPublic:
    """Freeze every project's values of a year as of a reporting date (统计/admin)."""
    book = book_for(books, body.year)
    _, version = book_store.latest(book.year)
    today = _today(clock)
    saved = take_snapshot(
        source,
        snapshots,
        book,
        goal_version=version,
        label=body.label,
        as_of=min(body.as_of, today),
        actor=user.actor,
        now=clock(),
    )
    return SnapshotPublic.model_validate(_snapshot_public(saved))


# --- reports -------------------------------------------------------------------------------------


def get_report_sources(request: Request) -> ReportSources:
    """What report documents are built from (storage.report_document.ReportSources)."""
    return request.app.state.services.report_sources()


SourcesDep = Annotated[ReportSources, Depends(get_report_sources)]
QueryDep = Annotated[ReportQuery, Depends()]


@router.get("/report", operation_id="report-document", responses=errors(404))
def report(
    books: GoalBooksDep,
    src: SourcesDep,
    q: QueryDep,
    scope: ScopeDep,
    year: int | None = None,
    maps: bool = False,
) -> ReportDocumentPublic:
    """The whole report document as JSON (what the XLSX/HTML/PDF/Word files are made from)."""
    return ReportDocumentPublic.model_validate(
        report_document(book_for(books, year), src, q, maps=maps, scope=scope)
    )


@router.get("/reports/{year}.{fmt}", operation_id="report-file", response_class=Response)
def report_file(
    year: int,
    fmt: Literal["xlsx", "html", "pdf", "docx"],
    books: GoalBooksDep,
    src: SourcesDep,
    q: QueryDep,
    scope: ScopeDep,
) -> Response:
    """The report as a file: 绩效自评表 or 绩效目标表 in XLSX, HTML, PDF or Word."""
    from urllib.parse import quote

    from geo.report_doc import file_name
    from reports import FORMATS, render

    doc = report_document(book_for(books, year), src, q, maps=fmt != "xlsx", scope=scope)
    name = file_name(doc, fmt)

    return Response(
        render(doc, fmt),
        media_type=FORMATS[fmt],
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"},
    )
