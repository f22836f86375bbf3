"""Helpers for the browser tests: signed-in JSON HTTP calls, signing in on the page, and a
per-page problem collector."""

from __future__ import annotations

import json
import os
import shutil
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

# Screenshots for the user guides (docs/guide/*.md): always saved as test artefacts, and copied
# into docs/guide/img/ when TUBAN_UPDATE_SCREENSHOTS=1 (then commit the PNGs).
GUIDE_IMG = Path(__file__).resolve().parents[2] / "docs" / "guide" / "img"

# The accounts ``tuban demo`` creates (printed when it starts).
DEMO_PASSWORDS = {
    "admin": "tuban-admin",
    "hecha": "tuban-hecha",
    "zhifa": "tuban-zhifa",
    "shenhe": "tuban-shenhe",
    "tongji": "tuban-tongji",
}

_tokens: dict[tuple[str, str], str] = {}


def _base(url: str) -> str:
    u = urllib.parse.urlsplit(url)
    return f"{u.scheme}://{u.netloc}"


def _call(
    url: str,
    *,
    method: str = "GET",
    body: Any = None,
    token: str | None = None,
    timeout: float = 10,
) -> tuple[int, Any]:
    headers = {"Accept": "application/json"}
    data = None
    if body is not None:
        data = json.dumps(body).encode("utf-8")
        headers["Content-Type"] = "application/json"
    if token:
        headers["Authorization"] = f"Bearer {token}"
    req = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            text = r.read().decode("utf-8")
            return r.status, json.loads(text) if text else None
    except urllib.error.HTTPError as e:
        text = e.read().decode("utf-8")
        return e.code, json.loads(text) if text else None


def login_token(server_url: str, username: str, *, fresh: bool = False) -> str:
    """A bearer token for a demo account (cached per server unless ``fresh``)."""
    key = (_base(server_url), username)
    if fresh or key not in _tokens:
        status, body = _call(
            f"{key[0]}/api/auth/login",
            method="POST",
            body={"username": username, "password": DEMO_PASSWORDS[username]},
        )
        assert status == 200, f"login as {username} failed: {status} {body}"
        _tokens[key] = body["token"]
    return _tokens[key]


def get_json(url: str, timeout: float = 10, *, user: str | None = "admin") -> Any:
    """GET as a demo user (admin unless told; ``user=None`` sends no token)."""
    token = login_token(url, user) if user else None
    status, body = _call(url, token=token, timeout=timeout)
    if status == 401 and user:  # the cached session ended (e.g. logged out by a test)
        token = login_token(url, user, fresh=True)
        status, body = _call(url, token=token, timeout=timeout)
    if status >= 400:
        raise OSError(f"GET {url} → {status}: {body}")
    return body


def post_json(
    url: str, body: dict[str, Any], timeout: float = 10, *, user: str | None = "admin"
) -> tuple[int, Any]:
    """POST as a demo user; returns (status, parsed body) whatever the status."""
    token = login_token(url, user) if user else None
    return _call(url, method="POST", body=body, token=token, timeout=timeout)


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


def sign_in(page: Any, username: str, password: str | None = None) -> None:
    """Fill the login screen already on the page and wait until the app shows the user."""
    form = page.get_by_test_id("login-form")
    form.wait_for(state="visible")
    form.get_by_label("用户名").fill(username)
    form.get_by_label("密码").fill(password if password is not None else DEMO_PASSWORDS[username])
    page.get_by_test_id("login-submit").click()
    page.locator('body[data-auth="in"]').wait_for(state="attached")
    # Shown, though on a phone it sits under the header's 菜单 until that is opened.
    page.locator('[data-testid="user-box"]:not([hidden])').wait_for(state="attached")


def open_menu(page: Any) -> None:
    """On a phone, open the header's 菜单 (batch, export, language, user); a no-op elsewhere."""
    toggle = page.get_by_test_id("menu-toggle")
    if toggle.is_visible() and toggle.get_attribute("aria-expanded") != "true":
        toggle.click()


def sign_out(page: Any) -> None:
    open_menu(page)
    page.get_by_test_id("logout").click()
    page.get_by_test_id("login-form").wait_for(state="visible")


def open_app(page: Any, server_url: str, username: str = "admin", path: str = "/") -> None:
    """Load the page and sign in as a demo account."""
    page.goto(server_url + path)
    sign_in(page, username)


def open_batch(page: Any, server_url: str, batch_id: int, *, user: str = "admin") -> None:
    open_app(page, server_url, user)
    select = page.get_by_test_id("batch-select")
    select.locator(f'option[value="{batch_id}"]').wait_for(state="attached")
    open_menu(page)
    select.select_option(str(batch_id))
    page.locator(f'[data-testid="map"][data-loaded-batch="{batch_id}"]').wait_for(state="attached")


def choose(scope: Any, testid: str, value: str) -> None:
    """Tap the tile of ``value`` in a one-tap choice group (e.g. ``verify-judgment``)."""
    scope.get_by_test_id(f"{testid}-{value}").click()


