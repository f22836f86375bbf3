"""A large delivery imported a spatial chunk at a time, so its memory does not grow with it.

The whole-file import (``storage.imports``) holds every 图斑 at once: about 2.5 GB at a million.
Here the file's boxes are read first (``pyogrio.read_bounds``: a few bytes per 图斑), the rows
are split into compact chunks (``geo.chunking``), and each chunk goes through geo's stages
on its own: read (by feature id), check, reproject, area, hints against the reference features
near it, links to the store's cases near it. What needs the whole file is kept small and
global: each kept row's code (Arrow text) and the overlapping pairs, from which the in-file
duplicates are resolved exactly as the whole-file import resolves them. Each prepared chunk
is spilled to a temporary file and read back by the write stage, which stores the batch in one
transaction as always: all or nothing, and the same cases, reissues and report as the whole-file
import of the same file (``tests/storage/test_import_chunks.py`` compares them).

Only formats GDAL reads by feature id cheaply are chunked (Shapefile, GeoPackage, FileGDB,
FlatGeobuf); GeoJSON, KML and tables are read whole.
"""

from __future__ import annotations

import pickle
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyproj import CRS

from geo.area import CGCS2000
from geo.chunking import halo, spatial_chunks
from geo.encoding import whole_shapefile_encoding
from geo.errors import InvalidValue
from geo.import_pipeline import (
    Located,
    ReadOptions,
    describe,
    measure_area,
    normalise,
    raise_rejected,
    read_opened,
    repair,
    reproject,
    scrub_warning,
    summarise,
)
from geo.layers import CrsChoice, ParcelLayer, Progress, crs_label, resolve_crs
from geo.linking import Link, link_to_existing, resolve_duplicates
from geo.memory import release_free_memory
from geo.prejudge import Prejudge
from geo.readers import pick_layer
from geo.report import ImportReport, RowNote, lowest_at
from storage.batch_writer import Part, Prepared
from storage.refs import RefStore
from storage.repository import CaseStore

# Rows per chunk: at about 2.5 KB per 图斑 through the stages (parent and workers), 250 000
# keep a chunk near 0.7 GB, leaving room under a 3 GB ceiling for the per-row arrays that grow
# with the file (boxes, codes, pairs: ~90 bytes a 图斑).
CHUNK_ROWS = 250_000
# What the write stage reads of every row more than once (storage.batch_writer.Part).
SUMMARY_COLUMNS = ("row", "code", "area_m2")
# Drivers that read a feature by id without scanning the file (GDAL's random access).
RANDOM_ACCESS = frozenset({"ESRI Shapefile", "GPKG", "OpenFileGDB", "FlatGeobuf"})


@dataclass
class Source:
    """A file that will be imported in chunks: its features' ids and boxes, in file order."""

    path: Path  # readable (a .zip already unpacked by the caller)
    name: str
    layer: str | None
    driver: str
    fids: np.ndarray
    bounds: np.ndarray  # (n, 4), the file's own coordinates; NaN without a geometry
    crs: CRS | None


def chunked_source(path: Path, name: str, layer: str | None, chunk_rows: int) -> Source | None:
    """The file as a ``Source`` when it has more than ``chunk_rows`` features and a driver
    that reads by id; None: import it whole."""
    if path.suffix.lower() in (".csv", ".xlsx", ".xls", ".txt"):
        return None
    try:
        picked = pick_layer(path, name, layer)
        info = pyogrio.read_info(path, layer=picked)
    except Exception:  # noqa: BLE001 - the whole-file reader reports an unreadable file
        return None
    if info.get("driver") not in RANDOM_ACCESS or int(info.get("features") or 0) <= chunk_rows:
        return None
    fids, b = pyogrio.read_bounds(path, layer=picked)
    bounds = np.asarray(b, dtype=float).T.copy()
    # GDAL gives an empty geometry the box (0, 0, 0, 0): it has no place, like a missing one.
    bounds[(bounds == 0).all(axis=1)] = np.nan
    crs = CRS.from_user_input(info["crs"]) if info.get("crs") else None
    return Source(path, name, picked, str(info["driver"]), np.asarray(fids), bounds, crs)


