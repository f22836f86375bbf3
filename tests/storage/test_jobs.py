"""Job records: one worker claims a job, a job ends once, owners see their own, dead workers'
jobs are failed."""

from __future__ import annotations

from datetime import timedelta

import pytest

from geo.errors import Conflict, NotFound
from geo.jobs import STALE_AFTER, STALE_ON_HOST, JobKind, JobState
from storage.jobs import DIED, JobStore
from storage.users import UserStore
from tests.conftest import NOW


class _Plain:
    """A hasher good enough for accounts that never sign in."""

    def hash(self, password: str) -> str:
        return "x" + password


@pytest.fixture
def jobs(store) -> JobStore:
    return JobStore(store.engine)


@pytest.fixture
def owners(store) -> tuple[int, int]:
    users = UserStore(store.engine, _Plain())
    ids = []
    for name in ("ann", "bob"):
        u = users.add(
            username=name,
            display_name=name,
            password="a long enough passphrase 1",
            roles=["viewer"],
            by="t",
            now=NOW,
        )
        ids.append(u.id)
    return ids[0], ids[1]


def _new(jobs: JobStore, owner: int) -> int:
    return jobs.create(JobKind.REBUILD_COUNTS, owner_id=owner, parameters={}, now=NOW)["id"]


def test_a_job_is_claimed_once_and_ends_once(jobs, owners):
    job_id = _new(jobs, owners[0])
    assert jobs.get(job_id)["state"] == "queued"
    assert jobs.start(job_id, host="h", pid=1, now=NOW)
    assert not jobs.start(job_id, host="h", pid=2, now=NOW)  # a second worker gets nothing
    assert jobs.get(job_id)["worker_pid"] == 1
    assert jobs.progress(job_id, 0.5, "读取", now=NOW) is False
    row = jobs.get(job_id)
    assert (row["progress"], row["stage"]) == (0.5, "读取")
    assert jobs.succeed(job_id, {"rows": 3}, now=NOW)
    assert not jobs.fail(job_id, "late", now=NOW)  # ended: stays succeeded
    row = jobs.get(job_id)
    assert (row["state"], row["progress"], row["result"]) == ("succeeded", 1.0, {"rows": 3})


def test_a_cancelled_queued_job_never_starts(jobs, owners):
    job_id = _new(jobs, owners[0])
    assert jobs.cancel(job_id, owner_id=owners[0], now=NOW)["state"] == "cancelled"
    assert not jobs.start(job_id, host="h", pid=1, now=NOW)
    with pytest.raises(Conflict):
        jobs.cancel(job_id, owner_id=None, now=NOW)


def test_a_running_job_is_cancelled_through_its_flag(jobs, owners):
    job_id = _new(jobs, owners[0])
    jobs.start(job_id, host="h", pid=1, now=NOW)
    row = jobs.cancel(job_id, owner_id=None, now=NOW)
    assert (row["state"], row["cancel_requested"]) == ("running", True)
    assert jobs.progress(job_id, 0.7, "写入", now=NOW) is True
    assert jobs.cancelled(job_id, now=NOW)
    assert jobs.get(job_id)["state"] == JobState.CANCELLED


def test_owners_see_their_own_jobs(jobs, owners):
    ann, bob = owners
    mine = [_new(jobs, ann) for _ in range(3)]
    theirs = _new(jobs, bob)
    rows, count = jobs.page(owner_id=ann, limit=2, offset=0)
    assert count == 3 and [r["id"] for r in rows] == mine[::-1][:2]
    assert jobs.page(owner_id=None, limit=10, offset=0)[1] == 4
    with pytest.raises(NotFound):
        jobs.get(theirs, owner_id=ann)
    with pytest.raises(NotFound):
        jobs.cancel(theirs, owner_id=ann, now=NOW)
    assert jobs.get(theirs, owner_id=bob)["state"] == "queued"


def test_reap_fails_jobs_of_dead_workers_only(jobs, owners):
    here_dead, here_alive, far_stale, far_fresh = (_new(jobs, owners[0]) for _ in range(4))
    jobs.start(here_dead, host="here", pid=11, now=NOW)
    jobs.start(here_alive, host="here", pid=12, now=NOW)
    jobs.start(far_stale, host="far", pid=11, now=NOW)
    later = NOW + STALE_AFTER + timedelta(seconds=1)
    jobs.start(far_fresh, host="far", pid=11, now=later)
    dead = jobs.reap(host="here", alive=lambda pid: pid == 12, now=later)
    assert sorted(dead) == sorted([here_dead, far_stale])
    for job_id in dead:
        row = jobs.get(job_id)
        assert (row["state"], row["error"]) == ("failed", DIED)
    assert jobs.get(here_alive)["state"] == jobs.get(far_fresh)["state"] == "running"
    assert jobs.ids_in(JobState.QUEUED) == []
    # a pid alive on this host but silent for very long belongs to another process by now
    just_before = NOW + STALE_ON_HOST - timedelta(seconds=1)
    assert jobs.reap(host="here", alive=lambda pid: True, now=just_before) == [far_fresh]
    much_later = NOW + STALE_ON_HOST + timedelta(seconds=1)
    assert jobs.reap(host="here", alive=lambda pid: True, now=much_later) == [here_alive]
