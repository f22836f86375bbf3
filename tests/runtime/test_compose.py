"""runtime.compose.build: one database opened the same way for the API and the CLI."""

from __future__ import annotations

from datetime import UTC, datetime

from runtime.compose import Services, build, utc_now
from runtime.settings import DEFAULT_GOALS_DIR, Settings
from storage.engine import sqlite_url
from tests.conftest import NOW


def _settings(database_url: str, tmp_path) -> Settings:
    return Settings(
        database_url=database_url, goals_dir=DEFAULT_GOALS_DIR, photos_dir=tmp_path / "photos"
    )


def test_every_store_shares_one_migrated_engine(database_url, tmp_path):
    services = build(_settings(database_url, tmp_path), clock=lambda: NOW)
    try:
        stores = [
            services.cases,
            services.goal_books,
            services.users,
            services.photos,
            services.expenditures,
            services.snapshots,
            services.refs,
            services.indicators,
            services.notes(),
        ]
        assert {id(s.engine) for s in stores} == {id(services.engine)}
        assert services.cases.counts()["events"] == 0  # the schema is there
        assert services.photos.blobs.root == tmp_path / "photos"
        assert services.users.hasher is not None
        assert services.clock() == NOW
    finally:
        services.engine.dispose()


def test_sqlite_directory_is_created(tmp_path):
    services = build(_settings(sqlite_url(tmp_path / "new" / "dir" / "t.sqlite"), tmp_path))
    assert (tmp_path / "new" / "dir" / "t.sqlite").exists()
    assert services.clock is utc_now
    services.engine.dispose()


def test_notes_follow_a_changed_photos_dir(tmp_path):
    services = build(_settings(sqlite_url(tmp_path / "t.sqlite"), tmp_path))
    services.settings.photos_dir = tmp_path / "elsewhere" / "photos"
    assert services.notes().blobs.root == tmp_path / "elsewhere" / "evidence"
    services.engine.dispose()


def test_goal_books_are_seeded_once_with_the_clock(tmp_path):
    services = build(_settings(sqlite_url(tmp_path / "t.sqlite"), tmp_path), clock=lambda: NOW)
    assert services.seed_goal_books() == [2019]
    assert services.seed_goal_books() == []
    assert services.goal_books.versions(2019)[0]["created_at"] == NOW
    sources = services.report_sources()
    assert sources.books is services.goal_books and sources.counts is services.indicators
    assert sources.clock() == NOW
    services.engine.dispose()


def test_the_api_and_the_cli_get_the_same_kind_of_services(tmp_path):
    from api.main import create_app
    from tuban_cli.common import services_for

    app = create_app(_settings(sqlite_url(tmp_path / "api.sqlite"), tmp_path))
    assert isinstance(app.state.services, Services)
    assert app.state.store is app.state.services.cases
    assert app.state.users is app.state.services.users
    cli = services_for(tmp_path / "cli.sqlite")
    assert isinstance(cli, Services)
    assert cli.clock().tzinfo is UTC
    assert abs((cli.clock() - datetime.now(UTC)).total_seconds()) < 60
    app.state.services.engine.dispose()
    cli.engine.dispose()
