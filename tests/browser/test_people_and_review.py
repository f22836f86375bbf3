"""Signing in, roles, the review step, photos, 立案 and payments, 我的任务 and 用户管理 in a
real browser, with the accounts ``tuban demo`` creates (tests/browser/support.py)."""

from __future__ import annotations

import secrets
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
from shapely.geometry import shape

from tests.browser.support import (
    PageProbe,
    choose,
    click_case,
    end_session,
    first_case_in_state,
    get_json,
    open_app,
    open_batch,
    pick_mining_batch,
    post_json,
    read_indicator,
    shot,
    show_tab,
    sign_in,
    sign_out,
    try_login,
    wait_case,
)

try:
    from geo import testing as photo_factory
except ImportError:  # older layout
    from tests import photo_factory  # type: ignore[no-redef]

pytestmark = pytest.mark.browser

PENALTIES = "ind-mining_enforcement-penalties_receipted"
POSITION_FLAGS = {"no_position", "far_from_polygon"}


def mining_year(server_url: str) -> int:
    projects = get_json(f"{server_url}/api/projects")["data"]
    return int(next(p["year"] for p in projects if p["id"] == "mining_enforcement"))


def centroid_of(server_url: str, batch_id: int, case_id: str) -> tuple[float, float]:
    """The 图斑's centroid (or, for an odd shape, a point surely inside it), lon/lat."""
    fc = get_json(f"{server_url}/api/batches/{batch_id}/features")
    geom = shape(next(f for f in fc["features"] if str(f["id"]) == str(case_id))["geometry"])
    c = geom.centroid
    if not geom.contains(c):
        c = geom.representative_point()
    return c.x, c.y


def hash_params(page: Any) -> dict[str, list[str]]:
    return parse_qs(page.evaluate("location.hash")[1:])


def panel_alert(page: Any) -> Any:
    alert = page.get_by_test_id("panel-alert")
    alert.wait_for(state="visible")
    return alert


# --- (a) a viewer sees no forms and the server refuses ---------------------------------------


def test_viewer_sees_no_action_forms_and_is_refused(
    desktop: tuple[Any, PageProbe], server_url: str, artifacts: Path
) -> None:
    page, probe = desktop
    batch = pick_mining_batch(server_url)
    open_batch(page, server_url, batch["id"], user="tongji")
    assert "统计" in page.get_by_test_id("user-roles").inner_text()
    assert page.get_by_test_id("tab-admin").is_hidden()

    case_id = first_case_in_state(page, "issued")
    click_case(page, case_id)
    panel = wait_case(page, case_id)
    assert panel.locator("form").count() == 0, "a viewer gets no action forms"
    assert page.get_by_test_id("photo-input").count() == 0, "nor the photo upload"
    others = panel.get_by_test_id("others-actions").inner_text()
    assert "核查（外业核查员）" in others
    page.screenshot(path=artifacts / "viewer-1-no-forms.png")

    # The server decides anyway: a direct POST with the viewer's own token is refused.
    result = page.evaluate(
        """async (id) => {
            const r = await fetch(`api/cases/${id}/actions`, {
                method: 'POST',
                headers: {
                    'Content-Type': 'application/json',
                    Authorization: `Bearer ${sessionStorage.getItem('tuban.token')}`,
                },
                body: JSON.stringify({action: 'verify', payload: {judgment: 'illegal'}}),
            });
            return {status: r.status, body: await r.json()};
        }""",
        case_id,
    )
    assert result["status"] == 403, result
    assert result["body"]["error"]["code"] == "FORBIDDEN"
    message = result["body"]["error"]["message"]

    # The same request through the page's own client shows that message in plain words.
    page.evaluate("() => window.tubanMap.act('verify', {judgment: 'illegal'})")
    alert = panel_alert(page)
    assert "您没有权限办理“核查”" in alert.inner_text()
    assert message in alert.inner_text()
    assert page.locator('body[data-auth="in"]').count() == 1, "a 403 does not sign out"
    assert get_json(f"{server_url}/api/cases/{case_id}")["state"] == "issued"
    shot(page, artifacts, "viewer-2-forbidden", guide=True)

    # Viewers read the indicators.
    show_tab(page, "绩效指标")
    page.get_by_test_id(PENALTIES).wait_for(state="visible")
    probe.assert_clean()


# --- (b) verify with a photo → review → 立案 and 处罚 ------------------------------------------


