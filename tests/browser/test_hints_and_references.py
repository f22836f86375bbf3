"""The web map's 自动预判, 下发记录, 同一地块 links and 参考图层 in a real browser.

The hint and reference-layer tests need the demo's sample reference layers
(``sample_data/fengrun/reference_layers.json``). Without them ``/api/references`` is empty:
these tests then skip on a developer machine, and fail under CI.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from tests.browser.support import PageProbe, click_case, get_json, open_batch

pytestmark = pytest.mark.browser

REISSUE_DASH = "6 4"  # webmap/static/labels.js REISSUE_DASH


def require_references(server_url: str) -> list[dict[str, Any]]:
    layers = get_json(f"{server_url}/api/references")["data"]
    if not layers:
        reason = (
            "/api/references returns no layers: the demo has no reference layers "
            "(sample_data/fengrun/reference_layers.json is missing)"
        )
        if os.environ.get("CI"):
            pytest.fail(f"{reason}; CI is set, so this is a failure, not a skip")
        pytest.skip(reason)
    return layers


def find_feature(server_url: str, programme: str, pred: Any) -> tuple[dict, dict] | None:
    """(batch, feature) of the first feature of a programme's batches matching pred."""
    for batch in get_json(f"{server_url}/api/batches")["data"]:
        if batch["programme"] != programme:
            continue
        for f in get_json(f"{server_url}/api/batches/{batch['id']}/features")["features"]:
            if pred(f["properties"]):
                return batch, f
    return None


def open_case_on_map(page: Any, server_url: str, batch_id: int, case_id: Any) -> Any:
    open_batch(page, server_url, batch_id)
    click_case(page, str(case_id))
    page.locator(
        f'[data-testid="case-panel"][data-case-id="{case_id}"][aria-busy="false"]'
    ).wait_for()
    return page.get_by_test_id("case-panel")


def test_partly_outside_mine_shows_hint_and_permit_layer(
    desktop: tuple[Any, PageProbe], server_url: str, artifacts: Path
) -> None:
    page, probe = desktop
    layers = require_references(server_url)
    assert any(r["kind"] == "mining_permit" for r in layers), "no 采矿权 reference layer"
    found = find_feature(
        server_url, "mining", lambda p: p.get("permit_relation") == "partly_outside"
    )
    assert found, "the demo data has no 矿山卫片 图斑 partly outside a 采矿权 (越界)"
    batch, feature = found
    case_id = feature["id"]
    case = get_json(f"{server_url}/api/cases/{case_id}")

    panel = open_case_on_map(page, server_url, batch["id"], case_id)
    hints = panel.get_by_test_id("case-hints")
    assert hints.is_visible()
    assert "仅供参考" in panel.inner_text()
    assert "不是核查结论" in hints.inner_text()
    # Every hint sentence the API gives is listed; the 越界 one is emphasised.
    notes = hints.get_by_test_id("hint-note")
    assert notes.count() == len(case["hint_notes"])
    yuejie = notes.filter(has_text="越界")
    assert yuejie.count() >= 1, hints.inner_text()
    assert yuejie.first.get_attribute("data-warn") == "true"
    assert yuejie.first.locator("strong.hint-warn", has_text="越界").count() == 1
    if feature["properties"].get("township_name"):
        assert (
            panel.get_by_test_id("case-township").inner_text()
            == feature["properties"]["township_name"]
        )
    page.screenshot(path=artifacts / "refs-1-hints.png")

    # 参考图层: 乡镇界/村界 on at first, the others off; switching on 采矿权 draws its outlines
    # around this 图斑.
    page.locator('[data-testid="ref-layer-township"][data-status="loaded"]').wait_for(
        state="attached"
    )
    assert page.locator('path[data-ref-kind="township"]').count() >= 1
    assert page.locator('path[data-ref-kind="mining_permit"]').count() == 0
    assert page.locator('path[data-ref-kind="farmland"]').count() == 0
    # By keyboard: Enter opens the list, Escape closes it and returns focus, Space ticks a box.
    toggle = page.get_by_test_id("ref-control-toggle")
    toggle.focus()
    page.keyboard.press("Enter")
    assert toggle.get_attribute("aria-expanded") == "true"
    row = page.get_by_test_id("ref-layer-mining_permit")
    row.wait_for(state="visible")
    assert row.get_attribute("data-status") == "off"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.type") == "checkbox"
    page.keyboard.press("Escape")
    assert toggle.get_attribute("aria-expanded") == "false"
    assert page.evaluate("document.activeElement.dataset.testid") == "ref-control-toggle"
    page.keyboard.press("Enter")
    checkbox = page.get_by_test_id("ref-toggle-mining_permit")
    checkbox.focus()
    page.keyboard.press("Space")
    assert checkbox.is_checked()
    page.locator('[data-testid="ref-layer-mining_permit"][data-status="loaded"]').wait_for()
    permits = page.locator('path[data-ref-kind="mining_permit"]')
    assert permits.count() >= 1
    assert int(row.get_attribute("data-count")) == permits.count()
    assert permits.first.get_attribute("stroke-dasharray"), "permits are drawn dashed"
    assert permit_ids_drawn(page) & set(case["hints"]["permit_ids"].split(","))
    legend = page.get_by_test_id("legend")
    assert legend.locator('[data-ref-kind="mining_permit"]').count() == 1
    page.screenshot(path=artifacts / "refs-2-permit-layer.png")

    # Zoomed far out the layer is not fetched and says so.
    page.evaluate("window.tubanMap.map.setZoom(9, {animate: false})")
    page.locator('[data-testid="ref-layer-mining_permit"][data-status="zoom"]').wait_for()
    assert "放大后显示" in row.inner_text()
    assert permits.count() == 0

    # And off again: nothing drawn, legend entry gone.
    page.get_by_test_id("ref-toggle-mining_permit").uncheck()
    assert page.locator('path[data-ref-kind="mining_permit"]').count() == 0
    assert legend.locator('[data-ref-kind="mining_permit"]').count() == 0
    probe.assert_clean()


