"""The 绩效指标 dashboard in a real browser: live, as-of and frozen values, drill-down to the
map, spending, row notes, report downloads (统计), goal-table edits (admin), and a phone."""

from __future__ import annotations

import json
import secrets
import struct
import zlib
from pathlib import Path
from typing import Any

import pytest

from tests.browser.support import (
    PageProbe,
    _call,
    get_json,
    login_token,
    open_app,
    shot,
    show_tab,
)

pytestmark = pytest.mark.browser

PROJECT = "mining_enforcement"
VERIFIED = f"ind-{PROJECT}-verified_of_issued"


def year_of(server_url: str) -> int:
    projects = get_json(f"{server_url}/api/projects")["data"]
    return int(next(p["year"] for p in projects if p["id"] == PROJECT))


def api_value(server_url: str, metric: str, **params: str) -> dict[str, Any]:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    doc = get_json(f"{server_url}/api/indicators?project={PROJECT}&{query}", user="tongji")
    return next(v for r in doc["rows"] for v in r["values"] if v["metric"] == metric)


def numerator(page: Any, testid: str) -> float:
    cell = page.get_by_test_id(testid)
    cell.wait_for(state="visible")
    return float(cell.get_attribute("data-numerator"))


def wait_numerator(page: Any, testid: str, n: float) -> None:
    page.wait_for_function(
        '([id, n]) => Number(document.querySelector(`[data-testid="${id}"]`)'
        "?.dataset.numerator) === n",
        arg=[testid, n],
    )


def open_dashboard(page: Any, server_url: str, user: str) -> None:
    open_app(page, server_url, user)
    show_tab(page, "绩效指标")
    page.locator('[data-testid="dash-banner"]').wait_for()


