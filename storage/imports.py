"""Imports: read and check a whole file, pre-judge it against reference layers, link it to what
the store already holds, then write it in one transaction."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from geo.crs import Jurisdiction
from geo.hints import compute_hints
from geo.layers import Progress, no_progress, read_parcels
from geo.linking import link_to_existing
from geo.references import RefKind, read_reference
from geo.report import ImportReport
from storage.refs import RefStore
from storage.repository import BatchMeta, CaseStore


def file_sha256(path: Path) -> str:
    """Content hash of a delivery; covers a Shapefile's sidecars and a FileGDB's files."""
    h = hashlib.sha256()
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file())
    elif path.suffix.lower() == ".shp":
        files = sorted(p for p in path.parent.glob(path.stem + ".*") if p.is_file())
    else:
        files = [path]
    for f in files:
        h.update(f.name.lower().encode() if path.is_dir() else f.suffix.lower().encode())
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
    crs: str | None = None,
    field_map: Mapping[str, str] | None = None,
    jurisdiction: Jurisdiction | None = None,
    accept_partial: bool = False,
    source_name: str | None = None,
    progress: Progress = no_progress,
) -> tuple[dict[str, Any], bool]:
    """Import a batch. Nothing is written unless the whole file is read and checked first."""
    path = Path(path)
    sha = file_sha256(path) if path.exists() else ""
    existing = store.find_batch(sha, meta) if sha else None
    if existing is not None:  # same delivery again: skip the read entirely
        return existing, False
    refs = RefStore(store.engine)
    parcels = read_parcels(
        path,
        layer=layer,
        encoding=encoding,
        crs=crs,
        field_map=field_map,
        jurisdiction=county_of(refs, jurisdiction),
        accept_partial=accept_partial,
        progress=progress,
    )
    if source_name:
        parcels = type(parcels)(
            parcels.frame, source_name, parcels.source_crs, parcels.encoding, parcels.report
        )
        parcels.report.file = source_name
    report = parcels.report
    frame = parcels.frame
    t0 = time.perf_counter()
    progress("预判", 0, len(frame))
    ref_set = refs.reference_set(parcels.bounds)
    hints = compute_hints(
        frame.geometry.to_numpy(), frame["area_m2"].to_numpy(), meta.programme.value, ref_set
    )
    report.seconds["hints"] = time.perf_counter() - t0
    report.hints = _hint_summary(hints)
    outside = hints["outside_share"].fillna(0).to_numpy() > 1e-3
    report.outside = [
        {"row": int(r), "code": c, "outside_share": float(s)}
        for r, c, s in zip(
            frame["row"][outside],
            frame["code"][outside],
            hints["outside_share"][outside],
            strict=True,
        )
    ]
    progress("预判", len(frame), len(frame))
    t0 = time.perf_counter()
    candidates = store.link_candidates(parcels.bounds, frame["code"].tolist(), meta.programme.value)
    fresh = (frame["dup_of"] < 0).to_numpy()
    links = link_to_existing(
        frame["code"].to_numpy()[fresh],
        frame.geometry.to_numpy()[fresh],
        meta.programme.value,
        candidates,
    )
    index = fresh.nonzero()[0]
    links = [type(k)(int(index[k.row]), k.case_id, k.kind, k.reason, k.iou) for k in links]
    report.seconds["link"] = time.perf_counter() - t0
    progress("写入", 0, len(frame))
    batch, created = store.import_batch(
        parcels,
        meta,
        source_sha256=sha,
        actor=actor,
        now=now,
        links=links,
        hints=hints,
        hint_layers=ref_set.versions,
        progress=progress,
    )
    report.created = created
    progress("写入", len(frame), len(frame))
    return batch, created


def _hint_summary(h) -> dict[str, int]:  # type: ignore[no-untyped-def]
    return {
        "located": int(h["township_code"].notna().sum()),
        "on_farmland": int((h["farmland_m2"].fillna(0) > 0.5).sum()),
        "permit_inside": int((h["permit_relation"] == "inside").sum()),
        "permit_partly_outside": int((h["permit_relation"] == "partly_outside").sum()),
        "permit_outside": int((h["permit_relation"] == "outside").sum()),
        "approval_covered": int((h["approval_share"].fillna(0) >= 0.999).sum()),
        "approval_partial": int(
            (
                (h["approval_share"].fillna(0) > 0.001) & (h["approval_share"].fillna(0) < 0.999)
            ).sum()
        ),
        "outside_county": int((h["outside_share"].fillna(0) > 0.001).sum()),
    }


def county_of(refs: RefStore, fallback: Jurisdiction | None) -> Jurisdiction | None:
    """The jurisdiction's extent from the current township layer, else ``fallback``."""
    towns = refs.current().get(RefKind.TOWNSHIP)
    if towns is None:
        return fallback
    bounds = (towns["minx"], towns["miny"], towns["maxx"], towns["maxy"])
    if fallback is None:
        return Jurisdiction("", "辖区", bounds)
    return Jurisdiction(fallback.code, fallback.name, bounds)


def import_reference(
    store: CaseStore,
    path: str | Path,
    kind: str,
    *,
    name: str,
    version: str,
    actor: str,
    now: datetime,
    layer: str | None = None,
    encoding: str | None = None,
    crs: str | None = None,
    jurisdiction: Jurisdiction | None = None,
) -> tuple[dict[str, Any], bool, ImportReport]:
    path = Path(path)
    refs = RefStore(store.engine)
    ref = read_reference(
        path,
        kind,
        layer=layer,
        encoding=encoding,
        crs=crs,
        jurisdiction=county_of(refs, jurisdiction),
    )
    row, created = refs.import_layer(
        ref,
        name=name,
        version=version,
        source_name=path.name,
        source_sha256=file_sha256(path),
        actor=actor,
        now=now,
    )
    return row, created, ref.report
