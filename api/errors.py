"""One error envelope for every failure, and one table from Tuban errors to HTTP statuses."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from geo import errors as e
from geo.messages import Lang, Msg, msg, pick_language
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


def envelope(
    code: str,
    message: str | Msg,
    details: dict | None = None,
    *,
    lang: Lang = "zh",
    message_id: str | None = None,
) -> dict:
    """The body every failure answers with: ``{"error": {"code", "message", "message_id",
    "details"}}``; a catalog message is written in ``lang`` and names its id."""
    if isinstance(message, Msg):
        message_id, message = message.id, message.text(lang)
    body = {"code": code, "message": message, "message_id": message_id}
    return {"error": {**body, "details": to_jsonable(details or {})}}


def language(request: Request) -> Lang:
    """The language the request asks its messages in (``Accept-Language``; zh-CN unless English
    is preferred)."""
    return pick_language(request.headers.get("accept-language"))


def _status_for(exc: e.TubanError) -> int:
    for cls in type(exc).__mro__:
        if cls in STATUS_CODES:
            return STATUS_CODES[cls]
    return 500


async def _tuban_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, e.TubanError)
    lang = language(request)
    # Read options named as the web form and the API's multipart fields name them.
    told = exc.told("web", lang)
    body = envelope(exc.code, told, exc.details, lang=lang, message_id=exc.message_id)
    return JSONResponse(body, status_code=_status_for(exc))


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = [
        {"field": ".".join(str(p) for p in err["loc"][1:]), "message": err["msg"]}
        for err in exc.errors()
    ]
    first = problems[0] if problems else {"field": "", "message": ""}
    said = msg("request.invalid", field=first["field"], problem=first["message"])
    body = envelope("VALIDATION_ERROR", said, {"problems": problems}, lang=language(request))
    return JSONResponse(body, status_code=422)


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
