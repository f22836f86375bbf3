"""The job runner: a running import cancelled inside its write keeps nothing; the queue setting
picks the queue."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest
from huey import MemoryHuey, SqliteHuey

import runtime.jobs as jobs_module
import storage.batch_writer as writer_module
from geo.batch import BatchMeta
from geo.errors import InvalidValue
from geo.jobs import JobKind
from geo.model import Programme
from runtime.compose import build
from runtime.jobs import JobRunner, import_parameters, make_queue
from runtime.settings import DEFAULT_GOALS_DIR, Settings
from tests import factories

META = BatchMeta(
    Programme.MINING, "2019Q3", "河北省自然资源厅", date(2019, 10, 15), date(2019, 11, 30)
)


@pytest.fixture
def services(database_url: str, tmp_path: Path):
    settings = Settings(
        database_url=database_url,
        photos_dir=tmp_path / "photos",
        reports_dir=tmp_path / "reports",
        goals_dir=DEFAULT_GOALS_DIR,
        job_queue="memory",
        import_workers=1,
    )
    services = build(settings)
    yield services
    services.close()


def test_cancel_inside_the_write_rolls_the_import_back(services, tmp_path, monkeypatch):
    monkeypatch.setattr(writer_module, "WRITE_CHUNK", 2)  # the write reports progress inside
    monkeypatch.setattr(jobs_module, "PROGRESS_EVERY_S", 0)
    admin = services.users.add(
        username="a", display_name="甲", password="Jobs-test: 7 rivers, 3 bridges!",
        roles=["admin"], by="t", now=services.clock(),
    )  # fmt: skip
    runner = JobRunner(services)
    folder = runner.upload_dir()
    src = factories.write(factories.squares(6), tmp_path / "six.gpkg")
    dest = Path(shutil.copy(src, folder / src.name))
    params = import_parameters(META, dest, runner)
    job = services.jobs.create(
        JobKind.IMPORT, owner_id=admin.id, parameters=params, now=services.clock()
    )
    real = services.jobs.progress
    answers = []

    def progress(job_id, fraction, stage, *, now):
        # The user presses 取消 while the batch's rows are being written (on SQLite the job row
        # is locked by that very write: the cancel reaches the worker through the queue).
        if stage == "写入" and fraction > 0.6 and not answers:
            answers.append(runner.cancel(job_id, owner_id=None))
        return real(job_id, fraction, stage, now=now)

    monkeypatch.setattr(services.jobs, "progress", progress)
    runner.run(job["id"])
    assert answers and answers[0]["cancel_requested"] is True
    row = services.jobs.get(job["id"])
    assert row["state"] == "cancelled" and row["error"] is None
    assert services.cases.counts() == {"batches": 0, "cases": 0, "events": 0}
    assert not folder.exists()  # the upload is let go with the job


def test_the_queue_setting_picks_the_queue(tmp_path):
    assert isinstance(make_queue("memory", tmp_path), MemoryHuey)
    sqlite = make_queue("", tmp_path)
    assert isinstance(sqlite, SqliteHuey) and (tmp_path / "job-queue.sqlite").exists()
    with pytest.raises(InvalidValue):
        make_queue("amqp://elsewhere", tmp_path)
