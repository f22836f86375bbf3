"""Issue 16 (动态巡查) in a real browser (Debian chromium).

A verifier's phone (390×844, touch, geolocation granted) records a patrol finding with no
network, with its GPS fix and a photo made here with EXIF; it waits on the phone through a
reload, is sent once the connection returns (the finding, then the photo to the case it made),
and shows on the map's 动态巡查 layer, in 我的任务 with its 制止 deadline and in the 绩效指标
goal table (one more patrol finding, one more active illegal mine). No request leaves
127.0.0.1. At the desk an enforcement officer registers a 举报 with the reporter kept
confidential (hostile text stays text), serves the stop order and reports it upwards; another
re-inspects an overdue watched site from 我的任务; the admin edits the deadlines on the 管理
tab; and the path in English. Screenshots for the guides.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from geo import testing as photo_factory
from tests.browser.conftest import PHONE, open_page
from tests.browser.support import PageProbe, get_json, shot, show_tab, sign_in, wait_case
from tests.browser.test_thumb import _offenders

pytestmark = pytest.mark.browser

ACCURACY_M = 12
HOSTILE = '<img src=x onerror="window.__xss=1">张三'
NOTE = '<svg onload="window.__xss=2">值班电话转来'


def _all(server: str, path: str, user: str = "admin") -> list[dict[str, Any]]:
    page = get_json(f"{server}{path}", user=user)
    items = list(page.get("data", page.get("features", [])))
    while page.get("next"):
        page = get_json(page["next"], user=user)
        items += page.get("data", page.get("features", []))
    return items


def _empty_spot(server: str) -> tuple[float, float]:
    """A place in 丰润区 with no 图斑 and no illegal site within ~300 m: a finding there is a
    site of its own (not joined to an earlier case). Patrol cases are looked for as sites."""
    batches = [b for b in _all(server, "/api/batches") if b["programme"] != "patrol"]
    for lon in (118.02, 118.08, 118.14, 118.20, 118.26):
        for lat in (39.70, 39.76, 39.82, 39.88, 39.94):
            box = f"{lon - 0.004},{lat - 0.003},{lon + 0.004},{lat + 0.003}"
            busy = any(
                get_json(f"{server}/api/batches/{b['id']}/features?bbox={box}&limit=1")["features"]
                for b in batches
            )
            if not busy and not get_json(f"{server}/api/patrol/sites?bbox={box}")["features"]:
                return lon, lat
    raise AssertionError("no empty spot in the county for a new finding")


@pytest.fixture
def patrol_phone(
    browser: Any, server_url: str
) -> Iterator[tuple[Any, PageProbe, tuple[float, float]]]:
    """hecha's phone standing on an empty spot of the county, the position already allowed."""
    lon, lat = _empty_spot(server_url)
    for page, probe in open_page(
        browser,
        server_url,
        **PHONE,
        permissions=["geolocation"],
        geolocation={"latitude": lat, "longitude": lon, "accuracy": ACCURACY_M},
    ):
        yield page, probe, (lon, lat)


def _wait_offline_ready(page: Any) -> None:
    page.locator('[data-testid="offline-pack"][data-status="ready"]').wait_for(state="attached")
    page.wait_for_function("navigator.serviceWorker && navigator.serviceWorker.controller !== null")


def _demo_day(server: str) -> str:
    """The demo clock's day as EXIF writes it (a photo taken today on the server's clock)."""
    now = get_json(f"{server}/api/config")["clock"]["now"]
    return now[:10].replace("-", ":")


