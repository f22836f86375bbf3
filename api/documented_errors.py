"""The error answers each operation documents in the OpenAPI schema, in the one envelope.

A route declares what its own code answers (``responses=errors(409)`` for a conflict, 403 for a
role it refuses, 404 for a year named in the query), and the signed-in routers 401.
``document_answers`` adds to the schema what answers before any route, so that the schema a
client (or Schemathesis) reads lists every status it can get:

- every operation: 422, from the input guard (``api.input_guard``) and request validation,
  in the envelope (FastAPI would document its own ``{"detail": …}`` shape, which Tuban never
  sends);
- a path parameter names something (an id, a year, a file): 404 when there is none;
- a write: 400 for a body that cannot be parsed, 413 from the request gate's size ceiling and,
  but for signing in, 401 and 403 from the gate (no session; a forged cross-site write).

It also writes down the range ``api.input_guard.checked_params`` holds every integer path and
query parameter to (the store's 32-bit columns), where the parameter declares none narrower, so
that a value the schema calls valid is not refused with 422.

Unexpected failures (500) are not documented: they are bugs. Nor is the gate's answer to a GET
that carries a body (it is checked like a write): no read takes one, so no client sends it.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel

from api.request_gate import BODYLESS, SIGN_IN
from geo.inputs import MAX_COUNT


class ErrorDetail(BaseModel):
    """What went wrong: a stable code, a message to show (in the ``Accept-Language`` asked for:
    English when preferred, else zh-CN), its catalog id (null while it has none) and structured
    details."""

    code: str
    message: str
    message_id: str | None = None
    details: dict[str, Any]


class ErrorPublic(BaseModel):
    """Every failure's body (``api.errors.envelope``)."""

    error: ErrorDetail


MEANINGS = {
    400: "请求无法处理：正文无法解析，或文件、取值不可用（details 说明原因）",
    401: "未登录，或会话已过期、已注销",
    403: "当前角色无权执行该操作，或跨站请求被拒绝",
    404: "所指对象不存在（或对当前用户不可见）",
    409: "与当前状态冲突：版本已变、操作不适用于当前状态，或重复",
    413: "请求内容超过上限",
    422: "请求参数有误（details.problems 逐项说明）",
    429: "尝试次数过多：按 Retry-After 秒数等待后再试",
}
REF = "#/components/schemas/"


ENVELOPE = {"application/json": {"schema": {"$ref": REF + ErrorPublic.__name__}}}


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """``responses=`` entries documenting ``statuses`` with the error envelope.

    As JSON by name, not as a model: FastAPI would document a model in the route's own media
    type (text/html for a page, application/pdf for a file), while failures are always JSON.
    """
    return {s: {"description": MEANINGS[s], "content": ENVELOPE} for s in statuses}


def _answers(path: str, method: str) -> list[int]:
    found = {422}
    if "{" in path:
        found.add(404)
    if method.upper() not in BODYLESS:
        found |= {400, 413} if path == SIGN_IN else {400, 401, 403, 413}
    return sorted(found)


def _add_envelope(schema: dict[str, Any]) -> None:
    """The envelope's schema among ``schema``'s components (``errors`` refers to it by name)."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    if ErrorPublic.__name__ not in components:
        doc = ErrorPublic.model_json_schema(ref_template=REF + "{model}")
        components.update(doc.pop("$defs", {}))
        components[ErrorPublic.__name__] = doc


def _bound_integers(op: dict[str, Any]) -> None:
    """The 32-bit range on each integer path and query parameter of ``op`` without its own."""
    for param in op.get("parameters", []):
        if param.get("in") not in ("path", "query"):
            continue
        schema = param.get("schema", {})
        for alt in [schema, *schema.get("anyOf", [])]:
            if alt.get("type") == "integer":
                alt.setdefault("minimum", -MAX_COUNT - 1)
                alt.setdefault("maximum", MAX_COUNT)


def add_answers(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` (an OpenAPI document of the app) with the answers of the gates added."""
    _add_envelope(schema)
    for path, operations in schema.get("paths", {}).items():
        for method, op in operations.items():
            _bound_integers(op)
            responses = op.setdefault("responses", {})
            default_422 = "HTTPValidationError" in str(responses.get("422", ""))
            for status in _answers(path, method):
                if str(status) not in responses or (status == 422 and default_422):
                    responses[str(status)] = errors(status)[status]
    if "HTTPValidationError" not in str(schema["paths"]):  # FastAPI's 422 shape, now unused
        for name in ("HTTPValidationError", "ValidationError"):
            schema["components"]["schemas"].pop(name, None)
    return schema


def document_answers(app: FastAPI) -> None:
    """Make ``app.openapi`` document the gates' answers (see above) on top of FastAPI's own."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        return add_answers(generate())  # FastAPI caches the document; adding is idempotent

    app.openapi = openapi  # type: ignore[method-assign]
