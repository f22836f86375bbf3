"""Background jobs: submit an import, a report file or a recount; follow, list, cancel them.

A user sees their own jobs, the admin everyone's; each kind is submitted under the permission of
its synchronous route. Progress streams as server-sent events (``/events``); polling
``GET /api/jobs/{id}`` works as well.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from datetime import date
from typing import Annotated, Literal
from urllib.parse import quote

import anyio
from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, StreamingResponse
from pydantic import BaseModel, Field

from api.deps import PagingDep, SettingsDep
from api.documented_errors import errors
from api.routes.batches import Importer, ImportFormDep, UploadDep, save_upload
from api.schemas import JobPublic, JobsPublic
from api.security import CurrentUser
from geo.jobs import JobKind, ReportParams
from geo.roles import Role
from reports import FORMATS
from runtime.jobs import JobRunner, import_parameters
from storage.users import User

router = APIRouter(prefix="/api/jobs", tags=["jobs"])
POLL_S = 0.5  # how often the event stream looks at the job row
STREAM_S = 300  # a stream ends after this long; EventSource reconnects by itself
EVENT_STREAM = "text/event-stream"


def get_runner(request: Request) -> JobRunner:
    """The app's job runner (runtime.jobs)."""
    return request.app.state.jobs


RunnerDep = Annotated[JobRunner, Depends(get_runner)]


def _owner(user: User) -> int | None:
    """Whose jobs ``user`` sees: the admin everyone's (None), anyone else their own."""
    return None if Role.ADMIN in user.roles else user.id


class ReportJobCreate(BaseModel):
    """A report file to build in the background (what ``GET /api/reports/{year}.{fmt}`` makes)."""

    year: int = Field(ge=2000, le=2100)
    fmt: Literal["xlsx", "html", "pdf", "docx"] = "xlsx"
    kind: Literal["self_evaluation", "targets"] = "self_evaluation"
    as_of: date | None = None


@router.post("/import", status_code=202, operation_id="jobs-import", responses=errors(400, 403))
async def import_job(
    admin: Importer, runner: RunnerDep, settings: SettingsDep, file: UploadDep, form: ImportFormDep
) -> JobPublic:
    """Import a file of issued 图斑 as a job (admin only; the checks of ``POST /api/batches``).

    The file is kept until the job has run; the answer is the queued job, whose progress
    ``/api/jobs/{id}/events`` streams.
    """
    folder = runner.upload_dir()
    try:
        dest = await save_upload(file, folder, settings.max_upload_mb)
    except BaseException:
        runner.drop_upload(folder)
        raise
    params = import_parameters(form.meta, dest, runner, **form.options())
    job = await run_in_threadpool(
        lambda: runner.submit(JobKind.IMPORT, owner_id=admin.id, parameters=params)
    )
    return JobPublic.from_row(job)


@router.post("/report", status_code=202, operation_id="jobs-report", responses=errors(400))
async def report_job(body: ReportJobCreate, user: CurrentUser, runner: RunnerDep) -> JobPublic:
    """Build a report file as a job (anyone signed in; its maps show what the user may see)."""
    params = ReportParams(body.year, body.fmt, body.kind, body.as_of).to_json()
    job = await run_in_threadpool(
        lambda: runner.submit(JobKind.REPORT, owner_id=user.id, parameters=params)
    )
    return JobPublic.from_row(job)


@router.post(
    "/rebuild-counts", status_code=202, operation_id="jobs-rebuild-counts", responses=errors(403)
)
async def rebuild_job(admin: Importer, runner: RunnerDep) -> JobPublic:
    """Recount the daily indicator counts from every event, as a job (admin only)."""
    job = await run_in_threadpool(
        lambda: runner.submit(JobKind.REBUILD_COUNTS, owner_id=admin.id, parameters={})
    )
    return JobPublic.from_row(job)


@router.get("", operation_id="jobs-list")
def list_jobs(user: CurrentUser, runner: RunnerDep, paging: PagingDep) -> JobsPublic:
    """The user's jobs (the admin's: everyone's), newest first."""
    rows, count = runner.store.page(owner_id=_owner(user), limit=paging.limit, offset=paging.offset)
    data = [JobPublic.from_row(r) for r in rows]
    return JobsPublic(data=data, count=count, next=paging.next_url(count))


@router.get("/{job_id}", operation_id="jobs-get")
def get_job(job_id: int, user: CurrentUser, runner: RunnerDep) -> JobPublic:
    """One job; 404 when there is none or it is someone else's."""
    return JobPublic.from_row(runner.store.get(job_id, owner_id=_owner(user)))


@router.post("/{job_id}/cancel", operation_id="jobs-cancel", responses=errors(409))
def cancel_job(job_id: int, user: CurrentUser, runner: RunnerDep) -> JobPublic:
    """Cancel a job: a queued one never starts; a running one stops at its next stage and keeps
    nothing. 409 when it has ended already."""
    return JobPublic.from_row(runner.cancel(job_id, owner_id=_owner(user)))


@router.get(
    "/{job_id}/events",
    operation_id="jobs-events",
    response_class=StreamingResponse,
    responses={200: {"content": {EVENT_STREAM: {}}}},
)
async def job_events(
    job_id: int, request: Request, user: CurrentUser, runner: RunnerDep
) -> StreamingResponse:
    """The job as server-sent events: a ``progress`` event whenever it changes and an ``end``
    event when it has ended (then the stream closes)."""
    owner = _owner(user)
    first = await run_in_threadpool(lambda: runner.store.get(job_id, owner_id=owner))

    async def stream() -> AsyncIterator[str]:
        job, last, until = first, "", time.monotonic() + STREAM_S
        yield f"retry: {int(POLL_S * 2000)}\n\n"
        while True:
            public = JobPublic.from_row(job)
            body = public.model_dump_json()
            if body != last:
                yield f"event: {'end' if public.final else 'progress'}\ndata: {body}\n\n"
                last = body
            if public.final or time.monotonic() > until or await request.is_disconnected():
                return
            await anyio.sleep(POLL_S)
            job = await run_in_threadpool(lambda: runner.store.get(job_id))

    headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    return StreamingResponse(stream(), media_type=EVENT_STREAM, headers=headers)


@router.get(
    "/{job_id}/file",
    operation_id="jobs-file",
    response_class=FileResponse,
    responses={200: {"content": {media: {} for media in FORMATS.values()}}},
)
def job_file(job_id: int, user: CurrentUser, runner: RunnerDep) -> FileResponse:
    """The file a finished report job made; 404 when it made none or the job is not the user's."""
    job = runner.store.get(job_id, owner_id=_owner(user))
    path = runner.file(job)
    suffix = path.suffix.lstrip(".")
    media = FORMATS.get(suffix, "application/octet-stream")
    disposition = f"attachment; filename*=UTF-8''{quote(path.name)}"
    return FileResponse(path, media_type=media, headers={"Content-Disposition": disposition})
