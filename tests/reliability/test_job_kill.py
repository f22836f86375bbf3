"""kill -9 of a ``tuban worker`` in the middle of an import job: the next worker marks the job
failed with a clear message, nothing of it is in the store, and the import submitted again
succeeds. On each backend; every wait is bounded and every worker is killed in the end."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pytest

from geo.batch import BatchMeta
from geo.jobs import JobKind
from geo.model import Programme
from runtime.compose import Services, build
from runtime.jobs import JobRunner, import_parameters
from runtime.settings import DEFAULT_GOALS_DIR, Settings
from storage.jobs import DIED
from tests import factories

ROOT = Path(__file__).resolve().parents[2]
N = 40_000  # large enough that the write stage lasts seconds
META = BatchMeta(
    Programme.MINING, "2019Q3", "河北省自然资源厅", date(2019, 10, 15), date(2019, 11, 30)
)


@pytest.fixture
def world(database_url: str, tmp_path: Path) -> Iterator[tuple[Services, dict[str, str]]]:
    settings = Settings(
        database_url=database_url,
        photos_dir=tmp_path / "photos",
        reports_dir=tmp_path / "reports",
        goals_dir=DEFAULT_GOALS_DIR,
        import_workers=1,
    )
    services = build(settings)
    env = {
        **os.environ,
        "TUBAN_DATABASE_URL": database_url,
        "TUBAN_PHOTOS_DIR": str(tmp_path / "photos"),
        "TUBAN_REPORTS_DIR": str(tmp_path / "reports"),
        "TUBAN_IMPORT_WORKERS": "1",
        "TUBAN_JOB_QUEUE": "",
    }
    yield services, env
    services.close()


class Workers:
    """``tuban worker`` processes started by the test; each is killed at the end."""

    def __init__(self, env: dict[str, str], logs: Path) -> None:
        self.env, self.logs, self.procs = env, logs, []

    def start(self) -> subprocess.Popen:
        log = (self.logs / f"worker{len(self.procs)}.log").open("wb")
        proc = subprocess.Popen(
            [sys.executable, "-m", "tuban_cli.main", "worker"],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.procs.append(proc)
        return proc

    def stop_all(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.kill()
            proc.wait(timeout=30)


def _until(check: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {seconds} s: {what}")
        time.sleep(0.05)


def test_a_killed_import_job_leaves_nothing_and_a_retry_succeeds(world, tmp_path):
    services, env = world
    admin = services.users.add(
        username="jobs-admin",
        display_name="任务测试",
        password="Jobs-test: 7 rivers, 3 bridges!",
        roles=["admin"],
        by="test",
        now=services.clock(),
    )
    runner = JobRunner(services)
    big = factories.write(factories.grid(N), tmp_path / "big.gpkg")

    def submit() -> int:
        folder = runner.upload_dir()
        dest = Path(shutil.copy(big, folder / big.name))
        params = import_parameters(META, dest, runner, accept_partial=False)
        return runner.submit(JobKind.IMPORT, owner_id=admin.id, parameters=params)["id"]

    def job(job_id: int) -> dict:
        return services.jobs.get(job_id)

    workers = Workers(env, tmp_path)
    try:
        first = submit()
        proc = workers.start()
        _until(lambda: job(first)["stage"] == "写入", 240, "the import reaches its write")
        time.sleep(0.3)  # inside the write transaction
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        assert job(first)["state"] == "running"  # nobody has noticed yet
        assert services.cases.counts()["batches"] == 0  # the write never committed

        workers.start()  # a new worker fails the dead one's job before anything else
        _until(lambda: job(first)["state"] == "failed", 120, "the dead job is failed")
        assert job(first)["error"] == DIED
        assert services.cases.counts() == {"batches": 0, "cases": 0, "events": 0}

        again = submit()
        _until(lambda: job(again)["state"] not in ("queued", "running"), 300, "the retry ends")
        assert job(again)["state"] == "succeeded", job(again)["error"]
        counts = services.cases.counts()
        assert (counts["batches"], counts["cases"]) == (1, N)
        assert job(again)["result"]["created"] is True
    finally:
        workers.stop_all()
