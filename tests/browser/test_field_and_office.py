"""Issue 6 in a real browser: search, the drawn illegal extent, offline drafts and the outbox,
the viewport cap, batch overlays, the English switch, imports with before/after imagery and
the single-case sheet. Screenshots go to the artefacts and, with TUBAN_UPDATE_SCREENSHOTS=1,
to docs/guide/img/ for the user guides."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from shapely.geometry import shape

from geo import testing as photo_factory
from tests.browser.conftest import FEATURE_LIMIT
from tests.browser.support import (
    PageProbe,
    choose,
    chosen,
    get_json,
    import_through_form,
    open_app,
    pick_mining_batch,
    post_json,
    read_indicator,
    shot,
    show_tab,
    wait_case,
)

pytestmark = pytest.mark.browser

VERIFIED = "ind-mining_enforcement-verified_of_issued"


def issued_mining_tasks(server_url: str) -> list[dict[str, Any]]:
    """The verifier's issued 卫片 图斑 of the goal year (mining first, then land), outside the
    batch other browser tests take theirs from, so the tests do not race for the same 图斑."""
    projects = get_json(f"{server_url}/api/projects")["data"]
    year = str(next(p["year"] for p in projects if p["id"] == "mining_enforcement"))
    busy = pick_mining_batch(server_url)["id"]
    periods = {b["id"]: b for b in get_json(f"{server_url}/api/batches")["data"]}
    tasks = [
        t
        for t in get_json(f"{server_url}/api/tasks", user="hecha")["data"]
        if t["programme"] in ("mining", "land")
        and t["state"] == "issued"
        and t["batch_id"] != busy
        and str(periods[t["batch_id"]]["period"]).startswith(year)
    ]
    assert len(tasks) >= 4, "the demo verifier needs 4 issued 卫片 图斑 outside the busy batch"
    return sorted(tasks, key=lambda t: (t["programme"] != "mining", t["case_id"]))


def photo_at(server_url: str, task: dict[str, Any]) -> bytes:
    extent = get_json(f"{server_url}/api/cases/{task['case_id']}/extent", user="hecha")
    geom = shape(extent["geometry"])
    c = geom.centroid if geom.contains(geom.centroid) else geom.representative_point()
    batch = get_json(f"{server_url}/api/batches/{task['batch_id']}")
    taken = date.fromisoformat(batch["issued_on"]) + timedelta(days=3)
    return photo_factory.jpeg(lon=c.x, lat=c.y, direction=90, taken=f"{taken:%Y:%m:%d} 10:30:00")


def search_and_open(page: Any, code: str, case_id: int) -> Any:
    box = page.get_by_test_id("search-input")
    box.fill(code)
    page.locator(f'[data-testid="search-result"][data-case-id="{case_id}"]').wait_for()
    box.press("Enter")  # the exact code opens
    return wait_case(page, case_id)


# --- verifier: search, photo, drawn extent, verify; state and indicator change ------------------


def test_verifier_finds_by_search_draws_the_extent_and_verifies_with_a_photo(
    desktop: tuple[Any, PageProbe], server_url: str, artifacts: Path
) -> None:
    page, probe = desktop
    task = issued_mining_tasks(server_url)[0]
    open_app(page, server_url, "hecha")
    page.locator('[data-testid="map"][data-loaded-batch]:not([data-loaded-batch=""])').wait_for(
        state="attached"
    )
    show_tab(page, "绩效指标")
    before, _ = read_indicator(page, VERIFIED)
    show_tab(page, "地图")

    panel = search_and_open(page, task["code"], task["case_id"])
    assert page.locator(f'[data-testid="map"][data-loaded-batch="{task["batch_id"]}"]').count()
    assert panel.get_by_test_id("case-code").inner_text() == task["code"]
    shot(page, artifacts, "verifier-1-search", guide=True)

    page.get_by_test_id("photo-input").set_input_files(
        [{"name": "IMG_0101.jpg", "mimeType": "image/jpeg", "buffer": photo_at(server_url, task)}]
    )
    panel.get_by_test_id("photo").first.wait_for()

    choose(panel, "verify-judgment", "illegal")
    choose(panel, "verify-reason", "illegal_occupation")
    panel.get_by_test_id("verify-note").fill("实地已建厂房，范围比图斑小")
    # Draw the measured extent: click four corners around the 图斑, then the first again.
    panel.get_by_test_id("extent-draw").click()
    tool = panel.get_by_test_id("extent-tool")
    assert tool.get_attribute("data-state") == "drawing"
    r = page.locator(f'path[data-case-id="{task["case_id"]}"]').bounding_box()
    corners = [
        (r["x"] - 12, r["y"] - 12),
        (r["x"] + r["width"] * 0.6, r["y"] - 12),
        (r["x"] + r["width"] * 0.6, r["y"] + r["height"] + 12),
        (r["x"] - 12, r["y"] + r["height"] + 12),
    ]
    for x, y in [*corners, corners[0]]:
        page.mouse.click(x, y)
        page.wait_for_timeout(120)
    page.locator('[data-testid="extent-tool"][data-state="drawn"]').wait_for()
    assert "m²" in panel.get_by_test_id("extent-area").inner_text()
    assert page.locator('path[data-extent="draft"]').count() == 1
    panel.get_by_test_id("verify-form").scroll_into_view_if_needed()
    shot(page, artifacts, "verifier-2-extent", guide=True)

    panel.get_by_test_id("verify-submit").click()
    wait_case(page, task["case_id"], state="verified")
    path = page.locator(f'path[data-case-id="{task["case_id"]}"]')
    assert path.get_attribute("data-state") == "verified"
    assert path.get_attribute("data-judgment") == "illegal"
    case = get_json(f"{server_url}/api/cases/{task['case_id']}")
    ms = case["milestones"]
    assert ms["illegal_geometry"]["type"] == "Polygon"
    assert 0 < ms["illegal_area_m2"], ms
    assert page.locator('path[data-extent="saved"]').count() == 1, "the saved extent is drawn"
    shot(page, artifacts, "verifier-3-verified", guide=True)

    show_tab(page, "绩效指标")
    page.wait_for_function(
        '([id, n]) => Number(document.querySelector(`[data-testid="${id}"]`)'
        "?.dataset.numerator) === n",
        arg=[VERIFIED, before + 1],
    )
    probe.assert_clean()


# --- phone, offline: the draft survives, the outbox sends when back online, conflicts shown ----


def test_phone_offline_keeps_the_form_and_sends_it_when_back_online(
    phone: tuple[Any, PageProbe], server_url: str, artifacts: Path
) -> None:
    page, probe = phone
    _, first, second, third = issued_mining_tasks(server_url)[:4]
    open_app(page, server_url, "hecha", path=f"/#batch={third['batch_id']}&case={third['case_id']}")
    panel = wait_case(page, third["case_id"])
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    # A draft survives a reload (the phone's browser may drop the page in the field).
    choose(panel, "verify-judgment", "legal")
    choose(panel, "verify-reason", "approved")
    panel.get_by_test_id("verify-note").fill("草稿：审批文件待核")
    page.reload()
    panel = wait_case(page, third["case_id"])
    panel.get_by_test_id("verify-draft").wait_for()
    assert chosen(panel, "verify-judgment") == "legal"
    assert chosen(panel, "verify-reason") == "approved"
    assert panel.get_by_test_id("verify-note").input_value() == "草稿：审批文件待核"
    panel.get_by_test_id("verify-form").scroll_into_view_if_needed()
    shot(page, artifacts, "verifier-4-draft-restored", guide=True)
    panel.get_by_test_id("verify-draft-discard").tap()

    # Both 图斑 opened once while online (the page keeps them), then the connection drops:
    # two verifications are kept on the phone.
    for task in (first, second):
        page.evaluate(f"window.tubanMap.showCase({task['case_id']}, {task['batch_id']})")
        wait_case(page, task["case_id"])
    context = page.context
    context.set_offline(True)
    for task, note in ((first, "离线核查一"), (second, "离线核查二")):
        page.evaluate(f"window.tubanMap.showCase({task['case_id']}, {task['batch_id']})")
        panel = wait_case(page, task["case_id"])
        choose(panel, "verify-judgment", "other")
        choose(panel, "verify-reason", "unchanged")
        panel.get_by_test_id("verify-note").fill(note)
        panel.get_by_test_id("verify-submit").tap()
        page.get_by_test_id("panel-status").filter(has_text="已保存在本机").wait_for()
    net = page.get_by_test_id("net-box")
    assert net.get_attribute("data-pending") == "2" and net.get_attribute("data-online") == "false"
    assert "离线" in page.get_by_test_id("net-state").inner_text()
    shot(page, artifacts, "verifier-5-offline-queued", guide=True)
    assert get_json(f"{server_url}/api/cases/{first['case_id']}")["state"] == "issued"

    # Meanwhile someone else verifies the second one: a conflict when ours arrives.
    status, body = post_json(
        f"{server_url}/api/cases/{second['case_id']}/actions",
        {"action": "verify", "payload": {"judgment": "other", "reason": "pseudo_change"}},
    )
    assert status == 200, body

    context.set_offline(False)  # the `online` event sends the queue
    page.locator('[data-testid="net-box"][data-pending="0"]').wait_for(state="attached")
    after = get_json(f"{server_url}/api/cases/{first['case_id']}")
    assert after["state"] == "verified"
    assert after["events"][-1]["payload"]["note"] == "离线核查一"
    assert "（hecha）" in after["events"][-1]["actor"]
    problem = page.locator(f'[data-testid="outbox-problem"][data-case-id="{second["case_id"]}"]')
    problem.wait_for()
    assert "未能提交" in problem.inner_text() and second["code"] in problem.inner_text()
    theirs = get_json(f"{server_url}/api/cases/{second['case_id']}")
    assert theirs["events"][-1]["payload"]["reason"] == "pseudo_change", "nothing overwritten"
    shot(page, artifacts, "verifier-6-conflict", guide=True)
    probe.assert_clean()


# --- the viewport cap, filters and overlays ---------------------------------------------------


def test_large_batch_asks_to_zoom_in_and_filters_narrow_the_map(
    desktop: tuple[Any, PageProbe], server_url: str, artifacts: Path
) -> None:
    page, probe = desktop
    big = next(
        b
        for b in get_json(f"{server_url}/api/batches")["data"]
        if b["feature_count"] > FEATURE_LIMIT
    )
    open_app(page, server_url, "admin", path=f"/#batch={big['id']}")
    mapbox = page.locator(f'[data-testid="map"][data-loaded-batch="{big["id"]}"]')
    mapbox.wait_for(state="attached")
    message = page.get_by_test_id("map-message")
    assert mapbox.get_attribute("data-truncated") == "true"
    assert "请放大地图" in message.inner_text()
    assert page.locator("path[data-case-id]").count() == 0, "nothing drawn above the cap"
    legend_total = sum(
        int(x)
        for x in page.eval_on_selector_all(
            '[data-testid="legend"] [data-state]', "els => els.map(e => e.dataset.count)"
        )
    )
    assert legend_total == big["feature_count"], "the legend counts the whole batch"
    shot(page, artifacts, "office-1-zoom-in", guide=True)

    page.evaluate("window.tubanMap.map.setZoom(window.tubanMap.map.getZoom() + 2)")
    page.locator('[data-testid="map"][data-truncated="false"]').wait_for(state="attached")
    assert message.is_hidden()
    drawn = page.locator("path[data-case-id]").count()
    assert 0 < drawn <= FEATURE_LIMIT

    # 状态 filter: only that state is drawn (the batch's rarest state, so the filter narrows).
    states = get_json(f"{server_url}/api/batches/{big['id']}/summary")["states"]
    rare = min((s for s, n in states.items() if n), key=lambda s: states[s])
    page.get_by_test_id("filter-state").select_option(rare)
    page.wait_for_function(
        """(state) => { const p = [...document.querySelectorAll('path[data-case-id]')];
                   return p.length > 0 && p.every(e => e.dataset.state === state); }""",
        arg=rare,
    )
    page.get_by_test_id("filter-clear").click()

    # Another batch overlaid, listed in the legend.
    page.get_by_test_id("batch-layers-toggle").click()
    other = next(b for b in get_json(f"{server_url}/api/batches")["data"] if b["id"] != big["id"])
    page.get_by_test_id(f"batch-toggle-{other['id']}").check()
    row = page.get_by_test_id(f"batch-layer-{other['id']}")
    page.wait_for_function(
        "(id) => ['loaded', 'zoom'].includes(document.querySelector("
        "`[data-testid='batch-layer-${id}']`).dataset.status)",
        arg=other["id"],
    )
    assert page.locator(f'[data-testid="legend"] [data-overlay-batch="{other["id"]}"]').count()
    shot(page, artifacts, "office-2-overlay", guide=True)
    # The map may fetch the overlay again as it settles (a moveend after the legend grows):
    # what counts is that it ends loaded, so wait for that again rather than sample it once.
    page.wait_for_function(
        "(id) => ['loaded', 'zoom'].includes(document.querySelector("
        "`[data-testid='batch-layer-${id}']`).dataset.status)",
        arg=other["id"],
    )
    assert row.get_attribute("data-status") in {"loaded", "zoom"}
    probe.assert_clean()


# --- English ----------------------------------------------------------------------------------


def test_english_switch_translates_the_page_and_back(
    desktop: tuple[Any, PageProbe], server_url: str, artifacts: Path
) -> None:
    page, probe = desktop
    open_app(page, server_url, "tongji")
    # Switching draws the page again from the English catalog (the session stays).
    page.get_by_test_id("lang-switch").click()
    page.locator('html[lang="en"]').wait_for(state="attached")
    page.get_by_test_id("user-box").wait_for(state="visible")
    assert page.get_by_test_id("tab-map").inner_text() == "Map"
    assert page.get_by_test_id("tab-indicators").inner_text() == "Indicators"
    assert page.get_by_test_id("search-input").get_attribute("placeholder") == "code or village"
    # What renders later is in English too.
    page.get_by_test_id("tab-tasks").click()
    page.get_by_test_id("tasks-refresh").wait_for()
    assert page.get_by_test_id("tasks-refresh").inner_text() == "Refresh"
    shot(page, artifacts, "all-english", guide=True)
    page.get_by_test_id("lang-switch").click()
    page.locator('html[lang="zh-CN"]').wait_for(state="attached")
    page.get_by_test_id("user-box").wait_for(state="visible")
    assert page.get_by_test_id("tab-map").inner_text() == "地图"
    page.reload()  # the choice is remembered
    page.get_by_test_id("tab-map").wait_for()
    assert page.get_by_test_id("tab-map").inner_text() == "地图"
    probe.assert_clean()


# --- admin: import with before/after chips; the case sheet -------------------------------------


def _chip(path: Path, colour: tuple[int, int, int]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (64, 64), colour).save(path)


def test_admin_imports_a_batch_with_imagery_and_opens_the_case_sheet(
    desktop: tuple[Any, PageProbe],
    server_url: str,
    artifacts: Path,
    chips_dir: Path,
    tmp_path: Path,
) -> None:
    page, probe = desktop
    lon, lat = 118.05, 39.78
    features = []
    for i in range(2):
        x = lon + i * 0.01
        ring = [[x, lat], [x + 0.003, lat], [x + 0.003, lat + 0.002], [x, lat + 0.002], [x, lat]]
        _chip(chips_dir / "2019Q4" / f"T{i}_before.png", (40, 120, 40))
        _chip(chips_dir / "2019Q4" / f"T{i}_after.png", (150, 140, 130))
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Polygon", "coordinates": [ring]},
                "properties": {
                    "TBBH": f"130208TEST2019Q4{i:03d}",
                    "XZQDM": "130208",
                    "QSX": "2019-06",
                    "HSX": "2019-11",
                    "前时相影像": f"2019Q4/T{i}_before.png",
                    "后时相影像": f"2019Q4/T{i}_after.png",
                },
            }
        )
    src = tmp_path / "imagery_test.geojson"
    src.write_text(json.dumps({"type": "FeatureCollection", "features": features}), "utf-8")

    open_app(page, server_url, "admin")
    batch_id = import_through_form(
        page, src, programme="land", period="2019Q4", authority="浏览器测试",
        issued_on="2019-12-01", due_on="2020-01-31",
    )  # fmt: skip
    form = page.get_by_test_id("import-form")
    status = page.get_by_test_id("import-status")
    assert "2 个图斑" in status.inner_text()
    shot(page, artifacts, "admin-3-import", guide=True)

    # A broken file: refused in plain words, nothing written.
    bad = tmp_path / "bad.geojson"
    bad.write_text("{not json", "utf-8")
    form.get_by_test_id("import-file").set_input_files(str(bad))
    form.get_by_test_id("import-period").fill("2019Q2")
    form.get_by_test_id("import-submit").click()
    alert = page.get_by_test_id("import-alert")
    alert.wait_for()
    assert "导入失败" in alert.inner_text() and "未写入" in alert.inner_text()

    show_tab(page, "地图")
    case_id = next(
        f["id"] for f in get_json(f"{server_url}/api/batches/{batch_id}/features")["features"]
    )
    page.evaluate(f"window.tubanMap.showCase({case_id}, {batch_id})")
    panel = wait_case(page, case_id)
    imagery = panel.get_by_test_id("case-imagery")
    assert imagery.get_attribute("data-source") == "chips"
    for which in ("before", "after"):
        page.wait_for_function(
            "(w) => document.querySelector(`[data-testid='imagery-${w}'] img`)"
            "?.naturalWidth === 64",
            arg=which,
        )
    assert "2019-06" in imagery.get_by_test_id("imagery-before").inner_text()
    imagery.scroll_into_view_if_needed()
    shot(page, artifacts, "office-3-imagery", guide=True)

    with page.context.expect_page() as new:
        panel.get_by_test_id("case-sheet-link").click()
    sheet = new.value
    sheet.wait_for_load_state()
    sheet.locator(".leaflet-container path").first.wait_for()
    assert "单案卡片" in sheet.title()
    sheet.screenshot(path=artifacts / "office-4-sheet.png", full_page=True)
    sheet.close()
    probe.assert_clean()