@dataclass
class _Found:
    """What the chunks found that the whole file's write needs, kept small."""

    positions: list[np.ndarray] = field(default_factory=list)  # kept own rows, per chunk
    hashes: list[np.ndarray] = field(default_factory=list)  # their codes' 64-bit hashes
    later: list[np.ndarray] = field(default_factory=list)  # overlapping pairs, by position
    earlier: list[np.ndarray] = field(default_factory=list)
    links: list[tuple[int, Link]] = field(default_factory=list)  # (position, link by row)
    spills: list[Path] = field(default_factory=list)
    scrubbed: dict[str, int] = field(default_factory=dict)
    read_notes: list[str] = field(default_factory=list)  # the reader's, as in a whole read
    late_notes: list[str] = field(default_factory=list)  # the later stages'
    hint_layers: dict[str, Any] | None = None


def prepare_chunked(
    store: CaseStore,
    source: Source,
    options: ReadOptions,
    *,
    programme: str,
    sha: str,
    meta: Any,
    workers: int | None,
    chunk_rows: int,
    spill_dir: Path,
    progress: Progress,
) -> Prepared:
    """Every chunk through geo's stages, then the whole file's duplicates and links: the
    batch ready for ``storage.batch_writer.write_batch``, its rows spilled in ``spill_dir``."""
    refs = RefStore(store.engine)
    report = ImportReport(file=source.name, driver=source.driver, layer=options.layer)
    n = len(source.fids)
    crs = _decide_crs(source, options, report)
    crs_notes, report.warnings = report.warnings, []
    found = _Found()
    options, encoding = _one_encoding(source, options)
    first: dict[str, str] | None = None
    kept_attributes: list[str] | None = None
    refused = False
    done = 0
    for k, own in enumerate(spatial_chunks(source.bounds, chunk_rows)):
        t0 = time.perf_counter()
        located, part = _locate(source, own, options, crs, found)
        if first is None:
            first = part.fields
            report.encoding, report.fields = encoding or part.encoding, dict(part.fields)
        refused = refused or (part.rejected_count > 0 and not options.accept_partial)
        if not refused and len(located.rows):
            side = _halo_rows(source, own, options, crs)
            spill = spill_dir / f"chunk-{k:05d}.pickle"
            _prepare_chunk(refs, store, located, side, programme, workers, part, found, spill)
            del side
            if kept_attributes is None:  # known once a chunk is described; the same for all
                kept_attributes = part.attributes_kept
        # else the file will be refused: only the other chunks' checks are still wanted
        del located
        _merge(report, part, found)
        report.seconds["chunks"] = report.seconds.get("chunks", 0.0) + time.perf_counter() - t0
        done += len(own)
        progress("预判", done, n)
        release_free_memory()
    assert first is not None  # a file has at least one chunk
    report.read = n
    scrub = [scrub_warning(found.scrubbed)] if found.scrubbed else []
    report.warnings = found.read_notes + scrub + crs_notes + found.late_notes
    # The row lists are merged in row order, whatever order the chunks came in (add_rows).
    rejected = report.rejected_count
    if rejected and (not options.accept_partial or rejected == n):
        raise_rejected(report, source.name, first, none_left=rejected == n)
    report.attributes_kept = kept_attributes or []
    report.source_crs = crs_label(crs.crs)
    return _whole_file(source, meta, sha, report, found)


def _one_encoding(source: Source, options: ReadOptions) -> tuple[ReadOptions, str | None]:
    """A Shapefile's attribute encoding decided once for every chunk (see
    ``geo.encoding.whole_shapefile_encoding``), and the report's line on it; others as given."""
    if options.encoding is not None or source.path.suffix.lower() != ".shp":
        return options, None
    encoding, note = whole_shapefile_encoding(source.path)
    if encoding is None:
        return options, None  # the .cpg holds: GDAL applies it to every chunk alike
    return replace(options, encoding=encoding), note