def tiny_png() -> bytes:
    """A real 1×1 PNG (evidence is recognised by content, not by name)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
        + chunk(b"IEND", b"")
    )


def test_statistics_reads_live_past_and_frozen_values_records_spending_and_reasons(
    desktop: tuple[Any, PageProbe], server_url: str, artifacts: Path
) -> None:
    page, probe = desktop
    year = year_of(server_url)
    open_dashboard(page, server_url, "tongji")

    # Live: the banner says so and the value is the API's.
    banner = page.get_by_test_id("dash-banner")
    assert banner.get_attribute("data-mode") == "live"
    assert "实时" in banner.inner_text()
    live = numerator(page, VERIFIED)
    assert live == api_value(server_url, "verified_of_issued")["numerator"]
    assert page.get_by_test_id(f"trend-{'verified_of_issued'}").first.is_visible()
    shot(page, artifacts, "statistics-dash-1-live", guide=True)

    # As of the end of June: a smaller, different number, the one the event log gives.
    as_of = f"{year}-06-30"
    past = api_value(server_url, "verified_of_issued", as_of=as_of)["numerator"]
    assert past != live, "the demo data should have verified 图斑 after June"
    page.get_by_test_id("dash-mode").select_option("as_of")
    page.get_by_test_id("dash-as-of").fill(as_of)
    page.get_by_test_id("dash-as-of").dispatch_event("change")
    page.locator('[data-testid="dash-banner"][data-mode="as_of"]').wait_for()
    wait_numerator(page, VERIFIED, past)
    assert as_of in page.get_by_test_id("dash-banner").inner_text()

    # Drill-down with the keyboard: the 图斑 behind the count, one opened on the map.
    drill = page.get_by_test_id("drill-2-verified_of_issued")
    drill.focus()
    page.keyboard.press("Enter")
    count = page.get_by_test_id("drill-count")
    count.wait_for()
    assert float(count.get_attribute("data-count")) == past
    first = page.get_by_test_id("drill-case").first
    case_id = first.get_attribute("data-case-id")
    page.wait_for_function(
        "() => !/^图斑 \\d+$/.test(document.querySelector('[data-testid=drill-case]').innerText)"
    )
    first.click()
    page.locator(
        f'[data-testid="case-panel"][data-case-id="{case_id}"][aria-busy="false"]'
    ).wait_for(state="visible")
    assert page.get_by_test_id("tab-map").get_attribute("aria-selected") == "true"
    show_tab(page, "绩效指标")
    assert page.get_by_test_id("dash-banner").get_attribute("data-mode") == "as_of"

    # A snapshot as of the end of September: the frozen banner, its values, the differences.
    label = f"测试快照{secrets.token_hex(3)}"
    frozen_at = f"{year}-09-30"
    frozen = api_value(server_url, "verified_of_issued", as_of=frozen_at)["numerator"]
    page.get_by_test_id("snapshot-label").fill(label)
    page.get_by_test_id("snapshot-as-of").fill(frozen_at)
    page.get_by_test_id("snapshot-submit").click()
    page.locator('[data-testid="dash-banner"][data-mode="frozen"]').wait_for()
    text = page.get_by_test_id("dash-banner").inner_text()
    assert "冻结快照" in text and label in text and frozen_at in text
    wait_numerator(page, VERIFIED, frozen)
    diffs = page.get_by_test_id("dash-diffs")
    assert int(diffs.get_attribute("data-count")) >= (1 if frozen != live else 0)
    assert any(
        s["label"] == label for s in get_json(f"{server_url}/api/snapshots?year={year}")["data"]
    )
    page.get_by_test_id("dash-banner").scroll_into_view_if_needed()
    shot(page, artifacts, "statistics-dash-2-snapshot", guide=True)

    # Back to live; record a spending row and see the budget move.
    page.get_by_test_id("dash-mode").select_option("live")
    page.locator('[data-testid="dash-banner"][data-mode="live"]').wait_for()
    budget = page.get_by_test_id(f"budget-{PROJECT}")
    before = float(budget.get_attribute("data-spent"))
    # A day the server has reached, on a demo clock (late 2019) as on the real one.
    page.get_by_test_id("spend-date").fill(f"{year}-11-01")
    page.get_by_test_id("spend-amount").fill("1234.5")
    page.get_by_test_id("spend-purpose").fill("测试：外业测量耗材")
    page.get_by_test_id("spend-voucher").fill("记-测试-001")
    page.get_by_test_id("spend-submit").click()
    page.wait_for_function(
        '([p, n]) => Number(document.querySelector(`[data-testid="budget-${p}"]`)'
        "?.dataset.spent) !== n",
        arg=[PROJECT, before],
    )
    assert "已登记支出" in page.get_by_test_id("dash-status").inner_text(), page.get_by_test_id(
        "dash-alert"
    ).inner_text()
    after = float(page.get_by_test_id(f"budget-{PROJECT}").get_attribute("data-spent"))
    assert abs(after - before - 1234.5) < 0.005, (before, after)
    api_budget = get_json(f"{server_url}/api/budget?year={year}&project={PROJECT}")["data"][0]
    # The latest checkpoint reached (on a demo clock in November, not yet December's).
    reached = [c for c in api_budget["checkpoints"] if c["actual_pct"] is not None][-1]
    point = page.get_by_test_id(f"budget-{PROJECT}-{reached['checkpoint']}")
    assert float(point.get_attribute("data-actual")) == reached["actual_pct"]
    page.get_by_test_id(f"budget-{PROJECT}").scroll_into_view_if_needed()
    shot(page, artifacts, "statistics-dash-3-budget", guide=True)

    # A reason for row 1's deviation, with a piece of evidence.
    reason = f"第三季度批次下发晚，核查顺延（测试 {secrets.token_hex(2)}）"
    page.get_by_test_id("note-edit-1").click()
    form = page.get_by_test_id("note-form-1")
    form.get_by_test_id("note-reason").fill(reason)
    form.get_by_test_id("note-file").set_input_files(
        [{"name": "核查说明.png", "mimeType": "image/png", "buffer": tiny_png()}]
    )
    page.get_by_text("已上传证明材料“核查说明.png”").wait_for()
    page.get_by_test_id("note-form-1").get_by_test_id("note-save").click()
    page.wait_for_function(
        '([id, t]) => document.querySelector(`[data-testid="${id}"]`)?.innerText === t',
        arg=[f"reason-{PROJECT}-1", reason],
    )
    notes = get_json(f"{server_url}/api/indicator-notes?year={year}&project={PROJECT}")["data"]
    note = next(n for n in notes if n["row_no"] == 1)
    assert note["reason"] == reason
    assert [e["filename"] for e in note["evidence"]][-1] == "核查说明.png"
    assert page.get_by_test_id("row-1").get_by_text("核查说明.png").is_visible()

    # The 绩效自评表 as XLSX: a real workbook (a zip: "PK").
    with page.expect_download() as info:
        page.get_by_test_id("download-self_evaluation-xlsx").click()
    download = info.value
    assert download.suggested_filename.endswith(".xlsx")
    data = Path(download.path()).read_bytes()
    assert data[:2] == b"PK" and len(data) > 2000
    page.get_by_test_id("downloads").scroll_into_view_if_needed()
    shot(page, artifacts, "statistics-dash-4-downloads", guide=True)
    probe.assert_clean()


def test_downloads_are_at_the_top_and_the_header_shows_the_demo_clock(
    desktop: tuple[Any, PageProbe], server_url: str, artifacts: Path
) -> None:
    page, probe = desktop
    year = year_of(server_url)
    clock = get_json(f"{server_url}/api/config")["clock"]
    open_dashboard(page, server_url, "tongji")

    # 演示时钟: `tuban demo` serves as of a day in late 2019, and the header says which.
    badge = page.get_by_test_id("clock-badge")
    assert clock["set_start"] is not None, "tuban demo runs on its demo clock by default"
    assert badge.is_visible() and badge.inner_text() == f"演示时钟：{clock['today']}"
    assert clock["today"].startswith(str(year))

    # The download buttons are in the first screenful, above the goal table.
    page.get_by_test_id(f"goal-{PROJECT}").wait_for()
    button = page.get_by_test_id("download-self_evaluation-xlsx").bounding_box()
    table = page.get_by_test_id(f"goal-{PROJECT}").bounding_box()
    assert button is not None and table is not None
    assert page.evaluate("() => window.scrollY") == 0
    assert button["y"] + button["height"] <= page.viewport_size["height"]
    assert button["y"] < table["y"]
    shot(page, artifacts, "statistics-dash-0-top", guide=True)

    # As of the end of September: the file says the day.
    as_of = f"{year}-09-30"
    page.get_by_test_id("dash-mode").select_option("as_of")
    page.get_by_test_id("dash-as-of").fill(as_of)
    page.get_by_test_id("dash-as-of").dispatch_event("change")
    page.locator('[data-testid="dash-banner"][data-mode="as_of"]').wait_for()
    with page.expect_download() as info:
        page.get_by_test_id("download-self_evaluation-html").click()
    assert info.value.suggested_filename == f"{year}年绩效自评-截至{as_of.replace('-', '')}.html"
    html = Path(info.value.path()).read_text(encoding="utf-8")
    assert f"（截至 {as_of}）</title>" in html
    probe.assert_clean()


def test_farmland_warning_is_shown_prominently(
    desktop: tuple[Any, PageProbe], server_url: str
) -> None:
    """The demo has no 新增建设占用耕地, so its 违法占用耕地比例 is 0/0; the server's answer is
    given a warning here to check what the page does with one."""
    page, probe = desktop
    warning = "违法占用耕地比例 13.2%，接近 15% 问责线"

    def add_warning(route: Any) -> None:
        doc = route.fetch().json()
        # The ratio where the goal table binds it, else beside row 5's value.
        rows = doc["rows"]
        row = next(
            (r for r in rows if any(v["metric"] == "illegal_farmland_ratio" for v in r["values"])),
            next(r for r in rows if r["values"] and r["row_no"] == 5),
        )
        row["values"] = [v for v in row["values"] if v["metric"] != "illegal_farmland_ratio"]
        row["values"].append(
            {
                "metric": "illegal_farmland_ratio",
                "label": "违法占用耕地比例",
                "value": 13.2,
                "display": "13.2%（违法 13.2 亩 / 新增建设占用耕地 100.0 亩）",
                "unit": "%",
                "numerator": 8800.0,
                "denominator": 66666.67,
                "target_value": 15.0,
                "deviation": -1.8,
                "status": "warn",
                "warning": warning,
                "case_ids": None,
            }
        )
        doc["warnings"] = [warning]
        route.fulfill(json=doc)

    page.route("**/api/indicators?*", add_warning)
    open_dashboard(page, server_url, "tongji")
    box = page.get_by_test_id("dash-warnings")
    box.wait_for()
    assert warning in box.inner_text()
    assert box.get_attribute("role") == "alert"
    value = page.get_by_test_id(f"ind-{PROJECT}-illegal_farmland_ratio")
    assert value.get_attribute("data-status") == "warn"
    # The warning comes before the table: it is the first thing under the banner.
    assert page.evaluate(
        "() => document.querySelector('[data-testid=dash-warnings]').compareDocumentPosition("
        f"document.querySelector('[data-testid=goal-{PROJECT}]'))"
        " & Node.DOCUMENT_POSITION_FOLLOWING"
    )
    probe.assert_clean()


def put_goals(server_url: str, year: int, body: dict[str, Any]) -> tuple[int, Any]:
    token = login_token(server_url, "admin")
    return _call(f"{server_url}/api/goals/{year}", method="PUT", body=body, token=token)


def test_admin_edits_a_target_and_is_told_when_someone_saved_first(
    desktop: tuple[Any, PageProbe], server_url: str, artifacts: Path
) -> None:
    page, probe = desktop
    year = year_of(server_url)
    original = get_json(f"{server_url}/api/goals/{year}")
    try:
        open_dashboard(page, server_url, "admin")
        editor = page.get_by_test_id("goal-editor")
        editor.locator("summary").click()
        target = page.get_by_test_id("goal-target-3")
        target.wait_for()
        new_text = f"按时完成执法任务（测试修改 {secrets.token_hex(2)}）"
        target.fill(new_text)
        page.get_by_test_id("goal-num-3-enforcement_closed_share").fill("90")
        page.get_by_test_id("goal-note").fill("测试：调整结案率目标")
        page.get_by_test_id("goal-save").click()
        status = page.get_by_test_id("goal-status")
        status.wait_for()
        assert f"第 {original['version'] + 1} 版" in status.inner_text()
        row = page.get_by_test_id("row-3")
        page.wait_for_function(
            "(t) => document.querySelector('[data-testid=row-3] td.target')?.innerText.includes(t)",
            arg=new_text,
        )
        assert "100.00%" not in row.locator("td.target").inner_text()
        saved = get_json(f"{server_url}/api/goals/{year}")
        proj = next(p for p in saved["doc"]["projects"] if p["id"] == PROJECT)
        row3 = next(r for r in proj["indicators"] if r["row_no"] == 3)
        assert row3["target"] == new_text
        assert row3["targets"]["enforcement_closed_share"] == 90
        deviation = api_value(server_url, "enforcement_closed_share")["deviation"]
        assert f"{deviation:+.2f}".lstrip("+") in row.locator("td.deviation").inner_text()
        editor.scroll_into_view_if_needed()
        shot(page, artifacts, "admin-dash-1-goal-saved", guide=True)

        # Someone else saves in between: the form says so in words and saves nothing.
        other = dict(saved["doc"], base_version=saved["version"], note="另一位管理员的修改")
        other["unit_name"] = saved["doc"]["unit_name"]
        proj_other = next(p for p in other["projects"] if p["id"] == PROJECT)
        next(r for r in proj_other["indicators"] if r["row_no"] == 3)["basis"] = (
            "测试：别人改了依据"
        )
        code, body = put_goals(server_url, year, other)
        assert code == 201, body
        page.get_by_test_id("goal-target-3").fill("这次修改不应被保存")
        page.get_by_test_id("goal-save").click()
        alert = page.get_by_test_id("goal-alert")
        alert.wait_for()
        assert f"已有人保存了第 {body['version']} 版" in alert.inner_text()
        assert "没有保存" in alert.inner_text()
        latest = get_json(f"{server_url}/api/goals/{year}")
        assert latest["version"] == body["version"]
        alert.scroll_into_view_if_needed()
        shot(page, artifacts, "admin-dash-2-conflict", guide=True)
        page.get_by_test_id("goal-reload").click()
        page.locator(f'[data-testid="goal-version"][data-version="{body["version"]}"]').wait_for()
        assert page.get_by_test_id("goal-target-3").input_value() == new_text
        probe.assert_clean()
    finally:
        latest = get_json(f"{server_url}/api/goals/{year}")
        restore = dict(original["doc"], base_version=latest["version"], note="测试后恢复")
        code, body = put_goals(server_url, year, restore)
        assert code in (200, 201), json.dumps(body, ensure_ascii=False)


def test_dashboard_on_a_phone(
    phone: tuple[Any, PageProbe], server_url: str, artifacts: Path
) -> None:
    page, probe = phone
    open_dashboard(page, server_url, "tongji")
    value = page.get_by_test_id(VERIFIED)
    value.wait_for(state="visible")
    value.scroll_into_view_if_needed()
    box = value.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390, box
    # Nothing wider than the screen: each goal-table row is a card.
    widths = page.evaluate(
        "() => { const v = document.getElementById('view-indicators');"
        " return [document.documentElement.scrollWidth, v.scrollWidth, v.clientWidth]; }"
    )
    assert widths[0] <= 390 and widths[1] <= widths[2], widths
    shot(page, artifacts, "statistics-dash-phone-1", guide=True)
    budget = page.get_by_test_id(f"budget-{PROJECT}")
    budget.scroll_into_view_if_needed()
    assert budget.is_visible()
    shot(page, artifacts, "statistics-dash-phone-2-budget", guide=True)
    probe.assert_clean()
