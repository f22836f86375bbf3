"""Uploads are checked before they cost: no session, or a body over the route's ceiling, is refused
before a byte of the body is read, through the ASGI stack and through a real server."""

from __future__ import annotations

import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import anyio
import pytest
import uvicorn

from tests.api.conftest import PASSWORD, token_for, upload

MB = 1 << 20


class Wire:
    """A client's side of one ASGI request: a body of ``chunks`` pieces (more as long as asked for
    when ``endless``), and what was read of it and answered."""

    def __init__(self, chunk: bytes, chunks: int, *, endless: bool = False) -> None:
        self.chunk, self.left, self.endless = chunk, chunks, endless
        self.read = 0
        self.status: int | None = None
        self.body = b""

    async def receive(self) -> dict:
        if self.left <= 0 and not self.endless:
            return {"type": "http.disconnect"}
        self.left -= 1
        self.read += len(self.chunk)
        return {"type": "http.request", "body": self.chunk, "more_body": True}

    async def send(self, message: dict) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
        elif message["type"] == "http.response.body":
            self.body += message.get("body", b"")


def _call(app, path: str, headers: dict[str, str], wire: Wire, method: str = "POST") -> Wire:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }
    # A thread of its own: a browser test earlier in the session may hold this thread's event loop.
    with ThreadPoolExecutor(max_workers=1) as worker:
        worker.submit(anyio.run, app, scope, wire.receive, wire.send).result()
    return wire


MULTIPART = {"host": "testserver", "content-type": "multipart/form-data; boundary=xyz"}


def _bearer(app) -> str:
    token, _ = app.state.users.login("admin", PASSWORD, now=app.state.clock())
    return f"Bearer {token}"


def test_an_anonymous_upload_is_refused_before_its_body_is_read(app):
    wire = Wire(b"x" * MB, 300)
    _call(app, "/api/batches", {**MULTIPART, "content-length": str(300 * MB)}, wire)
    assert wire.status == 401
    assert wire.read == 0
    assert "请先登录".encode() in wire.body


def test_a_declared_length_over_the_ceiling_is_refused_unread(app):
    auth = {**MULTIPART, "authorization": _bearer(app)}
    for path, declared in (
        ("/api/batches", 300 * MB),
        ("/api/cases/1/photos", 31 * MB),
        ("/api/users", 2 * MB),
    ):
        wire = Wire(b"x" * MB, 300)
        _call(app, path, {**auth, "content-length": str(declared)}, wire)
        assert (path, wire.status, wire.read) == (path, 413, 0)
        assert "最多接受".encode() in wire.body


def test_a_body_without_length_is_cut_off_at_the_ceiling(app, tmp_path, monkeypatch):
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    app.state.settings.max_upload_mb = 2
    chunked = {**MULTIPART, "authorization": _bearer(app), "transfer-encoding": "chunked"}
    head = b'--xyz\r\nContent-Disposition: form-data; name="file"; filename="a.geojson"\r\n\r\n'
    wire = Wire(head + b"x" * (64 << 10), 0, endless=True)
    _call(app, "/api/batches", chunked, wire)
    assert wire.status == 413
    assert wire.read <= 2 * MB + (65 << 10)
    json_wire = Wire(b"[" * (64 << 10), 0, endless=True)
    _call(app, "/api/users", {**chunked, "content-type": "application/json"}, json_wire)
    assert json_wire.status == 413
    assert json_wire.read <= MB + (65 << 10)


def test_uploads_within_the_ceiling_still_work(client, squares_gpkg):
    assert upload(client, squares_gpkg).status_code == 201


def test_a_write_looks_its_session_up_once(app, client, squares_gpkg, monkeypatch):
    """The gate's lookup serves the route too: one store query per request, not two."""
    users = app.state.users
    calls = []
    real = users.user_for_token

    def counted(token, *, now):
        calls.append(token)
        return real(token, now=now)

    monkeypatch.setattr(users, "user_for_token", counted)
    assert upload(client, squares_gpkg).status_code == 201
    assert len(calls) == 1
    calls.clear()
    assert client.get("/api/batches").status_code == 200  # a read: only the route looks it up
    assert len(calls) == 1


def test_sign_in_needs_no_session_but_is_bounded(anon):
    assert token_for(anon, "viewer")
    r = anon.post("/api/auth/login", content=b"{" + b" " * (2 * MB) + b"}")
    assert r.status_code == 413


@pytest.fixture
def server(app):
    """The app behind a real uvicorn on a free loopback port; yields the port."""
    config = uvicorn.Config(app, host="127.0.0.1", port=0, lifespan="off", log_level="warning")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert srv.started
    yield srv.servers[0].sockets[0].getsockname()[1]
    srv.should_exit = True
    thread.join(10)


def _raw_post(port: int, extra: str) -> bytes:
    head = (
        "POST /api/batches HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Content-Type: multipart/form-data; boundary=xyz\r\nContent-Length: {300 * MB}\r\n"
        f"{extra}\r\n"
    )
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(head.encode() + b"--xyz\r\n")
        return sock.recv(4096)


def test_a_real_server_answers_before_the_body_is_sent(app, server):
    assert _raw_post(server, "").startswith(b"HTTP/1.1 401")
    answer = _raw_post(server, f"Authorization: {_bearer(app)}\r\n")
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
