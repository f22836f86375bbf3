"""Evidence photos of a case: checked against the 图斑, stored by content hash, logged as events."""

from __future__ import annotations

import builtins
import re
from datetime import date, datetime
from typing import Any

import shapely
from sqlalchemy import Engine, select

from geo.errors import NotFound
from geo.fields import FIELD_ALIASES
from geo.inputs import scrub_text
from geo.photos import check_photo, inspect_photo, make_thumbnail
from storage.blobs import BlobStore
from storage.repository import apply_in
from storage.rows import inserted_id
from storage.tables import batches, cases, photos
from storage.visibility import EVERYTHING, Scope


def imagery_date(attributes: dict[str, Any]) -> date | None:
    """The 后时相 (after-imagery) date from a 图斑's source attributes, if it carries one."""
    wanted = {a.casefold() for a in FIELD_ALIASES["after_date"]}
    for key, value in attributes.items():
        if key.casefold() in wanted and value:
            digits = re.sub(r"\D", "", str(value))[:8]
            try:
                return date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
            except ValueError:
                return None
    return None


class PhotoStore:
    """Photo records in the database; the image bytes and thumbnails live in ``blobs``."""

    def __init__(self, engine: Engine, blobs: BlobStore) -> None:
        self.engine = engine
        self.blobs = blobs

    def add(
        self,
        case_id: int,
        data: bytes,
        filename: str,
        *,
        actor: str,
        now: datetime,
        expected_version: int | None = None,
    ) -> dict[str, Any]:
        """Check and store a photo; the same photo twice on one case is stored once."""
        info = inspect_photo(data, filename)  # refuses non-images and oversized files first
        # The name comes from the client: shown to others, so it gets the text rule of a file's
        # attributes (no control or bidi characters: "gpj\u202e.exe" must not read as ".exe").
        filename = scrub_text(filename).strip()[:300] or "photo"
        with self.engine.begin() as conn:
            row = conn.execute(
                select(cases.c.geom, cases.c.attributes, batches.c.due_on)
                .join(batches, batches.c.id == cases.c.batch_id)
                .where(cases.c.id == case_id)
            ).first()
            if row is None:
                raise NotFound(f"没有图斑 {case_id}", case_id=case_id)
            existing = conn.execute(
                select(photos).where(photos.c.case_id == case_id, photos.c.sha256 == info.sha256)
            ).first()
            if existing is not None:
                return dict(existing._mapping)
            check = check_photo(
                info,
                shapely.from_wkb(row.geom),
                imagery_date=imagery_date(row.attributes),
                deadline=row.due_on,
            )
            # Blobs go first: if the transaction then fails, an orphan file named by its own
            # hash is harmless, while a row pointing at a missing file would not be.
            self.blobs.put(data)
            self.blobs.put_thumbnail(info.sha256, make_thumbnail(data))
            apply_in(
                conn,
                case_id,
                "add_photo",
                actor=actor,
                now=now,
                expected_version=expected_version,
                payload={"sha256": info.sha256, "flags": check.flags},
            )
            pid = inserted_id(
                conn.execute(
                    photos.insert().values(
                        case_id=case_id,
                        sha256=info.sha256,
                        filename=filename,
                        mime=info.mime,
                        size=len(data),
                        width=info.width,
                        height=info.height,
                        taken_at=info.taken_at,
                        lon=info.lon,
                        lat=info.lat,
                        direction=info.direction,
                        direction_ref=info.direction_ref,
                        distance_m=check.distance_m,
                        faces_polygon=check.faces_polygon,
                        flags=check.flags,
                        notes=check.notes,
                        uploaded_by=actor,
                        uploaded_at=now,
                    )
                )
            )
            return dict(conn.execute(select(photos).where(photos.c.id == pid)).one()._mapping)

    def list(self, case_id: int) -> list[dict[str, Any]]:
        """The photo records of a 图斑, in upload order."""
        with self.engine.connect() as conn:
            q = select(photos).where(photos.c.case_id == case_id).order_by(photos.c.id)
            return [dict(r._mapping) for r in conn.execute(q)]

    # builtins.list: inside this class, a bare ``list`` names the method above.
    def by_hash(self, sha256: str, scope: Scope = EVERYTHING) -> builtins.list[dict[str, Any]]:
        """Every record of this photo for a case in ``scope`` (the same picture may be evidence
        for several cases)."""
        with self.engine.connect() as conn:
            q = (
                select(photos)
                .where(photos.c.sha256 == sha256, *scope.on(photos.c.case_id))
                .order_by(photos.c.id)
            )
            return [dict(r._mapping) for r in conn.execute(q)]