def permit_ids_drawn(page: Any) -> set[str]:
    return set(
        page.eval_on_selector_all(
            'path[data-ref-kind="mining_permit"]', "els => els.map(e => e.dataset.refIdent)"
        )
    )


def test_reissued_land_tuban_lists_issuances_and_is_dashed(
    desktop: tuple[Any, PageProbe], server_url: str, artifacts: Path
) -> None:
    page, probe = desktop
    found = find_feature(server_url, "land", lambda p: p.get("reissue_of_batch"))
    assert found, "the demo data has no re-issued 土地卫片 图斑 (reissue_of_batch)"
    batch, feature = found
    case_id = feature["id"]
    case = get_json(f"{server_url}/api/cases/{case_id}")
    assert len(case["issuances"]) >= 2

    panel = open_case_on_map(page, server_url, batch["id"], case_id)
    path = page.locator(f'path[data-case-id="{case_id}"]')
    assert path.get_attribute("stroke-dasharray") == REISSUE_DASH
    assert path.get_attribute("data-reissue-of") == str(feature["properties"]["reissue_of_batch"])
    assert "重复下发" in page.get_by_test_id("legend-reissue").inner_text()

    items = panel.get_by_test_id("issuance")
    assert items.count() == len(case["issuances"]) >= 2
    text = panel.get_by_test_id("case-issuances").inner_text()
    assert "首次下发" in text
    assert "重复下发" in text or "文件内重复" in text
    for it in case["issuances"]:
        assert it["period"] in text and it["code"] in text
        if it["reason"] == "reissue_overlap" and it.get("iou") is not None:
            assert f"IoU {it['iou']:.2f}" in text
    page.screenshot(path=artifacts / "reissue-1-issuances.png")

    # The first issuance links to its own batch, where the same case opens.
    first = next(i for i in case["issuances"] if i["reason"] == "first")
    if first["batch_id"] != batch["id"]:
        items.first.get_by_role("link").click()
        page.locator(f'[data-testid="map"][data-loaded-batch="{first["batch_id"]}"]').wait_for(
            state="attached"
        )
        page.locator(
            f'[data-testid="case-panel"][data-case-id="{case_id}"][aria-busy="false"]'
        ).wait_for()
        assert page.get_by_test_id("batch-select").input_value() == str(first["batch_id"])
    probe.assert_clean()


def find_site_pair(server_url: str) -> tuple[dict, dict] | None:
    """A case with site_cases (another programme's case on the same site), if the data has one."""
    batches = get_json(f"{server_url}/api/batches")["data"]
    for batch in sorted(batches, key=lambda b: b["programme"] != "land"):
        if batch["programme"] == "change_survey":
            continue
        for f in get_json(f"{server_url}/api/batches/{batch['id']}/features")["features"]:
            case = get_json(f"{server_url}/api/cases/{f['id']}")
            if case["site_cases"] and case["batch_id"] == batch["id"]:
                return batch, case
    return None


