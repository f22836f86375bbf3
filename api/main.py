"""The FastAPI application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

from fastapi import Depends, FastAPI
from fastapi.staticfiles import StaticFiles

from api.deps import open_goal_books
from api.errors import add_exception_handlers
from api.routes import (
    auth,
    batches,
    budget,
    cases,
    enforcements,
    goals,
    health,
    indicators,
    notes,
    photos,
    references,
    users,
    webmap,
    work,
)
from api.security import HASHER, current_user
from api.settings import Settings
from geo.goals import GoalBook, load_goals
from storage.blobs import BlobStore
from storage.engine import make_engine, migrate
from storage.photo_store import PhotoStore
from storage.repository import CaseStore
from storage.users import UserStore

WEBMAP_STATIC = Path(__file__).resolve().parent.parent / "webmap" / "static"


def load_goal_books(goals_dir: Path) -> dict[int, GoalBook]:
    books = [load_goals(p) for p in sorted(Path(goals_dir).glob("*.yaml"))]
    return {b.year: b for b in books}


def _utc_now() -> datetime:
    return datetime.now(UTC)


def create_app(
    settings: Settings | None = None, *, clock: Callable[[], datetime] = _utc_now
) -> FastAPI:
    """Build the app for ``settings``; the database schema is migrated on start-up."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        app.state.store.dispose()

    app = FastAPI(title="Tuban 图斑", version="0.1.0", lifespan=lifespan)
    if settings.database_url.startswith("sqlite:///"):
        Path(settings.database_url.removeprefix("sqlite:///")).parent.mkdir(
            parents=True, exist_ok=True
        )
    engine = make_engine(settings.database_url)
    migrate(engine)
    app.state.settings = settings
    app.state.store = CaseStore(engine)
    app.state.goal_book_store = open_goal_books(engine, settings.goals_dir, clock())
    app.state.clock = clock
    app.state.users = UserStore(engine, HASHER)
    app.state.photos = PhotoStore(engine, BlobStore(settings.photos_dir))
    add_exception_handlers(app)
    app.include_router(health.router)
    app.include_router(auth.router)
    # Everything else needs a logged-in user; routes narrow it further by role.
    signed_in = [Depends(current_user)]
    for r in (
        batches.router,
        cases.router,
        indicators.router,
        goals.router,
        budget.router,
        notes.router,
        references.router,
        users.router,
        photos.router,
        enforcements.router,
        work.router,
        webmap.router,
    ):
        app.include_router(r, dependencies=signed_in)
    if settings.serve_webmap and WEBMAP_STATIC.is_dir():
        app.mount("/", StaticFiles(directory=WEBMAP_STATIC, html=True), name="webmap")
    return app
