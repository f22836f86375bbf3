"""Page load of a 20 000-图斑 batch in Chromium: time to first render of the web map.

Generates a batch (benchmarks/make_data.py's seeded star-shaped 图斑 over the county), imports
it into a temporary SQLite store with one admin account, starts ``tuban serve`` on 127.0.0.1
and drives Debian's /usr/bin/chromium through Playwright (no browser is downloaded). For each
scenario a fresh page opens the batch (signed in through sessionStorage, as the app keeps it)
and the figures are read from the page's own performance marks:

* ``first render``: navigation start → the app's ``tuban:view-drawn`` mark (the 图斑 of the
  view fetched and drawn, after the next paint);
* ``features``: the GeoJSON request(s) for the view (Resource Timing: duration and bytes).

Scenarios: the whole batch in view with the server's cap (the map asks to zoom in; nothing
drawn), a zoomed-in view (a 2 km box, every 图斑 in it drawn), and the whole batch without a
cap (TUBAN_FEATURE_LIMIT above n: what the map would cost if it fetched everything).
Figures are printed, never asserted; each phase is bounded by --timeout.

    .venv/bin/python benchmarks/page_load.py [--n 20000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, date, datetime
from pathlib import Path
from statistics import median

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
PASSWORD = "bench-admin-123"


def build_store(n: int, tmp: Path) -> tuple[Path, int, list[float]]:
    """A SQLite store holding one batch of ``n`` 图斑 and an admin; returns (db, batch id, bbox)."""
    from argon2 import PasswordHasher
    from make_data import make_parcels

    from geo.batch import BatchMeta
    from geo.model import Programme
    from storage.engine import make_engine, migrate
    from storage.imports import import_file
    from storage.repository import CaseStore
    from storage.users import UserStore

    src = tmp / f"tuban-{n}.gpkg"
    make_parcels(n).to_file(src, layer="tuban", driver="GPKG")
    db = tmp / "bench.sqlite"
    engine = make_engine(f"sqlite:///{db}")
    migrate(engine)
    store = CaseStore(engine)
    now = datetime.now(UTC)
    meta = BatchMeta(Programme.MINING, "2024Q1", "基准测试", date(2024, 4, 1), date(2024, 5, 31))
    t = time.perf_counter()
    row, _ = import_file(store, src, meta, actor="bench", now=now)
    print(f"imported {n} 图斑 in {time.perf_counter() - t:.1f} s (batch {row['id']})")
    UserStore(engine, PasswordHasher()).add(
        username="bench",
        display_name="基准",
        password=PASSWORD,
        roles=["admin"],
        by="bench",
        now=now,
    )
    engine.dispose()
    return db, row["id"], [row["minx"], row["miny"], row["maxx"], row["maxy"]]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(db: Path, limit: int, timeout: float) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "TUBAN_FEATURE_LIMIT": str(limit), "PYTHONUNBUFFERED": "1"}
    env.pop("TUBAN_DATABASE_URL", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "tuban_cli.main", "serve", "--db", str(db), "--port", str(port)],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=2):
                return proc, base
        except OSError:
            time.sleep(0.25)
    stop(proc)
    raise SystemExit(f"server did not start within {timeout}s")


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


def login(base: str) -> dict:
    req = urllib.request.Request(
        base + "/api/auth/login",
        data=json.dumps({"username": "bench", "password": PASSWORD}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.load(r)


MEASURE = """(batch) => new Promise((resolve) => {
  const done = () => {
    const mark = performance.getEntriesByName('tuban:view-drawn')
      .find((m) => m.detail && String(m.detail.batch) === String(batch));
    if (!mark) return false;
    const fetches = performance.getEntriesByType('resource')
      .filter((r) => r.name.includes(`/api/batches/${batch}/features`));
    resolve({
      first_render_ms: mark.startTime, total: mark.detail.total, drawn: mark.detail.drawn,
      paths: document.querySelectorAll('path[data-case-id]').length,
      fetch_ms: fetches.reduce((a, r) => a + r.duration, 0),
      fetch_kb: fetches.reduce((a, r) => a + (r.encodedBodySize || r.transferSize || 0), 0) / 1024,
      dom_content_loaded_ms: performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd,
    });
    return true;
  };
  if (!done()) new PerformanceObserver((list, obs) => { if (done()) obs.disconnect(); })
    .observe({ type: 'mark', buffered: true });
})"""


def measure(
    browser, base: str, session: dict, batch: int, view: list[float] | None, timeout: float
) -> dict:
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    context.add_init_script(
        f"sessionStorage.setItem('tuban.token', {json.dumps(session['token'])});"
        f"sessionStorage.setItem('tuban.user', {json.dumps(json.dumps(session['user']))});"
    )
    page = context.new_page()
    try:
        if view is None:
            page.goto(f"{base}/#batch={batch}")
            result = page.evaluate(MEASURE, batch)
        else:
            # Open the batch, then jump to the small view: measure that view's own load.
            page.goto(f"{base}/#batch={batch}")
            page.evaluate(MEASURE, batch)
            page.evaluate("() => { performance.clearMarks(); performance.clearResourceTimings(); }")
            t0 = page.evaluate("performance.now()")
            page.evaluate(
                "(b) => window.tubanMap.map.fitBounds([[b[1], b[0]], [b[3], b[2]]],"
                " {animate: false})",
                view,
            )
            result = page.evaluate(MEASURE, batch)
            result["first_render_ms"] -= t0
        return result
    finally:
        context.close()


def run(args: argparse.Namespace) -> None:
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="tuban-pageload-") as tmp:
        db, batch, bbox = build_store(args.n, Path(tmp))
        cx, cy = (bbox[0] + bbox[2]) / 2, (bbox[1] + bbox[3]) / 2
        small = [cx - 0.0117, cy - 0.009, cx + 0.0117, cy + 0.009]  # ~2 x 2 km
        scenarios = [
            ("whole batch, capped (asks to zoom in)", args.limit, None),
            ("2 km view, every 图斑 in it drawn", args.limit, small),
            ("whole batch, no cap (everything drawn)", args.n + 1, None),
        ]
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            try:
                for name, limit, view in scenarios:
                    proc, base = start_server(db, limit, args.timeout)
                    try:
                        session = login(base)
                        runs = [
                            measure(browser, base, session, batch, view, args.timeout)
                            for _ in range(args.repeat)
                        ]
                    finally:
                        stop(proc)
                    r = runs[-1]
                    first = median(x["first_render_ms"] for x in runs)
                    each = ", ".join(f"{x['first_render_ms']:.0f}" for x in runs)
                    fetch = median(x["fetch_ms"] for x in runs)
                    print(
                        f"{name:44s} first render {first:7.0f} ms (runs: {each});"
                        f" features request {fetch:6.0f} ms, {r['fetch_kb']:8.0f} KB;"
                        f" in view {r['total']}, drawn {r['paths']}"
                    )
            finally:
                browser.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=20_000, help="图斑 in the batch")
    ap.add_argument("--limit", type=int, default=3000, help="the server's feature cap")
    ap.add_argument("--repeat", type=int, default=3, help="page loads per scenario")
    ap.add_argument("--timeout", type=float, default=120, help="seconds allowed per step")
    args = ap.parse_args()
    if not Path(CHROMIUM).exists():
        raise SystemExit(f"{CHROMIUM} is not installed (apt-get install chromium)")
    run(args)


if __name__ == "__main__":
    main()
