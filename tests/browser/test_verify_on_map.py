"""The web map in a real browser: verify a 图斑 on the map and watch the indicator move.

Every page signs in first: the 外业核查员 ``hecha`` verifies; API reads go through ``admin``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.browser.support import (
    PageProbe,
    choose,
    click_case,
    first_case_in_state,
    get_json,
    open_batch,
    pick_mining_batch,
    post_json,
    read_indicator,
    show_tab,
    wait_case,
)

pytestmark = pytest.mark.browser

# Colours the legend promises (webmap/static/labels.js); asserted literally so a silent
# palette change is caught here too.
ISSUED_FILL = "#edc948"
VERIFIED_FILL = "#4e79a7"
ILLEGAL_OUTLINE = "#d7191c"
VERIFIER = "hecha"


def test_verify_illegal_on_map_updates_colour_and_indicator(
    desktop: tuple[Any, PageProbe], server_url: str, artifacts: Path
) -> None:
    page, probe = desktop
    batch = pick_mining_batch(server_url)
    open_batch(page, server_url, batch["id"], user=VERIFIER)
    assert "矿山卫片" in page.get_by_test_id("batch-select").inner_text()
    me = get_json(f"{server_url}/api/auth/me", user=VERIFIER)
    assert page.get_by_test_id("user-name").inner_text() == me["display_name"]
    assert "外业核查员" in page.get_by_test_id("user-roles").inner_text()
    page.screenshot(path=artifacts / "desktop-1-map.png")

    # The live value before: 已核查 count of verified_of_issued.
    show_tab(page, "绩效指标")
    ind = "ind-mining_enforcement-verified_of_issued"
    before_n, before_text = read_indicator(page, ind)
    page.screenshot(path=artifacts / "desktop-2-indicators-before.png", full_page=True)
    show_tab(page, "地图")

    case_id = first_case_in_state(page, "issued")
    path = page.locator(f'path[data-case-id="{case_id}"]')
    assert path.get_attribute("fill") == ISSUED_FILL

    click_case(page, case_id)
    panel = page.get_by_test_id("case-panel")
    page.locator(
        f'[data-testid="case-panel"][data-case-id="{case_id}"][aria-busy="false"]'
    ).wait_for()
    assert panel.is_visible()
    case = get_json(f"{server_url}/api/cases/{case_id}")
    assert panel.get_by_test_id("case-code").inner_text() == case["code"]
    assert "亩" in panel.get_by_test_id("case-area").inner_text()
    assert panel.get_by_test_id("case-state").inner_text().strip() == case["state_label"]

    # Labelled, keyboard-reachable controls; no actor field: the server records the signed-in user.
    judgment = page.get_by_role("group", name="核查结论")
    assert judgment.get_attribute("data-testid") == "verify-judgment"
    judgment.get_by_role("radio", name="违法").check()
    page.get_by_role("group", name="判定理由").get_by_role("radio", name="越界开采").check()
    assert page.get_by_test_id("verify-actor").count() == 0
    page.get_by_label("备注").first.fill("浏览器测试：越界开采")
    page.screenshot(path=artifacts / "desktop-3-verify-form.png")
    page.get_by_test_id("verify-submit").click()

    page.locator(
        f'[data-testid="case-panel"][data-case-id="{case_id}"][data-state="verified"]'
    ).wait_for()
    status = page.get_by_test_id("panel-status")
    status.wait_for(state="visible")
    assert "已核查" in status.inner_text()
    assert not page.get_by_test_id("panel-alert").is_visible()

    # The polygon was recoloured in place: verified fill, red 违法 outline.
    assert path.get_attribute("fill") == VERIFIED_FILL
    assert path.get_attribute("stroke") == ILLEGAL_OUTLINE
    assert path.get_attribute("data-state") == "verified"
    assert panel.get_by_test_id("case-judgment").inner_text().strip() == "违法"
    assert f"（{VERIFIER}）" in panel.get_by_test_id("case-events").inner_text()
    # Next comes the review, which is not the verifier's: no form, but it says who does it.
    assert panel.locator("form.action-form").count() == 0
    assert "审核通过（审核人）" in panel.get_by_test_id("others-actions").inner_text()
    page.screenshot(path=artifacts / "desktop-4-verified.png")

    # The server agrees and recorded the signed-in user as the actor.
    case = get_json(f"{server_url}/api/cases/{case_id}")
    assert (case["state"], case["judgment"]) == ("verified", "illegal")
    assert case["events"][-1]["actor"] == f"{me['display_name']}（{VERIFIER}）"

    # The indicator moved live: 已核查 +1, without reloading the page.
    show_tab(page, "绩效指标")
    page.wait_for_function(
        '([id, n]) => Number(document.querySelector(`[data-testid="${id}"]`)'
        "?.dataset.numerator) === n",
        arg=[ind, before_n + 1],
    )
    after_n, after_text = read_indicator(page, ind)
    assert after_n == before_n + 1
    assert after_text != before_text
    assert str(int(after_n)) in after_text
    page.screenshot(path=artifacts / "desktop-5-indicators-after.png", full_page=True)
    probe.assert_clean()


def test_stale_version_shows_the_error_envelope_message(
    desktop: tuple[Any, PageProbe], server_url: str, artifacts: Path
) -> None:
    page, probe = desktop
    batch = pick_mining_batch(server_url)
    open_batch(page, server_url, batch["id"], user=VERIFIER)
    case_id = first_case_in_state(page, "issued")
    click_case(page, case_id)
    page.get_by_test_id("verify-submit").wait_for()
    version = get_json(f"{server_url}/api/cases/{case_id}")["version"]

    # Someone else (the admin) verifies the case behind the page's back.
    status, _ = post_json(
        f"{server_url}/api/cases/{case_id}/actions",
        {
            "action": "verify",
            "payload": {"judgment": "legal", "reason": "approved"},
            "expected_version": version,
        },
        user="admin",
    )
    assert status == 200

    choose(page, "verify-judgment", "illegal")
    choose(page, "verify-reason", "unlicensed_mining")
    page.get_by_test_id("verify-submit").click()

    alert = page.get_by_role("alert").filter(has_text="未能办理")
    alert.wait_for(state="visible")
    # What the API says to the same stale request is what the panel shows, and it says the
    # case was reloaded.
    status, body = post_json(
        f"{server_url}/api/cases/{case_id}/actions",
        {
            "action": "verify",
            "payload": {"judgment": "illegal", "reason": "unlicensed_mining"},
            "expected_version": version,
        },
        user=VERIFIER,
    )
    assert status == 409
    assert body["error"]["code"] == "CASE_VERSION_CONFLICT"
    assert body["error"]["message"] in alert.inner_text()
    assert "已重新载入" in alert.inner_text()
    # The panel reloaded the fresh case: the other person's 合法 verdict, not red.
    wait_case(page, case_id, state="verified")
    path = page.locator(f'path[data-case-id="{case_id}"]')
    assert path.get_attribute("fill") == VERIFIED_FILL
    assert path.get_attribute("stroke") != ILLEGAL_OUTLINE
    page.screenshot(path=artifacts / "desktop-6-conflict.png")
    probe.assert_clean()


def test_phone_panel_is_a_bottom_sheet(
    phone: tuple[Any, PageProbe], server_url: str, artifacts: Path
) -> None:
    page, probe = phone
    batch = pick_mining_batch(server_url)
    open_batch(page, server_url, batch["id"], user=VERIFIER)
    page.screenshot(path=artifacts / "phone-1-map.png")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    case_id = page.evaluate("window.tubanMap.features()[0].id")
    click_case(page, case_id, tap=True)
    panel = page.get_by_test_id("case-panel")
    page.locator(
        f'[data-testid="case-panel"][data-case-id="{case_id}"][aria-busy="false"]'
    ).wait_for()
    box = panel.bounding_box()
    assert box is not None
    assert box["x"] == 0 and abs(box["width"] - 390) < 1, box
    assert abs(box["y"] + box["height"] - 844) < 2, f"panel is not docked at the bottom: {box}"
    assert box["height"] < 844 * 0.7, f"bottom sheet covers the whole map: {box}"
    assert panel.get_by_test_id("case-code").is_visible()
    page.screenshot(path=artifacts / "phone-2-panel.png")

    page.get_by_test_id("panel-close").click()
    assert not panel.is_visible()
    show_tab(page, "绩效指标")
    value = page.get_by_test_id("ind-mining_enforcement-verified_of_issued")
    value.wait_for(state="visible")
    value.scroll_into_view_if_needed()
    # The 实时值 column stays on screen although the goal table is wider than the phone.
    vbox = value.bounding_box()
    assert vbox is not None and vbox["x"] >= 0 and vbox["x"] + vbox["width"] <= 390, vbox
    page.screenshot(path=artifacts / "phone-3-indicators.png")
    probe.assert_clean()


def test_event_history_shows_labels_not_codes_in_chinese_and_english(
    desktop: tuple[Any, PageProbe], server_url: str, artifacts: Path
) -> None:
    """A controlled reason reaches the history as its label (无证开采), never as its code."""
    page, probe = desktop
    batch = pick_mining_batch(server_url)
    open_batch(page, server_url, batch["id"], user=VERIFIER)
    # The vocabulary came from GET /api/meta (and is the server's current version).
    meta = get_json(f"{server_url}/api/meta")
    assert page.evaluate("window.tubanMap.vocabulary.version") == meta["version"]
    case_id = first_case_in_state(page, "issued")
    click_case(page, case_id)
    panel = page.get_by_test_id("case-panel")
    choose(page, "verify-judgment", "illegal")
    choose(page, "verify-reason", "unlicensed_mining")
    page.get_by_test_id("verify-submit").click()
    wait_case(page, case_id, state="verified")

    events = panel.get_by_test_id("case-events")
    events.wait_for()
    text = events.inner_text()
    assert "无证开采" in text and "unlicensed_mining" not in text, text
    assert "违法" in text and "illegal" not in text, text
    page.screenshot(path=artifacts / "desktop-7-history-zh.png")

    page.get_by_test_id("lang-switch").click()
    try:
        page.locator('html[lang="en"]').wait_for(state="attached")
        events.wait_for()  # the page is drawn again; the hash reopens the 图斑
        text = events.inner_text()
        assert "mining without a licence" in text, text
        assert "unlicensed_mining" not in text and "无证开采" not in text, text
        page.screenshot(path=artifacts / "desktop-8-history-en.png")
    finally:
        page.get_by_test_id("lang-switch").click()
    page.locator('html[lang="zh-CN"]').wait_for(state="attached")
    probe.assert_clean()
