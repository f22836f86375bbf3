"""The ``tuban`` command: import, report, export and errors, on a temp embedded store."""

from __future__ import annotations

import json
import zipfile

import pyogrio
from typer.testing import CliRunner

from tests import factories
from tuban_cli.main import app

runner = CliRunner()
META = [
    "--programme",
    "mining",
    "--period",
    "2019Q3",
    "--authority",
    "河北省自然资源厅",
    "--issued-on",
    "2019-10-15",
    "--due-on",
    "2019-11-30",
]


def test_import_report_export(tmp_path):
    db = tmp_path / "cli.sqlite"
    src = factories.write(factories.squares(4), tmp_path / "ks.gpkg")
    r = runner.invoke(app, ["import", str(src), *META, "--db", str(db)])
    assert r.exit_code == 0, r.output
    assert "已导入 批次 #1" in r.output and "4 个图斑" in r.output
    again = runner.invoke(app, ["import", str(src), *META, "--db", str(db)])
    assert again.exit_code == 0 and "未重复导入" in again.output

    rep = runner.invoke(
        app, ["report", "--project", "mining_enforcement", "--year", "2019", "--db", str(db)]
    )
    assert rep.exit_code == 0, rep.output
    assert "已核查 0 / 下发 4" in rep.output

    out = tmp_path / "out.gpkg"
    ex = runner.invoke(app, ["export", "1", str(out), "--db", str(db)])
    assert ex.exit_code == 0, ex.output
    frame = pyogrio.read_dataframe(out)
    assert len(frame) == 4 and set(frame["办理状态"]) == {"已下发"}
    assert frame.crs.to_epsg() == 4490
    assert set(frame["BHLX"]) == {"新增开采"}  # the province's own fields stay


def test_export_formats_and_refusals(tmp_path):
    db = tmp_path / "cli.sqlite"
    src = factories.write(factories.squares(2), tmp_path / "ks.gpkg")
    assert runner.invoke(app, ["import", str(src), *META, "--db", str(db)]).exit_code == 0
    for name in ("o.csv", "o.xlsx", "o.kml"):
        r = runner.invoke(app, ["export", "1", str(tmp_path / name), "--db", str(db)])
        assert r.exit_code == 0 and "已导出 2 个图斑" in r.output, (name, r.output)
    shp = runner.invoke(app, ["export", "1", str(tmp_path / "o.shp"), "--db", str(db)])
    assert shp.exit_code == 2 and "不支持的导出文件类型 .shp" in shp.output
    assert ".gpkg（GeoPackage）" in shp.output and not (tmp_path / "o.shp").exists()
    province = tmp_path / "p.zip"
    args = ["--profile", "province", "--zone", "39", "--no-zone-prefix", "--db", str(db)]
    r = runner.invoke(app, ["export", "1", str(province), *args])
    assert r.exit_code == 0, r.output
    with zipfile.ZipFile(province) as z:
        assert any(n.endswith(".cpg") for n in z.namelist())
    bad = runner.invoke(app, ["export", "1", str(province), "--zone", "41", "--db", str(db)])
    assert bad.exit_code == 2 and "分带" in bad.output
    odd = runner.invoke(app, ["export", "1", str(tmp_path / "o.csv"), "--geometry", "box"])
    assert odd.exit_code == 2 and "wkt" in odd.output


def test_bad_file_exits_2_with_row_and_field(tmp_path):
    f = factories.squares(2)
    f.loc[1, "geometry"] = factories.degenerate()
    src = factories.write(f, tmp_path / "bad.gpkg")
    r = runner.invoke(app, ["import", str(src), *META, "--db", str(tmp_path / "x.sqlite")])
    assert r.exit_code == 2
    assert "IMPORT_INVALID_GEOMETRY" in r.output and "row: 2" in r.output


def test_import_writes_json_and_html_report_and_ref_commands(tmp_path):
    import json

    import geopandas as gpd
    from shapely import box

    db = tmp_path / "r.sqlite"
    x, y = factories.FENGRUN_X, factories.FENGRUN_Y
    towns = gpd.GeoDataFrame(
        {"XZQDM": ["130208100"], "XZQMC": ["丰润镇"]},
        geometry=[box(x - 5000, y - 5000, x + 5000, y + 5000)],
        crs="EPSG:4527",
    )
    tp = factories.write(towns, tmp_path / "towns.gpkg")
    r = runner.invoke(
        app,
        [
            "ref",
            "import",
            str(tp),
            "--kind",
            "township",
            "--name",
            "乡镇界",
            "--version",
            "2019",
            "--db",
            str(db),
        ],
    )
    assert r.exit_code == 0, r.output
    assert "已导入 参考图层 #1 乡镇界" in r.output
    listed = runner.invoke(app, ["ref", "list", "--db", str(db)])
    assert "乡镇界 “乡镇界” 2019：1 个要素" in listed.output

    f = factories.squares(3)
    f.loc[1, "geometry"] = factories.bowtie(dx=500)
    src = factories.write(f, tmp_path / "ks.shp", encoding="GBK")
    (tmp_path / "ks.cpg").unlink(missing_ok=True)
    (tmp_path / "ks.prj").unlink()
    out = tmp_path / "reports"
    r = runner.invoke(app, ["import", str(src), *META, "--db", str(db), "--report-dir", str(out)])
    assert r.exit_code == 0, r.output
    assert "已推断为 EPSG:4527" in r.output
    js = json.loads((out / "batch-1-2019Q3-mining.json").read_text(encoding="utf-8"))
    assert js["crs_how"] == "guessed" and "GBK" in js["encoding"]
    assert js["repaired"][0]["row"] == 2
    assert js["hints"]["located"] == 3
    page = (out / "batch-1-2019Q3-mining.html").read_text(encoding="utf-8")
    assert "图斑导入报告" in page and "推断" in page