def test_a_finding_recorded_offline_with_a_photo_reaches_the_map_and_my_tasks(
    patrol_phone: tuple[Any, PageProbe, tuple[float, float]], server_url: str, artifacts: Path
) -> None:
    page, probe, (lon, lat) = patrol_phone
    before = {c["case_id"] for c in _all(server_url, "/api/tasks", "hecha")}
    page.goto(server_url + "/")
    sign_in(page, "hecha")
    page.locator('[data-testid="map"][data-loaded-batch]:not([data-loaded-batch=""])').wait_for(
        state="attached"
    )
    _wait_offline_ready(page)
    page.locator('[data-testid="patrol-layer"][data-status="loaded"]').wait_for(state="attached")
    counted = _indicators(page)
    page.get_by_test_id("tab-map").tap()

    # In the field with no signal: the floating button opens the sheet at the GPS fix.
    page.context.set_offline(True)
    fab = page.get_by_test_id("patrol-fab")
    box = fab.bounding_box()
    assert box and box["height"] >= 44 and box["width"] >= 44, box
    fab.tap()
    sheet = page.locator('[data-testid="patrol-sheet"][data-mode="finding"]')
    sheet.wait_for()
    where = sheet.locator('[data-testid="finding-where"][data-kind="point"]')
    where.wait_for()
    assert float(where.get_attribute("data-lon")) == pytest.approx(lon, abs=1e-7)
    assert float(where.get_attribute("data-lat")) == pytest.approx(lat, abs=1e-7)
    assert where.get_attribute("data-accuracy") == str(ACCURACY_M)
    assert f"±{ACCURACY_M} 米" in where.inner_text()
    sheet.get_by_test_id("finding-violation-illegal_mining").tap()
    sheet.get_by_test_id("finding-note").fill("夜间盗采，现场有挖掘机一台")
    photo = photo_factory.jpeg(
        lon=lon, lat=lat, direction=45, taken=f"{_demo_day(server_url)} 09:40:00"
    )
    sheet.get_by_test_id("finding-photo-input").set_input_files(
        {"name": "xunchá-1.jpg", "mimeType": "image/jpeg", "buffer": photo}
    )
    assert sheet.get_by_test_id("finding-photo").count() == 1
    n, small = _offenders(page, ["#patrol-sheet"])
    assert n >= 12 and not small, f"controls under 44×44 px in the finding sheet: {small}"
    page.get_by_test_id("finding-where").scroll_into_view_if_needed()
    shot(page, artifacts, "verifier-8-patrol-finding", guide=True)
    sheet.get_by_test_id("finding-submit").tap()

    # Kept on the phone, drawn at once as waiting, and still there after a reload.
    net = page.locator('[data-testid="net-box"][data-pending="1"][data-online="false"]')
    net.wait_for(state="attached")
    page.locator(
        '[data-testid="outbox-item"][data-kind="finding"][data-status="waiting"]'
    ).wait_for(state="attached")
    page.locator('[data-testid="patrol-pending"]').wait_for(state="attached")
    page.reload()
    page.locator('body[data-auth="in"]').wait_for(state="attached")
    net.wait_for(state="attached")
    page.locator('[data-testid="patrol-pending"]').wait_for(state="attached")
    assert {c["case_id"] for c in _all(server_url, "/api/tasks", "hecha")} == before

    # Back online: the finding goes, then its photo to the case it made.
    page.context.set_offline(False)
    page.locator('[data-testid="net-box"][data-pending="0"]').wait_for(state="attached")
    status = page.locator('[data-testid="patrol-status"][data-case-id]:not([data-case-id=""])')
    status.wait_for()
    case_id = int(status.get_attribute("data-case-id"))
    case = get_json(f"{server_url}/api/cases/{case_id}", user="hecha")
    assert case["programme"] == "patrol" and case["state"] == "found"
    assert case["code"] in status.inner_text()
    assert case["milestones"]["violation"] == "illegal_mining"
    assert case["milestones"]["note"] == "夜间盗采，现场有挖掘机一台"
    assert [p["filename"] for p in case["photos"]] == ["xunchá-1.jpg"]
    assert [e["action"] for e in case["events"]] == ["find", "add_photo"]
    assert "（hecha）" in case["events"][0]["actor"]
    point = shape_point(case)
    assert point == pytest.approx((lon, lat), abs=1e-6)

    # Opened from the message: the map looks at it, an active site of the 动态巡查 layer (no
    # longer drawn as waiting); the panel gives its 制止 deadline, and so does 我的任务.
    page.get_by_test_id("patrol-status-open").tap()
    panel = wait_case(page, case_id)
    page.locator(
        f'[data-testid="patrol-site"][data-site-case="{case_id}"][data-status="active"]'
    ).wait_for(state="attached")
    assert page.locator('[data-testid="patrol-pending"]').count() == 0
    assert panel.get_by_test_id("patrol-violation").inner_text() == "盗采矿产"
    assert panel.get_by_test_id("patrol-note").inner_text() == "夜间盗采，现场有挖掘机一台"
    site = page.locator(f'[data-testid="patrol-site"][data-site-case="{case_id}"]').bounding_box()
    sheet_top = page.get_by_test_id("case-panel").bounding_box()["y"]
    assert site and 0 < site["y"] + site["height"] <= sheet_top, "the site shows above the sheet"
    shot(page, artifacts, "verifier-9-patrol-case", guide=True)
    step = panel.locator('[data-testid="patrol-step"][data-step="stop"]')
    assert step.get_attribute("data-status") == "open"
    assert "截止" in step.inner_text()
    tasks = {t["case_id"]: t for t in _all(server_url, "/api/tasks", "hecha")}
    assert tasks[case_id]["step"] == "stop"
    page.get_by_test_id("tab-tasks").tap()
    task = page.locator(f'[data-testid="task"][data-case-id="{case_id}"]')
    task.wait_for()
    assert task.get_by_test_id("task-step").get_attribute("data-step") == "stop"
    page.get_by_test_id("tasks-filter-patrol").tap()
    assert page.get_by_test_id("tasks-list").get_attribute("data-filter") == "patrol"
    listed = page.locator('[data-testid="tasks-list"] [data-testid="task"]')
    assert all(
        tasks[int(listed.nth(i).get_attribute("data-case-id"))]["programme"] == "patrol"
        for i in range(listed.count())
    )
    # And in the 绩效指标 tab: one more patrol finding, one more active illegal mine.
    expected = {k: v + 1 for k, v in counted.items()}
    page.get_by_test_id("tab-indicators").tap()
    page.wait_for_function(
        """(want) => Object.entries(want).every(([id, v]) => {
            const cell = document.querySelector(`[data-testid="${id}"]`);
            return cell && Number(cell.dataset.numerator) === v;
        })""",
        arg=expected,
    )
    assert _indicators(page) == expected, "the goal table's patrol rows count the finding"
    assert page.evaluate("window.__xss") is None
    probe.assert_clean()


