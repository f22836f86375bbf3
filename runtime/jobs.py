"""Background jobs wired to huey: submit a job, run it on a worker, report its progress.

The job's record lives in Tuban's own database (``storage.jobs``); huey only carries its id to a
worker. So a lost or repeated queue message costs nothing: a consumer re-queues every job still
queued when it starts, and ``JobStore.start`` lets exactly one worker claim a job. The queue is
``settings.job_queue``: a SQLite file beside the store by default (no server), Redis for workers
on several machines, or "memory" (each job runs at once where it is submitted, for tests).

An import runs ``storage.imports.import_file`` as it always has, in one transaction: a cancel
raises ``geo.jobs.Cancelled`` from the Progress callback and the transaction rolls back; a
killed worker leaves nothing written, and the next consumer to start marks its job failed.
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Any

from huey import Huey, MemoryHuey, RedisHuey, SqliteHuey
from huey.consumer import Consumer

from geo.batch import BatchMeta
from geo.errors import Conflict, InvalidValue, NotFound, TubanError
from geo.jobs import (
    HEARTBEAT_EVERY,
    REBUILD_STAGE,
    REPORT_STAGE,
    Cancelled,
    JobKind,
    JobState,
    ReportParams,
    clean_error,
    job_fraction,
)
from geo.model import Programme
from runtime.compose import Services
from storage import daily_counts
from storage.imports import import_file
from storage.report_document import ReportQuery, report_document
from storage.visibility import Scope

log = logging.getLogger("tuban.jobs")
HOST = socket.gethostname()
PROGRESS_EVERY_S = 0.5  # progress rows written at most this often (stage changes always)


def make_queue(settings_queue: str, beside: Path) -> Huey:
    """The huey of a ``job_queue`` setting; ``beside``: the folder of the default SQLite file."""
    spec = settings_queue.strip()
    if spec == "memory":
        return MemoryHuey("tuban", immediate=True, results=False)
    if spec.startswith(("redis://", "rediss://", "unix://")):
        return RedisHuey("tuban", url=spec, results=False)
    if spec:
        raise InvalidValue("TUBAN_JOB_QUEUE 应为空、memory 或 redis://…", value=spec[:100])
    beside.mkdir(parents=True, exist_ok=True)
    return SqliteHuey("tuban", filename=str(beside / "job-queue.sqlite"), results=False)


def queue_folder(services: Services) -> Path:
    """Where the default queue file lives: beside an embedded store, else in the jobs folder."""
    url = services.settings.database_url
    if url.startswith("sqlite:///"):
        return Path(url.removeprefix("sqlite:///")).parent
    return services.settings.jobs_dir()


class JobRunner:
    """Submits jobs, runs them when huey hands one over, and starts consumers."""

    def __init__(self, services: Services, *, queue: Huey | None = None) -> None:
        self.services = services
        self.store = services.jobs
        self.files = services.settings.jobs_dir()
        self._queue = queue

    @cached_property
    def huey(self) -> Huey:
        """The queue, opened at its first use (a server that never submits a job opens none)."""
        return self._queue or make_queue(
            self.services.settings.job_queue, queue_folder(self.services)
        )

    @cached_property
    def _task(self) -> Any:
        return self.huey.task(name="tuban.run_job")(self.run)

    # --- submitting ------------------------------------------------------------------------

    def upload_dir(self) -> Path:
        """A fresh folder for an upload waiting for its import job."""
        self.files.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(prefix="upload-", dir=self.files))

    def drop_upload(self, folder: Path) -> None:
        """Remove an upload folder of ``upload_dir`` whose file was refused."""
        if folder.resolve().parent == self.files.resolve():
            shutil.rmtree(folder, ignore_errors=True)

    def submit(
        self, kind: JobKind, *, owner_id: int, parameters: Mapping[str, Any]
    ) -> dict[str, Any]:
        """Record a queued job and hand its id to the queue; the job row as it stands after
        (in "memory" mode the job has already run)."""
        job = self.store.create(
            kind, owner_id=owner_id, parameters=parameters, now=self.services.clock()
        )
        self._task(job["id"])
        return self.store.get(job["id"])

    def cancel(self, job_id: int, *, owner_id: int | None) -> dict[str, Any]:
        """Cancel a job (storage.jobs.JobStore.cancel); a queued import's upload is removed.

        A running job's cancel is also put in the queue's own store, which its worker reads at
        each stage: on SQLite the job row cannot be written while an import holds the write lock,
        and the worker must still hear of it.
        """
        job = self.store.get(job_id, owner_id=owner_id)
        if job["state"] == JobState.RUNNING.value:
            self.huey.put(_cancel_key(job_id), True)
        try:
            job = self.store.cancel(job_id, owner_id=owner_id, now=self.services.clock())
        except Conflict:
            job = self.store.get(job_id)
            if job["state"] != JobState.RUNNING.value:
                raise
            return {**job, "cancel_requested": True}  # heard through the queue's store
        if job["state"] == JobState.CANCELLED.value:
            self._discard_upload(job)
        return job

    def file(self, job: Mapping[str, Any]) -> Path:
        """The report file a finished job made; NotFound when it made none."""
        name = (job.get("result") or {}).get("file")
        path = self._inside(f"{job['id']}/{name}") if isinstance(name, str) else None
        if path is None or not path.is_file():
            raise NotFound("该任务没有生成文件", job_id=job["id"])
        return path

    # --- running ---------------------------------------------------------------------------

    def run(self, job_id: int) -> None:
        """Run one job to its end: claimed, worked with a heartbeat, ended in one final state."""
        now = self.services.clock
        if not self.store.start(job_id, host=HOST, pid=os.getpid(), now=now()):
            return  # cancelled while queued, or another worker has it
        job = self.store.get(job_id)
        beat = _Heartbeat(lambda: self.store.beat(job_id, now=now()))
        try:
            result = WORK[JobKind(job["kind"])](self, job, self._progress(job_id))
        except Cancelled:
            self.store.cancelled(job_id, now=now())
        except TubanError as exc:  # the file or the request was wrong: the owner is told why
            log.info("job %s (%s) refused: %s", job_id, job["kind"], exc)
            self.store.fail(job_id, clean_error(exc), now=now())
        except Exception as exc:  # the job fails; the worker goes on with the next one
            log.exception("job %s (%s) failed", job_id, job["kind"])
            self.store.fail(job_id, clean_error(exc), now=now())
        else:
            self.store.succeed(job_id, result, now=now())
        finally:
            beat.stop()
            self._discard_upload(job)
            self.huey.get(_cancel_key(job_id))  # read once: gone

    def _progress(self, job_id: int) -> Callable[[str, int, int], None]:
        """An import's Progress callback: writes progress now and then, and raises Cancelled at
        a stage boundary once the job's cancel was asked for."""
        last = {"stage": "", "at": 0.0}

        def report(stage: str, done: int, total: int) -> None:
            moment = time.monotonic()
            if stage == last["stage"] and moment - float(last["at"]) < PROGRESS_EVERY_S:
                return
            last.update(stage=stage, at=moment)
            fraction = job_fraction(stage, done, total)
            asked = self.store.progress(job_id, fraction, stage, now=self.services.clock())
            if asked or self.huey.get(_cancel_key(job_id), peek=True):
                raise Cancelled()

        return report

    def reap(self) -> list[int]:
        """Fail the jobs whose worker died (a consumer's first step)."""
        mine = os.getpid()
        dead = self.store.reap(
            host=HOST, alive=lambda pid: pid != mine and _alive(pid), now=self.services.clock()
        )
        for job_id in dead:
            log.warning("job %s: its worker had stopped; marked failed", job_id)
            self._discard_upload(self.store.get(job_id))
        return dead

    def requeue(self) -> int:
        """Hand every queued job to the queue again (a message may have been lost with a
        worker); a job already taken is skipped by ``JobStore.start``."""
        ids = self.store.ids_in(JobState.QUEUED)
        for job_id in ids:
            self._task(job_id)
        return len(ids)

    def consumer(self, workers: int, *, in_process: bool = False) -> Consumer:
        """A huey consumer of ``workers`` threads, after dead workers' jobs are failed and queued
        jobs re-queued; ``in_process``: inside the server, which owns the signals."""
        self._task  # noqa: B018 - registers the task with huey, which looks it up by name
        self.reap()
        self.requeue()
        cls = _QuietConsumer if in_process else Consumer
        # A queue poll at most a second apart: a SQLite poll is cheap, a user waits for the job.
        return cls(self.huey, workers=workers, worker_type="thread", periodic=False, max_delay=1.0)

    # --- files -----------------------------------------------------------------------------

    def _inside(self, relative: str) -> Path | None:
        """``relative`` under the jobs folder, or None when it would lead out of it (a job row
        is not trusted)."""
        root = self.files.resolve()
        path = (root / relative).resolve()
        return path if path.is_relative_to(root) and path != root else None

    def _discard_upload(self, job: Mapping[str, Any]) -> None:
        upload = (job.get("parameters") or {}).get("upload")
        folder = self._inside(str(Path(upload).parent)) if isinstance(upload, str) else None
        if folder is not None and folder.name.startswith("upload-"):
            shutil.rmtree(folder, ignore_errors=True)

    def output_dir(self, job_id: int) -> Path:
        """The folder of a job's output file."""
        folder = self.files / str(job_id)
        folder.mkdir(parents=True, exist_ok=True)
        return folder