def chosen(scope: Any, testid: str) -> str | None:
    """The value of the tile checked in a choice group, or None."""
    checked = scope.locator(f'[data-testid="{testid}"] input[type="radio"]:checked')
    return checked.get_attribute("value") if checked.count() else None


def wait_case(page: Any, case_id: Any, *, visible: bool = True, **attrs: str) -> Any:
    """Wait until the panel shows case_id loaded (and with the given data-* attributes);
    ``visible=False`` when another view than the map is showing."""
    extra = "".join(f'[data-{k}="{v}"]' for k, v in attrs.items())
    page.locator(
        f'[data-testid="case-panel"][data-case-id="{case_id}"][aria-busy="false"]{extra}'
    ).wait_for(state="visible" if visible else "attached")
    return page.get_by_test_id("case-panel")


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


def pick_mining_batch(
    server_url: str, *, issued_in_year: bool = False, issued_for: str | None = None
) -> dict[str, Any]:
    """The 矿山卫片 batch inside the mining_enforcement goal table's year with the most issued 图斑
    left (then the largest).

    ``issued_in_year`` also wants the issue day inside that year (a Q4 batch is issued the next
    January), for a payment that must come after the issue and still count in the year;
    ``issued_for`` wants a batch where that user still sees an issued 图斑 (earlier tests in the
    session move cases on)."""
    projects = get_json(f"{server_url}/api/projects")["data"]
    year = next(p["year"] for p in projects if p["id"] == "mining_enforcement")
    batches = [
        b
        for b in get_json(f"{server_url}/api/batches")["data"]
        if b["programme"] == "mining"
        and str(b["period"]).startswith(str(year))
        and (not issued_in_year or str(b["issued_on"]).startswith(str(year)))
    ]
    # Tests take issued 图斑 one by one through the session: the batch with most of them left
    # (on the demo's clock, the quarter in progress) lasts longest.
    issued = {b["id"]: _issued(server_url, b["id"], issued_for or "admin") for b in batches}
    if issued_for:
        batches = [b for b in batches if issued[b["id"]]]
    assert batches, f"the demo data has no such 矿山卫片 batch for {year}"
    return max(batches, key=lambda b: (issued[b["id"]], b["feature_count"]))


def _issued(server_url: str, batch_id: int, user: str) -> int:
    fc = get_json(f"{server_url}/api/batches/{batch_id}/features", user=user)
    return sum(f["properties"]["state"] == "issued" for f in fc["features"])


def first_case_in_state(page: Any, state: str, skip: tuple[str, ...] = ()) -> str:
    ids = page.evaluate(
        "(state) => window.tubanMap.features().filter(f => f.state === state).map(f => f.id)",
        state,
    )
    ids = [i for i in ids if i not in skip]
    assert ids, f"no case in state {state!r} on the map"
    return ids[0]


def show_tab(page: Any, name: str) -> None:
    page.get_by_role("tab", name=name).click()


def read_indicator(page: Any, testid: str) -> tuple[float, str]:
    cell = page.get_by_test_id(testid)
    cell.wait_for(state="visible")
    return float(cell.get_attribute("data-numerator")), cell.inner_text()


def end_session(server_url: str, token: str) -> None:
    """Log a token out behind the page's back (its next API call gets 401)."""
    status, body = _call(f"{_base(server_url)}/api/auth/logout", method="POST", token=token)
    assert status == 204, f"logout failed: {status} {body}"


def try_login(server_url: str, username: str, password: str) -> int:
    """The status a login attempt gets (200 or 401), without caching anything."""
    status, _ = _call(
        f"{_base(server_url)}/api/auth/login",
        method="POST",
        body={"username": username, "password": password},
    )
    return status


def shot(page: Any, artifacts: Path, name: str, *, guide: bool = False, **kw: Any) -> Path:
    """Save a screenshot as a test artefact; with ``guide`` also for the user guides."""
    path = artifacts / f"{name}.png"
    page.screenshot(path=path, **kw)
    if guide and os.environ.get("TUBAN_UPDATE_SCREENSHOTS"):
        GUIDE_IMG.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, GUIDE_IMG / f"{name}.png")
    return path


def import_through_form(
    page: Any,
    src: Path,
    *,
    programme: str,
    period: str,
    authority: str,
    issued_on: str,
    due_on: str,
) -> int:
    """Import ``src`` through the admin tab's form as the signed-in admin; the new batch's id.

    Returns once the status names the 图斑 count (a refused file times out here)."""
    page.get_by_test_id("tab-admin").click()
    form = page.get_by_test_id("import-form")
    form.get_by_test_id("import-file").set_input_files(str(src))
    form.get_by_test_id("import-programme").select_option(programme)
    form.get_by_test_id("import-period").fill(period)
    form.get_by_test_id("import-authority").fill(authority)
    form.get_by_test_id("import-issued-on").fill(issued_on)
    form.get_by_test_id("import-due-on").fill(due_on)
    form.get_by_test_id("import-submit").click()
    page.get_by_test_id("import-status").filter(has_text="个图斑").wait_for()
    return int(page.get_by_test_id("import-status").get_attribute("data-batch-id"))