def test_verify_with_photo_then_review_then_file_and_penalise(
    desktop: tuple[Any, PageProbe], server_url: str, artifacts: Path
) -> None:
    page, probe = desktop
    batch = pick_mining_batch(server_url, issued_in_year=True, issued_for="hecha")
    year = mining_year(server_url)

    # 外业核查员: a photo taken at the 图斑, and a file that is not an image.
    open_batch(page, server_url, batch["id"], user="hecha")
    assert page.get_by_test_id("report-link").is_hidden()  # import reports: 403 for verifiers
    case_id = first_case_in_state(page, "issued")
    lon, lat = centroid_of(server_url, batch["id"], case_id)
    taken = date.fromisoformat(batch["issued_on"]) + timedelta(days=3)
    good = photo_factory.jpeg(lon=lon, lat=lat, direction=90, taken=f"{taken:%Y:%m:%d} 10:30:00")
    click_case(page, case_id)
    panel = wait_case(page, case_id)
    upload = page.get_by_test_id("photo-input")
    assert upload.get_attribute("accept") == "image/*"  # phones open the camera straight away
    assert upload.get_attribute("capture") == "environment"
    assert upload.get_attribute("multiple") is not None
    upload.set_input_files(
        [
            {"name": "IMG_0001.jpg", "mimeType": "image/jpeg", "buffer": good},
            {"name": "说明.jpg", "mimeType": "image/jpeg", "buffer": "不是照片".encode()},
        ]
    )
    panel.get_by_test_id("photo-error").wait_for()
    photos = panel.get_by_test_id("photo")
    assert photos.count() == 1
    photo = photos.first
    flags = set((photo.get_attribute("data-flags") or "").split())
    assert not flags & POSITION_FLAGS, f"a photo taken at the centroid got {flags}"
    assert "在图斑内" in photo.get_by_test_id("photo-distance").inner_text()
    # Thumbnails load lazily: bring it into view as a user scrolling the panel would.
    panel.get_by_test_id("photo-thumb").first.scroll_into_view_if_needed()
    page.wait_for_function(
        """() => document.querySelector('[data-testid="photo-thumb"]')?.dataset.loaded === 'true'
                 && document.querySelector('[data-testid="photo-thumb"]').naturalWidth > 0"""
    )
    server_photo = get_json(f"{server_url}/api/cases/{case_id}")["photos"][0]
    for note in server_photo.get("notes") or []:
        assert note in photo.inner_text()  # whatever the server flags is shown
    error = panel.get_by_test_id("photo-error").inner_text()
    assert "说明.jpg" in error and "未能上传" in error
    assert "说明.jpg" in panel_alert(page).inner_text()
    photo.scroll_into_view_if_needed()
    shot(page, artifacts, "review-1-photo", guide=True)

    choose(panel, "verify-judgment", "illegal")
    choose(panel, "verify-reason", "beyond_boundary_mining")
    panel.get_by_test_id("verify-note").fill("现场照片已上传：越界开采")
    panel.get_by_test_id("verify-submit").click()
    wait_case(page, case_id, state="verified")
    assert panel.locator("form.action-form").count() == 0

    # 审核人: signing out keeps the hash, so the next user lands on the same 图斑.
    sign_out(page)
    assert f"case={case_id}" in page.evaluate("location.hash")
    sign_in(page, "shenhe")
    panel = wait_case(page, case_id, state="verified")
    assert panel.get_by_test_id("return_verification-form").is_visible()
    assert panel.get_by_test_id("case-photos").is_visible()
    panel.get_by_test_id("approve-note").fill("照片与图斑一致，同意")
    panel.get_by_test_id("approve-submit").click()
    wait_case(page, case_id, state="approved")
    assert page.locator(f'path[data-case-id="{case_id}"]').get_attribute("data-state") == "approved"
    assert "审核通过" in page.get_by_test_id("panel-status").inner_text()
    shot(page, artifacts, "review-2-approved", guide=True)
    # Reviewers also see how many 图斑 are overdue across the county.
    show_tab(page, "我的任务")
    overdue = page.get_by_test_id("overdue-count")
    overdue.wait_for(state="visible")
    assert overdue.get_attribute("data-count") == str(
        get_json(f"{server_url}/api/overdue", user="shenhe")["count"]
    )
    show_tab(page, "地图")

    # 执法人员: 立案, then 处罚 with a receipt; the penalties indicator grows by the fine.
    sign_out(page)
    sign_in(page, "zhifa")
    panel = wait_case(page, case_id, state="approved")
    show_tab(page, "绩效指标")
    before, _ = read_indicator(page, PENALTIES)
    show_tab(page, "地图")
    panel.get_by_test_id("file-case-no").fill(f"丰国土资罚〔{year}〕测{case_id}号")
    # Dates after the batch's issue (the server refuses a filing before it), long past today.
    filed_on = date.fromisoformat(batch["issued_on"]) + timedelta(days=20)
    panel.get_by_test_id("file-filed-on").fill(filed_on.isoformat())
    panel.get_by_test_id("file-offender").fill("某采石场（测试）")
    panel.get_by_test_id("file-submit").click()
    panel = wait_case(page, case_id, state="filed")
    assert panel.get_by_test_id("enf-case-no").inner_text() == f"丰国土资罚〔{year}〕测{case_id}号"

    fine = 23456.0
    panel.get_by_test_id("penalise-decision-no").fill(f"丰国土资罚决〔{year}〕测{case_id}号")
    panel.get_by_test_id("penalise-fine-yuan").fill(str(fine))
    panel.get_by_test_id("penalise-confiscation-yuan").fill("1000")
    panel.get_by_test_id("penalise-receipt-no").fill(f"HBTEST{case_id}")
    panel.get_by_test_id("penalise-paid-on").fill((filed_on + timedelta(days=9)).isoformat())
    panel.get_by_test_id("penalise-submit").click()
    panel = wait_case(page, case_id, state="penalised")
    assert "23,456.00" in panel.get_by_test_id("enf-fine").inner_text()
    assert "23,456.00" in panel.get_by_test_id("enf-paid").inner_text()
    assert "0.00" in panel.get_by_test_id("enf-outstanding").inner_text()
    assert panel.get_by_test_id("payment").count() == 1
    events = panel.get_by_test_id("case-events").inner_text()
    for who in ("（hecha）", "（shenhe）", "（zhifa）"):
        assert who in events
    panel.get_by_test_id("case-enforcement").scroll_into_view_if_needed()
    shot(page, artifacts, "review-3-penalised", guide=True)

    show_tab(page, "绩效指标")
    page.wait_for_function(
        '([id, n]) => Number(document.querySelector(`[data-testid="${id}"]`)'
        "?.dataset.numerator) === n",
        arg=[PENALTIES, before + fine],
    )
    page.get_by_test_id(PENALTIES).scroll_into_view_if_needed()
    shot(page, artifacts, "review-4-indicator", guide=True)
    probe.assert_clean()


