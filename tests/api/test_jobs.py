"""Background jobs through the API: submit each kind, follow its events, list, cancel, fetch
the file; permissions as the synchronous routes; bad input refused."""

from __future__ import annotations

import json
import threading

import pytest

from geo.jobs import JobKind
from tests import factories
from tests.api.conftest import IMPORT_FORM as FORM
from tests.api.conftest import token_for
from tests.conftest import NOW


def _import(client, path, **form):
    with path.open("rb") as fh:
        return client.post(
            "/api/jobs/import", data={**FORM, **form}, files={"file": (path.name, fh)}
        )


def test_an_import_job_imports_the_batch(client, squares_gpkg, app):
    r = _import(client, squares_gpkg)
    assert r.status_code == 202, r.text
    job = r.json()
    assert (job["kind"], job["state"], job["progress"]) == ("import", "succeeded", 1.0)
    assert job["state_label"] == "已完成" and "upload" not in job["parameters"]
    batch = client.get(f"/api/batches/{job['result']['batch_id']}").json()
    assert batch["feature_count"] == 3
    # the upload waited in the jobs folder and is gone once the job has run
    upload = app.state.jobs.store.get(job["id"])["parameters"]["upload"]
    assert upload.startswith("upload-") and not (app.state.jobs.files / upload).parent.exists()


def test_an_import_job_that_fails_says_why_without_a_traceback(client, tmp_path):
    bad = tmp_path / "bad.geojson"
    bad.write_text('{"type": "FeatureCollection", "features": []}', encoding="utf-8")
    job = _import(client, bad).json()
    assert job["state"] == "failed"
    assert job["error"] and "Traceback" not in job["error"] and "File " not in job["error"]
    assert client.get("/api/batches").json()["count"] == 0


@pytest.mark.parametrize(
    "form, name",
    [
        ({"due_on": "2019-01-01"}, "ks.gpkg"),  # due before issue
        ({"field_map": "not json"}, "ks.gpkg"),
        ({}, "ks.exe"),
    ],
    ids=["dates", "field_map", "type"],
)
def test_an_import_job_refuses_what_the_import_route_refuses(client, app, squares_gpkg, form, name):
    before = set(app.state.jobs.files.glob("upload-*"))
    path = squares_gpkg.rename(squares_gpkg.with_name(name))
    r = _import(client, path, **form)
    assert r.status_code == 400, r.text
    assert client.get("/api/jobs").json()["count"] == 0
    assert set(app.state.jobs.files.glob("upload-*")) <= before  # no upload left behind


def test_only_the_admin_imports_or_recounts(as_role, squares_gpkg):
    viewer = as_role("viewer")
    assert _import(viewer, squares_gpkg).status_code == 403
    assert viewer.post("/api/jobs/rebuild-counts").status_code == 403
    assert viewer.get("/api/jobs").json()["count"] == 0


def test_a_report_job_makes_the_file_only_its_owner_fetches(as_role, client):
    viewer = as_role("viewer")
    r = viewer.post("/api/jobs/report", json={"year": 2019, "fmt": "html"})
    assert r.status_code == 202, r.text
    job = r.json()
    assert job["state"] == "succeeded", job["error"]
    got = viewer.get(f"/api/jobs/{job['id']}/file")
    assert got.status_code == 200 and got.headers["content-type"].startswith("text/html")
    assert "绩效" in got.text
    assert as_role("reviewer").get(f"/api/jobs/{job['id']}/file").status_code == 404
    assert as_role("reviewer").get(f"/api/jobs/{job['id']}").status_code == 404
    assert client.get(f"/api/jobs/{job['id']}").status_code == 200  # the admin sees all


@pytest.mark.parametrize(
    "body", [{"year": 1999}, {"year": 2019, "fmt": "exe"}, {"year": "x"}, {}], ids=str
)
def test_a_report_job_refuses_bad_parameters(client, body):
    assert client.post("/api/jobs/report", json=body).status_code == 422


def test_a_report_of_a_year_without_goals_fails_cleanly(client):
    job = client.post("/api/jobs/report", json={"year": 2030}).json()
    assert job["state"] == "failed" and "2030" in job["error"]
    assert client.get(f"/api/jobs/{job['id']}/file").status_code == 404


def test_a_recount_job_runs(client, squares_gpkg):
    assert _import(client, squares_gpkg).json()["state"] == "succeeded"
    job = client.post("/api/jobs/rebuild-counts").json()
    assert job["state"] == "succeeded" and job["result"]["rows"] > 0


def test_jobs_page_newest_first(client):
    ids = [client.post("/api/jobs/rebuild-counts").json()["id"] for _ in range(3)]
    page = client.get("/api/jobs?limit=2").json()
    assert page["count"] == 3 and [j["id"] for j in page["data"]] == ids[::-1][:2]
    assert client.get(page["next"]).json()["data"][0]["id"] == ids[0]


