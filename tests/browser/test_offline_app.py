"""Issue 15 in a real browser (Debian chromium, a phone): the field app after one visit opens with
no network, a never-opened assigned 图斑 opens offline by its URL, a photo and a verification made
offline survive a reload and reach the server when the connection returns; and the bytes the
first load after signing in transfers (printed, and held to the 310 KB budget)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.browser.support import PageProbe, choose, get_json, open_app, shot, sign_in, wait_case
from tests.browser.test_field_and_office import photo_at

pytestmark = pytest.mark.browser

# 300 KB until 动态巡查 (issue 16) put its entry points in the first view (巡查发现, the task
# steps, the case panel's patrol words: ~14 KB); its layer, sites, sheet and panel section load
# after that view.
FIRST_LOAD_BUDGET = 310 * 1024


def _last_issued_task(server_url: str) -> dict[str, Any]:
    """An issued 卫片 图斑 of the verifier's from the end of the list (other tests take theirs
    from the start)."""
    tasks = [
        t
        for t in get_json(f"{server_url}/api/tasks", user="hecha")["data"]
        if t["state"] == "issued" and t["programme"] in ("mining", "land")
    ]
    assert tasks, "the demo verifier has issued 卫片 图斑"
    return max(tasks, key=lambda t: t["case_id"])


def _wait_offline_ready(page: Any) -> None:
    page.locator('[data-testid="offline-pack"][data-status="ready"]').wait_for(state="attached")
    page.wait_for_function("navigator.serviceWorker && navigator.serviceWorker.controller !== null")


def test_a_never_opened_task_opens_offline_by_its_url_and_work_done_offline_reaches_the_server(
    phone: tuple[Any, PageProbe], server_url: str, artifacts: Path
) -> None:
    page, probe = phone
    task = _last_issued_task(server_url)
    photo = photo_at(server_url, task)
    open_app(page, server_url, "hecha")
    _wait_offline_ready(page)
    pack = page.evaluate("window.tubanMap.offlinePack.current()")
    assert task["case_id"] in [c["id"] for c in pack["cases"]]
    assert int(page.get_by_test_id("offline-pack").get_attribute("data-bytes")) > 0

    context = page.context
    context.set_offline(True)
    # The 图斑's own URL, never opened on this phone, with no network: a fresh page load.
    page.goto(f"{server_url}/#batch={task['batch_id']}&case={task['case_id']}")
    page.reload()
    panel = wait_case(page, task["case_id"])
    assert task["code"] in panel.get_by_test_id("case-code").inner_text()
    page.get_by_test_id("panel-status").filter(has_text="离线任务包").wait_for()
    assert page.locator(f'path[data-case-id="{task["case_id"]}"]').count() == 1

    # A photo and the verification, both kept on the phone.
    panel.get_by_test_id("photo-input").set_input_files(
        {"name": "offline.jpg", "mimeType": "image/jpeg", "buffer": photo}
    )
    panel.get_by_test_id("photo-queued").wait_for()
    choose(panel, "verify-judgment", "legal")
    choose(panel, "verify-reason", "approved")
    panel.get_by_test_id("verify-note").fill("离线核查，附照片")
    panel.get_by_test_id("verify-submit").tap()
    page.get_by_test_id("panel-status").filter(has_text="核查”已保存在本机").wait_for()
    items = page.get_by_test_id("outbox-item")
    assert [items.nth(i).get_attribute("data-kind") for i in range(items.count())] == [
        "photo",
        "action",
    ]
    shot(page, artifacts, "verifier-7-offline-photo-and-form", guide=True)

    # The phone's browser drops the page: everything is still there after a reload, offline.
    page.reload()
    wait_case(page, task["case_id"])
    page.locator('[data-testid="net-box"][data-pending="2"][data-online="false"]').wait_for(
        state="attached"
    )
    assert get_json(f"{server_url}/api/cases/{task['case_id']}")["state"] == "issued"

    context.set_offline(False)  # the `online` event sends them, photo first
    page.locator('[data-testid="net-box"][data-pending="0"]').wait_for(state="attached")
    after = get_json(f"{server_url}/api/cases/{task['case_id']}")
    assert after["state"] == "verified"
    assert [p["filename"] for p in after["photos"]] == ["offline.jpg"]
    mine = [e for e in after["events"] if "（hecha）" in e["actor"]]
    assert [e["action"] for e in mine][-2:] == ["add_photo", "verify"]
    assert mine[-1]["payload"]["note"] == "离线核查，附照片"
    assert not page.get_by_test_id("outbox-problem").count()
    probe.assert_clean()


def test_the_app_opens_offline_after_one_visit(
    phone: tuple[Any, PageProbe], server_url: str
) -> None:
    page, probe = phone
    open_app(page, server_url, "hecha")
    _wait_offline_ready(page)
    page.context.set_offline(True)
    page.reload()
    page.locator('body[data-auth="in"]').wait_for(state="attached")
    page.get_by_test_id("map-message").filter(has_text="离线任务包").wait_for()
    page.locator("path[data-case-id]").first.wait_for(state="attached")
    assert page.get_by_test_id("net-box").get_attribute("data-online") == "false"
    page.context.set_offline(False)
    probe.assert_clean()


def test_first_load_after_login_stays_under_the_budget(
    phone: tuple[Any, PageProbe], server_url: str
) -> None:
    """Bytes on the wire (compressed bodies and headers) from opening the page to the first map
    view after signing in, in a fresh browser; the offline task pack and the 动态巡查 sites,
    fetched after that view, are counted apart."""
    page, probe = phone
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    urls: dict[str, str] = {}
    sizes: dict[str, int] = {}
    cdp.on(
        "Network.requestWillBeSent", lambda e: urls.__setitem__(e["requestId"], e["request"]["url"])
    )
    cdp.on(
        "Network.loadingFinished",
        lambda e: sizes.__setitem__(e["requestId"], int(e["encodedDataLength"])),
    )
    page.goto(server_url + "/")
    sign_in(page, "hecha")
    page.evaluate("window.tubanMap.ready")
    _wait_offline_ready(page)
    page.wait_for_load_state("networkidle")

    def pack_seen() -> bool:
        return any("/api/offline/pack" in urls.get(rid, "") for rid in sizes)

    for _ in range(100):  # CDP events may trail the page's own view of the download
        if pack_seen():
            break
        page.wait_for_timeout(100)
    # The pack is kept apart when the page's own network log has it; a pack fetched before the
    # log shows it is then not counted at all, which the budget below does not depend on.
    by_url = [(urls.get(rid, "?"), n) for rid, n in sizes.items()]
    later = ("/api/offline/pack", "leaflet-geoman", "/api/patrol/sites", "patrol-layer.js")
    pack = sum(n for u, n in by_url if any(x in u for x in later))
    first = sum(n for u, n in by_url) - pack
    biggest = sorted(by_url, key=lambda x: -x[1])[:8]
    print(f"\nfirst load after login: {first / 1024:.1f} KB in {len(by_url)} requests")
    print(f"after the first view (task pack, drawing tool, 动态巡查 sites): {pack / 1024:.1f} KB")
    for u, n in biggest:
        print(f"  {n / 1024:7.1f} KB  {u.removeprefix(server_url)}")
    assert first < FIRST_LOAD_BUDGET, f"{first} bytes > {FIRST_LOAD_BUDGET}: {biggest}"
    probe.assert_clean()
