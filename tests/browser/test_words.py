"""The page's words: in English no Chinese is left in the interface (data values excepted), and
in Chinese no English interface words; both from the message catalogs (webmap/static/i18n/)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from shapely.geometry import shape

from geo import testing as photo_factory
from tests.browser.support import (
    PageProbe,
    click_case,
    first_case_in_state,
    get_json,
    open_batch,
    pick_mining_batch,
    shot,
    wait_case,
)

pytestmark = pytest.mark.browser

# Visible interface text (text nodes, option labels, aria-label/title/placeholder) holding a
# CJK character, outside data values (elements marked data-value: 图斑 codes, place names,
# attribute values, notes and names people typed, file names).
_CJK_IN_INTERFACE = """(pattern) => {
  const re = new RegExp(pattern);
  const bad = [];
  const where = (el) => el.closest('[data-testid]')?.dataset.testid || el.tagName.toLowerCase();
  // The language switch names the other language in that language (lang="zh-CN").
  const skip = (el) => !el || el.closest('script,style,noscript,[data-value],body [lang]')
      || (el.tagName !== 'OPTION' && !el.checkVisibility());
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement;
    if (el && el.tagName === 'OPTION' && !el.closest('select')?.checkVisibility()) continue;
    if (skip(el) || !re.test(n.nodeValue)) continue;
    bad.push(`${where(el)}: ${n.nodeValue.trim().slice(0, 80)}`);
  }
  for (const el of document.querySelectorAll('[aria-label],[title],[placeholder]')) {
    // A path's label names its 乡镇 and 村 (data-value-label).
    if (skip(el) || el.hasAttribute('data-value-label')) continue;
    for (const a of ['aria-label', 'title', 'placeholder']) {
      const v = el.getAttribute(a);
      if (v && re.test(v)) bad.push(`${where(el)} @${a}: ${v.slice(0, 80)}`);
    }
  }
  if (re.test(document.title)) bad.push(`title: ${document.title}`);
  return bad;
}"""

CJK = r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]"
# English interface words the Chinese page must not show (the old phrase layer's leftovers).
ENGLISH_DENY = r"\b(Batch|in view|Photos|Loading|Refresh|History|Polygon)\b"


def _interface_text_matching(page: Any, pattern: str) -> list[str]:
    return page.evaluate(_CJK_IN_INTERFACE, pattern)


def _sign_in_by_field(page: Any, username: str, password: str) -> None:
    """Sign in without relying on the labels' language."""
    form = page.get_by_test_id("login-form")
    form.wait_for(state="visible")
    form.locator("input[autocomplete=username]").fill(username)
    form.locator("input[type=password]").fill(password)
    page.get_by_test_id("login-submit").click()
    page.get_by_test_id("user-box").wait_for(state="visible")


def _case_with_events_and_photo(page: Any, server_url: str) -> str:
    """An issued 图斑 of a mining batch, given a photo and verified: events and photos to show."""
    # Any 矿山卫片 batch with an issued 图斑 left (earlier tests in the session move cases on).
    batch = pick_mining_batch(server_url, issued_for="admin")
    open_batch(page, server_url, batch["id"], user="admin")
    case_id = first_case_in_state(page, "issued")
    click_case(page, case_id)
    panel = wait_case(page, case_id)
    fc = get_json(f"{server_url}/api/batches/{batch['id']}/features")
    geom = shape(next(f for f in fc["features"] if str(f["id"]) == str(case_id))["geometry"])
    lon, lat = geom.representative_point().coords[0]
    taken = date.fromisoformat(batch["issued_on"]) + timedelta(days=3)
    jpeg = photo_factory.jpeg(lon=lon, lat=lat, direction=90, taken=f"{taken:%Y:%m:%d} 10:30:00")
    # A second photo without GPS or direction: its flags' notes are the server's zh sentences.
    flagged = photo_factory.jpeg(taken=f"{taken:%Y:%m:%d} 11:00:00")
    page.get_by_test_id("photo-input").set_input_files(
        [
            {"name": "IMG_0002.jpg", "mimeType": "image/jpeg", "buffer": jpeg},
            {"name": "IMG_0003.jpg", "mimeType": "image/jpeg", "buffer": flagged},
        ]
    )
    panel.get_by_test_id("photo-flag").first.wait_for()
    page.evaluate(
        "() => window.tubanMap.act('verify', {judgment: 'illegal', reason: 'unlicensed_mining'})"
    )
    wait_case(page, case_id, state="verified")
    return case_id