# The 矿山卫片执法 goal table's rows that count patrol findings and the illegal mines (卫片 and
# patrol sites together) still active: their live values on the 绩效指标 tab.
PATROL_ROWS = (
    "ind-mining_enforcement-patrol_findings",
    "ind-mining_enforcement-illegal_mines_active",
)


def _indicators(page: Any) -> dict[str, float]:
    """The live values of PATROL_ROWS, read on the 绩效指标 tab once they are drawn afresh."""
    page.get_by_test_id("tab-indicators").tap()
    page.wait_for_function("() => !document.querySelector('#indicators[aria-busy=\"true\"]')")
    out = {}
    for testid in PATROL_ROWS:
        cell = page.get_by_test_id(testid)
        cell.wait_for(state="attached")
        out[testid] = float(cell.get_attribute("data-numerator"))
    return out


def shape_point(case: dict[str, Any]) -> tuple[float, float]:
    """A point case's [lon, lat] (its centre is the fix itself)."""
    lon, lat = case["centre"]
    return lon, lat


def _open_report(page: Any) -> Any:
    page.get_by_test_id("patrol-report-open").click()
    sheet = page.locator('[data-testid="patrol-sheet"][data-mode="report"]')
    sheet.wait_for()
    return sheet


def test_the_desk_registers_a_report_serves_the_stop_order_and_reports_it(
    desktop: tuple[Any, PageProbe], server_url: str, artifacts: Path
) -> None:
    page, probe = desktop
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    lon, lat = _empty_spot(server_url)
    page.goto(server_url + "/")
    sign_in(page, "zhifa")
    page.locator('[data-testid="map"][data-loaded-batch]:not([data-loaded-batch=""])').wait_for(
        state="attached"
    )
    sheet = _open_report(page)
    page.evaluate(
        """([lat, lon]) => {
            const m = window.tubanMap.map;
            m.invalidateSize();
            m.setView([lat, lon], 16, {animate: false});
        }""",
        [lat, lon],
    )
    sheet.get_by_test_id("finding-source-hotline_12336").check()
    sheet.get_by_test_id("finding-violation-illegal_building").check()
    # The place: a click on the map (a 图斑 there would not open: the click is the place).
    sheet.locator('[data-testid="finding-where"][data-by="pick"]').wait_for()
    page.get_by_test_id("map").click()
    where = sheet.locator('[data-testid="finding-where"][data-kind="point"]')
    where.wait_for()
    assert float(where.get_attribute("data-lon")) == pytest.approx(lon, abs=1e-3)
    sheet.get_by_test_id("finding-reporter-name").fill(HOSTILE)
    sheet.get_by_test_id("finding-reporter-contact").fill("138 0000 1234")
    sheet.get_by_test_id("finding-content").fill("村北有人夜里盖房，已连续三晚")
    sheet.get_by_test_id("finding-note").fill(NOTE)
    shot(page, artifacts, "enforcement-patrol-report", guide=True)
    sheet.get_by_test_id("finding-submit").click()
    status = page.locator('[data-testid="patrol-status"][data-case-id]:not([data-case-id=""])')
    status.wait_for()
    case_id = int(status.get_attribute("data-case-id"))
    assert page.get_by_test_id("patrol-sheet").is_hidden()
    page.get_by_test_id("patrol-status-open").click()
    panel = wait_case(page, case_id, state="found")
    assert panel.get_by_test_id("case-code").inner_text().startswith("JB")
    report = panel.locator('[data-testid="patrol-report"][data-status="shown"]')
    report.wait_for()
    assert report.get_by_test_id("patrol-reporter-name").inner_text() == HOSTILE
    assert report.get_by_test_id("patrol-reporter-contact").inner_text() == "138 0000 1234"
    assert panel.get_by_test_id("patrol-note").inner_text() == NOTE
    assert page.locator("img[src='x'], svg[onload]").count() == 0

    # 制止: the stop order served now (Beijing time, sent with +08:00).
    form = panel.get_by_test_id("stop-form")
    form.get_by_test_id("stop-order-no").fill("丰国土资责停〔2019〕088号")
    served = form.get_by_test_id("stop-served-at").input_value()
    assert len(served) == 16 and served[10] == "T"
    form.get_by_test_id("stop-served-by").fill("王磊、李明")
    form.get_by_test_id("stop-submit").click()
    panel = wait_case(page, case_id, state="stopped")
    step = panel.locator('[data-testid="patrol-step"][data-step="stop"]')
    assert step.get_attribute("data-status") == "done"
    stopped = get_json(f"{server_url}/api/cases/{case_id}")
    assert stopped["milestones"]["stop_order_no"] == "丰国土资责停〔2019〕088号"
    assert stopped["milestones"]["stopped_at"].startswith(served[:10])
    panel.get_by_test_id("case-patrol").scroll_into_view_if_needed()
    shot(page, artifacts, "enforcement-patrol-stop", guide=True)

    # 报告 to the city bureau, once.
    form = panel.get_by_test_id("report_up-form")
    form.get_by_test_id("report_up-doc-no").fill("丰国土资报〔2019〕17号")
    form.get_by_test_id("report_up-reported-to").fill("唐山市自然资源和规划局")
    form.get_by_test_id("report_up-submit").click()
    panel.locator('[data-testid="patrol-step"][data-step="report"][data-status="done"]').wait_for()
    assert panel.get_by_test_id("report_up-form").count() == 0
    # The reporter is kept apart from the case: its own JSON never names them.
    assert "138 0000 1234" not in json.dumps(
        get_json(f"{server_url}/api/cases/{case_id}"), ensure_ascii=False
    )
    assert dialogs == [] and page.evaluate("window.__xss") is None
    probe.assert_clean()