# --- (c) phone: login and my tasks -------------------------------------------------------------


def test_phone_login_and_my_tasks(
    phone: tuple[Any, PageProbe], server_url: str, artifacts: Path
) -> None:
    page, probe = phone
    page.goto(server_url + "/")
    form = page.get_by_test_id("login-form")
    form.wait_for(state="visible")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    # A wrong password: the envelope's message, in plain words, and no way in.
    form.get_by_label("用户名").fill("hecha")
    form.get_by_label("密码").fill("wrong-password")
    page.get_by_test_id("login-submit").tap()
    alert = page.get_by_test_id("login-alert")
    alert.wait_for(state="visible")
    assert "登录失败" in alert.inner_text() and "用户名或密码错误" in alert.inner_text()
    assert page.get_by_test_id("user-box").is_hidden()
    shot(page, artifacts, "phone-login-1-error", guide=True)

    sign_in(page, "hecha")
    assert page.evaluate("sessionStorage.getItem('tuban.token')")
    assert page.get_by_test_id("tab-admin").is_hidden()
    page.get_by_test_id("tab-tasks").tap()
    page_ = get_json(f"{server_url}/api/tasks", user="hecha")
    tasks = page_["data"]
    while page_["next"]:  # every page, as the app reads them
        page_ = get_json(page_["next"], user="hecha")
        tasks += page_["data"]
    assert tasks, "the demo verifier has open work"
    items = page.get_by_test_id("task")
    page.get_by_test_id("tasks-list").wait_for()
    assert items.count() == len(tasks)
    shown = page.eval_on_selector_all(
        '[data-testid="task"]', "els => els.map(e => e.dataset.caseId)"
    )
    assert shown == [str(t["case_id"]) for t in tasks], "listed as returned, overdue first"
    late = [t for t in tasks if t["overdue"]]
    assert page.locator('[data-testid="task"][data-overdue="true"]').count() == len(late)
    if late:
        assert items.first.get_by_test_id("task-overdue").inner_text() == "逾期"
    assert page.get_by_test_id("overdue-count").is_hidden(), "only reviewers see the county count"
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, artifacts, "phone-tasks-1-list", guide=True)

    first = tasks[0]
    items.first.get_by_test_id("task-open").tap()
    page.locator(f'[data-testid="map"][data-loaded-batch="{first["batch_id"]}"]').wait_for(
        state="attached"
    )
    panel = wait_case(page, first["case_id"])
    assert page.get_by_test_id("tab-map").get_attribute("aria-selected") == "true"
    assert panel.get_by_test_id("case-code").inner_text() == first["code"]
    shot(page, artifacts, "phone-tasks-2-case", guide=True)
    probe.assert_clean()


