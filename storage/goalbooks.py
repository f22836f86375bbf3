"""Goal books by year, every save a new version: what a report was computed against stays known."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, func, select
from sqlalchemy.exc import IntegrityError

from geo.errors import NotFound, VersionConflict
from geo.goals import GoalBook, goals_to_dict, parse_goals, read_goal_doc
from geo.indicators import METRICS
from storage.tables import goal_books


class GoalVersionConflict(VersionConflict):
    """Another save of the year's goal book came first; the caller must reload and redo."""

    code = "GOALS_VERSION_CONFLICT"


def _canonical(doc: Any, source: str) -> tuple[GoalBook, dict[str, Any]]:
    book = parse_goals(doc, source, known_metrics=METRICS)
    return book, goals_to_dict(book)


class GoalBookStore:
    """Versioned goal books (绩效目标表), one series per year; a version is never changed."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def save(
        self,
        doc: Any,
        *,
        actor: str,
        now: datetime,
        note: str | None = None,
        base_version: int | None = None,
        source: str = "goals",
    ) -> int:
        """Validate ``doc`` and store it as the next version of its year; return the version.

        A document identical to the year's latest version adds nothing (re-importing a file is a
        no-op). With ``base_version`` the caller says which version it edited: if another save
        came first, it gets a conflict instead of silently overwriting that edit.
        """
        book, canonical = _canonical(doc, source)
        try:
            with self.engine.begin() as conn:
                latest = _latest_row(conn, book.year)
                current = latest.version if latest is not None else 0
                if base_version is not None and base_version != current:
                    raise GoalVersionConflict(
                        f"{book.year} 年绩效目标表已被他人修改（当前第 {current} 版），"
                        "请刷新后再改",
                        year=book.year,
                        base_version=base_version,
                        current_version=current,
                    )
                if latest is not None and latest.doc == canonical:
                    return current
                conn.execute(
                    goal_books.insert().values(
                        year=book.year,
                        version=current + 1,
                        doc=canonical,
                        note=note,
                        created_by=actor,
                        created_at=now,
                    )
                )
                return current + 1
        except IntegrityError:
            # Two saves raced for the same version number: the later one lost.
            raise GoalVersionConflict(
                f"{book.year} 年绩效目标表刚被他人修改，请刷新后再改", year=book.year
            ) from None

    def import_file(self, path: str | Path, *, actor: str, now: datetime) -> tuple[int, int, bool]:
        """Load a YAML file as a new version (none if identical): (year, version, created)."""
        path = Path(path)
        doc = read_goal_doc(path)
        before = self._latest_version(doc.get("year"))
        version = self.save(doc, actor=actor, now=now, note=f"导入 {path.name}", source=path.name)
        return int(doc["year"]), version, version != before

    def seed_from_dir(self, goals_dir: str | Path, *, actor: str, now: datetime) -> list[int]:
        """Store the YAML files of ``goals_dir`` for years the store has no goal book for yet.

        Years already stored are left alone, so an admin's edits are never replaced by the file
        they started from; ``tuban goals import`` loads a changed file on purpose.
        """
        have = set(self.years())
        added = []
        for path in sorted(Path(goals_dir).glob("*.yaml")):
            doc = read_goal_doc(path)
            if doc.get("year") in have:
                continue
            try:
                self.save(doc, actor=actor, now=now, note=f"导入 {path.name}", source=path.name)
            except GoalVersionConflict:
                continue  # another process seeded the same year at the same moment
            added.append(int(doc["year"]))
        return added

    def _latest_version(self, year: Any) -> int:
        with self.engine.connect() as conn:
            row = _latest_row(conn, year) if isinstance(year, int) else None
        return row.version if row is not None else 0

    def doc(self, year: int, version: int | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
        """(document, version record) of ``year``'s latest or given version."""
        with self.engine.connect() as conn:
            if version is None:
                row = _latest_row(conn, year)
            else:
                row = conn.execute(
                    select(goal_books).where(
                        goal_books.c.year == year, goal_books.c.version == version
                    )
                ).first()
        if row is None:
            what = f"{year} 年绩效目标表" + (f"第 {version} 版" if version else "")
            raise NotFound(f"没有{what}", year=year, version=version)
        return row.doc, _record(row)

    def latest(self, year: int) -> tuple[GoalBook, int]:
        """The year's newest goal book and its version; NotFound if the year has none."""
        doc, rec = self.doc(year)
        return _parse_stored(doc, rec), rec["version"]

    def get(self, year: int, version: int) -> GoalBook:
        """One stored version of the year's goal book; NotFound otherwise."""
        doc, rec = self.doc(year, version)
        return _parse_stored(doc, rec)

    def years(self) -> list[int]:
        """The years that have a goal book, ascending."""
        with self.engine.connect() as conn:
            q = select(goal_books.c.year).distinct().order_by(goal_books.c.year)
            return [r.year for r in conn.execute(q)]

    def versions(self, year: int) -> list[dict[str, Any]]:
        """Every version of a year, oldest first: version, created_by, created_at, note."""
        with self.engine.connect() as conn:
            q = (
                select(*_RECORD_COLUMNS)
                .where(goal_books.c.year == year)
                .order_by(goal_books.c.version)
            )
            return [_record(r) for r in conn.execute(q)]

    def latest_records(self) -> list[dict[str, Any]]:
        """The latest version record of each year."""
        with self.engine.connect() as conn:
            newest = (
                select(goal_books.c.year, func.max(goal_books.c.version).label("version"))
                .group_by(goal_books.c.year)
                .subquery()
            )
            q = (
                select(*_RECORD_COLUMNS)
                .join(
                    newest,
                    (newest.c.year == goal_books.c.year)
                    & (newest.c.version == goal_books.c.version),
                )
                .order_by(goal_books.c.year)
            )
            return [_record(r) for r in conn.execute(q)]

    def latest_books(self) -> dict[int, GoalBook]:
        """The latest version of every year's goal book."""
        out = {}
        for year in self.years():
            out[year] = self.latest(year)[0]
        return out

    def change_key(self) -> int:
        """Changes whenever a version is added (ids only grow): a cheap cache key."""
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.max(goal_books.c.id))).scalar() or 0)


_RECORD_COLUMNS = (
    goal_books.c.year,
    goal_books.c.version,
    goal_books.c.created_by,
    goal_books.c.created_at,
    goal_books.c.note,
)


def _record(row: Any) -> dict[str, Any]:
    return {c.name: getattr(row, c.name) for c in _RECORD_COLUMNS}


def _latest_row(conn: Connection, year: int) -> Any:
    return conn.execute(
        select(goal_books)
        .where(goal_books.c.year == year)
        .order_by(goal_books.c.version.desc())
        .limit(1)
    ).first()


def _parse_stored(doc: dict[str, Any], rec: dict[str, Any]) -> GoalBook:
    # Stored documents were validated on save; metrics are not re-checked so a book stays
    # readable even if a metric it names is later retired.
    return parse_goals(doc, f"{rec['year']} 年第 {rec['version']} 版")
