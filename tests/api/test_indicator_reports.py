"""Indicators as of a past day, per township and quarter, snapshots, and report files."""

from __future__ import annotations

import io

import openpyxl
import pytest

from tests.api.test_cases import _act, _case_ids


def _values(client, **params):
    params = {"project": "mining_enforcement", "year": 2019, **params}
    r = client.get("/api/indicators", params=params)
    assert r.status_code == 200, r.text
    body = r.json()
    return body, {v["metric"]: v for row in body["rows"] for v in row["values"]}


@pytest.fixture
def worked(client, squares_gpkg, clock):
    """Three 图斑 issued 2019-10-15; one verified and filed on 10-20 (the fixed clock),
    another verified 60 days later."""
    ids = _case_ids(client, squares_gpkg)
    _act(client, ids[0], "verify", 0, judgment="illegal", reason="unlicensed_mining")
    _act(client, ids[0], "approve", 1)
    _act(client, ids[0], "file", 2, case_no="丰国土资罚〔2019〕9号", filed_on="2019-10-20")
    clock.advance(days=60)
    from tests.api.conftest import token_for

    client.headers.update(token_for(client, "admin"))
    _act(client, ids[1], "verify", 0, judgment="legal", reason="permitted_mining")
    return ids


def test_values_as_of_a_past_day_come_from_the_event_log(client, worked):
    body, live = _values(client)
    assert body["mode"] == "live" and live["verified_of_issued"]["numerator"] == 2
    body, past = _values(client, as_of="2019-11-30")
    assert body["as_of"] == "2019-11-30"
    assert past["verified_of_issued"]["numerator"] == 1
    assert past["illegal_filed_share"]["value"] == 100.0
    _, before = _values(client, as_of="2019-10-14")  # before the batch was issued
    assert before["verified_of_issued"]["denominator"] == 0


def test_drill_down_as_of_a_past_day_lists_the_cases_of_that_day(client, worked):
    _, v = _values(client, as_of="2019-11-30", drill=True)
    assert v["verified_of_issued"]["case_ids"] == [worked[0]]
    _, live = _values(client, drill=True)
    assert sorted(live["verified_of_issued"]["case_ids"]) == sorted(worked[:2])


def test_targets_give_deviation_and_status(client, worked):
    _, v = _values(client)
    share = v["verified_by_due_share"]
    assert share["target_value"] == 100.0
    assert share["deviation"] == pytest.approx(share["value"] - 100.0)
    assert share["status"] == "behind"
    assert v["illegal_mines_active"]["status"] in ("met", "behind")


def test_scope_by_unknown_township_or_other_quarter_is_empty(client, worked):
    _, v = _values(client, township="999999999")
    assert v["verified_of_issued"]["denominator"] == 0
    _, q = _values(client, period="2019Q3")
    assert q["verified_of_issued"]["denominator"] == 3
    _, other = _values(client, period="2019Q1")
    assert other["verified_of_issued"]["denominator"] == 0


def test_snapshot_freezes_values_and_reports_differences(client, as_role, worked):
    viewer = as_role("viewer")
    r = viewer.post("/api/snapshots", json={"year": 2019, "label": "11月底", "as_of": "2019-11-30"})
    assert r.status_code == 201, r.text
    sid = r.json()["id"]
    assert (
        as_role("verifier")
        .post("/api/snapshots", json={"year": 2019, "label": "x", "as_of": "2019-11-30"})
        .status_code
        == 403
    )
    again = viewer.post(
        "/api/snapshots", json={"year": 2019, "label": "11月底", "as_of": "2019-11-30"}
    )
    assert again.status_code == 409
    body, frozen = _values(client, snapshot=sid)
    assert body["mode"] == "frozen" and frozen["verified_of_issued"]["numerator"] == 1
    doc = client.get("/api/report", params={"year": 2019, "snapshot": sid}).json()
    assert doc["mode"] == "frozen" and doc["snapshot"]["label"] == "11月底"
    changed = {(d["metric"], d["frozen"], d["live"]) for d in doc["differences"]}
    assert any(m == "verified_of_issued" and "1 /" in f and "2 /" in li for m, f, li in changed)
    assert [s["label"] for s in client.get("/api/snapshots").json()["data"]] == ["11月底"]


