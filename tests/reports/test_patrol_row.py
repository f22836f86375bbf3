"""The 绩效自评 report of a store with 动态巡查 work: the 生态效益 row
“对打击盗采全天24小时平台监管” shows the patrol values, and the illegal mines' trend is drawn
(HTML) beside the table (XLSX)."""

from __future__ import annotations

import io
import json
from datetime import UTC, date, datetime

import pytest
from openpyxl import load_workbook

from reports import render
from storage.reporting import IndicatorSource, build_report, report_maps
from tests.storage.test_patrol_indicators import BOOK, independent, play_history

ROW = "对打击盗采全天24小时平台监管"


@pytest.fixture
def report(store, tmp_path):
    """The whole book's report as of a day in the played history, and that history."""
    play = play_history(store, tmp_path, seed=5, steps=140)
    day = date(2019, 7, 31)
    doc = build_report(
        IndicatorSource(store.engine), BOOK, goal_version=1, spending_rows={}, notes={},
        today=date(2019, 8, 20), now=datetime(2019, 8, 20, 2, tzinfo=UTC), as_of=day,
        with_maps=False,
    )  # fmt: skip
    return json.loads(json.dumps(doc)), play, day  # as the JSON format hands it over


def _row(doc):
    mining = next(p for p in doc["projects"] if p["id"] == "mining_enforcement")
    return mining, next(r for r in mining["rows"] if r["level3"] == ROW)


def test_the_row_carries_the_patrol_values_with_targets(report):
    doc, play, day = report
    _, row = _row(doc)
    values = {v["metric"]: v for v in row["values"]}
    want = independent(play, day)
    num, den = want["patrol_stopped_on_time_share"]
    stopped = values["patrol_stopped_on_time_share"]
    assert (stopped["numerator"], stopped["denominator"]) == (num, den) and den
    assert stopped["target_value"] == 100.0 and f"按时制止 {num} / {den}" in stopped["display"]
    assert values["illegal_mines_active"]["value"] == want["illegal_mines_active"][0]
    assert values["patrol_findings"]["display"] == f"巡查发现 {want['patrol_findings'][0]} 起"
    assert stopped["display"] in row["actual"] and "按期复查" in row["actual"]


def test_the_xlsx_row_and_the_html_trend_of_illegal_mines(report):
    doc, _, _ = report
    mining, row = _row(doc)
    trend = {s["metric"]: s for s in mining["trend"]}
    mines = trend["illegal_mines_active"]
    assert [p["period"] for p in mines["points"]] == ["2019Q1", "2019Q2", "2019Q3"]
    assert mines["points"][0]["value"] == 0.0  # nothing found before June
    ws = load_workbook(io.BytesIO(render(doc, "xlsx")))["矿山卫片执法"]
    cells = [str(c.value) for line in ws.iter_rows() for c in line if c.value is not None]
    shown = next(c for c in cells if "按时制止" in c)
    assert row["values"][0]["display"] in shown  # the row's whole 实际完成值, mines first
    html = render(doc, "html").decode("utf-8")
    assert html.count('class="chart trend-chart"') >= len(mining["trend"]) >= 7
    assert "未整改违法矿山" in html and "及时报告率" in html


def test_the_maps_draw_patrol_violations_but_not_overdue_by_their_year_batch(store, tmp_path):
    """A patrol case sits in a standing batch “due” on 31 December; its steps have deadlines of
    their own, so after the year it is not drawn as an overdue 图斑, while still illegal."""
    play_history(store, tmp_path, seed=5, steps=80)
    project = BOOK.project("mining_enforcement")
    maps = report_maps(store.engine, project, today=date(2020, 1, 10))
    patrol = ("XC", "JB")
    assert any(f["properties"]["code"].startswith(patrol) for f in maps["illegal"]["features"])
    late = [f["properties"]["code"] for f in maps["overdue"]["features"]]
    open_weipian = [r for r in store.features(1) if r["state"] not in ("closed",)]
    assert late and len(late) == len(open_weipian)
    assert not any(code.startswith(patrol) for code in late)
