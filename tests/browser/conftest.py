"""Browser-test fixtures: the real ``tuban demo`` server in a subprocess, and Debian chromium.

Chromium is the system package (``/usr/bin/chromium``), driven by Playwright's Python API;
no Playwright-managed browser is ever downloaded. Without chromium the tests skip, except under
CI (env ``CI`` set), where a missing browser is a failure.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.browser.support import PageProbe, get_json

REPO_ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
SERVER_START_TIMEOUT_S = 120
# Small enough that the demo's 185-图斑 变更调查 batch is over it at full extent, so the
# "zoom in" path of the viewport fetching is exercised; every 卫片 batch stays under it.
FEATURE_LIMIT = 150
SERVER_STOP_TIMEOUT_S = 10


def _unavailable(reason: str) -> None:
    """Skip on a developer machine; fail under CI, where the browser must be there."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set, so this is a failure, not a skip)")
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _log_tail(path: Path, n: int = 40) -> str:
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return "(no server log)"
    return "\n".join(lines[-n:])


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """Terminate the server's process group, escalating to SIGKILL; bounded waits only."""
    if proc.poll() is not None:
        return
    for sig, wait_s in ((signal.SIGTERM, SERVER_STOP_TIMEOUT_S), (signal.SIGKILL, 5)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=wait_s)
            return
        except subprocess.TimeoutExpired:
            continue


@pytest.fixture(scope="session")
def chips_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The server's TUBAN_CHIPS_DIR: tests write before/after image chips here."""
    return tmp_path_factory.mktemp("tuban-chips")


@contextmanager
def run_demo(tmp: Path, extra_env: dict[str, str], log_name: str = "server.log") -> Iterator[str]:
    """``tuban demo`` on a free 127.0.0.1 port with a temp SQLite DB in ``tmp`` and
    ``extra_env`` on top of the test settings; yields its URL and stops it afterwards."""
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    ARTIFACTS.mkdir(exist_ok=True)
    log_path = ARTIFACTS / log_name
    cmd = [
        sys.executable,
        "-m",
        "tuban_cli.main",
        "demo",
        "--db",
        str(tmp / "t.sqlite"),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    env = {**os.environ, "PYTHONUNBUFFERED": "1", **extra_env}
    env.pop("TUBAN_DATABASE_URL", None)
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            cmd,
            cwd=REPO_ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT_S
        while True:
            if proc.poll() is not None:
                pytest.fail(
                    f"tuban demo exited with code {proc.returncode} before serving:\n"
                    f"{_log_tail(log_path)}"
                )
            try:
                if get_json(f"{base}/healthz", timeout=2, user=None).get("status") == "ok":
                    break
            except (OSError, ValueError):
                pass
            if time.monotonic() > deadline:
                pytest.fail(
                    f"tuban demo did not answer /healthz within {SERVER_START_TIMEOUT_S}s:\n"
                    f"{_log_tail(log_path)}"
                )
            time.sleep(0.25)
        yield base
    finally:
        _stop(proc)


@pytest.fixture(scope="session")
def server_url(tmp_path_factory: pytest.TempPathFactory, chips_dir: Path) -> Iterator[str]:
    """Start ``tuban demo`` on a free 127.0.0.1 port with a temp SQLite DB; yield its URL.

    ``TUBAN_BROWSER_URL`` points the tests at an already running server instead (for UI
    work against ``tuban demo``); the tests change case states there.
    """
    external = os.environ.get("TUBAN_BROWSER_URL")
    if external:
        yield external.rstrip("/")
        return
    env = {"TUBAN_CHIPS_DIR": str(chips_dir), "TUBAN_FEATURE_LIMIT": str(FEATURE_LIMIT)}
    with run_demo(tmp_path_factory.mktemp("tuban-browser"), env) as base:
        yield base


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian chromium through Playwright (never a downloaded browser)."""
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} is not installed (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright Python package is not installed")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


def _open_page(browser: Any, base_url: str, **context_args: Any) -> Iterator[tuple[Any, PageProbe]]:
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", **context_args)
    context.set_default_timeout(15_000)
    probe = PageProbe(base_url)

    def guard(route: Any) -> None:
        url = route.request.url
        if url.startswith(base_url) or url.startswith("data:"):
            route.continue_()
        else:
            probe.offsite_requests.append(url)
            route.abort()

    context.route("**/*", guard)
    page = context.new_page()
    page.on("pageerror", lambda e: probe.page_errors.append(str(e)))
    page.on("console", lambda m: m.type == "error" and probe.console_errors.append(m.text))
    try:
        yield page, probe
    finally:
        context.close()


@pytest.fixture
def desktop(browser: Any, server_url: str) -> Iterator[tuple[Any, PageProbe]]:
    yield from _open_page(browser, server_url, viewport={"width": 1280, "height": 800})


# A phone: 390×844 CSS pixels, touch.
PHONE: dict[str, Any] = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}


def open_page(browser: Any, base_url: str, **context_args: Any) -> Iterator[tuple[Any, PageProbe]]:
    """A page in a new context whose requests may reach ``base_url`` only (others recorded and
    aborted); for fixtures that need their own server or context options."""
    yield from _open_page(browser, base_url, **context_args)


@pytest.fixture
def phone(browser: Any, server_url: str) -> Iterator[tuple[Any, PageProbe]]:
    yield from _open_page(browser, server_url, **PHONE)


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
