"""Every store over one database, made once and shared: what a caller outside storage holds."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import Any

from geo.province_results import ProvinceResult
from storage.blobs import BlobStore
from storage.enforcement_cases import EnforcementStore
from storage.expenditures import ExpenditureStore
from storage.indicator_notes import NoteStore
from storage.map_queries import MapView
from storage.province_checks import apply_results
from storage.refs import RefStore
from storage.reporting import IndicatorSource
from storage.repository import CaseStore
from storage.snapshots import SnapshotStore
from storage.worklists import WorkLists


class Stores:
    """The stores of one engine, built on first use from the case store that owns the engine.

    The API's routes reach the database only through these, so none of them holds an engine,
    a connection or a transaction of its own.
    """

    def __init__(self, cases: CaseStore) -> None:
        self.cases = cases
        self._engine = cases.engine

    @cached_property
    def refs(self) -> RefStore:
        return RefStore(self._engine)

    @cached_property
    def map(self) -> MapView:
        return MapView(self._engine)

    @cached_property
    def worklists(self) -> WorkLists:
        return WorkLists(self._engine)

    @cached_property
    def enforcements(self) -> EnforcementStore:
        return EnforcementStore(self._engine)

    @cached_property
    def expenditures(self) -> ExpenditureStore:
        return ExpenditureStore(self._engine)

    @cached_property
    def snapshots(self) -> SnapshotStore:
        return SnapshotStore(self._engine)

    @cached_property
    def indicators(self) -> IndicatorSource:
        """Counts kept in memory until the store changes: one per app, shared by requests."""
        return IndicatorSource(self._engine)

    def notes(self, evidence_dir: Path) -> NoteStore:
        """Goal-table row notes, their evidence files kept under ``evidence_dir``."""
        return NoteStore(self._engine, BlobStore(evidence_dir))

    def apply_province_results(
        self, results: Iterable[ProvinceResult], *, actor: str, now: datetime
    ) -> dict[str, Any]:
        """Record the province's check results (storage.province_checks.apply_results)."""
        return apply_results(self._engine, results, actor=actor, now=now)

    def dispose(self) -> None:
        """Close the engine's pooled connections (at shutdown)."""
        self._engine.dispose()