# --- an ended session goes back to the login screen and returns to the same place -------------


def test_expired_session_returns_to_login_keeping_the_hash(
    desktop: tuple[Any, PageProbe], server_url: str, artifacts: Path
) -> None:
    page, probe = desktop
    batch = pick_mining_batch(server_url)
    open_batch(page, server_url, batch["id"], user="admin")
    case_id = page.evaluate("window.tubanMap.features()[0].id")
    click_case(page, case_id)
    wait_case(page, case_id)
    show_tab(page, "绩效指标")
    page.get_by_test_id(PENALTIES).wait_for(state="visible")
    where = page.evaluate("location.hash")
    assert f"case={case_id}" in where and "view=indicators" in where

    end_session(server_url, page.evaluate("sessionStorage.getItem('tuban.token')"))
    page.get_by_test_id("indicators-refresh").click()  # the next call gets 401
    page.get_by_test_id("login-form").wait_for(state="visible")
    assert "登录已失效" in page.get_by_test_id("login-note").inner_text()
    assert page.evaluate("location.hash") == where
    assert page.evaluate("sessionStorage.getItem('tuban.token')") is None
    assert page.get_by_test_id("login-username").input_value() == "admin"
    page.screenshot(path=artifacts / "session-1-expired.png")

    sign_in(page, "admin")
    wait_case(page, case_id, visible=False)
    assert page.get_by_test_id("tab-indicators").get_attribute("aria-selected") == "true"
    assert hash_params(page) == parse_qs(where[1:])
    show_tab(page, "地图")
    wait_case(page, case_id)
    probe.assert_clean()


# --- 合并立案 and 登记缴款 --------------------------------------------------------------------


def test_file_several_tuban_as_one_case_and_record_a_payment(
    desktop: tuple[Any, PageProbe], server_url: str, artifacts: Path
) -> None:
    page, probe = desktop
    year = mining_year(server_url)
    # The mining batch with the most 图斑 still issued (the quarter in progress on the demo
    # clock; earlier quarters are all but done).
    batches = [
        b
        for b in get_json(f"{server_url}/api/batches")["data"]
        if b["programme"] == "mining" and str(b["period"]).startswith(str(year))
    ]
    issued_in = {
        b["id"]: [
            f
            for f in get_json(f"{server_url}/api/batches/{b['id']}/features")["features"]
            if f["properties"]["state"] == "issued"
        ]
        for b in batches
    }
    batch = max(batches, key=lambda b: len(issued_in[b["id"]]))
    issued = issued_in[batch["id"]]
    assert len(issued) >= 2, "need two issued 图斑 to approve as illegal"
    first, second = (str(f["id"]) for f in issued[-2:])
    for cid in (first, second):  # the admin may take every step
        for action, payload in (
            ("verify", {"judgment": "illegal", "reason": "unlicensed_mining"}),
            ("approve", {}),
        ):
            status, body = post_json(
                f"{server_url}/api/cases/{cid}/actions", {"action": action, "payload": payload}
            )
            assert status == 200, body

    open_batch(page, server_url, batch["id"], user="zhifa")
    click_case(page, first)
    panel = wait_case(page, first, state="approved")
    merge = panel.get_by_test_id("file-merge")
    assert merge.is_visible()
    box = merge.get_by_test_id(f"file-merge-{second}")
    box.focus()
    page.keyboard.press("Space")
    assert box.is_checked()
    case_no = f"丰国土资罚〔{year}〕合{first}号"
    panel.get_by_test_id("file-case-no").fill(case_no)
    # After the issue, and paid before the demo clock's today (a quarter in progress).
    filed_on = date.fromisoformat(batch["issued_on"]) + timedelta(days=10)
    panel.get_by_test_id("file-filed-on").fill(filed_on.isoformat())
    panel.get_by_test_id("file-offender").fill("某建材公司（测试）")
    shot(page, artifacts, "enforcement-1-merge", guide=True)
    panel.get_by_test_id("file-submit").click()
    panel = wait_case(page, first, state="filed")
    assert "本案共 2 个图斑" in page.get_by_test_id("panel-status").inner_text()
    for cid in (first, second):
        assert page.locator(f'path[data-case-id="{cid}"]').get_attribute("data-state") == "filed"
        assert get_json(f"{server_url}/api/cases/{cid}")["enforcement"]["case_no"] == case_no
    assert panel.locator(f'[data-testid="enf-case-link"][data-case-id="{second}"]').count() == 1

    # 处罚 without a receipt: all outstanding; then one instalment through 登记缴款.
    panel.get_by_test_id("penalise-fine-yuan").fill("5000")
    panel.get_by_test_id("penalise-submit").click()
    panel = wait_case(page, first, state="penalised")
    assert "5,000.00" in panel.get_by_test_id("enf-outstanding").inner_text()
    # The decision is the 立案's: its other 图斑 moved too, with an event of its own.
    other = get_json(f"{server_url}/api/cases/{second}")
    assert other["state"] == "penalised"
    assert [e["action"] for e in other["events"]].count("penalise") == 1
    panel.get_by_test_id("payment-amount-yuan").fill("2000")
    panel.get_by_test_id("payment-receipt-no").fill(f"HBPART{first}")
    panel.get_by_test_id("payment-paid-on").fill((filed_on + timedelta(days=15)).isoformat())
    panel.get_by_test_id("payment-submit").click()
    page.get_by_test_id("panel-status").filter(has_text="已登记缴款").wait_for()
    panel = wait_case(page, first)
    assert "2,000.00" in panel.get_by_test_id("enf-paid").inner_text()
    assert "3,000.00" in panel.get_by_test_id("enf-outstanding").inner_text()
    assert panel.get_by_test_id("payment").count() == 1
    panel.get_by_test_id("case-enforcement").scroll_into_view_if_needed()
    shot(page, artifacts, "enforcement-2-payment", guide=True)
    probe.assert_clean()


