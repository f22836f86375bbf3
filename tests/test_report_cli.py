"""``tuban report`` as text, JSON and files, as of a day, and ``tuban snapshot``."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import openpyxl

from storage.engine import make_engine, sqlite_url
from storage.repository import CaseStore
from tests import factories
from tests.test_cli import META, runner
from tuban_cli.main import app


def _store_with_work(tmp_path):
    db = tmp_path / "r.sqlite"
    src = factories.write(factories.squares(3), tmp_path / "ks.gpkg")
    assert runner.invoke(app, ["import", str(src), *META, "--db", str(db)]).exit_code == 0
    engine = make_engine(sqlite_url(db))
    store = CaseStore(engine)
    ids = [r["id"] for r in store.features(1)]
    store.apply_action(
        ids[0],
        "verify",
        actor="hc",
        payload={"judgment": "illegal", "reason": "unlicensed_mining"},
        expected_version=None,
        now=datetime(2019, 11, 2, 3, tzinfo=UTC),
    )
    engine.dispose()
    return db


def test_report_text_live_and_as_of(tmp_path):
    db = _store_with_work(tmp_path)
    live = runner.invoke(app, ["report", "--project", "mining_enforcement", "--db", str(db)])
    assert live.exit_code == 0, live.output
    assert "实时数据" in live.output and "已核查 1 / 下发 3" in live.output
    past = runner.invoke(app, ["report", "--as-of", "2019-11-01", "--db", str(db)])
    assert past.exit_code == 0, past.output
    assert "截至 2019-11-01" in past.output and "已核查 0 / 下发 3" in past.output
    bad = runner.invoke(app, ["report", "--as-of", "11/01", "--db", str(db)])
    assert bad.exit_code == 2 and "YYYY-MM-DD" in bad.output


def test_report_files_and_snapshot(tmp_path):
    db = _store_with_work(tmp_path)
    out = tmp_path / "r.xlsx"
    r = runner.invoke(app, ["report", "--format", "xlsx", "-o", str(out), "--db", str(db)])
    assert r.exit_code == 0, r.output
    wb = openpyxl.load_workbook(out)
    texts = {str(c.value) for ws in wb.worksheets for row in ws.iter_rows() for c in row}
    assert any("已核查 1 / 下发 3" in t for t in texts)

    s = runner.invoke(
        app, ["snapshot", "take", "--label", "10月底", "--as-of", "2019-10-31", "--db", str(db)]
    )
    assert s.exit_code == 0 and "#1" in s.output, s.output
    listed = runner.invoke(app, ["snapshot", "list", "--db", str(db)])
    assert "10月底" in listed.output
    js = tmp_path / "s.json"
    r = runner.invoke(
        app, ["report", "--snapshot", "1", "--format", "json", "-o", str(js), "--db", str(db)]
    )
    assert r.exit_code == 0, r.output
    doc = json.loads(js.read_text(encoding="utf-8"))
    assert doc["mode"] == "frozen" and doc["snapshot"]["label"] == "10月底"
    assert any(d["metric"] == "verified_of_issued" for d in doc["differences"])
