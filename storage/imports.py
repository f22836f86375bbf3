"""Imports: read and check a whole file, pre-judge it against reference layers, link it to what
the store already holds, then write it in one transaction."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import shapely

from geo.batch import BatchMeta
from geo.crs import Jurisdiction
from geo.import_pipeline import (
    Located,
    ReadOptions,
    describe,
    link,
    measure_area,
    normalise,
    read_opened,
    repair,
    reproject,
    summarise,
)
from geo.layers import ParcelLayer, Progress, no_progress, set_duplicates
from geo.memory import release_free_memory
from geo.prejudge import Prejudge, Prejudged
from geo.readers import open_source
from geo.references import RefKind, read_reference
from geo.report import ImportReport
from storage.batch_writer import Prepared, find_batch, write_batch
from storage.import_chunks import CHUNK_ROWS, chunked_source, prepare_chunked, spill_directory
from storage.refs import RefStore
from storage.repository import CaseStore


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
    chunk_rows: int | None = None,
    progress: Progress = no_progress,
) -> tuple[dict[str, Any], bool]:
    """Import a batch. Nothing is written unless the whole file is read and checked first.

    The stages are geo's (``geo.import_pipeline``); this function feeds them the store's data
    (reference layers, existing cases) and writes the result (``storage.batch_writer``).
    ``workers``: processes for in-file duplicates and hints of a large file (the callers pass
    the ``TUBAN_IMPORT_WORKERS`` setting; None: one per core, up to 2; 1 keeps it all in this
    process). ``chunk_rows``: a file with more 图斑 than this (``TUBAN_IMPORT_CHUNK_ROWS``;
    None: ``storage.import_chunks.CHUNK_ROWS``) is imported a spatial chunk at a time, with
    the same result, so memory stays bounded whatever its size.
    """
    path = Path(path)
    sha = file_sha256(path) if path.exists() else ""
    existing = find_batch(store.engine, sha, meta) if sha else None
    if existing is not None:  # same delivery again: skip the read entirely
        return existing, False
    refs = RefStore(store.engine)
    where = county_of(refs, jurisdiction)
    options = ReadOptions(layer, encoding, crs, field_map, where, accept_partial)
    programme = meta.programme.value
    rows = CHUNK_ROWS if chunk_rows is None else chunk_rows
    with open_source(path, layer) as (inner, name):
        source = chunked_source(inner, name, layer, rows)
        if source is not None:
            with spill_directory() as tmp:
                chunked = prepare_chunked(
                    store, source, options, programme=programme, sha=sha, meta=meta,
                    workers=workers, chunk_rows=rows, spill_dir=Path(tmp), progress=progress,
                )  # fmt: skip
                if source_name:
                    chunked = replace(chunked, layer=_renamed(chunked.layer, source_name))
                return _write(store, chunked, chunked.row_count(), actor=actor, now=now,
                              progress=progress)  # fmt: skip
        return _import_whole(store, (inner, name), meta, sha, options, refs, source_name,
                             workers, actor=actor, now=now, progress=progress)  # fmt: skip


def _import_whole(
    store: CaseStore,
    opened: tuple[Path, str],
    meta: BatchMeta,
    sha: str,
    options: ReadOptions,
    refs: RefStore,
    source_name: str | None,
    workers: int | None,
    *,
    actor: str,
    now: datetime,
    progress: Progress,
) -> tuple[dict[str, Any], bool]:
    programme = meta.programme.value
    parcels, judged, hint_layers = _prepare(opened, options, refs, programme, workers, progress)
    if source_name:
        parcels = _renamed(parcels, source_name)
    set_duplicates(parcels, judged.dup_of, judged.why)
    summarise(parcels, judged.hints)
    progress("预判", len(parcels), len(parcels))
    t0 = time.perf_counter()  # "link" counts the store's query too, as it always has
    codes = parcels.frame["code"].tolist()  # a million of them: gone once the query is built
    candidates = store.link_candidates(parcels.bounds, codes, programme)
    del codes
    links = link(parcels, candidates, programme)
    parcels.report.seconds["link"] = time.perf_counter() - t0
    batch = Prepared(parcels, meta, sha, links, judged.hints, hint_layers)
    del judged, candidates
    return _write(store, batch, len(parcels), actor=actor, now=now, progress=progress)


def _write(
    store: CaseStore,
    batch: Prepared,
    n: int,
    *,
    actor: str,
    now: datetime,
    progress: Progress,
) -> tuple[dict[str, Any], bool]:
    release_free_memory()  # the write's peak is the import's: start it from what is in use
    progress("写入", 0, n)
    row, created = write_batch(store.engine, batch, actor=actor, now=now, progress=progress)
    batch.layer.report.created = created
    progress("写入", n, n)
    return row, created


def _prepare(
    opened: tuple[Path, str],
    options: ReadOptions,
    refs: RefStore,
    programme: str,
    workers: int | None,
    progress: Progress,
) -> tuple[ParcelLayer, Prejudged, dict[str, Any]]:
    """The stages up to ``describe`` run here, while in-file duplicates and hints run on forked
    workers (``geo.prejudge``) from the moment the geometries are in EPSG:4490.

    This is the memory concern wrapped around geo's stages: what the workers need is loaded
    before the fork (so they inherit it), freed heap is handed back before it, and each stage's
    input is let go as soon as the next stage has its output.
    """
    with Prejudge(programme, workers=workers) as job:  # no worker outlives the import
        located, report = _locate(opened, options, progress)
        release_free_memory()  # what reading and reprojecting freed
        t = time.perf_counter()
        ref_set = refs.reference_set(_bounds(located.geoms))
        ref_seconds = time.perf_counter() - t
        job.start(located.codes, located.geoms, ref_set)
        parcels = describe(located, measure_area(located, report), report)
        del located
        hint_layers = ref_set.versions
        del ref_set  # the workers hold their own copy
        n = len(parcels)
        t0 = time.perf_counter()
        progress("预判", 0, n)
        area = parcels.frame["area_m2"].to_numpy()
        done = job.finish(area, progress=lambda rows: progress("预判", rows, n))
    # Each step's own seconds; with workers they overlapped each other and the area and
    # attribute work, and "prejudge" is the wall time from their start to their end.
    report.seconds["duplicates"] = done.seconds["duplicates"]
    report.seconds["hints"] = ref_seconds + done.seconds["hints"]
    report.seconds["prejudge"] = done.seconds["wall"]
    report.seconds["prejudge_wait"] = time.perf_counter() - t0
    return parcels, done, hint_layers


def _locate(
    opened: tuple[Path, str], options: ReadOptions, progress: Progress
) -> tuple[Located, ImportReport]:
    """read → normalise → repair → reproject, each stage's input let go once it is used."""
    progress("读取", 0, 1)
    raw, report = read_opened(*opened, options)
    progress("读取", 1, 1)
    fields = normalise(raw, report, options)
    del raw  # its geometries are the ones ``repair`` cleans: one copy alive at a time
    fixed = repair(fields, report)
    del fields
    progress("校验", 1, 1)
    return reproject(fixed, report, accept_partial=options.accept_partial), report


def _renamed(parcels: ParcelLayer, source_name: str) -> ParcelLayer:
    """The layer under the name the user gave the file (an upload's temporary name is not it)."""
    parcels.report.file = source_name
    return ParcelLayer(
        parcels.frame, source_name, parcels.source_crs, parcels.encoding, parcels.report
    )


def _bounds(geoms: np.ndarray) -> tuple[float, float, float, float]:
    minx, miny, maxx, maxy = shapely.total_bounds(geoms)
    return float(minx), float(miny), float(maxx), float(maxy)


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
    """Import a named, versioned reference layer (villages, farmland, permits …) of ``kind``."""
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