# --- 用户管理 ---------------------------------------------------------------------------------


def test_admin_adds_deactivates_and_reactivates_a_user_by_keyboard(
    desktop: tuple[Any, PageProbe], server_url: str, artifacts: Path
) -> None:
    page, probe = desktop
    open_app(page, server_url, "admin")
    page.get_by_test_id("tab-map").focus()
    page.keyboard.press("End")  # the last tab: 用户管理
    assert page.get_by_test_id("tab-admin").get_attribute("aria-selected") == "true"
    table = page.get_by_test_id("users-table")
    table.wait_for()
    for name in ("admin", "hecha", "zhifa", "shenhe", "tongji"):
        assert table.locator(f'[data-testid="user-row"][data-username="{name}"]').count() == 1

    username = f"test{secrets.token_hex(3)}"
    password = "tuban-test-123"
    page.get_by_test_id("user-username").focus()
    page.keyboard.type(username)
    page.keyboard.press("Tab")
    page.keyboard.type("测试核查员")
    page.keyboard.press("Tab")
    page.keyboard.type(password)
    page.get_by_test_id("user-role-verifier").focus()
    page.keyboard.press("Space")
    towns = page.locator('[data-testid^="user-township-"]')
    if towns.count():
        towns.first.focus()
        page.keyboard.press("Space")
    page.get_by_test_id("user-submit").focus()
    page.keyboard.press("Enter")
    status = page.get_by_test_id("admin-status")
    status.filter(has_text="已新增用户").wait_for()
    row = table.locator(f'[data-testid="user-row"][data-username="{username}"]')
    row.wait_for()
    assert row.get_attribute("data-active") == "true"
    assert "外业核查员" in row.inner_text()
    assert try_login(server_url, username, password) == 200
    shot(page, artifacts, "admin-1-added", guide=True)

    row.get_by_test_id("user-toggle").focus()
    page.keyboard.press("Enter")
    page.locator(
        f'[data-testid="user-row"][data-username="{username}"][data-active="false"]'
    ).wait_for()
    assert "已停用" in status.inner_text()
    assert try_login(server_url, username, password) == 401
    # Focus stays on the row's button, so Enter again reactivates.
    page.keyboard.press("Enter")
    page.locator(
        f'[data-testid="user-row"][data-username="{username}"][data-active="true"]'
    ).wait_for()
    assert try_login(server_url, username, password) == 200
    page.screenshot(path=artifacts / "admin-2-toggled.png")
    probe.assert_clean()