def test_an_overdue_watched_site_is_reinspected_from_my_tasks(
    desktop: tuple[Any, PageProbe], server_url: str, artifacts: Path
) -> None:
    page, probe = desktop
    late = [w for w in _all(server_url, "/api/patrol/watch", "zhifa") if w["overdue"]]
    assert late, "the demo has a watched site past its re-inspection day"
    site = late[0]
    page.goto(server_url + "/")
    sign_in(page, "zhifa")
    page.get_by_test_id("tab-tasks").click()
    task = page.locator(f'[data-testid="task"][data-case-id="{site["case_id"]}"]')
    step = task.get_by_test_id("task-step")
    assert step.get_attribute("data-step") == "reinspect"
    assert step.get_attribute("data-overdue") == "true"
    assert "已超时" in step.inner_text()
    task.get_by_test_id("task-open").click()
    panel = wait_case(page, site["case_id"])
    watch = panel.get_by_test_id("patrol-watch")
    assert watch.get_by_test_id("patrol-watch-due").inner_text() == site["watch_due_on"]
    reinspect = panel.locator('[data-testid="patrol-step"][data-step="reinspect"]')
    assert reinspect.get_attribute("data-status") == "overdue"
    form = panel.get_by_test_id("reinspect-form")
    form.get_by_test_id("reinspect-note").fill("矿坑已回填，未见新的开采痕迹")
    form.get_by_test_id("reinspect-submit").click()
    # Done late, and the next one due an interval from today: the step is open again, and the
    # form is empty for the next visit (not the note just sent).
    panel.locator(
        '[data-testid="patrol-step"][data-step="reinspect"][data-status="open"]'
    ).wait_for()
    assert panel.get_by_test_id("reinspect-note").input_value() == ""
    after = get_json(f"{server_url}/api/cases/{site['case_id']}")["milestones"]
    assert after["reinspections"] == site["reinspections"] + 1
    assert after["reinspected_on_time"] is False
    assert after["watch_due_on"] > site["watch_due_on"]
    assert panel.get_by_test_id("patrol-watch-due").inner_text() == after["watch_due_on"]
    shot(page, artifacts, "enforcement-patrol-reinspect", guide=True)
    probe.assert_clean()


