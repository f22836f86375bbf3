"""Import a delivered file as a batch: read and validate it fully, then store it in one go."""

from __future__ import annotations

import hashlib
from datetime import datetime
from pathlib import Path
from typing import Any

from geo.layers import read_parcels
from storage.repository import BatchMeta, CaseStore


def file_sha256(path: Path) -> str:
    """Content hash of a delivery; a Shapefile's hash covers all its sidecar files."""
    h = hashlib.sha256()
    files = [path]
    if path.suffix.lower() == ".shp":
        files = sorted(p for p in path.parent.glob(path.stem + ".*") if p.is_file())
    for f in files:
        h.update(f.suffix.lower().encode())
        with f.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
    return h.hexdigest()


def import_file(
    store: CaseStore,
    path: str | Path,
    meta: BatchMeta,
    *,
    actor: str,
    now: datetime,
    layer: str | None = None,
    encoding: str | None = None,
    source_name: str | None = None,
) -> tuple[dict[str, Any], bool]:
    """Validate the whole file before writing anything; then store batch and cases atomically."""
    path = Path(path)
    sha = file_sha256(path) if path.exists() else ""
    existing = store.find_batch(sha, meta) if sha else None
    if existing is not None:  # same delivery again: skip the read entirely
        return existing, False
    parcels = read_parcels(path, layer=layer, encoding=encoding)
    if source_name:
        parcels = type(parcels)(parcels.frame, source_name, parcels.source_crs, parcels.encoding)
    return store.import_batch(parcels, meta, source_sha256=sha, actor=actor, now=now)