def _decide_crs(source: Source, options: ReadOptions, report: ImportReport) -> CrsChoice:
    """The whole file's CRS, as the whole-file import decides it (given, the file's, or guessed
    from where most of its features fall), noted once in ``report``."""
    where = (options.crs, options.jurisdiction)
    return resolve_crs(source.bounds, source.crs, where, report, source.name)


def _locate(
    source: Source,
    rows: np.ndarray,
    options: ReadOptions,
    crs: CrsChoice,
    found: _Found | None = None,
) -> tuple[Located, ImportReport]:
    """Rows ``rows`` (positions in the file, ascending) read → normalised → repaired →
    reprojected, never refused here; ``Located.rows`` and the report's row notes are their
    1-based places in the whole file. With ``found``, the reader's notes and the cleaned
    attribute counts go there (a halo's do not: its own chunk reports them)."""
    raw, part = read_opened(source.path, source.name, options, fids=source.fids[rows])
    if len(raw.frame) != len(rows):
        raise InvalidValue(
            f"按要素编号读取到 {len(raw.frame)} 个要素，应为 {len(rows)} 个", file=source.name
        )
    notes = list(part.warnings)
    fields = normalise(raw, part, options, crs.of_rows(rows))
    del raw
    if found is not None:
        found.read_notes += [w for w in notes if w not in found.read_notes]
        for col, count in fields.scrubbed.items():
            found.scrubbed[col] = found.scrubbed.get(col, 0) + count
    part.warnings = []  # from here on: only what the later stages add
    partial = options.accept_partial  # with refuse=False: only how strays are treated
    located = reproject(repair(fields, part), part, accept_partial=partial, refuse=False)
    located.rows = rows[located.rows - 1] + 1
    part.repaired = [_renumbered(r, rows) for r in part.repaired]
    part.rejected = [_renumbered(r, rows) for r in part.rejected]
    part.crs_outliers = [{**e, "row": int(rows[e["row"] - 1] + 1)} for e in part.crs_outliers]
    return located, part


def _renumbered(note: RowNote, rows: np.ndarray) -> RowNote:
    return RowNote(int(rows[note.row - 1] + 1), note.code, note.reason)


def _merge(report: ImportReport, part: ImportReport, found: _Found) -> None:
    """A chunk's report into the file's: its row notes, counts and seconds."""
    found.late_notes += [w for w in part.warnings if w not in found.late_notes]
    report.merge_rows(part)
    report.points += part.points
    for key, value in part.hints.items():
        report.hints[key] = report.hints.get(key, 0) + value
    for key, secs in part.seconds.items():
        report.seconds[key] = report.seconds.get(key, 0.0) + secs


def _halo_rows(
    source: Source, own: np.ndarray, options: ReadOptions, crs: CrsChoice
) -> Located | None:
    """The kept rows of other chunks that may overlap this one (their checks are reported by
    their own chunk, so this chunk's are dropped)."""
    side = halo(source.bounds, own)
    if not len(side):
        return None
    located, _ = _locate(source, side, options, crs)
    return located