def test_the_admin_edits_the_deadlines_and_sees_who_changed_them(
    desktop: tuple[Any, PageProbe], server_url: str, artifacts: Path
) -> None:
    page, probe = desktop
    start = get_json(f"{server_url}/api/patrol/deadlines")["current"]
    page.goto(server_url + "/")
    sign_in(page, "admin")
    show_tab(page, "管理")
    box = page.get_by_test_id("patrol-deadlines")
    form = box.get_by_test_id("deadlines-form")
    form.wait_for()
    hours = form.get_by_test_id("deadline-stop-within-hours")
    assert hours.input_value() == str(start["stop_within_hours"])
    try:
        hours.fill("48")
        form.get_by_test_id("deadlines-note").fill("按市局通知，夜间发现的延长至48小时")
        form.get_by_test_id("deadlines-submit").click()
        box.get_by_test_id("deadlines-status").wait_for()
        assert get_json(f"{server_url}/api/patrol/deadlines")["current"]["stop_within_hours"] == 48
        latest = box.get_by_test_id("deadlines-version").first
        assert "按市局通知" in latest.inner_text() and "admin" in latest.inner_text()
        assert "48" in latest.inner_text()
        page.locator("#deadlines-title").scroll_into_view_if_needed()
        shot(page, artifacts, "admin-patrol-deadlines", guide=True)
        # Out of the server's bounds: refused, naming the setting.
        box.get_by_test_id("deadline-file-within-days").fill("0")
        box.get_by_test_id("deadlines-submit").click()
        box.get_by_test_id("deadlines-alert").wait_for()
        assert "file_within_days" in box.get_by_test_id("deadlines-alert").inner_text()
    finally:
        # Other tests of the session keep the demo's deadlines.
        status, _ = put_json(server_url, "/api/patrol/deadlines", {**start, "note": "测试后恢复"})
        assert status == 200
    probe.assert_clean()


