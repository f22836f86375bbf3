"""Build the engine, every store, the password hasher and the clock from Settings, in one place.

The API's ``create_app`` and every ``tuban`` command start here, so both see the same database
the same way: migrated on open, photos and evidence where the settings put them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher
from sqlalchemy import Engine

from geo.province_results import ProvinceResult
from runtime.clock import Clock as Clock  # re-exported: callers import the clock from here
from runtime.clock import clock_for
from runtime.clock import utc_now as utc_now
from runtime.settings import Settings, load_settings
from storage.api_keys import ApiKeyStore
from storage.blobs import BlobStore
from storage.enforcement_cases import EnforcementStore
from storage.engine import make_engine, migrate
from storage.expenditures import ExpenditureStore
from storage.exports import ExportRows
from storage.goalbooks import GoalBookStore
from storage.indicator_notes import NoteStore
from storage.jobs import JobStore
from storage.map_queries import MapView
from storage.ogc_features import OgcFeatures
from storage.patrol import PatrolStore
from storage.patrol_rules import PatrolRules
from storage.patrol_sites import PatrolSites
from storage.photo_store import PhotoStore
from storage.province_checks import apply_results
from storage.readiness import not_ready_reason
from storage.refs import RefStore
from storage.report_document import ReportSources
from storage.reporting import IndicatorSource
from storage.repository import CaseStore
from storage.snapshots import SnapshotStore
from storage.tiles import TileSource
from storage.users import UserStore
from storage.visibility import Visibility
from storage.worklists import WorkLists


def password_hasher() -> PasswordHasher:
    """argon2id with the library's defaults (RFC 9106 low-memory profile).

    Slow enough to hurt an attacker with a stolen database, fast enough (tens of ms) for a
    county office's logins.
    """
    return PasswordHasher()


@dataclass(frozen=True)
class Services:
    """One database's stores, opened for ``settings``, and the clock they are used with."""

    settings: Settings
    engine: Engine
    cases: CaseStore
    goal_books: GoalBookStore
    users: UserStore
    photos: PhotoStore
    expenditures: ExpenditureStore
    snapshots: SnapshotStore
    refs: RefStore
    map: MapView
    tiles: TileSource
    worklists: WorkLists
    enforcements: EnforcementStore
    jobs: JobStore
    # Counts are cached in memory by the store's generation: one per process is enough.
    indicators: IndicatorSource
    clock: Clock

    def notes(self) -> NoteStore:
        """Notes beside goal-table rows; the evidence directory is read from the settings now,
        so a changed ``photos_dir`` moves it too."""
        return NoteStore(self.engine, BlobStore(self.settings.evidence_dir()))

    def visibility(self) -> Visibility:
        """The one rule of who sees which 图斑 (storage.visibility), on this database."""
        return Visibility(self.engine)

    def api_keys(self) -> ApiKeyStore:
        """The read-only keys of desk GIS clients (storage.api_keys)."""
        return ApiKeyStore(self.engine)

    def exports(self) -> ExportRows:
        """A batch's 图斑 for an export, and the export written (storage.exports)."""
        return ExportRows(self.engine)

    def ogc_features(self) -> OgcFeatures:
        """The OGC API - Features reads (storage.ogc_features), on this database."""
        return OgcFeatures(self.engine)

    def patrol(self) -> PatrolStore:
        """动态巡查 findings and reports recorded as cases (storage.patrol)."""
        return PatrolStore(self.engine)

    def patrol_rules(self) -> PatrolRules:
        """The quick response's deadlines as the bureau edits them (storage.patrol_rules)."""
        return PatrolRules(self.engine)

    def patrol_sites(self) -> PatrolSites:
        """Illegal sites for the map and the watch list (storage.patrol_sites)."""
        return PatrolSites(self.engine)

    def report_sources(self) -> ReportSources:
        """What a report document is assembled from."""
        return ReportSources(
            books=self.goal_books,
            counts=self.indicators,
            expenditures=self.expenditures,
            notes=self.notes(),
            snapshots=self.snapshots,
            clock=self.clock,
        )

    def apply_province_results(
        self, results: Iterable[ProvinceResult], *, actor: str, now: datetime
    ) -> dict[str, Any]:
        """Record the province's check results (storage.province_checks.apply_results)."""
        return apply_results(self.engine, results, actor=actor, now=now)

    def not_ready_reason(self) -> str | None:
        """None when the store can serve requests, else why not (storage.readiness)."""
        return not_ready_reason(self.engine)

    def close(self) -> None:
        """Close the engine's pooled connections (at shutdown)."""
        self.engine.dispose()

    def seed_goal_books(self) -> list[int]:
        """Store the goal YAML files of ``settings.goals_dir`` for years not held yet."""
        return self.goal_books.seed_from_dir(
            self.settings.goals_dir, actor="system", now=self.clock()
        )


def open_engine(settings: Settings) -> Engine:
    """The engine of ``settings.database_url``, its schema migrated to the latest revision."""
    if settings.database_url.startswith("sqlite:///"):
        Path(settings.database_url.removeprefix("sqlite:///")).parent.mkdir(
            parents=True, exist_ok=True
        )
    engine = make_engine(settings.database_url)
    migrate(engine)
    return engine


def build(settings: Settings | None = None, *, clock: Clock | None = None) -> Services:
    """Open the database of ``settings`` (the environment's when None) and every store on it;
    the clock is ``clock``, else the one the settings name (runtime.clock.clock_for)."""
    settings = settings or load_settings()
    clock = clock or clock_for(settings.clock)
    engine = open_engine(settings)
    return Services(
        settings=settings,
        engine=engine,
        cases=CaseStore(engine),
        goal_books=GoalBookStore(engine),
        users=UserStore(engine, password_hasher()),
        photos=PhotoStore(engine, BlobStore(settings.photos_dir)),
        expenditures=ExpenditureStore(engine),
        snapshots=SnapshotStore(engine),
        refs=RefStore(engine),
        map=MapView(engine),
        tiles=TileSource(engine, cache_bytes=settings.tile_cache_mb << 20),
        worklists=WorkLists(engine),
        enforcements=EnforcementStore(engine),
        jobs=JobStore(engine),
        indicators=IndicatorSource(engine),
        clock=clock,
    )
