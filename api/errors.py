"""One error envelope for every failure, and one table from Tuban errors to HTTP statuses."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from geo import errors as e
from geo.model import to_jsonable
from reports.document import ReportDocError
from storage.users import AuthError, Forbidden

STATUS_CODES: dict[type[e.TubanError], int] = {
    e.NotFound: 404,
    e.ImportError_: 400,
    e.DuplicateBatch: 409,
    e.InvalidTransition: 409,
    e.VersionConflict: 409,
    e.InvalidPayload: 422,
    e.UnknownMetric: 400,
    e.Conflict: 409,
    ReportDocError: 500,  # a malformed report document is an engine bug, not user input
    AuthError: 401,
    Forbidden: 403,
}


def envelope(code: str, message: str, details: dict | None = None) -> dict:
    """The body every failure answers with: ``{"error": {"code", "message", "details"}}``."""
    return {"error": {"code": code, "message": message, "details": to_jsonable(details or {})}}


def _status_for(exc: e.TubanError) -> int:
    for cls in type(exc).__mro__:
        if cls in STATUS_CODES:
            return STATUS_CODES[cls]
    return 500


async def _tuban_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, e.TubanError)
    # Read options named as the web form and the API's multipart fields name them.
    body = envelope(exc.code, exc.told("web"), exc.details)
    return JSONResponse(body, status_code=_status_for(exc))


async def _validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = [
        {"field": ".".join(str(p) for p in err["loc"][1:]), "message": err["msg"]}
        for err in exc.errors()
    ]
    first = problems[0] if problems else {"field": "", "message": ""}
    msg = f"请求参数有误：{first['field']} {first['message']}"
    return JSONResponse(envelope("VALIDATION_ERROR", msg, {"problems": problems}), status_code=422)


async def _http_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = "NOT_FOUND" if exc.status_code == 404 else f"HTTP_{exc.status_code}"
    # Its headers are part of the answer: a 405's Allow names the methods the path takes.
    return JSONResponse(
        envelope(code, str(exc.detail)), status_code=exc.status_code, headers=exc.headers
    )


def add_exception_handlers(app: FastAPI) -> None:
    """Answer Tuban errors (status from STATUS_CODES, else 500), request validation errors (422) and
    HTTP errors in the one envelope."""
    app.add_exception_handler(e.TubanError, _tuban_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
