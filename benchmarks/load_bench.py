"""Load benchmark: N concurrent users on a real ``tuban serve`` over loopback, per backend.

For each backend (SQLite, then PostgreSQL in a throwaway schema) a fresh store gets the demo
data (the 丰润区 batches, references, the synthetic 2019 history and the demo accounts), then
``tuban serve`` starts on 127.0.0.1 and N virtual users (httpx, async, one client each) act for
T seconds. Every user signs in once, then repeats, with a think time between requests:

* map reads (70 %): the batch's GeoJSON for a village-sized view (~2 km) or a township-sized
  view (~10 km), as the web map asks when panning; every fifth user is a verifier (their map
  applies the visibility rule), the others are administrators;
* case detail (15 %): ``GET /api/cases/{id}``;
* 我的任务 (5 %): ``GET /api/tasks``;
* case writes (10 %): ``GET`` a case, then one action its state allows (核查, 退回核查, 批注,
  举证) with ``If-Match`` set to its ETag; a 409 (someone else won) is counted, not an error.

It prints per kind: requests, errors (5xx, timeouts, refused connections, unexpected 4xx),
p50/p95/p99 in ms and throughput; the server's CPU seconds beside the wall time; and the events
before and after with the acknowledged writes: every 2xx write must be an event row (0 lost).
Bounded: the server is killed at the end, every request has a timeout, only 127.0.0.1.

    .venv/bin/python -m benchmarks.load_bench [--users 50] [--seconds 120] [--backend both]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

PG_URL = os.environ.get("TUBAN_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
ADMIN = ("admin", "tuban-admin")
VERIFIER = ("hecha", "tuban-hecha")
# Half-widths in degrees of the two map views: ~2 km (a village) and ~10 km (a township).
VIEWS = {"map_village": 0.01, "map_township": 0.05}
KINDS = ("map_village", "map_township", "case", "tasks", "write")
WEIGHTS = (35, 35, 15, 5, 10)


@dataclass
class Store:
    """A prepared store: its URL, files directory, view centres and case ids."""

    url: str
    data_dir: Path
    centres: list[tuple[float, float]]
    case_ids: list[int]
    batch_ids: list[int]
    cleanup: Any = None


@dataclass
class Tally:
    """What the users saw."""

    latency: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: Counter = field(default_factory=Counter)
    error_samples: list[str] = field(default_factory=list)
    conflicts: int = 0
    acked: Counter = field(default_factory=Counter)  # case id -> 2xx writes
    # Wall clock and server CPU seconds when the users start acting (after signing in).
    started: tuple[float, float] = (0.0, 0.0)


def pg_schema() -> tuple[str, Any]:
    """A throwaway PostgreSQL schema: its URL and a function dropping it."""
    import uuid

    from sqlalchemy import create_engine, text

    schema = f"load_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()

    return f"{PG_URL}?options=-csearch_path%3D{schema}%2Cpublic", drop


def prepare(backend: str, tmp: Path, from_db: Path | None = None) -> Store:
    """Load the demo into a fresh store of ``backend``; note view centres and case ids."""

    from runtime.compose import build
    from runtime.settings import Settings
    from tuban_cli.demo import create_users, load_batches, load_references, play_history

    cleanup = None
    if backend == "sqlite" and from_db is not None:
        shutil.copy(from_db, tmp / "load.sqlite")  # a demo store made earlier: skip loading
        return _noted(f"sqlite:///{tmp / 'load.sqlite'}", tmp, None)
    if backend == "sqlite":
        url = f"sqlite:///{tmp / 'load.sqlite'}"
    else:
        url, cleanup = pg_schema()
    settings = Settings(database_url=url, photos_dir=tmp / "photos", reports_dir=tmp / "reports")
    services = build(settings)
    store = services.cases
    list(load_references(store, clock=services.clock))
    list(load_batches(store, clock=services.clock))
    play_history(services)
    refs = services.refs
    towns = refs.current().get(_township_kind())
    codes = sorted(set(refs.frame(towns["id"])["ident"])) if towns else []
    create_users(services.users, codes, clock=services.clock)
    services.close()
    return _noted(url, tmp, cleanup)


def _noted(url: str, tmp: Path, cleanup: Any) -> Store:
    """The store at ``url`` with its view centres (each 图斑's centroid) and case ids."""
    import shapely

    from runtime.compose import build
    from runtime.settings import Settings

    services = build(Settings(database_url=url, photos_dir=tmp / "photos"))
    centres, case_ids, batch_ids = [], [], []
    for batch in services.cases.list_batches():
        batch_ids.append(batch["id"])
        for row in services.cases.features(batch["id"]):
            case_ids.append(row["id"])
            c = shapely.from_wkb(row["geom"]).centroid
            centres.append((c.x, c.y))
    services.close()
    return Store(url, tmp, centres, case_ids, batch_ids, cleanup)


def _township_kind() -> Any:
    from geo.references import RefKind

    return RefKind.TOWNSHIP


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(store: Store, port: int, log: Path) -> subprocess.Popen:
    """``tuban serve`` on 127.0.0.1:port for the store; waits until /readyz says ready."""
    env = {
        **os.environ,
        "TUBAN_DATABASE_URL": store.url,
        "TUBAN_PHOTOS_DIR": str(store.data_dir / "photos"),
        "TUBAN_REPORTS_DIR": str(store.data_dir / "reports"),
        "TUBAN_LOG_LEVEL": "WARNING",
        "TUBAN_ACCESS_LOG": str(log),
    }
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tuban_cli.main",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        cwd=REPO,  # this checkout's code, whatever the environment has installed
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=open(log.with_suffix(".err"), "wb"),  # noqa: SIM115 - lives as long as the server
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"tuban serve exited: see {log.with_suffix('.err')}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    proc.kill()
    raise RuntimeError("tuban serve was not ready within 60 s")


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def event_counts(url: str) -> Counter:
    """Events per case in the store."""
    from sqlalchemy import func, select

    from storage.engine import make_engine
    from storage.tables import case_events

    engine = make_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(
            select(case_events.c.case_id, func.count()).group_by(case_events.c.case_id)
        ).all()
    engine.dispose()
    return Counter({case_id: n for case_id, n in rows})


def write_body(case: dict[str, Any]) -> dict[str, Any] | None:
    """A write the case's state allows now, or None (the user picks another case)."""
    allowed = set(case.get("allowed_actions", []))
    if "verify" in allowed:
        return {"action": "verify", "payload": {"judgment": "other", "reason": "pseudo_change"}}
    if "return_verification" in allowed:
        return {"action": "return_verification", "payload": {"reason": "压测：请复核"}}
    if "annotate" in allowed:
        return {"action": "annotate", "payload": {"note": "压测批注"}}
    if "collect_evidence" in allowed:
        payload = {"land_class_before": "0101", "land_class_after": "0102"}
        return {"action": "collect_evidence", "payload": payload}
    return None


async def one_request(client: httpx.AsyncClient, kind: str, store: Store, tally: Tally) -> None:
    """One request of ``kind``, timed; errors and conflicts counted."""
    started = time.perf_counter()
    status = 0
    try:
        status = await _do(client, kind, store, tally)
    except httpx.HTTPError as exc:
        tally.errors[kind] += 1
        if len(tally.error_samples) < 5:
            tally.error_samples.append(f"{kind}: {type(exc).__name__} {exc}")
        return
    tally.latency[kind].append((time.perf_counter() - started) * 1000)
    if status >= 500 or (status >= 400 and status != 409):
        tally.errors[kind] += 1
        if len(tally.error_samples) < 5:
            tally.error_samples.append(f"{kind}: HTTP {status}")


async def _do(client: httpx.AsyncClient, kind: str, store: Store, tally: Tally) -> int:
    if kind in VIEWS:
        x, y = random.choice(store.centres)
        h = VIEWS[kind]
        bbox = f"{x - h},{y - h},{x + h},{y + h}"
        batch = random.choice(store.batch_ids)
        r = await client.get(f"/api/batches/{batch}/features", params={"bbox": bbox})
        return r.status_code
    if kind == "tasks":
        return (await client.get("/api/tasks")).status_code
    case_id = random.choice(store.case_ids)
    r = await client.get(f"/api/cases/{case_id}")
    if kind == "case" or r.status_code != 200:
        return 200 if r.status_code == 404 else r.status_code  # a verifier's 404 is expected
    body = write_body(r.json())
    if body is None:
        return 200
    w = await client.post(
        f"/api/cases/{case_id}/actions", json=body, headers={"If-Match": r.headers["etag"]}
    )
    if w.status_code == 409:
        tally.conflicts += 1
    elif w.status_code < 300:
        tally.acked[case_id] += 1
    return w.status_code


async def sign_in(base: str, account: tuple[str, str], tally: Tally) -> str:
    """A session token of ``account`` (one per account: a login is argon2, tens of ms of CPU
    each, and an office signs in once a day, not 50 times at once)."""
    async with httpx.AsyncClient(base_url=base, timeout=120) as client:
        started = time.perf_counter()
        username, password = account
        r = await client.post("/api/auth/login", json={"username": username, "password": password})
        r.raise_for_status()
        tally.latency["login"].append((time.perf_counter() - started) * 1000)
        return r.json()["token"]


def user_client(base: str, token: str) -> httpx.AsyncClient:
    """One virtual user's connection (at most 2, as a browser tab keeps few to one host)."""
    return httpx.AsyncClient(
        base_url=base,
        timeout=30,
        limits=httpx.Limits(max_connections=2),
        headers={"Authorization": f"Bearer {token}"},
    )


async def act(
    client: httpx.AsyncClient, username: str, store: Store, until: float, think: float, tally: Tally
) -> None:
    """Act until ``until`` (a loop.time()), pausing ~``think`` s between acts."""
    loop = asyncio.get_running_loop()
    await asyncio.sleep(random.uniform(0, think))  # users do not start in lock step
    while loop.time() < until:
        kind = random.choices(KINDS, WEIGHTS)[0]
        if kind == "write" and username != ADMIN[0]:
            kind = "case"
        await one_request(client, kind, store, tally)
        await asyncio.sleep(random.uniform(0.5 * think, 1.5 * think))


async def drive(
    base: str, store: Store, users: int, seconds: float, think: float, pid: int
) -> Tally:
    """Sign in (not timed as load), then let ``users`` virtual users act for ``seconds``:
    every fifth a verifier, the others administrators."""
    tally = Tally()
    tokens = {a[0]: await sign_in(base, a, tally) for a in (ADMIN, VERIFIER)}
    names = [VERIFIER[0] if i % 5 == 0 else ADMIN[0] for i in range(users)]
    clients = [user_client(base, tokens[name]) for name in names]
    tally.started = (time.perf_counter(), cpu_seconds(pid))
    until = asyncio.get_running_loop().time() + seconds
    try:
        await asyncio.gather(
            *(
                act(c, name, store, until, think, tally)
                for c, name in zip(clients, names, strict=True)
            )
        )
    finally:
        for client in clients:
            await client.aclose()
    return tally


def percentile(values: list[float], p: float) -> float:
    """The ``p``-th percentile (nearest rank) of ``values``; 0 when empty."""
    if not values:
        return 0.0
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[k]


def summarise(tally: Tally, wall: float) -> dict[str, dict[str, float]]:
    """Per kind (and map reads together): requests, errors, p50/p95/p99, per second."""
    out: dict[str, dict[str, float]] = {}
    groups = {k: tally.latency[k] for k in KINDS}
    groups["map (all)"] = tally.latency["map_village"] + tally.latency["map_township"]
    groups["login"] = tally.latency["login"]
    for kind, values in groups.items():
        errors = (
            tally.errors[kind]
            if kind in KINDS or kind == "login"
            else (tally.errors["map_village"] + tally.errors["map_township"])
        )
        out[kind] = {
            "requests": len(values) + errors,
            "errors": errors,
            "p50_ms": round(percentile(values, 50), 1),
            "p95_ms": round(percentile(values, 95), 1),
            "p99_ms": round(percentile(values, 99), 1),
            "per_s": round(len(values) / wall, 1),
        }
    return out


def run_backend(
    backend: str,
    users: int,
    seconds: float,
    think: float,
    profile: bool = False,
    from_db: Path | None = None,
) -> dict[str, Any]:
    """Prepare, serve, load and check one backend; returns its figures."""
    with tempfile.TemporaryDirectory(prefix=f"tuban-load-{backend}-") as tmp_name:
        tmp = Path(tmp_name)
        t0 = time.perf_counter()
        store = prepare(backend, tmp, from_db)
        print(
            f"[{backend}] demo store ready in {time.perf_counter() - t0:.0f} s: "
            f"{len(store.case_ids)} 图斑",
            flush=True,
        )
        try:
            return _load(backend, store, users, seconds, think, profile)
        finally:
            if store.cleanup:
                store.cleanup()


def _py_spy(pid: int, backend: str, seconds: float) -> subprocess.Popen:
    """py-spy sampling the server (all threads, GIL holders only) into collapsed stacks."""
    out = REPO / "benchmarks" / "out" / f"load-{backend}.stacks"
    out.parent.mkdir(parents=True, exist_ok=True)
    spy = Path(sys.executable).with_name("py-spy")
    cmd = [str(spy), "record", "--pid", str(pid), "--duration", str(int(seconds) + 5)]
    cmd += ["--format", "raw", "--output", str(out), "--gil", "--nonblocking"]
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL)


