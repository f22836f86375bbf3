"""Goal tables by year: read any version, and (admin) save an edited one as the next version."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Response

from api.deps import ClockDep, GoalBookStoreDep, PagingDep
from api.documented_errors import errors
from api.schemas import GoalBookPublic, GoalSavedPublic, GoalVersionPublic, GoalVersionsPublic
from api.security import require
from geo.goals import GoalFileError, goals_to_yaml, parse_goals
from geo.roles import Role
from storage.users import User

router = APIRouter(prefix="/api", tags=["goals"])
Admin = Annotated[User, Depends(require(Role.ADMIN))]


@router.get("/goals", operation_id="goals-list")
def list_goal_books(books: GoalBookStoreDep, paging: PagingDep) -> GoalVersionsPublic:
    """Every year with a goal book, and its latest version."""
    rows = books.latest_records()
    data = [GoalVersionPublic.model_validate(r) for r in paging.slice(rows)]
    return GoalVersionsPublic(data=data, count=len(rows), next=paging.next_url(len(rows)))


@router.get("/goals/{year}", operation_id="goals-get")
def get_goal_book(year: int, books: GoalBookStoreDep, version: int | None = None) -> GoalBookPublic:
    """A year's goal document, its latest version or the one asked for."""
    doc, record = books.doc(year, version)
    return GoalBookPublic.model_validate({**record, "doc": doc})


@router.get("/goals/{year}/versions", operation_id="goals-versions")
def goal_book_versions(year: int, books: GoalBookStoreDep, paging: PagingDep) -> GoalVersionsPublic:
    """Every version of a year's goal book, oldest first."""
    rows = books.versions(year)
    if not rows:
        books.doc(year)  # raises the 404 naming the year
    data = [GoalVersionPublic.model_validate(r) for r in paging.slice(rows)]
    return GoalVersionsPublic(data=data, count=len(rows), next=paging.next_url(len(rows)))


@router.put("/goals/{year}", operation_id="goals-put", responses=errors(403, 409))
def put_goal_book(
    year: int,
    body: Annotated[dict[str, Any], Body(description="the whole goal document + base_version")],
    admin: Admin,
    books: GoalBookStoreDep,
    clock: ClockDep,
    response: Response,
) -> GoalSavedPublic:
    """Save an edited goal book as the next version of ``year``.

    ``base_version`` (the version the edit started from; 0 for a new year) is required: if
    someone saved in between, the answer is 409 with ``current_version``. ``note`` says what
    changed. A document identical to the latest version adds no version (``created`` false).
    """
    doc = dict(body)
    base = doc.pop("base_version", None)
    note = doc.pop("note", None)
    source = f"{year} 年绩效目标表"
    if isinstance(base, bool) or not isinstance(base, int) or base < 0:
        raise GoalFileError(
            f"{source}：请给出所编辑的版本号 base_version（新年度为 0）",
            file=source,
            field="base_version",
        )
    if doc.get("year") != year:
        raise GoalFileError(
            f"{source}：文档的年度 {doc.get('year')!r} 与地址中的 {year} 不符",
            file=source,
            field="year",
        )
    if note is not None and not isinstance(note, str):
        raise GoalFileError(f"{source}：note 应为文字", file=source, field="note")
    version = books.save(
        doc, actor=admin.actor, now=clock(), note=note, base_version=base, source=source
    )
    created = version != base  # an unchanged document keeps the version it was based on
    response.status_code = 201 if created else 200
    return GoalSavedPublic(year=year, version=version, created=created)


@router.get(
    "/goals/{year}/export.yaml",
    operation_id="goals-export",
    response_class=Response,
    responses={200: {"content": {"application/yaml": {}}}},
)
def export_goal_book(year: int, books: GoalBookStoreDep, version: int | None = None) -> Response:
    """The goal book as YAML, ready to edit and import again (``tuban goals import``)."""
    doc, record = books.doc(year, version)
    number = record["version"]
    return Response(
        goals_to_yaml(parse_goals(doc, f"{year} 年第 {number} 版")),
        media_type="application/yaml; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="goals-{year}-v{number}.yaml"'},
    )