def _prepare_chunk(
    refs: RefStore,
    store: CaseStore,
    located: Located,
    side: Located | None,
    programme: str,
    workers: int | None,
    part: ImportReport,
    found: _Found,
    spill: Path,
) -> None:
    """Area, hints, overlapping pairs and links of one chunk's kept rows (``part`` gets their
    notes, counts and seconds); its layer spilled to ``spill``."""
    own = len(located.rows)
    geoms = located.geoms if side is None else np.concatenate([located.geoms, side.geoms])
    order = located.rows if side is None else np.concatenate([located.rows, side.rows])
    t0 = time.perf_counter()
    ref_set = refs.reference_set(_bounds(located.geoms))
    ref_seconds = time.perf_counter() - t0
    found.hint_layers = ref_set.versions
    with Prejudge(programme, workers=workers) as job:
        job.start(located.codes, geoms, ref_set, order=order, own_rows=own)
        del geoms, ref_set
        parcels = describe(located, measure_area(located, part), part)
        judged = job.finish(parcels.frame["area_m2"].to_numpy())
    assert judged.pairs is not None  # a chunk's job gives pairs
    later, earlier = judged.pairs
    found.later.append(order[later] - 1)
    found.earlier.append(order[earlier] - 1)
    summarise(parcels, judged.hints)
    part.seconds["duplicates"] = judged.seconds["duplicates"]
    part.seconds["hints"] = ref_seconds + judged.seconds["hints"]
    part.seconds["prejudge"] = judged.seconds["wall"]
    t0 = time.perf_counter()
    codes = parcels.frame["code"].to_numpy()
    candidates = store.link_candidates(parcels.bounds, codes.tolist(), programme)
    links = link_to_existing(codes, parcels.frame.geometry.to_numpy(), programme, candidates)
    part.seconds["link"] = time.perf_counter() - t0
    positions = located.rows - 1
    found.links += [(int(positions[k.row]), k) for k in links]
    found.positions.append(positions)
    found.hashes.append(_code_hashes(codes))
    frame = parcels.frame
    with spill.open("wb") as fh:
        pickle.dump((frame, judged.hints), fh, protocol=5)
    # The columns the write reads several times, apart: a few MB, where the whole chunk
    # costs a second or more to read back (geometries, attribute text).
    summary = pd.DataFrame({c: frame[c].to_numpy() for c in SUMMARY_COLUMNS})
    hints = judged.hints[["township_code"]] if judged.hints is not None else None
    bounds = tuple(float(v) for v in frame.total_bounds) if len(frame) else None
    with _summary_path(spill).open("wb") as fh:
        pickle.dump((summary, hints, bounds), fh, protocol=5)
    found.spills.append(spill)


def _summary_path(spill: Path) -> Path:
    return spill.with_suffix(".summary.pickle")


def _whole_file(
    source: Source, meta: Any, sha: str, report: ImportReport, found: _Found
) -> Prepared:
    """The in-file duplicates and links of the whole file from what the chunks found; rows
    are numbered by their place among the kept rows in file order, as in a whole-file import."""
    kept = np.concatenate(found.positions) if found.positions else np.zeros(0, int)
    order = np.argsort(kept, kind="stable")
    kept_sorted = kept[order]
    hashes = np.concatenate(found.hashes)[order] if found.hashes else np.zeros(0, np.uint64)
    del order
    spills = list(found.spills)
    indexes = [np.searchsorted(kept_sorted, positions) for positions in found.positions]

    def summaries() -> Iterator[Part]:
        for spill, index in zip(spills, indexes, strict=True):
            with _summary_path(spill).open("rb") as fh:
                frame, hints, bounds = pickle.load(fh)  # noqa: S301 - our own temporary file
            yield Part(index, frame, hints, bounds)

    read_codes = partial(_codes_of, summaries, len(kept_sorted))
    repeats = _code_repeats(hashes, read_codes)
    del hashes
    later = np.searchsorted(kept_sorted, np.concatenate(found.later or [np.zeros(0, int)]))
    earlier = np.searchsorted(kept_sorted, np.concatenate(found.earlier or [np.zeros(0, int)]))
    dup_of, why = resolve_duplicates(repeats, later, earlier)
    del repeats, later, earlier
    _note_duplicates(report, kept_sorted, read_codes, dup_of, why)
    links = sorted(
        (
            Link(int(np.searchsorted(kept_sorted, pos)), k.case_id, k.kind, k.reason, k.iou)
            for pos, k in found.links
        ),
        key=lambda k: k.row,
    )
    links = [k for k in links if dup_of[k.row] < 0]

    def parts(wanted: np.ndarray | None) -> Iterator[Part]:
        for spill, index in zip(spills, indexes, strict=True):
            if wanted is not None and not wanted[index].any():
                continue  # nothing this pass wants: not read back at all
            with spill.open("rb") as fh:
                frame, hints = pickle.load(fh)  # noqa: S301 - our own temporary file
            yield Part(index, frame, hints)

    empty = gpd.GeoDataFrame({"row": [], "code": []}, geometry=[], crs=CGCS2000)
    layer = ParcelLayer(empty, source.name, report.source_crs, report.encoding, report)
    return Prepared(
        layer,
        meta,
        sha,
        links,
        hints=None,
        hint_layers=found.hint_layers,
        parts=parts,
        summaries=summaries,
        dup_of=dup_of,
        rows=len(kept_sorted),
    )