def _load(
    backend: str, store: Store, users: int, seconds: float, think: float, profile: bool = False
) -> dict[str, Any]:
    port = free_port()
    proc = start_server(store, port, store.data_dir / "access.jsonl")
    try:
        before = event_counts(store.url)
        base = f"http://127.0.0.1:{port}"
        spy = _py_spy(proc.pid, backend, seconds) if profile else None
        tally = asyncio.run(drive(base, store, users, seconds, think, proc.pid))
        if spy is not None:
            spy.wait(timeout=seconds + 60)
        wall = time.perf_counter() - tally.started[0]
        cpu = cpu_seconds(proc.pid) - tally.started[1]
    finally:
        proc.kill()
        proc.wait(timeout=30)
    after = event_counts(store.url)
    lost = sum(max(0, n - (after[c] - before[c])) for c, n in tally.acked.items())
    return {
        "backend": backend,
        "users": users,
        "seconds": round(wall, 1),
        "think_s": think,
        "server_cpu_s": round(cpu, 1),
        "kinds": summarise(tally, wall),
        "conflicts_409": tally.conflicts,
        "events_before": sum(before.values()),
        "events_after": sum(after.values()),
        "acked_writes": sum(tally.acked.values()),
        "lost_writes": lost,
        "error_samples": tally.error_samples,
    }


