"""``tuban patrol`` on a temporary embedded store: the deadlines shown and changed with a
record of who and why, findings entered from a script, and the watch list."""

from __future__ import annotations

import re

from typer.testing import CliRunner

from tuban_cli.main import app

runner = CliRunner()


def _run(*args: str, db) -> object:
    return runner.invoke(app, [*args, "--db", str(db)])


def _users(db) -> None:
    for name, role in (("zhang", "admin"), ("hecha", "verifier"), ("tongji", "viewer")):
        r = _run("user", "add", name, "--role", role, "--password", "long enough pw", db=db)
        assert r.exit_code == 0, r.output


def test_deadlines_are_shown_and_changed_with_who_and_why(tmp_path):
    db = tmp_path / "p.sqlite"
    _users(db)
    r = _run("patrol", "deadlines", db=db)
    assert r.exit_code == 0, r.output
    assert "stop_within_hours = 24" in r.output and "修改记录：无" in r.output
    r = _run("patrol", "deadlines", "set", "stop_within_hours=48", "report_by_month_end=false",
             "--by", "zhang", "--note", "市局2020年1号通知", db=db)  # fmt: skip
    assert r.exit_code == 0, r.output
    assert "stop_within_hours = 48" in r.output and "report_by_month_end = false" in r.output
    r = _run("patrol", "deadlines", db=db)
    assert "stop_within_hours = 48" in r.output and "file_within_days = 7" in r.output
    assert "zhang" in r.output and "市局2020年1号通知" in r.output
    # Refusals name what is wrong, and save nothing.
    for args, said in (
        (["stop_within_hours=0"], "stop_within_hours"),
        (["stop_hours=5"], "stop_hours"),
        (["report_by_month_end=maybe"], "report_by_month_end"),
        (["stop_within_hours"], "名称=值"),
    ):
        r = _run("patrol", "deadlines", "set", *args, "--by", "zhang", db=db)
        assert r.exit_code == 2 and said in r.output, (args, r.output)
    r = _run("patrol", "deadlines", "set", "stop_within_hours=12", "--by", "hecha", db=db)
    assert r.exit_code == 2 and "管理员" in r.output
    r = _run("patrol", "deadlines", "set", "stop_within_hours=12", "--by", "nobody", db=db)
    assert r.exit_code == 2 and "nobody" in r.output
    assert _run("patrol", "deadlines", db=db).output.count("zhang（zhang）") == 1  # one save


def test_a_finding_is_entered_from_a_script_once(tmp_path):
    db = tmp_path / "p.sqlite"
    _users(db)
    args = ["patrol", "add", "--violation", "illegal_mining", "--lon", "118.2", "--lat", "39.9",
            "--found-at", "2019-10-20T09:30", "--by", "hecha",
            "--client-ref", "row-17"]  # fmt: skip
    r = _run(*args, db=db)
    assert r.exit_code == 0, r.output
    assert "已登记 XC2019-0001" in r.output
    r = _run(*args, db=db)
    assert r.exit_code == 0 and "已登记过" in r.output and "XC2019-0001" in r.output
    r = _run("patrol", "add", "--violation", "arson", "--lon", "118.2", "--lat", "39.9",
             "--by", "hecha", db=db)  # fmt: skip
    assert r.exit_code == 2 and "violation" in r.output
    r = _run("patrol", "add", "--violation", "other", "--lon", "0", "--lat", "0",
             "--by", "hecha", db=db)  # fmt: skip
    assert r.exit_code == 2 and "geometry" in r.output
    r = _run("patrol", "add", "--violation", "other", "--lon", "118.2", "--lat", "39.9",
             "--by", "tongji", db=db)  # fmt: skip
    assert r.exit_code == 2 and "tongji" in r.output


def test_the_watch_list_names_each_watched_site_and_its_next_reinspection(tmp_path):
    from datetime import UTC, datetime

    from runtime.compose import build
    from runtime.settings import load_settings

    db = tmp_path / "p.sqlite"
    _users(db)
    assert "监管名单为空" in _run("patrol", "watch-list", db=db).output
    r = _run("patrol", "add", "--violation", "illegal_mining", "--lon", "118.2", "--lat", "39.9",
             "--found-at", "2019-10-20T09:30", "--by", "hecha", db=db)  # fmt: skip
    assert r.exit_code == 0, r.output
    cid = int(re.search(r"案件 (\d+)", r.output).group(1))
    services = build(load_settings(db), clock=lambda: datetime(2019, 10, 21, 2, tzinfo=UTC))
    for action, payload in (
        ("file", {"case_no": "丰罚〔2019〕7号", "filed_on": "2019-10-20"}),
        ("penalise", {"fine_yuan": 1000, "receipt_no": "R7", "paid_on": "2019-10-20"}),
        ("rectify", {"rectified_on": "2019-10-21"}),
        ("report_up", {"reported_on": "2019-10-21", "doc_no": "报7"}),
        ("close", {}),
        ("watch", {"interval_days": 30}),
    ):
        services.cases.apply_action(
            cid, action, actor="测试", payload=payload, expected_version=None,
            now=services.clock(),
        )  # fmt: skip
    services.close()
    r = _run("patrol", "watch-list", db=db)
    assert r.exit_code == 0, r.output
    assert "共 1 处" in r.output and "XC2019-0001" in r.output
    assert "下次复查 2019-11-20" in r.output and "未复查" in r.output
