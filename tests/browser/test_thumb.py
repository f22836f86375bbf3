"""Built for a thumb (issue 15): a verifier on a 390×844 phone.

Every control in the header and the case sheet is at least 44×44 CSS px; the map fills the
screen with the case as a bottom sheet (peek, half, full) and zooms to the opened 图斑 above it;
verifying one 图斑 from 我的任务 takes at most four taps plus the photo, and the server records it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.browser.support import (
    PageProbe,
    chosen,
    get_json,
    open_app,
    open_batch,
    pick_mining_batch,
    shot,
    wait_case,
)
from tests.browser.test_field_and_office import issued_mining_tasks, photo_at

pytestmark = pytest.mark.browser

MIN_TARGET = 44  # CSS px, both ways
PHONE_H = 844
MAX_TAPS = 4  # task → judgment → reason → submit (the photo comes on top)

# Everything a finger may hit, in the header, the search row, the map's controls and the sheet.
# A checkbox or radio counts with its label (tapping the label ticks it); a label counts on its
# own when it stands for a checkbox, radio or the camera's file input.
MEASURE = """(roots) => {
  const SEL = 'a[href], button, input:not([type="hidden"]), select, textarea, summary, '
    + '[role="button"], [role="tab"], label';
  const shown = (el) => {
    if (el.closest('[hidden]') || !el.getClientRects().length) return false;
    const s = getComputedStyle(el);
    return s.visibility !== 'hidden' && s.display !== 'none';
  };
  const size = (el) => { const r = el.getBoundingClientRect(); return [r.width, r.height]; };
  const name = (el) => {
    const text = el.textContent || el.value || el.getAttribute('aria-label') || '';
    const id = el.dataset.testid ? `[${el.dataset.testid}]` : (el.id ? `#${el.id}` : '');
    return `${el.tagName.toLowerCase()}${id} "${text.trim().slice(0, 24)}"`;
  };
  const out = [];
  const seen = new Set();
  for (const root of roots) {
    for (const scope of document.querySelectorAll(root)) {
      for (const el of scope.querySelectorAll(SEL)) {
        if (seen.has(el) || !shown(el)) continue;
        seen.add(el);
        let target = el;
        if (el.tagName === 'LABEL') {
          const c = el.control;
          if (!c || !['checkbox', 'radio', 'file'].includes(c.type)) continue;
        } else if (el.type === 'checkbox' || el.type === 'radio') {
          const [w, h] = size(el);
          const label = el.labels && el.labels[0];
          if ((w < 44 || h < 44) && label && shown(label)) target = label;
        }
        const [w, h] = size(target);
        out.push({ name: name(el), w: Math.round(w * 10) / 10, h: Math.round(h * 10) / 10 });
      }
    }
  }
  return out;
}"""

SHEET_ROOTS = ["#panel"]
HEADER_ROOTS = [".app-header", ".map-toolbar", ".leaflet-control-container"]


def _offenders(page: Any, roots: list[str]) -> tuple[int, list[dict[str, Any]]]:
    found = page.evaluate(MEASURE, roots)
    small = [c for c in found if c["w"] < MIN_TARGET - 0.5 or c["h"] < MIN_TARGET - 0.5]
    return len(found), small


def _open_tasks(page: Any, server_url: str) -> None:
    open_app(page, server_url, "hecha", path="/#view=tasks")
    page.get_by_test_id("tasks-list").wait_for()


def _task_row(page: Any, task: dict[str, Any]) -> Any:
    return page.locator(f'[data-testid="task"][data-case-id="{task["case_id"]}"]')


def _open_last_task(page: Any, server_url: str) -> tuple[dict[str, Any], Any]:
    """hecha's last issued mining task, opened from 我的任务 with a tap: (task, the panel)."""
    task = issued_mining_tasks(server_url)[-1]
    _open_tasks(page, server_url)
    _task_row(page, task).get_by_test_id("task-open").tap()
    return task, wait_case(page, task["case_id"])


def _case_on_screen(page: Any, case_id: Any) -> dict[str, float]:
    """The opened 图斑's box, the map's visible part (above the sheet) and the zoom."""
    return page.evaluate(
        """(id) => {
            const path = document.querySelector(`path[data-case-id="${id}"]`)
                .getBoundingClientRect();
            const map = document.getElementById('map').getBoundingClientRect();
            const sheet = document.getElementById('panel').getBoundingClientRect();
            return {left: path.left, top: path.top, right: path.right, bottom: path.bottom,
                    mapLeft: map.left, mapTop: map.top, mapRight: map.right,
                    visibleBottom: Math.min(map.bottom, sheet.top),
                    zoom: window.tubanMap.map.getZoom()};
        }""",
        str(case_id),
    )


class Taps:
    """Every tap the verifier makes goes through here, so the test counts them."""

    def __init__(self) -> None:
        self.n = 0
        self.what: list[str] = []

    def tap(self, locator: Any, what: str) -> None:
        self.n += 1
        self.what.append(what)
        locator.tap()


