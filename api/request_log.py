"""The access log: one structured record per request on the ``tuban.access`` logger.

A pure ASGI middleware (no body buffering, no extra task per request). Each request gets an
id: the caller's ``X-Request-ID`` when it is a short safe token, else a fresh one; it is echoed
in the response header so a user's complaint can be found in the log. The record names the
route template (``/api/cases/{case_id}``), never the raw path with its query string, and the
signed-in user's name, never a token, cookie, password or body.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from runtime.logging import ACCESS_LOGGER

REQUEST_ID_HEADER = "x-request-id"
# Letters, digits and . _ - only, at most 64: safe in a header and in a log line.
_SAFE_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")

log = logging.getLogger(ACCESS_LOGGER)


def request_id_of(headers: list[tuple[bytes, bytes]]) -> str:
    """The caller's request id when it is a short safe token, else a new random one."""
    for name, value in headers:
        if name.lower() == REQUEST_ID_HEADER.encode():
            given = value.decode("latin-1")
            if _SAFE_ID.fullmatch(given):
                return given
            break
    return uuid.uuid4().hex


def route_of(scope: Scope) -> str:
    """The matched route's template, the static mount's prefix, or ``-`` when none matched."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    if isinstance(path, str):
        return path or "/"
    return "-"


def user_of(scope: Scope) -> str | None:
    """The signed-in user's name, which ``api.security.current_user`` leaves in the state."""
    state = scope.get("state")
    user = state.get("username") if isinstance(state, dict) else None
    return user if isinstance(user, str) else None


class RequestLog:
    """ASGI middleware writing the access log and the ``X-Request-ID`` response header."""

    def __init__(self, app: ASGIApp) -> None:
        """Wrap ``app``."""
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve the request, timing it and counting the response's bytes."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        rid = request_id_of(scope.get("headers", []))
        scope.setdefault("state", {})["request_id"] = rid
        seen: dict[str, Any] = {"status": 500, "bytes": 0}

        async def send_logged(message: Message) -> None:
            if message["type"] == "http.response.start":
                seen["status"] = message["status"]
                headers = list(message.get("headers", []))
                headers.append((REQUEST_ID_HEADER.encode(), rid.encode()))
                message = {**message, "headers": headers}
            elif message["type"] == "http.response.body":
                seen["bytes"] += len(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, send_logged)
        finally:
            _write(scope, rid, seen, started)


def _write(scope: Scope, rid: str, seen: dict[str, Any], started: float) -> None:
    fields = {
        "request_id": rid,
        "user": user_of(scope),
        "method": scope.get("method"),
        "route": route_of(scope),
        "status": seen["status"],
        "duration_ms": round((time.perf_counter() - started) * 1000, 1),
        "bytes": seen["bytes"],
    }
    log.info(
        "%s %s %s", fields["method"], fields["route"], fields["status"], extra={"fields": fields}
    )