def test_english_interface_has_no_chinese(
    desktop: tuple[Any, PageProbe], server_url: str, artifacts: Path
) -> None:
    page, probe = desktop
    case_id = _case_with_events_and_photo(page, server_url)

    # Switching draws the page again in English: the hash brings back the batch and the 图斑.
    page.get_by_test_id("lang-switch").click()
    page.locator('html[lang="en"]').wait_for(state="attached")
    panel = wait_case(page, case_id, state="verified")
    panel.get_by_test_id("photo").first.wait_for()
    panel.get_by_test_id("photo-flag").first.wait_for()
    page.get_by_test_id("case-events").wait_for()
    found = {"map and case panel": _interface_text_matching(page, CJK)}
    shot(page, artifacts, "words-en-panel")

    for tab, ready in (("tab-tasks", "tasks-count"), ("tab-admin", "user-row")):
        page.get_by_test_id(tab).click()
        page.get_by_test_id(ready).first.wait_for(state="visible")
        page.wait_for_function("() => !document.querySelector('[aria-busy=\"true\"]')")
        found[tab] = _interface_text_matching(page, CJK)
        shot(page, artifacts, f"words-en-{tab}")

    assert not any(found.values()), "Chinese interface text in English:\n" + "\n".join(
        f"{view}: {line}" for view, lines in found.items() for line in lines
    )
    probe.assert_clean()


def test_english_dashboard_has_no_chinese(desktop: tuple[Any, PageProbe], server_url: str) -> None:
    page, _ = desktop
    page.add_init_script("localStorage.setItem('tuban.lang', 'en')")
    page.goto(server_url + "/")
    _sign_in_by_field(page, "admin", "tuban-admin")
    page.get_by_test_id("tab-indicators").click()
    page.get_by_test_id("dash-banner").first.wait_for(state="visible")
    page.wait_for_function("() => !document.querySelector('[aria-busy=\"true\"]')")
    found = _interface_text_matching(page, CJK)
    assert not found, "Chinese interface text in the English dashboard:\n" + "\n".join(found)
    # The server's words arrived in English (Accept-Language), not merely left out.
    chart = page.locator('[data-testid="trend-verified_by_due_share"] [aria-label]').first
    trend = chart.get_attribute("aria-label")
    assert trend and trend.startswith("Verified on time"), trend
    assert "end of March" in page.get_by_test_id("budget-table-mining_enforcement").inner_text()


def test_chinese_interface_has_no_english_words(
    desktop: tuple[Any, PageProbe], server_url: str
) -> None:
    page, probe = desktop
    batch = pick_mining_batch(server_url)
    page.goto(server_url + "/")
    _sign_in_by_field(page, "admin", "tuban-admin")
    assert page.evaluate("document.documentElement.lang") == "zh-CN"
    select = page.get_by_test_id("batch-select")
    select.locator(f'option[value="{batch["id"]}"]').wait_for(state="attached")
    select.select_option(str(batch["id"]))
    page.locator(f'[data-testid="map"][data-loaded-batch="{batch["id"]}"]').wait_for()
    click_case(page, first_case_in_state(page, "issued"))
    page.locator('[data-testid="case-panel"][aria-busy="false"]').wait_for()
    found = _interface_text_matching(page, ENGLISH_DENY)
    for tab in ("tab-tasks", "tab-indicators"):
        page.get_by_test_id(tab).click()
        page.wait_for_function("() => !document.querySelector('[aria-busy=\"true\"]')")
        found += _interface_text_matching(page, ENGLISH_DENY)
    assert not found, "English interface words in Chinese:\n" + "\n".join(found)
    probe.assert_clean()
