"""What a case's evidence dossier shows, read in one place: the case, its events, judgments,
enforcement, photos (with thumbnails) and the state of its hash chain.

``reports/dossier.py`` renders it; nothing here formats for people.
"""

from __future__ import annotations

from typing import Any

import shapely
from shapely.geometry import mapping
from sqlalchemy import select

from storage import audit, enforcement
from storage.photo_store import PhotoStore
from storage.repository import CaseStore
from storage.tables import photos


def dossier_source(
    photo_store: PhotoStore, case_id: int, *, with_enforcement: bool
) -> dict[str, Any]:
    """The dossier's facts for ``case_id`` (NotFound for an unknown case), read through the
    photo store's engine and blobs.

    ``with_enforcement`` False leaves out the 立案 case (offender, fine): for roles that may
    not see enforcement.
    """
    engine, blobs = photo_store.engine, photo_store.blobs
    store = CaseStore(engine)
    row = store.get_case_row(case_id)
    geom = shapely.from_wkb(row["geom"])
    with engine.connect() as conn:
        broken = audit.check_case(conn, case_id)
        seq, head = audit.chain_head(conn, case_id)
        pics = [
            dict(r._mapping)
            for r in conn.execute(
                select(photos).where(photos.c.case_id == case_id).order_by(photos.c.id)
            )
        ]
        enf = None
        if with_enforcement and row.get("enforcement_id"):
            enf = enforcement.summary(conn, row["enforcement_id"])
    for p in pics:
        thumb = blobs.thumbnail_path(p["sha256"])
        p["thumbnail"] = thumb.read_bytes() if thumb.is_file() else None
        p["file_ok"] = blobs.exists(p["sha256"])
    return {
        "case": {k: v for k, v in row.items() if k not in ("geom",)},
        "geometry": {
            "type": "FeatureCollection",
            "features": [
                {"type": "Feature", "geometry": mapping(geom), "properties": {"code": row["code"]}}
            ],
        },
        "events": [{**e.__dict__, "action": str(e.action)} for e in store.events(case_id)],
        "photos": pics,
        "enforcement": enf,
        "chain": {"seq": seq, "head": head, "broken": broken},
    }