class _QuietConsumer(Consumer):
    """A consumer started from a thread of the server: signals stay uvicorn's."""

    def _set_signal_handlers(self) -> None:
        pass


class _Heartbeat:
    """Calls ``beat`` every HEARTBEAT_EVERY on a thread until stopped."""

    def __init__(self, beat: Callable[[], None]) -> None:
        self._stop = threading.Event()
        self._beat = beat
        self._thread = threading.Thread(target=self._loop, name="job-heartbeat", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.wait(HEARTBEAT_EVERY.total_seconds()):
            try:
                self._beat()
            except Exception:  # a missed beat is retried at the next one
                log.warning("job heartbeat failed", exc_info=True)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)


def _cancel_key(job_id: int) -> str:
    return f"cancel-{job_id}"


def _alive(pid: int) -> bool:
    """Whether a process of this id runs on this machine."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# --- the work of each kind -----------------------------------------------------------------------


def import_parameters(meta: BatchMeta, upload: Path, runner: JobRunner, **options: Any) -> dict:
    """What an import job stores: the batch's particulars, the read options, and where its upload
    waits (relative to the jobs folder)."""
    return {
        "programme": meta.programme.value,
        "period": meta.period,
        "authority": meta.authority,
        "issued_on": meta.issued_on.isoformat(),
        "due_on": meta.due_on.isoformat(),
        "upload": str(upload.resolve().relative_to(runner.files.resolve())),
        **options,
    }


def _import(runner: JobRunner, job: Mapping[str, Any], progress: Any) -> dict[str, Any]:
    p = job["parameters"]
    path = runner._inside(str(p.get("upload", "")))
    if path is None or not path.is_file():
        raise NotFound("导入任务的上传文件已不存在，请重新提交", job_id=job["id"])
    meta = BatchMeta(
        Programme(p["programme"]),
        str(p["period"]),
        str(p["authority"]),
        date.fromisoformat(p["issued_on"]),
        date.fromisoformat(p["due_on"]),
    )
    services = runner.services
    owner = services.users.get(job["owner_id"])
    row, created = import_file(
        services.cases,
        path,
        meta,
        actor=owner.actor,
        now=services.clock(),
        layer=p.get("layer"),
        encoding=p.get("encoding"),
        crs=p.get("crs"),
        field_map=p.get("field_map"),
        jurisdiction=services.settings.jurisdiction(),
        accept_partial=bool(p.get("accept_partial")),
        workers=services.settings.import_workers,
        chunk_rows=services.settings.import_chunk_rows,
        progress=progress,
    )
    rep = row.get("report") or {}
    # The stored list is capped; the count is exact (absent from reports stored before).
    rejected = rep.get("rejected_count", len(rep.get("rejected") or []))
    return {"batch_id": row["id"], "created": created, "rejected": rejected}


def _report(runner: JobRunner, job: Mapping[str, Any], progress: Any) -> dict[str, Any]:
    from reports import FORMATS, render

    params = ReportParams.from_json(job["parameters"])
    services = runner.services
    progress(REPORT_STAGE, 0, 1)
    books = services.goal_books.latest_books()
    if params.year not in books:
        raise NotFound(f"没有 {params.year} 年的绩效目标表", year=params.year, years=sorted(books))
    query = ReportQuery(kind=params.kind, as_of=params.as_of)
    scope = Scope.of(services.users.get(job["owner_id"]))
    doc = report_document(
        books[params.year],
        services.report_sources(),
        query,
        maps=params.fmt != "xlsx",
        scope=scope,
    )
    progress(REPORT_STAGE, 1, 2)
    what = "绩效自评" if params.kind == "self_evaluation" else "绩效目标"
    name = f"{params.year}年{what}-任务{job['id']}.{params.fmt}"
    (runner.output_dir(job["id"]) / name).write_bytes(render(doc, params.fmt))
    return {"file": name, "media_type": FORMATS[params.fmt]}


def _rebuild(runner: JobRunner, job: Mapping[str, Any], progress: Any) -> dict[str, Any]:
    progress(REBUILD_STAGE, 0, 1)
    rows = daily_counts.rebuild(runner.services.engine)
    return {"rows": rows}


WORK: dict[JobKind, Callable[[JobRunner, Mapping[str, Any], Any], dict[str, Any]]] = {
    JobKind.IMPORT: _import,
    JobKind.REPORT: _report,
    JobKind.REBUILD_COUNTS: _rebuild,
}