def test_site_case_link_opens_the_other_programmes_case(
    desktop: tuple[Any, PageProbe], server_url: str
) -> None:
    page, probe = desktop
    pair = find_site_pair(server_url)
    if pair is None:
        pytest.skip("the demo data has no 图斑 shared by two programmes (site_cases)")
    batch, case = pair
    other = case["site_cases"][0]
    other_batch = get_json(f"{server_url}/api/cases/{other['id']}")["batch_id"]

    panel = open_case_on_map(page, server_url, batch["id"], case["id"])
    link = panel.get_by_test_id("case-site-cases").locator(
        f'[data-testid="site-case-link"][data-case-id="{other["id"]}"]'
    )
    assert other["code"] in link.inner_text()
    link.focus()
    page.keyboard.press("Enter")  # keyboard works as well as a click
    page.locator(f'[data-testid="map"][data-loaded-batch="{other_batch}"]').wait_for(
        state="attached"
    )
    page.locator(
        f'[data-testid="case-panel"][data-case-id="{other["id"]}"][aria-busy="false"]'
    ).wait_for()
    assert panel.get_by_test_id("case-code").inner_text() == other["code"]
    assert page.evaluate("document.activeElement.id") == "panel-title"
    # The way back is listed too.
    back = panel.locator(f'[data-testid="site-case-link"][data-case-id="{case["id"]}"]')
    assert back.count() == 1
    probe.assert_clean()


def test_report_link_opens_the_import_report(
    desktop: tuple[Any, PageProbe], server_url: str
) -> None:
    page, probe = desktop
    batch = get_json(f"{server_url}/api/batches")["data"][0]
    open_batch(page, server_url, batch["id"])
    link = page.get_by_test_id("report-link")
    assert link.is_visible()
    assert link.get_attribute("target") == "_blank"
    assert link.get_attribute("href").endswith(f"/api/batches/{batch['id']}/report.html")
    with page.context.expect_page() as new_page_info:
        link.click()
    report = new_page_info.value
    report.wait_for_load_state()
    assert report.url.endswith(f"/api/batches/{batch['id']}/report.html")
    assert report.locator("body").inner_text().strip()
    report.close()
    probe.assert_clean()


def test_phone_hints_and_reference_control(
    phone: tuple[Any, PageProbe], server_url: str, artifacts: Path
) -> None:
    page, probe = phone
    require_references(server_url)
    found = find_feature(
        server_url, "mining", lambda p: p.get("permit_relation") in ("partly_outside", "outside")
    )
    assert found, "the demo data has no 矿山卫片 图斑 outside a 采矿权"
    batch, feature = found
    open_batch(page, server_url, batch["id"])
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    # The layer control fits the phone and is usable by touch: 乡镇界, on by default, goes off
    # and on again.
    page.get_by_test_id("ref-control-toggle").tap()
    page.locator('[data-testid="ref-layer-township"][data-status="loaded"]').wait_for()
    page.get_by_test_id("ref-toggle-township").tap()
    page.locator('[data-testid="ref-layer-township"][data-status="off"]').wait_for()
    assert page.locator('path[data-ref-kind="township"]').count() == 0
    page.get_by_test_id("ref-toggle-township").tap()
    page.locator('[data-testid="ref-layer-township"][data-status="loaded"]').wait_for()
    box = page.get_by_test_id("ref-control").bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390, box
    page.screenshot(path=artifacts / "phone-refs-1-control.png")
    page.get_by_test_id("ref-control-toggle").tap()

    click_case(page, str(feature["id"]), tap=True)
    panel = page.get_by_test_id("case-panel")
    page.locator(
        f'[data-testid="case-panel"][data-case-id="{feature["id"]}"][aria-busy="false"]'
    ).wait_for()
    hints = panel.get_by_test_id("case-hints")
    hints.scroll_into_view_if_needed()
    assert hints.is_visible()
    assert hints.locator('[data-warn="true"]').count() >= 1
    hbox = hints.bounding_box()
    assert hbox is not None and hbox["x"] >= 0 and hbox["x"] + hbox["width"] <= 390, hbox
    page.screenshot(path=artifacts / "phone-refs-2-hints.png")
    probe.assert_clean()