def test_trend_has_a_point_per_quarter_end_so_far(client, worked):
    body = client.get(
        "/api/indicators/trend", params={"project": "mining_enforcement", "year": 2019}
    ).json()
    series = {s["metric"]: s for s in body["series"]}
    points = series["verified_of_issued"]["points"]
    # the clock stands at 2019-12-19: three quarters done, the fourth up to today
    assert [p["period"] for p in points] == ["2019Q1", "2019Q2", "2019Q3", "2019Q4"]
    assert points[-1]["as_of"] == "2019-12-19"
    assert [p["value"] for p in points] == [0.0, 0.0, 0.0, 2.0]


def test_report_xlsx_carries_the_live_values(client, worked):
    r = client.get("/api/reports/2019.xlsx")
    assert r.status_code == 200, r.text
    assert "attachment" in r.headers["content-disposition"]
    wb = openpyxl.load_workbook(io.BytesIO(r.content))
    cells = {str(c.value) for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value}
    assert any("按季度完成下发卫片图版核实" in c for c in cells)
    assert any("已核查 2 / 下发 3" in c for c in cells)


def test_a_report_as_of_a_day_says_so_in_its_title_and_file_name(client, worked):
    from urllib.parse import unquote

    r = client.get("/api/reports/2019.html", params={"as_of": "2019-11-30"})
    assert r.status_code == 200, r.text
    name = unquote(r.headers["content-disposition"].split("filename*=UTF-8''")[1])
    assert name == "2019年绩效自评-截至20191130.html"
    assert "<title>" in r.text and "绩效自评报告（截至 2019-11-30）</title>" in r.text
    doc = client.get("/api/report", params={"as_of": "2019-11-30"}).json()
    assert doc["title"].endswith("（截至 2019-11-30）") and doc["dated"] is True
    live = client.get("/api/reports/2019.html")  # live: dated the day it is made (the clock's)
    name = unquote(live.headers["content-disposition"].split("filename*=UTF-8''")[1])
    assert name == "2019年绩效自评-20191219.html" and "截至 2019" not in name
    assert "（截至" not in client.get("/api/report").json()["title"]


def test_unknown_report_format_is_refused(client):
    assert client.get("/api/reports/2019.txt").status_code == 422


def test_report_pdf_and_word_carry_the_indicator_names(client, worked):
    from docx import Document
    from pypdf import PdfReader

    pdf = client.get("/api/reports/2019.pdf", params={"kind": "targets"})
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "按季度完成下发卫片图版核实" in text and "数据库成果的省厅通过率" in text
    word = client.get("/api/reports/2019.docx")
    doc = Document(io.BytesIO(word.content))
    cells = {c.text for t in doc.tables for row in t.rows for c in row.cells}
    assert any("对省下发图斑按时完成执法任务" in c for c in cells)


def test_trend_stops_at_the_as_of_day_and_keeps_the_period_scope(client, worked):
    params = {"project": "mining_enforcement", "year": 2019, "as_of": "2019-07-15"}
    body = client.get("/api/indicators/trend", params=params).json()
    points = {s["metric"]: s for s in body["series"]}["verified_of_issued"]["points"]
    assert [p["period"] for p in points] == ["2019Q1", "2019Q2", "2019Q3"]
    assert points[-1]["as_of"] == "2019-07-15"
    params = {"project": "mining_enforcement", "year": 2019, "period": "2019Q1"}
    body = client.get("/api/indicators/trend", params=params).json()
    series = {s["metric"]: s for s in body["series"]}
    assert [p["value"] for p in series["verified_of_issued"]["points"]][-1] == 0.0