def test_header_and_case_sheet_controls_are_at_least_44px(
    phone: tuple[Any, PageProbe], server_url: str, artifacts: Path
) -> None:
    page, probe = phone
    task, panel = _open_last_task(page, server_url)
    # The reasons appear once a judgment is chosen: show them too.
    panel.get_by_test_id("verify-judgment-illegal").tap()
    panel.locator('[data-testid="verify-reason"] input[type="radio"]').first.wait_for()
    page.get_by_test_id("sheet-handle").tap()
    assert panel.get_attribute("data-sheet") == "full"
    n, small = _offenders(page, SHEET_ROOTS)
    assert n >= 15, f"only {n} controls found in the sheet: the measurement missed them"
    assert not small, f"controls under {MIN_TARGET}×{MIN_TARGET} px in the case sheet: {small}"
    shot(page, artifacts, "thumb-1-sheet-full", guide=True)

    # The header: the tabs and 菜单 on one row; under 菜单 the batch, export, language, user.
    page.get_by_test_id("sheet-handle").tap()  # full → peek
    header = page.locator(".app-header").bounding_box()
    toolbar = page.locator(".map-toolbar").bounding_box()
    used = f"header {header['height']:.0f} px + search {toolbar['height']:.0f} px"
    print(f"phone: {used} of {PHONE_H}")
    assert page.get_by_test_id("batch-select").is_hidden(), "the batch selector waits under 菜单"
    map_box = page.get_by_test_id("map").bounding_box()
    n, small = _offenders(page, HEADER_ROOTS)
    assert n >= 5, f"only {n} controls found in the header and map: the measurement missed them"
    assert not small, f"controls under {MIN_TARGET}×{MIN_TARGET} px in the header and map: {small}"
    menu = page.get_by_test_id("menu-toggle")
    menu.tap()
    assert menu.get_attribute("aria-expanded") == "true"
    for testid in ("batch-select", "lang-switch", "logout", "user-name"):
        assert page.get_by_test_id(testid).is_visible(), f"{testid} is not in the open menu"
    # The menu opens over the map: the map keeps its size.
    assert page.get_by_test_id("map").bounding_box() == map_box
    n_menu, small = _offenders(page, HEADER_ROOTS)
    assert n_menu > n, "the open menu adds controls"
    assert not small, f"controls under {MIN_TARGET}×{MIN_TARGET} px in the open menu: {small}"
    shot(page, artifacts, "thumb-2-menu", guide=True)
    page.locator("#panel-title").tap()  # a tap elsewhere closes it
    assert menu.get_attribute("aria-expanded") == "false"
    assert page.get_by_test_id("batch-select").is_hidden()
    page.get_by_test_id("filter-toggle").tap()
    page.get_by_test_id("filter-state").wait_for()
    n_filters, small = _offenders(page, HEADER_ROOTS)
    assert n_filters > n, "the filters add controls"
    assert not small, f"controls under {MIN_TARGET}×{MIN_TARGET} px with the filters open: {small}"
    probe.assert_clean()


def test_verify_from_my_tasks_in_four_taps_plus_the_photo(
    phone: tuple[Any, PageProbe], server_url: str, artifacts: Path
) -> None:
    page, probe = phone
    task = issued_mining_tasks(server_url)[-2]
    photo = photo_at(server_url, task)
    _open_tasks(page, server_url)
    n, small = _offenders(page, ["#tasks"])
    assert n >= 3 and not small, f"controls under {MIN_TARGET}×{MIN_TARGET} px in 我的任务: {small}"
    taps = Taps()

    taps.tap(_task_row(page, task).get_by_test_id("task-open"), "task")
    panel = wait_case(page, task["case_id"])
    assert panel.get_attribute("data-sheet") == "half"
    # The map fills the screen under the header; the sheet covers its lower half.
    map_box = page.get_by_test_id("map").bounding_box()
    assert map_box["height"] >= 0.8 * PHONE_H, f"the map gets {map_box['height']:.0f} px"

    # The map zoomed to the 图斑: whole, inside the map's part above the sheet, and not tiny.
    page.wait_for_function(
        '(id) => !!document.querySelector(`path[data-case-id="${id}"]`)', arg=str(task["case_id"])
    )
    s = _case_on_screen(page, task["case_id"])
    assert s["left"] >= s["mapLeft"] and s["right"] <= s["mapRight"], s
    assert s["top"] >= s["mapTop"] and s["bottom"] <= s["visibleBottom"], s
    side = max(s["right"] - s["left"], s["bottom"] - s["top"])
    visible = min(s["mapRight"] - s["mapLeft"], s["visibleBottom"] - s["mapTop"])
    assert side >= visible / 4, f"the 图斑 is {side:.0f} px across in {visible:.0f} px: {s}"

    # 核查结论 and 判定理由 are one tap each: tiles, not dropdowns.
    assert panel.locator('[data-testid="verify-form"] select').count() == 0
    taps.tap(panel.get_by_test_id("verify-judgment-illegal"), "judgment")
    taps.tap(panel.get_by_test_id("verify-reason-unlicensed_mining"), "reason")

    # The photo step sits in the form, above submit, and opens the camera.
    form = panel.get_by_test_id("verify-form")
    camera = form.get_by_test_id("photo-input")
    assert camera.get_attribute("capture") == "environment"
    assert camera.get_attribute("accept") == "image/*"
    cam_box = form.locator(".camera-button").bounding_box()
    submit_box = form.get_by_test_id("verify-submit").bounding_box()
    assert cam_box["y"] + cam_box["height"] <= submit_box["y"], "the photo comes before submit"
    camera.set_input_files([{"name": "IMG_0201.jpg", "mimeType": "image/jpeg", "buffer": photo}])
    form.locator('[data-testid="photo-step"][data-count="1"]').wait_for()
    # The panel redrew with the photo; the choices made before are still there.
    form = panel.get_by_test_id("verify-form")
    assert chosen(form, "verify-judgment") == "illegal"
    assert chosen(form, "verify-reason") == "unlicensed_mining"
    assert form.get_by_test_id("verify-draft").is_hidden(), "no 已恢复草稿 note for our own redraw"
    shot(page, artifacts, "thumb-3-verify-form", guide=True)

    taps.tap(form.get_by_test_id("verify-submit"), "submit")
    wait_case(page, task["case_id"], state="verified")
    print(f"verify from 我的任务: {taps.n} taps ({' → '.join(taps.what)}) plus the photo")
    assert taps.n <= MAX_TAPS, taps.what

    # The server has it: the event by the verifier, with the judgment, the reason and the photo.
    case = get_json(f"{server_url}/api/cases/{task['case_id']}")
    assert (case["state"], case["judgment"]) == ("verified", "illegal")
    event = case["events"][-1]
    assert event["action"] == "verify" and "（hecha）" in event["actor"], event
    assert event["payload"]["reason"] == "unlicensed_mining", event
    assert [p["filename"] for p in case["photos"]] == ["IMG_0201.jpg"]
    shot(page, artifacts, "thumb-4-verified", guide=True)
    probe.assert_clean()


