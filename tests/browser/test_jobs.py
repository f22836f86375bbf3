"""An import through the admin's form runs as a background job: the page follows its events
until it ends, and the 任务 list shows the finished job with the API's words."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from geo.jobs import JobKind, JobState
from tests import factories
from tests.browser.support import PageProbe, get_json, import_through_form, open_app


def test_an_import_through_the_form_runs_as_a_job_and_finishes(
    desktop: tuple[Any, PageProbe], server_url: str, tmp_path: Path
) -> None:
    page, probe = desktop
    frame = factories.squares(4)
    frame["TBBH"] = [f"130208JOB2017Q1{i:03d}" for i in range(4)]
    src = factories.write(frame, tmp_path / "job-import.gpkg")
    open_app(page, server_url, "admin")
    batch_id = import_through_form(
        page, src, programme="mining", period="2017Q1", authority="任务测试",
        issued_on="2017-03-01", due_on="2017-04-30",
    )  # fmt: skip
    assert "4 个图斑" in page.get_by_test_id("import-status").inner_text()
    # the progress bar and the cancel button are there only while the job runs
    assert page.get_by_test_id("import-progress").is_hidden()
    assert page.get_by_test_id("import-cancel").is_hidden()

    jobs = get_json(f"{server_url}/api/jobs?limit=50")["data"]  # the admin sees every job
    job = next(j for j in jobs if (j["result"] or {}).get("batch_id") == batch_id)
    assert (job["kind"], job["state"], job["progress"]) == ("import", "succeeded", 1.0)
    row = page.locator(f"[data-testid='job-row'][data-job-id='{job['id']}']")
    row.wait_for()
    text = row.inner_text()
    assert JobKind.IMPORT.label in text and JobState.SUCCEEDED.label in text
    probe.assert_clean()
