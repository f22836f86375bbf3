"""The gate in front of every API write: who, from where and how big, before the body is read.

A pure ASGI middleware, so that nothing (no form parser, no spooled temporary file) touches the body
of a request that will be refused anyway. For a request to ``/api/…`` that may carry a body:

1. a write authenticated by the cookie alone must come from Tuban's own origin (``api.csrf``): 403;
2. outside sign-in, the session token must be valid (``api.security.bearer_token``'s rule, the
   store's ``user_for_token``): 401;
3. a declared ``Content-Length`` above the route's ceiling: 413 at once;
4. a body without a declared length is counted as it streams in and cut off at the ceiling: 413.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import anyio
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse

from api.csrf import forged_origin
from api.errors import envelope, language
from api.security import bearer_token
from geo.messages import Msg, msg
from storage.users import AuthError

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

SIGN_IN = "/api/auth/login"
BODYLESS = frozenset({"GET", "HEAD", "OPTIONS"})
# Routes taking a whole layer (batches, also as a job; reference layers) and routes taking one
# file.
LAYER_ROUTES = re.compile(r"^/api/(batches|references|jobs/import)/?$")
FILE_ROUTES = re.compile(
    r"^/api/(cases/[^/]+/photos|indicator-notes/[^/]+/[^/]+/[^/]+/evidence|province-checks)/?$"
)


def ceiling(path: str, settings: Any) -> int:
    """The most bytes a request body to ``path`` may have, from the settings."""
    if LAYER_ROUTES.match(path):
        return int(settings.max_upload_mb) << 20
    if FILE_ROUTES.match(path):
        return int(settings.max_file_mb) << 20
    return int(settings.max_json_kb) << 10


def _size(limit: int) -> str:
    return f"{limit >> 20} MB" if limit >= 1 << 20 else f"{limit >> 10} KB"


def too_large(path: str, limit: int) -> Msg:
    """The message of a 413: what was too big, where, and the limit."""
    return msg("request.too_large", path=path, limit=_size(limit))


def _refusal(status: int, code: str, message: Msg, scope: Scope) -> JSONResponse:
    # Nothing of the body was read: the connection cannot be reused, so ask the client to close it.
    body = envelope(code, message, lang=language(Request(scope)))
    return JSONResponse(body, status_code=status, headers={"Connection": "close"})


class RequestGate:
    """ASGI middleware refusing unauthenticated, forged or oversized API writes unread."""

    def __init__(self, app: ASGIApp) -> None:
        """Wrap ``app`` (the FastAPI app's inner stack); settings come from the app's state."""
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check the request's head; pass it on with a counted body, or answer it unread."""
        if scope["type"] != "http" or not scope["path"].startswith("/api/"):
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        if request.method in BODYLESS and not _declares_body(request):
            await self.app(scope, receive, send)
            return
        limit = ceiling(scope["path"], scope["app"].state.settings)
        refusal = await _check_head(request, limit)
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        await self._pass_counted(scope, receive, send, limit)

    async def _pass_counted(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        started = False
        received = 0

        async def counted_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # FastAPI lets an HTTPException out of its body parsing unchanged (anything
                    # else becomes a 400), so the app's own handler answers it in the envelope.
                    raise HTTPException(413, too_large(scope["path"], limit).text())
            return message

        async def watched_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted_receive, watched_send)
        except HTTPException as exc:
            if exc.status_code != 413 or started:
                raise
            refusal = _refusal(413, "PAYLOAD_TOO_LARGE", too_large(scope["path"], limit), scope)
            await refusal(scope, receive, send)


def _declares_body(request: Request) -> bool:
    headers = request.headers
    return "transfer-encoding" in headers or headers.get("content-length", "0") not in ("", "0")


async def _check_head(request: Request, limit: int) -> JSONResponse | None:
    """The refusal this request's head earns (CSRF, no session, declared size), or None."""
    # Signing in is the one write that needs no session: it neither leans on the cookie nor on
    # a token, so only its size is checked.
    if request.url.path != SIGN_IN:
        foreign = forged_origin(request)
        if foreign is not None:
            where = foreign or msg("forbidden.unknown_origin")
            said = msg("forbidden.csrf", origin=where)
            return _refusal(403, "CSRF_REFUSED", said, request.scope)
        unknown = await _session_problem(request)
        if unknown is not None:
            return _refusal(401, "AUTH_REQUIRED", unknown, request.scope)
    declared = request.headers.get("content-length", "")
    if declared and (not declared.isdigit() or int(declared) > limit):
        return _refusal(413, "PAYLOAD_TOO_LARGE", too_large(request.url.path, limit), request.scope)
    return None


async def _session_problem(request: Request) -> Msg | None:
    """Why the request has no live session (the message of the 401), or None when it has one; the
    token is looked up off the event loop."""
    token = bearer_token(request)
    if not token:
        return msg("auth.sign_in")
    state = request.app.state
    try:
        user = await anyio.to_thread.run_sync(
            lambda: state.users.user_for_token(token, now=state.clock())
        )
    except AuthError as exc:
        return exc.msg or msg("auth.expired")
    # The route's current_user takes this instead of asking the store a second time.
    request.state.gate_user = (token, user)
    return None