def report(fig: dict[str, Any]) -> None:
    """Print one backend's figures."""
    print(
        f"\n== {fig['backend']}: {fig['users']} users, {fig['seconds']} s wall, "
        f"server CPU {fig['server_cpu_s']} s, think ~{fig['think_s']} s"
    )
    print(
        f"{'kind':<14}{'requests':>9}{'errors':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}"
        f"{'req/s':>8}"
    )
    for kind, k in fig["kinds"].items():
        print(
            f"{kind:<14}{k['requests']:>9}{k['errors']:>8}{k['p50_ms']:>9}{k['p95_ms']:>9}"
            f"{k['p99_ms']:>9}{k['per_s']:>8}"
        )
    print(
        f"writes: {fig['acked_writes']} acknowledged, {fig['conflicts_409']} got 409; "
        f"events {fig['events_before']} → {fig['events_after']}; lost {fig['lost_writes']}"
    )
    for sample in fig["error_samples"]:
        print("  error:", sample)


def main(argv: list[str] | None = None) -> int:
    """Parse the options, run each backend, print and save the figures."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--users", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=120)
    ap.add_argument("--think", type=float, default=1.0, help="mean pause between a user's acts")
    ap.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    ap.add_argument(
        "--profile", action="store_true", help="py-spy the server: benchmarks/out/load-*.stacks"
    )
    ap.add_argument(
        "--from-db", type=Path, help="SQLite: copy this demo store (tuban demo --no-serve --db)"
    )
    ap.add_argument("--out", type=Path, default=REPO / "benchmarks" / "out" / "load.json")
    args = ap.parse_args(argv)
    backends = ("sqlite", "postgresql") if args.backend == "both" else (args.backend,)
    figures = []
    for backend in backends:
        from_db = args.from_db if backend == "sqlite" else None
        fig = run_backend(backend, args.users, args.seconds, args.think, args.profile, from_db)
        report(fig)
        figures.append(fig)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(figures, ensure_ascii=False, indent=1))
    return 1 if any(f["lost_writes"] for f in figures) else 0


if __name__ == "__main__":
    sys.exit(main())