def test_import_counts_every_shared_site_past_the_report_cap(tmp_path, monkeypatch):
    import geo.report

    monkeypatch.setattr(geo.report, "REPORT_ROWS", 1)
    db = tmp_path / "cli.sqlite"
    src = factories.write(factories.squares(4), tmp_path / "ks.gpkg")
    assert runner.invoke(app, ["import", str(src), *META, "--db", str(db)]).exit_code == 0
    land = [*META]
    land[1] = "land"
    again = factories.squares(4)
    again["TBBH"] = [f"130208TD2019Q3{i:03d}" for i in range(4)]  # the same sites, new codes
    src = factories.write(again, tmp_path / "td.gpkg")
    out = tmp_path / "reports"
    r = runner.invoke(app, ["import", str(src), *land, "--db", str(db), "--report-dir", str(out)])
    assert r.exit_code == 0, r.output
    assert "与其他项目同一地块 4" in r.output
    js = json.loads((out / "batch-2-2019Q3-land.json").read_text(encoding="utf-8"))
    assert len(js["links"]) == 1 and js["links_count"] == 4


def test_user_add_list_and_passwd(tmp_path):
    db = tmp_path / "u.sqlite"
    r = runner.invoke(
        app,
        [
            "user",
            "add",
            "wanglei",
            "--role",
            "verifier",
            "--name",
            "王磊",
            "--township",
            "130208100",
            "--password",
            "field work 1",
            "--db",
            str(db),
        ],
    )
    assert r.exit_code == 0, r.output
    assert "已添加账号 #1 wanglei（外业核查员）" in r.output
    bad = runner.invoke(
        app, ["user", "add", "x", "--role", "king", "--password", "long enough", "--db", str(db)]
    )
    assert bad.exit_code == 2 and "未知角色" in bad.output
    short = runner.invoke(
        app, ["user", "add", "y", "--role", "viewer", "--password", "short", "--db", str(db)]
    )
    assert short.exit_code == 2
    listed = runner.invoke(app, ["user", "list", "--db", str(db)])
    assert "#1 wanglei 王磊 外业核查员 乡镇 130208100" in listed.output
    pw = runner.invoke(
        app, ["user", "passwd", "wanglei", "--password", "new secret 2", "--db", str(db)]
    )
    assert pw.exit_code == 0, pw.output


def test_a_setting_that_does_not_parse_exits_2_naming_the_variable(tmp_path, monkeypatch):
    monkeypatch.setenv("TUBAN_IMPORT_WORKERS", "two")
    r = runner.invoke(app, ["ref", "list", "--db", str(tmp_path / "s.sqlite")])
    assert r.exit_code == 2
    assert "设置错误 TUBAN_IMPORT_WORKERS" in r.output and "应为整数" in r.output


def test_import_takes_its_worker_count_from_the_settings(tmp_path, monkeypatch):
    import storage.imports
    from geo.errors import TubanError

    seen = {}

    def fake_import(store, path, meta, **kw):
        seen.update(kw)
        raise TubanError("stop here")

    monkeypatch.setattr(storage.imports, "import_file", fake_import)
    monkeypatch.setenv("TUBAN_IMPORT_WORKERS", "0")
    src = factories.write(factories.squares(1), tmp_path / "one.gpkg")
    r = runner.invoke(app, ["import", str(src), *META, "--db", str(tmp_path / "w.sqlite")])
    assert r.exit_code == 2 and seen["workers"] == 1  # 0 turns the workers off, as 1 does


def test_a_refused_guess_then_crs_given_says_given(tmp_path):
    """Eastings of the 120°E central meridian without zone number or .prj: the guess (117°E,
    丰润区's) puts them 250 km west and is refused, naming it; imported again with ``--crs``,
    the report says the CRS was the user's."""
    f = factories.squares(3).to_crs("EPSG:4549")
    src = factories.write(f, tmp_path / "bgdc.shp")
    (tmp_path / "bgdc.prj").unlink()
    db, out = str(tmp_path / "c.sqlite"), tmp_path / "reports"
    args = ["import", str(src), *META, "--db", db, "--report-dir", str(out)]
    refused = runner.invoke(app, args)
    assert refused.exit_code == 2 and "丰润区之外" in refused.output
    assert "EPSG:4548" in refused.output and "--crs" in refused.output
    r = runner.invoke(app, [*args, "--crs", "EPSG:4549"])
    assert r.exit_code == 0, r.output
    assert "坐标系 EPSG:4549（用户指定）" in r.output
    js = json.loads((out / "batch-1-2019Q3-mining.json").read_text(encoding="utf-8"))
    assert js["crs_how"] == "given" and js["crs_reason"] == "用户指定 EPSG:4549"
    page = (out / "batch-1-2019Q3-mining.html").read_text(encoding="utf-8")
    assert "EPSG:4549（用户指定）" in page