def test_the_sheet_peeks_half_and_full_by_handle_and_drag(
    phone: tuple[Any, PageProbe], server_url: str, artifacts: Path
) -> None:
    page, probe = phone
    task, panel = _open_last_task(page, server_url)
    handle = page.get_by_test_id("sheet-handle")

    def height() -> float:
        return panel.bounding_box()["height"]

    half = height()
    assert abs(half - PHONE_H / 2) < 2, half
    handle.tap()
    assert panel.get_attribute("data-sheet") == "full" and height() > 0.85 * PHONE_H
    assert handle.get_attribute("aria-label") == "收起详情"
    handle.tap()
    assert panel.get_attribute("data-sheet") == "peek"
    peek = height()
    assert peek < 120, peek
    # Peeking, the sheet still names the 图斑 and its state.
    case = get_json(f"{server_url}/api/cases/{task['case_id']}")
    assert case["code"] in page.locator("#panel-title").inner_text()
    assert page.get_by_test_id("sheet-state").inner_text().strip() == case["state_label"]
    assert page.get_by_test_id("sheet-state").is_visible()
    assert not panel.get_by_test_id("case-actions").is_visible()
    shot(page, artifacts, "thumb-5-peek", guide=True)

    # Dragged up by its header, the sheet follows and settles at the nearest height.
    title = page.locator("#panel-title").bounding_box()
    x, y = title["x"] + 10, title["y"] + title["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x, y - 300, steps=6)
    page.mouse.up()
    assert panel.get_attribute("data-sheet") == "half", height()
    top = panel.bounding_box()["y"]
    page.mouse.move(x, top + 30)
    page.mouse.down()
    page.mouse.move(x, 80, steps=6)
    page.mouse.up()
    assert panel.get_attribute("data-sheet") == "full", height()
    # A tap on the peeking header brings it back up.
    handle.tap()
    assert panel.get_attribute("data-sheet") == "peek"
    title = page.locator("#panel-title").bounding_box()
    page.mouse.click(title["x"] + 10, title["y"] + title["height"] / 2)
    assert panel.get_attribute("data-sheet") == "half"
    probe.assert_clean()


def test_an_office_sheet_on_a_phone_has_44px_controls_too(
    phone: tuple[Any, PageProbe], server_url: str
) -> None:
    """The admin sees every form (立案 with 合并立案, 处罚, 登记缴款, links between cases)."""
    page, probe = phone
    batch = pick_mining_batch(server_url)
    open_batch(page, server_url, batch["id"], user="admin")
    states = page.evaluate("window.tubanMap.features().map(f => [f.id, f.state])")
    case_id = next(
        (i for want in ("penalised", "filed", "approved") for i, s in states if s == want), None
    )
    assert case_id, f"no 立案 or approved 图斑 in batch {batch['id']}: {states}"
    page.evaluate("(id) => window.tubanMap.showCase(id)", case_id)
    panel = wait_case(page, case_id)
    page.get_by_test_id("sheet-handle").tap()
    assert panel.locator("form.action-form").count() >= 1
    n, small = _offenders(page, SHEET_ROOTS)
    assert n >= 8, f"only {n} controls found in the sheet"
    assert not small, f"controls under {MIN_TARGET}×{MIN_TARGET} px in the case sheet: {small}"
    probe.assert_clean()