def _code_hashes(codes: np.ndarray) -> np.ndarray:
    """64-bit hashes of a chunk's codes: 8 bytes a 图斑 kept for the whole file instead of the
    text (~30 bytes, and several times that while the repeats are found)."""
    return pd.util.hash_array(np.asarray(codes, dtype=object), categorize=False)


def _codes_of(summaries: Callable[[], Iterator[Part]], n: int, rows: np.ndarray) -> dict[int, str]:
    """The codes of ``rows`` (places among the ``n`` kept rows), read from the chunks'
    summaries."""
    wanted = np.zeros(n, bool)
    wanted[rows] = True
    out: dict[int, str] = {}
    for part in summaries():
        mine = np.flatnonzero(wanted[part.index])
        codes = part.frame["code"].to_numpy()[mine]
        out.update(zip(part.index[mine].tolist(), codes.tolist(), strict=True))
    return out


def _code_repeats(
    hashes: np.ndarray, read_codes: Callable[[np.ndarray], dict[int, str]]
) -> np.ndarray:
    """``geo.linking.code_repeats`` from the codes' hashes, exact: the rows whose hash another
    row shares (the only ones that can repeat a code, usually a few) are decided on their
    codes, read back, so a collision of two different codes changes nothing."""
    rep = np.full(len(hashes), -1, dtype=np.int64)
    if not len(hashes):
        return rep
    order = np.argsort(hashes, kind="stable")
    ordered = hashes[order]
    same = np.flatnonzero(ordered[1:] == ordered[:-1])
    if not len(same):
        return rep
    shared = np.unique(order[np.concatenate([same, same + 1])])  # ascending rows
    codes = read_codes(shared)
    first: dict[str, int] = {}
    for row in shared.tolist():
        root = first.setdefault(codes[row], row)
        if root != row:
            rep[row] = root
    return rep


def _note_duplicates(
    report: ImportReport,
    kept: np.ndarray,
    read_codes: Callable[[np.ndarray], dict[int, str]],
    dup_of: np.ndarray,
    why: list[str],
) -> None:
    dups = np.flatnonzero(dup_of >= 0)
    if not len(dups):
        return
    reasons = Counter(f"in_file_{why[i]}" for i in dups)
    dups = dups[lowest_at(kept[dups])]  # only these are listed; reasons counts them all
    codes = read_codes(np.concatenate([dups, dup_of[dups]]))
    mine = [codes[i] for i in dups.tolist()]
    roots = [codes[i] for i in dup_of[dups].tolist()]
    report.add_links(
        (
            {
                "row": int(kept[i] + 1),
                "code": code,
                "linked_code": root,
                "reason": f"in_file_{why[i]}",
                "iou": None,
            }
            for i, code, root in zip(dups.tolist(), mine, roots, strict=True)
        ),
        reasons,
    )


def _bounds(geoms: np.ndarray) -> tuple[float, float, float, float]:
    minx, miny, maxx, maxy = shapely.total_bounds(geoms)
    return float(minx), float(miny), float(maxx), float(maxy)


def spill_directory() -> tempfile.TemporaryDirectory[str]:
    """Where the chunks wait for the write (removed when the import ends, however it ends)."""
    return tempfile.TemporaryDirectory(prefix="tuban-import-")
