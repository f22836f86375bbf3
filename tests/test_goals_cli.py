"""``tuban goals`` and ``tuban spend`` on a temporary embedded store."""

from __future__ import annotations

import yaml
from typer.testing import CliRunner

from geo.goals import load_goals, parse_goals
from runtime.settings import DEFAULT_GOALS_DIR
from tuban_cli.main import app

runner = CliRunner()
SAMPLE = DEFAULT_GOALS_DIR / "fengrun-2019.yaml"


def test_goals_import_export_versions(tmp_path):
    db = ["--db", str(tmp_path / "g.sqlite")]
    r = runner.invoke(app, ["goals", "import", str(SAMPLE), *db])
    assert r.exit_code == 0 and "第 1 版" in r.output, r.output
    r = runner.invoke(app, ["goals", "import", str(SAMPLE), *db])
    assert r.exit_code == 0 and "未新增版本" in r.output
    out = tmp_path / "edit.yaml"
    assert runner.invoke(app, ["goals", "export", "2019", "-o", str(out), *db]).exit_code == 0
    doc = yaml.safe_load(out.read_text(encoding="utf-8"))
    assert parse_goals(doc, "x") == load_goals(SAMPLE)
    doc["unit_name"] = "改名后的单位"
    out.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    r = runner.invoke(app, ["goals", "import", str(out), *db])
    assert r.exit_code == 0 and "第 2 版" in r.output
    r = runner.invoke(app, ["goals", "versions", "2019", *db])
    assert "第 1 版" in r.output and "第 2 版" in r.output and "导入 edit.yaml" in r.output
    r = runner.invoke(app, ["goals", "export", "2019", "--version", "1", *db])
    assert "改名后的单位" not in r.output and "唐山市国土资源局丰润区分局" in r.output


def test_goals_import_names_the_bad_row(tmp_path):
    doc = yaml.safe_load(SAMPLE.read_text(encoding="utf-8"))
    del doc["projects"][1]["indicators"][2]["basis"]
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    r = runner.invoke(app, ["goals", "import", str(bad), "--db", str(tmp_path / "g.sqlite")])
    assert r.exit_code == 2
    assert "GOALS_INVALID" in r.output and "row: 3" in r.output and "field: basis" in r.output


def test_spend_add_and_list(tmp_path):
    db = ["--db", str(tmp_path / "s.sqlite")]
    runner.invoke(app, ["goals", "import", str(SAMPLE), *db])
    base = ["spend", "add", "--year", "2019", "--project", "mining_enforcement"]
    r = runner.invoke(
        app, [*base, "--on", "2019-03-20", "--amount", "30000", "--purpose", "监管", *db]
    )
    assert r.exit_code == 0 and "已记录第 1 笔" in r.output, r.output
    r = runner.invoke(app, [*base, "--on", "2019-03-21", "--amount", "-100", "--purpose", "x", *db])
    assert r.exit_code == 2 and "corrects_id" in r.output
    r = runner.invoke(
        app, ["spend", "list", "--year", "2019", "--project", "mining_enforcement", *db]
    )
    assert r.exit_code == 0
    assert "30,000.00" in r.output and "3月底：计划 10%，实际 10%  偏差 +0" in r.output
