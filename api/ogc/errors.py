"""Errors under /ogc as OGC API - Features answers them: ``{"code", "description"}`` with the
status of the error (400 for a bad parameter, 401, 404 for an unknown collection or item)."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException

from api.errors import STATUS_CODES
from geo.errors import TubanError

CODES = {
    400: "InvalidParameterValue",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    405: "MethodNotAllowed",
    409: "Conflict",
    412: "PreconditionFailed",
    413: "PayloadTooLarge",
    415: "UnsupportedMediaType",
}


class PreconditionFailed(TubanError):
    """An edit's If-Match names a version the feature no longer has (HTTP 412)."""

    code = "PRECONDITION_FAILED"


class TooLarge(TubanError):
    """A request body past the limit (HTTP 413)."""

    code = "PAYLOAD_TOO_LARGE"


class UnsupportedType(TubanError):
    """A request body in a media type /ogc does not take (HTTP 415)."""

    code = "UNSUPPORTED_MEDIA_TYPE"


_OWN = {PreconditionFailed: 412, TooLarge: 413, UnsupportedType: 415}


def ogc_error(status: int, description: str, **headers: str) -> JSONResponse:
    """An OGC exception document (its ``code`` named after the status)."""
    body = {"code": CODES.get(status, "ServerError"), "description": description}
    return JSONResponse(body, status_code=status, headers=headers or None)


def _status(exc: TubanError) -> int:
    if type(exc) in _OWN:
        return _OWN[type(exc)]
    for cls in type(exc).__mro__:
        if cls in STATUS_CODES:
            return 400 if STATUS_CODES[cls] == 422 else STATUS_CODES[cls]
    return 500


class OgcRoute(APIRoute):
    """A route answering its errors (its dependencies' too) as OGC exception documents."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        """The route's handler, its errors turned into OGC exception documents."""
        inner = super().get_route_handler()

        async def handler(request: Request) -> Response:
            try:
                return await inner(request)
            except TubanError as exc:
                status = _status(exc)
                if status == 401:  # a client may then ask its user for a key or a login
                    return ogc_error(401, exc.message, **{"WWW-Authenticate": "Bearer"})
                return ogc_error(status, exc.message)
            except RequestValidationError as exc:
                first = exc.errors()[0] if exc.errors() else {"loc": (), "msg": ""}
                where = ".".join(str(p) for p in first["loc"][1:])
                return ogc_error(400, f"请求参数有误：{where} {first['msg']}")
            except HTTPException as exc:
                return ogc_error(exc.status_code, str(exc.detail))

        return handler
