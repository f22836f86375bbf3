"""Goal tables and their live indicator values, computed from the cases on every request."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import ClockDep, GoalBooksDep, StoreDep
from api.schemas import (
    IndicatorRowPublic,
    IndicatorsPublic,
    MetricPublic,
    ProjectPublic,
    ProjectsPublic,
)
from geo.errors import NotFound
from geo.goals import GoalBook, Project
from geo.indicators import compute_project, project_cases

router = APIRouter(prefix="/api", tags=["indicators"])


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


def _book(books: dict[int, GoalBook], year: int | None) -> GoalBook:
    if not books:
        raise NotFound("没有加载任何绩效目标表")
    year = year or max(books)
    if year not in books:
        raise NotFound(f"没有 {year} 年的绩效目标表", year=year, years=sorted(books))
    return books[year]


@router.get("/projects", operation_id="projects-list")
def list_projects(books: GoalBooksDep, year: int | None = None) -> ProjectsPublic:
    if not books and year is None:
        return ProjectsPublic(data=[], count=0)
    data = [_project_public(p) for p in _book(books, year).projects]
    return ProjectsPublic(data=data, count=len(data))


@router.get("/indicators", operation_id="indicators-get")
def indicators(
    books: GoalBooksDep,
    store: StoreDep,
    clock: ClockDep,
    project: Annotated[str, Query(examples=["mining_enforcement"])],
    year: int | None = None,
    drill: Annotated[bool, Query(description="include the case ids behind each value")] = False,
) -> IndicatorsPublic:
    book = _book(books, year)
    proj = book.project(project)
    cases = store.cases_frame()
    rows = compute_project(proj, cases, store.payments_frame())
    return IndicatorsPublic(
        project=_project_public(proj),
        unit_code=book.unit_code,
        unit_name=book.unit_name,
        computed_at=clock(),
        case_count=len(project_cases(proj, cases)),
        rows=[
            IndicatorRowPublic(
                level1=r.row.level1,
                level2=r.row.level2,
                level3=r.row.level3,
                description=r.row.description,
                target=r.row.target,
                basis=r.row.basis,
                values=[
                    MetricPublic(
                        metric=v.metric,
                        label=v.label,
                        value=v.value,
                        display=v.display,
                        numerator=v.numerator,
                        denominator=v.denominator,
                        unit=v.unit,
                        case_ids=list(v.case_ids) if drill else None,
                    )
                    for v in r.values
                ],
            )
            for r in rows
        ],
    )
