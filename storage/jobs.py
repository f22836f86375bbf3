"""Records of background jobs: created queued, claimed by one worker, ended once.

Every change is one conditional UPDATE (``WHERE state = …``), so two workers handed the same id
cannot both run it, a cancelled job is never started, and a job ends in exactly one final state.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, func, select, update
from sqlalchemy.exc import OperationalError

from geo.errors import Conflict, NotFound
from geo.jobs import (
    ERROR_MAX,
    STAGE_MAX,
    STALE_ON_HOST,
    JobKind,
    JobState,
    check_cancellable,
    is_stale,
)
from storage.rows import inserted_id
from storage.tables import jobs

DIED = "任务所在的进程已停止（服务重启或进程被终止），没有写入任何数据，可重新提交"
# A progress write on SQLite while the job's own import holds the write lock waits this long at
# most: progress is advisory and the next call brings it up to date.
PROGRESS_WAIT_MS = 200


class JobStore:
    """The ``jobs`` table: create, claim, report progress, cancel, end, and reap dead workers."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def create(
        self, kind: JobKind, *, owner_id: int, parameters: Mapping[str, Any], now: datetime
    ) -> dict[str, Any]:
        """A new queued job of ``owner_id``; the caller has validated ``parameters``."""
        row = {
            "kind": kind.value,
            "state": JobState.QUEUED.value,
            "progress": 0.0,
            "stage": "",
            "owner_id": owner_id,
            "parameters": dict(parameters),
            "created_at": now,
            "cancel_requested": False,
        }
        with self.engine.begin() as conn:
            job_id = inserted_id(conn.execute(jobs.insert().values(**row)))
        return self.get(job_id)

    def get(self, job_id: int, *, owner_id: int | None = None) -> dict[str, Any]:
        """One job; NotFound when there is none or it is not ``owner_id``'s (None: anyone's)."""
        q = select(jobs).where(jobs.c.id == job_id)
        if owner_id is not None:
            q = q.where(jobs.c.owner_id == owner_id)
        with self.engine.connect() as conn:
            row = conn.execute(q).first()
        if row is None:
            raise NotFound(f"没有任务 {job_id}", job_id=job_id)
        return dict(row._mapping)

    def page(
        self, *, owner_id: int | None, limit: int, offset: int
    ) -> tuple[list[dict[str, Any]], int]:
        """Jobs of ``owner_id`` (None: everyone's), newest first: one page and the total count."""
        where = [] if owner_id is None else [jobs.c.owner_id == owner_id]
        q = select(jobs).where(*where).order_by(jobs.c.id.desc()).limit(limit).offset(offset)
        with self.engine.connect() as conn:
            rows = [dict(r._mapping) for r in conn.execute(q)]
            total = conn.execute(select(func.count()).select_from(jobs).where(*where)).scalar_one()
        return rows, int(total)

    def ids_in(self, state: JobState) -> list[int]:
        """Ids of every job in ``state``, oldest first (a consumer re-queues the queued ones)."""
        q = select(jobs.c.id).where(jobs.c.state == state.value).order_by(jobs.c.id)
        with self.engine.connect() as conn:
            return [int(i) for i in conn.execute(q).scalars()]

    def start(self, job_id: int, *, host: str, pid: int, now: datetime) -> bool:
        """Claim a queued job for this worker; False when it was cancelled or claimed already."""
        return self._move(
            job_id,
            JobState.QUEUED,
            state=JobState.RUNNING.value,
            started_at=now,
            heartbeat_at=now,
            worker_host=host[:200],
            worker_pid=pid,
            extra=[jobs.c.cancel_requested.is_(False)],
        )

    def progress(self, job_id: int, fraction: float, stage: str, *, now: datetime) -> bool:
        """Record how far a running job is (and that its worker lives); True when its cancel
        was asked for."""
        values = {
            "progress": min(1.0, max(0.0, fraction)),
            "stage": stage[:STAGE_MAX],
            "heartbeat_at": now,
        }
        self._advisory(job_id, values)
        with self.engine.connect() as conn:
            flag = conn.execute(select(jobs.c.cancel_requested).where(jobs.c.id == job_id))
            return bool(flag.scalar())

    def beat(self, job_id: int, *, now: datetime) -> None:
        """The worker of a running job is alive (written between progress calls)."""
        self._advisory(job_id, {"heartbeat_at": now})

    def succeed(self, job_id: int, result: Mapping[str, Any], *, now: datetime) -> bool:
        """End a running job with its result (a batch id, a file name …)."""
        return self._move(
            job_id,
            JobState.RUNNING,
            state=JobState.SUCCEEDED.value,
            progress=1.0,
            result=dict(result),
            finished_at=now,
        )

    def fail(self, job_id: int, error: str, *, now: datetime) -> bool:
        """End a running job as failed with a message fit for its owner."""
        return self._move(
            job_id,
            JobState.RUNNING,
            state=JobState.FAILED.value,
            error=error[:ERROR_MAX],
            finished_at=now,
        )

    def cancelled(self, job_id: int, *, now: datetime) -> bool:
        """End a running job whose worker stopped on its cancel (nothing of it was kept)."""
        return self._move(job_id, JobState.RUNNING, state=JobState.CANCELLED.value, finished_at=now)

    def cancel(self, job_id: int, *, owner_id: int | None, now: datetime) -> dict[str, Any]:
        """Cancel a job: a queued one at once (it never starts), a running one by a flag its
        worker reads at the next stage; Conflict when it has ended (or, on SQLite, while another
        import holds the write lock for long), NotFound when it is not ``owner_id``'s."""
        job = self.get(job_id, owner_id=owner_id)
        check_cancellable(JobState(job["state"]))
        queued = update(jobs).where(jobs.c.id == job_id, jobs.c.state == JobState.QUEUED.value)
        running = update(jobs).where(jobs.c.id == job_id, jobs.c.state == JobState.RUNNING.value)
        with self.engine.connect() as conn, _briefly(conn) as locked:
            with conn.begin():
                done = (
                    conn.execute(
                        queued.values(state=JobState.CANCELLED.value, finished_at=now)
                    ).rowcount
                    or conn.execute(running.values(cancel_requested=True)).rowcount
                )
        if locked.value:
            raise Conflict("另一项导入正在写入数据库，请稍后再取消", job_id=job_id)
        if not done:
            check_cancellable(JobState(self.get(job_id)["state"]))  # it ended meanwhile
        return self.get(job_id)

    def reap(self, *, host: str, alive: Callable[[int], bool], now: datetime) -> list[int]:
        """Fail every running job whose worker has died: on this host, its process is gone (or
        its heartbeat very old: the pid may be another's now); on another, its heartbeat is
        stale. Returns their ids."""
        q = select(jobs.c.id, jobs.c.worker_host, jobs.c.worker_pid, jobs.c.heartbeat_at).where(
            jobs.c.state == JobState.RUNNING.value
        )
        with self.engine.connect() as conn:
            running = list(conn.execute(q))
        dead = [
            r.id
            for r in running
            if (
                not alive(int(r.worker_pid or 0)) or is_stale(r.heartbeat_at, now, STALE_ON_HOST)
                if r.worker_host == host
                else is_stale(r.heartbeat_at, now)
            )
        ]
        return [job_id for job_id in dead if self.fail(job_id, DIED, now=now)]

    def _move(
        self, job_id: int, source: JobState, *, extra: list[Any] | None = None, **values: Any
    ) -> bool:
        """Set ``values`` on the job if it is in ``source``; whether it was."""
        q = (
            update(jobs)
            .where(jobs.c.id == job_id, jobs.c.state == source.value, *(extra or []))
            .values(**values)
        )
        with self.engine.begin() as conn:
            return conn.execute(q).rowcount == 1

    def _advisory(self, job_id: int, values: dict[str, Any]) -> None:
        """Write progress or a heartbeat to a running job, giving up quickly when SQLite's write
        lock is held (by this very job's import transaction, typically)."""
        q = update(jobs).where(jobs.c.id == job_id, jobs.c.state == JobState.RUNNING.value)
        with self.engine.connect() as conn, _briefly(conn):
            with conn.begin():
                conn.execute(q.values(**values))


class _Flag:
    """Whether the write inside ``_briefly`` found the lock held (and was given up)."""

    value = False


@contextmanager
def _briefly(conn: Connection) -> Iterator[_Flag]:
    """Inside: on SQLite, wait PROGRESS_WAIT_MS at most for the write lock, and give the write
    up (setting the flag) when it stays held; elsewhere an ordinary write."""
    flag = _Flag()
    if conn.dialect.name != "sqlite":
        yield flag
        return
    old = conn.exec_driver_sql("PRAGMA busy_timeout").scalar()
    conn.exec_driver_sql(f"PRAGMA busy_timeout={PROGRESS_WAIT_MS}")
    conn.commit()
    try:
        yield flag
    except OperationalError as exc:
        if "locked" not in str(exc):
            raise
        flag.value = True
    finally:
        conn.rollback()
        conn.exec_driver_sql(f"PRAGMA busy_timeout={int(old or 0)}")
        conn.commit()
