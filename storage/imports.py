"""Imports: read and check a whole file, pre-judge it against reference layers, link it to what
the store already holds, then write it in one transaction."""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import shapely

from geo.crs import Jurisdiction
from geo.hints import ReferenceSet
from geo.layers import Progress, no_progress, read_parcels, set_duplicates
from geo.linking import link_to_existing
from geo.memory import release_free_memory
from geo.prejudge import Prejudge
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
    workers: int | None = None,
    progress: Progress = no_progress,
) -> tuple[dict[str, Any], bool]:
    """Import a batch. Nothing is written unless the whole file is read and checked first.

    ``workers``: processes for in-file duplicates and hints of a large file (default
    ``$TUBAN_IMPORT_WORKERS``, else one per core up to 2; 1 keeps it all in this process).
    """
    path = Path(path)
    sha = file_sha256(path) if path.exists() else ""
    existing = store.find_batch(sha, meta) if sha else None
    if existing is not None:  # same delivery again: skip the read entirely
        return existing, False
    refs = RefStore(store.engine)
    job = Prejudge(meta.programme.value, workers=import_workers() if workers is None else workers)
    ref_set: ReferenceSet | None = None
    ref_seconds = 0.0

    def start_prejudge(codes: np.ndarray, geoms: np.ndarray) -> None:
        # In-file duplicates and hints are started on the worker processes as soon as the
        # geometries are reprojected; the references are loaded first so the workers inherit
        # them.
        nonlocal ref_set, ref_seconds
        release_free_memory()  # what reading and reprojecting freed
        t = time.perf_counter()
        ref_set = refs.reference_set(_bounds(geoms))
        ref_seconds = time.perf_counter() - t
        job.start(codes, geoms, ref_set)

    with job:  # no worker outlives the import, whatever happens
        parcels = read_parcels(
            path,
            layer=layer,
            encoding=encoding,
            crs=crs,
            field_map=field_map,
            jurisdiction=county_of(refs, jurisdiction),
            accept_partial=accept_partial,
            defer_duplicates=start_prejudge,
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
        done = job.finish(
            frame["area_m2"].to_numpy(), progress=lambda rows: progress("预判", rows, len(frame))
        )
    assert ref_set is not None
    hint_layers, ref_set = ref_set.versions, None  # the references are not needed any more
    set_duplicates(parcels, done.dup_of, done.why)
    hints = done.hints
    # Each step's own seconds; with workers they overlapped each other and the area and
    # attribute work, and "prejudge" is the wall time from their start to their end.
    report.seconds["duplicates"] = done.seconds["duplicates"]
    report.seconds["hints"] = ref_seconds + done.seconds["hints"]
    report.seconds["prejudge"] = done.seconds["wall"]
    report.seconds["prejudge_wait"] = time.perf_counter() - t0
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
    del done, candidates
    release_free_memory()  # the write's peak is the import's: start it from what is in use
    progress("写入", 0, len(frame))
    batch, created = store.import_batch(
        parcels,
        meta,
        source_sha256=sha,
        actor=actor,
        now=now,
        links=links,
        hints=hints,
        hint_layers=hint_layers,
        progress=progress,
    )
    report.created = created
    progress("写入", len(frame), len(frame))
    return batch, created


def _bounds(geoms: np.ndarray) -> tuple[float, float, float, float]:
    minx, miny, maxx, maxy = shapely.total_bounds(geoms)
    return float(minx), float(miny), float(maxx), float(maxy)


def import_workers() -> int:
    """``$TUBAN_IMPORT_WORKERS`` (0 or 1 turns the worker processes off), else up to 2."""
    text = os.environ.get("TUBAN_IMPORT_WORKERS", "").strip()
    if not text:
        return min(2, os.cpu_count() or 1)
    try:
        return max(1, int(text))
    except ValueError:
        raise ValueError(f"TUBAN_IMPORT_WORKERS 应为整数，而不是 {text!r}") from None


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
