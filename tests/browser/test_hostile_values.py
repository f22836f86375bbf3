"""Issue 12 in a real browser: a province file whose 图斑 codes and attributes are script.
The map's tooltip, the case panel, the printable case sheet and /docs show them as text; no
dialog opens, no injected element exists, and the pages run under the app's strict CSP."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.browser.support import (
    PageProbe,
    click_case,
    get_json,
    import_through_form,
    open_app,
    show_tab,
    wait_case,
)

# Each payload sets a flag and opens a dialog if it ever runs.
PAYLOADS = [
    '<img src=x onerror="window.__xss=1;alert(1)">',
    '"><svg onload="window.__xss=2;alert(2)">',
    "<script>window.__xss=3;alert(3)</script>",
]
INJECTED = "img[src='x'], svg[onload], script:not([src]):not([type])"


def _import(page: Any, server_url: str, tmp_path: Path) -> int:
    features = []
    for i, code in enumerate(PAYLOADS):
        x, y = 118.06 + i * 0.01, 39.79
        ring = [[x, y], [x + 0.003, y], [x + 0.003, y + 0.002], [x, y + 0.002], [x, y]]
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Polygon", "coordinates": [ring]},
                "properties": {"TBBH": code, "XZQDM": "130208", "BHLX": PAYLOADS[-1 - i]},
            }
        )
    src = tmp_path / "hostile.geojson"
    src.write_text(json.dumps({"type": "FeatureCollection", "features": features}), "utf-8")
    open_app(page, server_url, "admin")
    return import_through_form(
        page, src, programme="land", period="2018Q1", authority=PAYLOADS[0],
        issued_on="2018-03-01", due_on="2018-04-30",
    )  # fmt: skip


def _assert_nothing_ran(page: Any, dialogs: list[str], injected: str = INJECTED) -> None:
    assert dialogs == [], f"a payload opened a dialog: {dialogs}"
    assert page.evaluate("window.__xss") is None, "a payload ran"
    assert page.locator(injected).count() == 0, "a payload became an element"


def test_hostile_codes_stay_text_on_the_map_panel_and_case_sheet(
    desktop: tuple[Any, PageProbe], server_url: str, tmp_path: Path
) -> None:
    page, probe = desktop
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    batch_id = _import(page, server_url, tmp_path)
    features = get_json(f"{server_url}/api/batches/{batch_id}/features")["features"]
    assert {f["properties"]["code"] for f in features} == set(PAYLOADS)

    show_tab(page, "地图")
    select = page.get_by_test_id("batch-select")
    select.locator(f'option[value="{batch_id}"]').wait_for(state="attached")
    select.select_option(str(batch_id))
    page.locator(f'[data-testid="map"][data-loaded-batch="{batch_id}"]').wait_for(state="attached")
    for f in features:
        click_case(page, str(f["id"]))  # hovers (tooltip) and opens the panel
        tip = page.locator(".leaflet-tooltip").last
        tip.wait_for()
        assert f["properties"]["code"] in tip.inner_text()
        panel = wait_case(page, f["id"])
        assert f["properties"]["code"] in panel.inner_text()
        _assert_nothing_ran(page, dialogs)

    sheet_url = f"{server_url}/api/cases/{features[0]['id']}/sheet"
    response = page.goto(sheet_url)
    assert (
        response is not None and "script-src 'self'" in response.headers["content-security-policy"]
    )
    path = page.locator(".leaflet-container path").first
    path.wait_for()  # the map draws under the CSP: its data are JSON, its code a file
    path.hover(force=True)
    page.locator(".leaflet-tooltip").wait_for()
    assert features[0]["properties"]["code"] in page.locator(".leaflet-tooltip").inner_text()
    assert features[0]["properties"]["code"] in page.locator("h1").inner_text()
    _assert_nothing_ran(page, dialogs)
    blocked = [m for m in probe.console_errors if "Content Security Policy" in m]
    assert blocked == [], "the app's own pages must work under its CSP"
    probe.assert_clean()


def test_docs_run_the_vendored_swagger_ui_under_the_csp(
    desktop: tuple[Any, PageProbe], server_url: str
) -> None:
    page, probe = desktop
    violations: list[str] = []
    page.on("console", lambda m: "Content Security Policy" in m.text and violations.append(m.text))
    page.goto(f"{server_url}/docs")
    page.locator(".swagger-ui .opblock").first.wait_for()
    assert violations == []
    probe.assert_clean()


def test_downloaded_report_maps_run_under_their_own_csp(browser: Any, tmp_path: Path) -> None:
    """The HTML report's meta CSP names its inline scripts by hash: the maps still draw, the
    hostile tooltip text stays text, and nothing else could run."""
    from reports.html import html_page
    from tests.reports.docs import live_doc

    doc = live_doc()
    for p in doc["projects"]:
        for fc in (p.get("maps") or {}).values():
            for f in fc.get("features", []):
                f["properties"].update(code=PAYLOADS[0], name=PAYLOADS[1])
    path = tmp_path / "report.html"
    path.write_text(html_page(doc), encoding="utf-8")
    context = browser.new_context(locale="zh-CN")
    try:
        page = context.new_page()
        messages: list[str] = []
        dialogs: list[str] = []
        page.on("console", lambda m: messages.append(m.text))
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.goto(path.as_uri())
        page.locator(".leaflet-container path.leaflet-interactive").first.wait_for()
        page.locator(".leaflet-container path.leaflet-interactive").first.hover(force=True)
        page.locator(".leaflet-tooltip").wait_for()
        assert [m for m in messages if "Content Security Policy" in m] == []
        # The report's own inline scripts are there (allowed by hash); no payload element.
        _assert_nothing_ran(page, dialogs, "img[src='x'], svg[onload]")
        tip = page.locator(".leaflet-tooltip").inner_text()
        assert any(p in tip for p in PAYLOADS[:2]), tip  # shown as text
    finally:
        context.close()
