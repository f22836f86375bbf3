"""The request guard: every string and number a request carries is checked before any route.

Field rules (lengths of names and notes, money, dates) belong to the models and geo.inputs; this
guard holds the line no field may cross, for every operation at once, including the
unauthenticated login: no NUL (PostgreSQL cannot store it and answers 500), no lone surrogate
(no encoding can write it), no bidi override or control character in a path or query, no string
longer than ``MAX_STRING``, no JSON number outside int64 or not finite. A request that crosses it
gets the usual 422 envelope and never reaches a route or the store.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl, unquote

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import envelope, language
from geo.inputs import INT64_MAX, INT64_MIN, MAX_COUNT, MAX_NOTE, text_problem
from geo.messages import msg

# The longest string any field takes: goal documents carry the longest texts (a few thousand
# characters); ten times the longest note leaves room without letting megabytes through.
MAX_STRING = 10 * MAX_NOTE
_DIGITS = re.compile(r"[+-]?\d+")
_FORM_TYPES = ("application/x-www-form-urlencoded",)


class Refused(ValueError):
    """A value the guard refuses, and where it was (``path``, ``query.x``, ``body.note``)."""

    def __init__(self, where: str, problem: str) -> None:
        super().__init__(f"{where}：{problem}")
        self.where = where
        self.problem = problem


def _check_string(where: str, s: str, *, multiline: bool) -> None:
    problem = text_problem(s, max_len=MAX_STRING, multiline=multiline)
    if problem:
        raise Refused(where, problem)


def _check_int_text(where: str, s: str) -> None:
    """A path segment or query value written as an integer must fit in 64 bits (ids, pages)."""
    if _DIGITS.fullmatch(s) and not INT64_MIN <= int(s) <= INT64_MAX:
        raise Refused(where, "整数超出范围（64 位）")


def _walk(where: str, value: Any) -> Iterator[tuple[str, Any]]:
    stack = [(where, value)]
    while stack:
        at, v = stack.pop()
        if isinstance(v, dict):
            for k, item in v.items():
                yield f"{at}.{k}", k
                stack.append((f"{at}.{k}", item))
        elif isinstance(v, list):
            stack.extend((f"{at}[{i}]", item) for i, item in enumerate(v))
        else:
            yield at, v


def check_json(where: str, doc: Any) -> None:
    """Every string, key and number in a JSON document (raises ``Refused``). Free text in a body
    may hold line breaks and tabs; everything else ``geo.inputs.text_problem`` refuses."""
    for at, v in _walk(where, doc):
        if isinstance(v, str):
            _check_string(at, v, multiline=True)
        elif isinstance(v, bool) or v is None:
            continue
        elif isinstance(v, int) and not INT64_MIN <= v <= INT64_MAX:
            raise Refused(at, "整数超出范围（64 位）")
        elif isinstance(v, float) and not math.isfinite(v):
            raise Refused(at, "数字应为有限值（不接受 NaN、Infinity 或超出范围的数）")


def check_params(where: str, pairs: list[tuple[str, str]]) -> None:
    """Query or form fields: one-line text, integers within 64 bits (raises ``Refused``)."""
    for key, value in pairs:
        at = f"{where}.{key[:40]}"
        _check_string(at, key, multiline=False)
        _check_string(at, value, multiline=where == "form")
        _check_int_text(at, value)


def check_path(path: str) -> None:
    """The decoded path: one-line text, each integer segment within 64 bits."""
    _check_string("path", path, multiline=False)
    for segment in re.split(r"[/.]", path):
        _check_int_text("path", segment)


def _query_pairs(scope: Scope) -> list[tuple[str, str]]:
    # As Starlette decodes it: latin-1 bytes, then UTF-8 with replacement, so a broken byte
    # becomes U+FFFD, never a surrogate; a %00 stays a NUL, which is refused.
    return parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)


def _content_type(scope: Scope) -> str:
    for name, value in scope.get("headers", []):
        if name == b"content-type":
            return value.decode("latin-1").split(";")[0].strip().lower()
    return ""


def _is_json(kind: str) -> bool:
    # What FastAPI reads as JSON: any media type whose subtype is json or ends in +json.
    subtype = kind.partition("/")[2]
    return subtype == "json" or subtype.endswith("+json")


def _refusal(exc: Refused, scope: Scope) -> JSONResponse:
    problems = [{"field": exc.where, "message": exc.problem}]
    said = msg("request.invalid", field=exc.where, problem=exc.problem)
    body = envelope("VALIDATION_ERROR", said, {"problems": problems}, lang=language(Request(scope)))
    return JSONResponse(body, status_code=422)


def _check_body(kind: str, body: bytes) -> None:
    if _is_json(kind) and body.strip():
        try:
            # Python's parser keeps what JSON forbids or a store cannot hold (NaN, 1e400 as
            # inf, 2**70, "\ud800"), so each can be named and refused here.
            doc = json.loads(body)
        except RecursionError:
            raise Refused("body", "JSON 嵌套层数过多") from None
        except ValueError:
            return  # not JSON: FastAPI answers 422 for it itself
        check_json("body", doc)
    elif kind in _FORM_TYPES:
        check_params("form", parse_qsl(body.decode("latin-1"), keep_blank_values=True))


class InputGuard:
    """ASGI middleware applying the guard to the path, the query and JSON or form bodies (an
    upload's multipart body is left to the upload checks)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer 422 for a refused request; pass any other on, its body replayed unchanged."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        kind = _content_type(scope)
        messages: list[Message] = []
        try:
            check_path(unquote(scope.get("raw_path", b"").decode("latin-1")) or scope["path"])
            check_params("query", _query_pairs(scope))
            if _is_json(kind) or kind in _FORM_TYPES:
                messages = await _read_all(receive)
                _check_body(kind, b"".join(m.get("body", b"") for m in messages))
        except Refused as exc:
            await _refusal(exc, scope)(scope, receive, send)
            return
        await self.app(scope, _replay(messages, receive) if messages else receive, send)


async def _read_all(receive: Receive) -> list[Message]:
    messages = []
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request" or not message.get("more_body", False):
            return messages


def _replay(messages: list[Message], receive: Receive) -> Receive:
    pending = list(messages)

    async def replay() -> Message:
        return pending.pop(0) if pending else await receive()

    return replay


def _declared_ints(request: Request) -> list[tuple[str, str, str]]:
    """(where, name, raw text) of each path and query parameter the route declares an int."""
    out = []
    pending = [getattr(request.scope.get("route"), "dependant", None)]
    while pending:  # the route's own parameters and those of its dependencies (paging, …)
        dependant = pending.pop()
        if dependant is None:
            continue
        pending.extend(dependant.dependencies)
        for where, params, values in (
            ("path", dependant.path_params, request.path_params),
            ("query", dependant.query_params, request.query_params),
        ):
            for p in params:
                raw = values.get(p.alias)
                if raw is not None and "int" in str(p.field_info.annotation):
                    out.append((where, p.alias, str(raw)))
    return out


async def checked_params(request: Request) -> None:
    """An app-wide dependency, run once the route is known: each path or query integer the route
    declares fits the store's 32-bit columns (ids, years, pages), so an out-of-range one is a
    422, not a PostgreSQL error answered as 500; and the text fields of a multipart form (an
    upload's programme, authority, …), which the middleware leaves alone, pass the guard."""
    for where, name, raw in _declared_ints(request):
        if _DIGITS.fullmatch(raw.strip()) and not -MAX_COUNT - 1 <= int(raw) <= MAX_COUNT:
            msg = f"应在 {-MAX_COUNT - 1} 到 {MAX_COUNT} 之间（整数超出范围）"
            raise RequestValidationError(
                [{"loc": (where, name), "msg": msg, "type": "value_error"}]
            )
    if _content_type(request.scope) == "multipart/form-data":
        form = await request.form()  # already parsed for the route: Starlette keeps it
        fields = [(k, v) for k, v in form.multi_items() if isinstance(v, str)]
        try:
            check_params("form", fields)
        except Refused as exc:
            loc = tuple(exc.where.split(".", 1))
            raise RequestValidationError(
                [{"loc": loc, "msg": exc.problem, "type": "value_error"}]
            ) from None
