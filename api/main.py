"""The FastAPI application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from anyio import to_thread
from fastapi import Depends, FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.middleware.gzip import GZipMiddleware

from api import assets
from api.documented_errors import document_answers, errors
from api.errors import add_exception_handlers
from api.headers import SecurityHeaders
from api.input_guard import InputGuard, checked_params
from api.ogc import edits as ogc_edits
from api.ogc import routes as ogc
from api.ogc import tiles as ogc_tiles
from api.request_gate import RequestGate
from api.request_log import RequestLog
from api.routes import (
    auth,
    basemap,
    batches,
    budget,
    cases,
    docs_ui,
    dossier,
    enforcements,
    exports,
    goals,
    health,
    indicators,
    jobs,
    meta,
    notes,
    offline,
    patrol,
    photos,
    references,
    tiles,
    users,
    webmap,
    work,
)
from api.security import current_user
from runtime.compose import Clock, build
from runtime.jobs import JobRunner
from runtime.settings import Settings

WEBMAP_STATIC = Path(__file__).resolve().parent.parent / "webmap" / "static"


def create_app(settings: Settings | None = None, *, clock: Clock | None = None) -> FastAPI:
    """Build the app for ``settings``; the database schema is migrated on start-up. The clock is
    ``clock``, else the settings' (``TUBAN_CLOCK``), else the real one."""
    services = build(settings, clock=clock)
    services.seed_goal_books()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        to_thread.current_default_thread_limiter().total_tokens = services.settings.worker_threads
        yield
        services.close()

    app = FastAPI(
        title="Tuban 图斑",
        version="0.1.0",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        dependencies=[Depends(checked_params)],  # ints fit the columns; form text
    )
    app.state.services = services
    # Shortcuts the routes and their dependencies read; the same objects as in services.
    app.state.settings = services.settings
    app.state.store = services.cases
    app.state.goal_book_store = services.goal_books
    app.state.clock = services.clock
    app.state.users = services.users
    app.state.photos = services.photos
    app.state.jobs = JobRunner(services)  # submits jobs; `tuban serve` also runs them
    add_exception_handlers(app)
    app.add_middleware(InputGuard)  # NUL, surrogates, huge numbers: 422 before any route
    # Writes are checked (CSRF, session, size) before a byte of their body is read.
    app.add_middleware(RequestGate)
    # Outside the gate, so its 401/413/403 answers carry the headers too.
    app.add_middleware(SecurityHeaders, settings=services.settings)
    # A phone network: text answers (pages, modules, GeoJSON, the offline pack) go compressed;
    # images, archives and event streams are left as they are (Starlette's exclusions).
    app.add_middleware(GZipMiddleware, minimum_size=1000, compresslevel=6)
    app.add_middleware(RequestLog)  # outermost: times and logs every request
    app.include_router(health.router)
    docs_ui.install(app)
    app.include_router(auth.router)
    # The vocabulary holds no data of the bureau's; the sign-in page and offline clients need it.
    app.include_router(meta.router)
    # Everything else needs a logged-in user; routes narrow it further by role.
    signed_in = [Depends(current_user)]
    for r in (
        batches.router,
        exports.router,
        cases.router,
        dossier.router,
        indicators.router,
        goals.router,
        budget.router,
        notes.router,
        references.router,
        users.router,
        photos.router,
        enforcements.router,
        work.router,
        jobs.router,
        webmap.router,
        tiles.router,
        basemap.router,
        offline.router,
        patrol.router,
    ):
        app.include_router(r, dependencies=signed_in, responses=errors(401))
    # OGC API - Features: its own login rule (a session or an API key) and error form; Part 4
    # edits of the verification collection beside the reads.
    app.include_router(ogc_tiles.router)  # before the reads' catch-all 404
    app.include_router(ogc.router)
    app.include_router(ogc_edits.router)
    document_answers(app)  # what the guard, the gate and the sign-in answer, in the schema
    if services.settings.serve_webmap and WEBMAP_STATIC.is_dir():
        assets.install(app, WEBMAP_STATIC)  # hashed names, the page, the service worker
        app.mount("/", StaticFiles(directory=WEBMAP_STATIC, html=True), name="webmap")
    return app