def test_cancel_a_queued_job_and_not_an_ended_one(client, app):
    store = app.state.jobs.store
    me = client.get("/api/auth/me").json()["id"]
    queued = store.create(JobKind.REBUILD_COUNTS, owner_id=me, parameters={}, now=NOW)
    r = client.post(f"/api/jobs/{queued['id']}/cancel")
    assert r.status_code == 200 and r.json()["state"] == "cancelled"
    app.state.jobs.run(queued["id"])  # its queue message arrives late: it never starts
    assert client.get(f"/api/jobs/{queued['id']}").json()["state"] == "cancelled"
    assert client.post(f"/api/jobs/{queued['id']}/cancel").status_code == 409
    assert client.post("/api/jobs/999999/cancel").status_code == 404


def test_others_cannot_cancel_a_job(client, as_role):
    job = client.post("/api/jobs/rebuild-counts").json()
    assert as_role("viewer").post(f"/api/jobs/{job['id']}/cancel").status_code == 404


def _events(client, job_id, seen=None):
    """The stream's (event, data) pairs; ``seen(data)`` is called as each arrives."""
    out = []
    with client.stream("GET", f"/api/jobs/{job_id}/events") as r:
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/event-stream")
        event = None
        for line in r.iter_lines():
            if line.startswith("event: "):
                event = line.removeprefix("event: ")
            elif line.startswith("data: "):
                out.append((event, json.loads(line.removeprefix("data: "))))
                if seen is not None:
                    seen(out[-1][1])
    return out


def test_the_event_stream_delivers_progress_then_the_end(client, app):
    store = app.state.jobs.store
    me = client.get("/api/auth/me").json()["id"]
    job = store.create(JobKind.REBUILD_COUNTS, owner_id=me, parameters={}, now=NOW)

    # A worker elsewhere moves the job on, each step once the client has seen the one before
    # (a loaded machine may take longer than any fixed sleep to open the stream).
    observed = {
        "queued": threading.Event(),
        "running": threading.Event(),
        "half": threading.Event(),
    }

    def seen(d):
        observed.get(d["state"], threading.Event()).set()
        if d["progress"] == 0.5:
            observed["half"].set()

    def work():
        for step, wait_for in (
            (lambda: store.start(job["id"], host="h", pid=1, now=NOW), "queued"),
            (lambda: store.progress(job["id"], 0.5, "重算", now=NOW), "running"),
            (lambda: store.succeed(job["id"], {"rows": 1}, now=NOW), "half"),
        ):
            if not observed[wait_for].wait(30):
                store.fail(job["id"], f"client never saw {wait_for}", now=NOW)
                return
            step()

    worker = threading.Thread(target=work)
    worker.start()
    events = _events(client, job["id"], seen)
    worker.join()
    kinds = [e for e, _ in events]
    assert kinds[-1] == "end" and set(kinds[:-1]) == {"progress"}
    assert [d["state"] for _, d in events][0] == "queued"
    assert any(d["progress"] == 0.5 and d["stage"] == "重算" for _, d in events)
    assert events[-1][1]["state"] == "succeeded"


def test_the_event_stream_is_the_owners_only(client, as_role):
    job = client.post("/api/jobs/rebuild-counts").json()
    assert as_role("viewer").get(f"/api/jobs/{job['id']}/events").status_code == 404
    assert _events(client, job["id"])[-1][0] == "end"  # ended: one event, then closed


def test_a_signed_out_caller_gets_401(anon):
    assert anon.get("/api/jobs").status_code == 401
    headers = token_for(anon, "admin")
    assert anon.get("/api/jobs", headers=headers).status_code == 200


def test_an_import_job_takes_files_as_large_as_the_import_route(client, tmp_path):
    big = factories.write(factories.grid(6000), tmp_path / "big.gpkg")
    assert big.stat().st_size > 1 << 20  # over the ceiling of a JSON body
    job = _import(client, big)
    assert job.status_code == 202, job.text
    assert job.json()["state"] == "succeeded", job.json()["error"]


def test_an_import_job_counts_every_rejected_row_past_the_report_cap(client, tmp_path, monkeypatch):
    import geo.report

    monkeypatch.setattr(geo.report, "REPORT_ROWS", 5)
    f = factories.squares(12)
    for i in range(1, 9):  # rows 2..9
        f.loc[i, "geometry"] = factories.degenerate()
    path = factories.write(f, tmp_path / "many_bad.gpkg")
    job = _import(client, path, accept_partial="true").json()
    assert job["state"] == "succeeded", job
    assert job["result"]["rejected"] == 8
    batch_id = job["result"]["batch_id"]
    report = client.get(f"/api/batches/{batch_id}/report").json()
    assert report["rejected_count"] == 8
    assert [r["row"] for r in report["rejected"]] == [2, 3, 4, 5, 6]
    page = client.get(f"/api/batches/{batch_id}/report.html").text
    assert "<th>拒绝导入</th><td>8</td>" in page and "仅列出前 5 条，共 8 条" in page
