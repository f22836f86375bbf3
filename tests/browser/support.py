"""Helpers for the browser tests: tiny JSON HTTP calls and a per-page problem collector."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any


def get_json(url: str, timeout: float = 10) -> Any:
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return json.loads(r.read().decode("utf-8"))


def post_json(url: str, body: dict[str, Any], timeout: float = 10) -> tuple[int, Any]:
    req = urllib.request.Request(
        url,
        data=json.dumps(body).encode("utf-8"),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, json.loads(r.read().decode("utf-8"))
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read().decode("utf-8") or "null")


class PageProbe:
    """Collects what a page did wrong: JS errors, and any request that left the test server."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.page_errors: list[str] = []
        self.console_errors: list[str] = []
        self.offsite_requests: list[str] = []

    def assert_clean(self) -> None:
        assert not self.page_errors, f"uncaught JS errors: {self.page_errors}"
        assert not self.offsite_requests, (
            f"requests left the server (must work offline, no CDN): {self.offsite_requests}"
        )


def open_batch(page: Any, server_url: str, batch_id: int) -> None:
    page.goto(server_url + "/")
    select = page.get_by_test_id("batch-select")
    select.locator(f'option[value="{batch_id}"]').wait_for(state="attached")
    select.select_option(str(batch_id))
    page.locator(f'[data-testid="map"][data-loaded-batch="{batch_id}"]').wait_for(state="attached")


def click_case(page: Any, case_id: str, *, tap: bool = False) -> None:
    """Zoom to the polygon, find a pixel where the browser hit-tests to its path, click it."""
    page.evaluate(
        """(id) => {
            const m = window.tubanMap;
            m.map.fitBounds(m.layerFor(id).getBounds(),
                            {animate: false, maxZoom: 17, padding: [80, 80]});
        }""",
        case_id,
    )
    page.wait_for_function(
        '(id) => !!document.querySelector(`path[data-case-id="${id}"]`)', arg=case_id
    )
    point = page.evaluate(
        """(id) => new Promise((resolve) => requestAnimationFrame(() => {
            const el = document.querySelector(`path[data-case-id="${id}"]`);
            const r = el.getBoundingClientRect();
            const fr = [0.5, 0.4, 0.6, 0.3, 0.7, 0.2, 0.8, 0.1, 0.9];
            for (const fy of fr) for (const fx of fr) {
                const x = r.left + r.width * fx, y = r.top + r.height * fy;
                if (document.elementFromPoint(x, y) === el) return resolve({x, y});
            }
            resolve(null);
        }))""",
        case_id,
    )
    assert point, f"polygon {case_id} is not hit-testable anywhere on screen"
    if tap:
        page.touchscreen.tap(point["x"], point["y"])
    else:
        page.mouse.click(point["x"], point["y"])