def put_json(server: str, path: str, body: dict[str, Any]) -> tuple[int, Any]:
    """PUT as the admin."""
    import urllib.request

    from tests.browser.support import login_token

    req = urllib.request.Request(
        f"{server}{path}",
        data=json.dumps(body).encode(),
        method="PUT",
        headers={
            "Content-Type": "application/json",
            "Authorization": f"Bearer {login_token(server, 'admin')}",
        },
    )
    with urllib.request.urlopen(req, timeout=10) as r:
        return r.status, json.loads(r.read() or b"null")


def test_the_patrol_path_in_english_has_no_chinese_but_its_data(
    desktop: tuple[Any, PageProbe], server_url: str, artifacts: Path
) -> None:
    """The report sheet, a reported case's panel (steps, report, history), the patrol tasks and
    the deadlines, in English: every word from the catalogs or meta's label_en."""
    from tests.browser.test_words import CJK, _interface_text_matching

    page, probe = desktop
    reported = [
        f["properties"]
        for f in get_json(f"{server_url}/api/patrol/sites")["features"]
        if f["properties"]["programme"] == "patrol" and f["properties"]["code"].startswith("JB")
    ]
    assert reported, "the demo has reported patrol cases"
    page.add_init_script("localStorage.setItem('tuban.lang', 'en')")
    page.goto(server_url + "/")
    sign_in_en(page, "admin")
    page.locator('[data-testid="map"][data-loaded-batch]:not([data-loaded-batch=""])').wait_for(
        state="attached"
    )
    found: dict[str, list[str]] = {}
    page.evaluate("(id) => window.tubanMap.patrol.openHere(id)", reported[0]["case_id"])
    panel = wait_case(page, reported[0]["case_id"])
    panel.locator('[data-testid="patrol-report"][data-status="shown"]').wait_for()
    panel.get_by_test_id("case-events").wait_for()
    found["patrol case panel"] = _interface_text_matching(page, CJK)
    page.evaluate("window.tubanMap.patrol.open('report')")
    page.locator('[data-testid="patrol-sheet"][data-mode="report"]').wait_for()
    found["report sheet"] = _interface_text_matching(page, CJK)
    shot(page, artifacts, "words-en-patrol-report")
    page.get_by_test_id("finding-close").click()
    page.get_by_test_id("tab-tasks").click()
    page.get_by_test_id("tasks-filter-patrol").click()
    page.locator('[data-testid="tasks-list"][data-filter="patrol"]').wait_for()
    found["patrol tasks"] = _interface_text_matching(page, CJK)
    page.get_by_test_id("tab-admin").click()
    page.get_by_test_id("deadlines-form").wait_for()
    found["deadlines"] = _interface_text_matching(page, CJK)
    assert not any(found.values()), "Chinese interface text in English:\n" + "\n".join(
        f"{view}: {line}" for view, lines in found.items() for line in lines
    )
    probe.assert_clean()


def sign_in_en(page: Any, username: str) -> None:
    """Sign in on a page in English (the labels are English)."""
    from tests.browser.support import DEMO_PASSWORDS

    form = page.get_by_test_id("login-form")
    form.wait_for(state="visible")
    form.locator("input[autocomplete=username]").fill(username)
    form.locator("input[type=password]").fill(DEMO_PASSWORDS[username])
    page.get_by_test_id("login-submit").click()
    page.get_by_test_id("user-box").wait_for(state="attached")
