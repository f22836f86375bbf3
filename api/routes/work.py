"""Work lists (my tasks, overdue) and the provincial check results for 变更调查."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, File, UploadFile

from api.deps import ClockDep, PagingDep, ServicesDep
from api.documented_errors import errors
from api.schemas import ProvinceChecksPublic, TaskPublic, TasksPublic
from api.security import CurrentUser, ScopeDep, require
from geo.localtime import local_today
from geo.province_results import MAX_BYTES, parse_results
from geo.roles import Role
from storage.users import User

router = APIRouter(prefix="/api", tags=["work"])


@router.get("/tasks", operation_id="work-tasks")
def tasks(
    user: CurrentUser,
    services: ServicesDep,
    clock: ClockDep,
    paging: PagingDep,
) -> TasksPublic:
    """The open 图斑 waiting for the signed-in user's roles, overdue first (a verifier's: only
    those assigned to them or in their townships). Patrol cases and watched sites name the
    step that is due (``step``, ``step_due``)."""
    now = clock()
    rows, count = services.worklists.tasks(
        user=user, today=local_today(now), now=now, limit=paging.limit, offset=paging.offset
    )
    data = [TaskPublic.model_validate(r) for r in rows]
    return TasksPublic(data=data, count=count, next=paging.next_url(count))


@router.get("/overdue", operation_id="work-overdue")
def overdue(
    scope: ScopeDep, services: ServicesDep, clock: ClockDep, paging: PagingDep
) -> TasksPublic:
    """Every unfinished 图斑 past its batch's due date, and every patrol case or watched site
    with a step past its deadline, that the user may see (a verifier: their own)."""
    now = clock()
    rows, count = services.worklists.overdue(
        today=local_today(now), now=now, limit=paging.limit, offset=paging.offset, scope=scope
    )
    data = [TaskPublic.model_validate(r) for r in rows]
    return TasksPublic(data=data, count=count, next=paging.next_url(count))


@router.post("/province-checks", operation_id="work-province-checks", responses=errors(400, 403))
async def province_checks(
    file: Annotated[
        UploadFile,
        File(description="CSV/XLSX: 图斑编号, 结果 (通过/退回), 原因, 地类正确 (是/否, optional)"),
    ],
    user: Annotated[User, Depends(require(Role.REVIEWER))],
    services: ServicesDep,
    clock: ClockDep,
) -> ProvinceChecksPublic:
    """Record the province's check of submitted 变更调查 图斑; each row applied or explained."""
    raw = await file.read(MAX_BYTES)
    results = parse_results(raw, Path(file.filename or "checks.csv").name)
    done = services.apply_province_results(results, actor=user.actor, now=clock())
    return ProvinceChecksPublic.model_validate(done)
