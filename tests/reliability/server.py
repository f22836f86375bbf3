"""A real ``tuban serve`` process on 127.0.0.1 over a prepared store, to kill -9 and restart.

The crash checks (``tests/reliability/scenarios.py``) and ``benchmarks/reliability_report.py``
share it. Every wait is bounded; the process is always killed in the end.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text

from runtime.compose import Services, build
from runtime.settings import Settings

PG_URL = os.environ.get("TUBAN_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
ADMIN = "crash-admin"
PASSWORD = "Crash-test: 7 rivers, 3 bridges!"
START_TIMEOUT_S = 90


@contextmanager
def store_url(backend: str, tmp: Path) -> Iterator[str]:
    """A fresh store of ``backend``: a SQLite file in ``tmp`` or a throwaway PostgreSQL schema."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp / 'crash.sqlite'}"
        return
    schema = f"crash_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{PG_URL}?options=-csearch_path%3D{schema}%2Cpublic"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def settings_for(url: str, tmp: Path) -> Settings:
    """Settings of the store at ``url`` with its files under ``tmp``."""
    return Settings(database_url=url, photos_dir=tmp / "photos", reports_dir=tmp / "reports")


def open_services(url: str, tmp: Path) -> Services:
    """The stores, opened in this process (the test's view of what the server left behind)."""
    return build(settings_for(url, tmp))


def add_admin(services: Services) -> None:
    """The account the checks sign in with."""
    services.users.add(
        username=ADMIN,
        display_name="崩溃测试",
        password=PASSWORD,
        roles=["admin"],
        by="test",
        now=services.clock(),
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    """One ``tuban serve`` process; ``start`` after ``kill`` restarts it on the same store."""

    url: str
    tmp: Path
    proc: subprocess.Popen[bytes] | None = None
    port: int = 0

    @property
    def base(self) -> str:
        """The server's base URL."""
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Server:
        """Start the server and wait until /readyz answers 200."""
        self.port = _free_port()
        env = {
            **os.environ,
            "TUBAN_DATABASE_URL": self.url,
            "TUBAN_PHOTOS_DIR": str(self.tmp / "photos"),
            "TUBAN_REPORTS_DIR": str(self.tmp / "reports"),
            "TUBAN_LOG_LEVEL": "WARNING",
            "TUBAN_ACCESS_LOG": str(self.tmp / "access.jsonl"),
            # The import's work in the server process itself, so its CPU time says when the
            # import is under way (forked workers' time would not show in it).
            "TUBAN_IMPORT_WORKERS": "1",
        }
        cmd = [sys.executable, "-m", "tuban_cli.main", "serve", "--port", str(self.port)]
        err = open(self.tmp / "server.err", "ab")  # noqa: SIM115 - closed with the process
        self.proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=err)
        err.close()
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"tuban serve exited {self.proc.returncode}: {self.tmp}")
            try:
                if httpx.get(self.base + "/readyz", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.kill()
        raise RuntimeError(f"tuban serve not ready within {START_TIMEOUT_S} s")

    def kill(self) -> None:
        """kill -9, and reap the process."""
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
        if self.proc is not None:
            self.proc.wait(timeout=30)

    def client(self, timeout: float = 60) -> httpx.Client:
        """A client signed in as the admin (bearer token)."""
        client = httpx.Client(base_url=self.base, timeout=timeout)
        r = client.post("/api/auth/login", json={"username": ADMIN, "password": PASSWORD})
        r.raise_for_status()
        client.headers["Authorization"] = f"Bearer {r.json()['token']}"
        client.cookies.clear()
        return client


@contextmanager
def running(url: str, tmp: Path) -> Iterator[Server]:
    """A started server that is killed on exit whatever happens."""
    server = Server(url, tmp)
    try:
        yield server.start()
    finally:
        server.kill()


def _stat(pid: str) -> list[str] | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return None


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds so far of a process and its live descendants (Linux /proc):
    an import may run its stages in forked children."""
    parents: dict[int, int] = {}
    ticks: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (fields := _stat(entry.name)) is not None:
            parents[int(entry.name)] = int(fields[1])
            ticks[int(entry.name)] = int(fields[11]) + int(fields[12])
    tree, total = {pid}, 0
    for p in sorted(parents):  # children have higher pids than their parents, mostly
        if p in tree or parents[p] in tree:
            tree.add(p)
            total += ticks[p]
    return total / os.sysconf("SC_CLK_TCK")


def wait_busy(server: Server, cpu: float, timeout: float) -> bool:
    """Wait until the server has burnt ``cpu`` more CPU seconds (it is inside the work), or
    ``timeout``; True when it got busy."""
    assert server.proc is not None
    start = cpu_seconds(server.proc.pid)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cpu_seconds(server.proc.pid) - start >= cpu:
            return True
        time.sleep(0.02)
    return False


def json_of(r: httpx.Response) -> Any:
    """The JSON body, or the text when it is not JSON (for failure messages)."""
    try:
        return r.json()
    except ValueError:
        return r.text
