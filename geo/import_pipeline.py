"""The import of a 图斑 layer as named stages, each taking data in and handing data out.

    read → normalise (fields, CRS) → repair → reproject → measure_area → describe
         → find_duplicates / hints (geo.prejudge) → link → summarise → (storage) write

``read_parcels`` runs the first stages in this process and is the whole story for a caller
without a store; ``storage.imports.import_file`` runs the same stages with the store's data
(reference layers, existing cases) in between and the memory concern (forked workers, heap
releases) wrapped around them. Stages never call back into their caller: what a stage needs
from the store is an argument, what it finds is its return value (plus notes in the report).
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Transformer

from geo.area import CGCS2000, M2_PER_MU, ellipsoidal_area_m2
from geo.crs import Jurisdiction
from geo.errors import InvalidGeometry, InvalidValue, MissingField, option_hint
from geo.fields import MAX_LENGTH, REQUIRED, display_name, resolve_fields
from geo.geometry import clean_geometries
from geo.layers import (
    CrsChoice,
    ParcelLayer,
    crs_label,
    json_column,
    resolve_crs,
    set_duplicates,
)
from geo.linking import Link, duplicates_in_file, link_to_existing
from geo.memory import map_in_slices
from geo.messages import msg
from geo.readers import RawLayer, open_source, read_raw
from geo.report import REPORT_ROWS, ImportReport, RowNote, lowest, lowest_at
from geo.text_columns import scrub_frame

# Everything Tuban manages lies in China; a reprojected 图斑 outside this box means the file's
# CRS is wrong, and storing it would put the case on the wrong continent.
CHINA_BOUNDS = (73.0, 3.0, 136.0, 54.0)
# Areas are kept to the hundredth of a m²: a smaller polygon would be stored with no area at all.
MIN_AREA_M2 = 0.01
# Below this many square degrees (about 10 m² in China) a polygon's area is worth measuring
# before it is kept; larger ones cannot fall under MIN_AREA_M2.
_SMALL_DEG2 = 1e-9
# Share of a 图斑 outside the county above which the report lists it.
OUTSIDE_LISTED = 1e-3


@dataclass(frozen=True)
class ReadOptions:
    """What the caller says about a file: the ``read_parcels`` keywords of the same names."""

    layer: str | None = None
    encoding: str | None = None
    crs: str | None = None
    field_map: Mapping[str, str] | None = None
    jurisdiction: Jurisdiction | None = None
    accept_partial: bool = False


@dataclass
class Normalised:
    """A raw layer with its fields recognised and its CRS decided, still in source coordinates.

    ``frame`` holds the source attributes (no geometry), ``geoms`` the geometries as read;
    ``swap_xy``: the file has X and Y the wrong way round (``repair`` swaps them back);
    ``beyond``: the rows a guessed CRS puts beyond the county, for the reason ``beyond_why``
    (``reproject`` lists or refuses them).
    """

    frame: pd.DataFrame
    cols: dict[str, str]  # canonical field -> source column
    attr_cols: list[str]
    codes: np.ndarray
    xzqdm: np.ndarray
    geoms: np.ndarray | None
    crs: CRS
    swap_xy: bool
    name: str
    driver: str
    encoding: str
    scrubbed: dict[str, int] = field(default_factory=dict)  # column -> values cleaned
    beyond: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    beyond_why: str = ""


@dataclass
class Repaired:
    """Normalised rows after geometry hygiene: repaired geometries, and the rows refused."""

    fields: Normalised
    geoms: np.ndarray | None  # cleaned, source coordinates
    repaired: dict[int, str] = field(default_factory=dict)  # 0-based row -> what was wrong
    rejected: dict[int, str] = field(default_factory=dict)


@dataclass
class Located:
    """The kept rows in EPSG:4490: ``rows`` are their 1-based source record numbers."""

    frame: pd.DataFrame
    cols: dict[str, str]
    attr_cols: list[str]
    rows: np.ndarray
    codes: np.ndarray
    xzqdm: np.ndarray
    geoms: np.ndarray
    crs: CRS
    name: str
    encoding: str


def read(path: Path, options: ReadOptions) -> tuple[RawLayer, ImportReport]:
    """Stage 1: the file's features as they are (a .zip is unpacked and cleaned up)."""
    with open_source(path, options.layer) as (inner, name):
        return read_opened(inner, name, options)


def read_opened(
    inner: Path, name: str, options: ReadOptions, fids: np.ndarray | None = None
) -> tuple[RawLayer, ImportReport]:
    """``read`` of a file ``open_source`` has opened; only the features ``fids`` if given."""
    t0 = time.perf_counter()
    raw = read_raw(inner, name, layer=options.layer, encoding=options.encoding, fids=fids)
    report = ImportReport(
        file=name,
        driver=raw.driver,
        layer=options.layer,
        encoding=raw.encoding,
        warnings=list(raw.notes),
    )
    report.seconds["read"] = time.perf_counter() - t0
    return raw, report


def scrub_warning(scrubbed: Mapping[str, int]) -> str:
    """The report's line on attribute text cleaned by ``geo.text_columns.scrub_frame``."""
    return "已删除属性中的控制字符、文字方向控制字符（如 U+202E）并统一为 NFC：" + "、".join(
        f"{c}（{n} 处）" for c, n in scrubbed.items()
    )


def normalise(
    raw: RawLayer,
    report: ImportReport,
    options: ReadOptions,
    crs: CrsChoice | None = None,
) -> Normalised:
    """Stage 2: recognise the required fields and decide the source CRS (given, file, guessed).

    ``crs``: the choice already made for the whole file, for these rows (a chunk of a large
    import is not the place to guess it)."""
    t0 = time.perf_counter()
    name = raw.name
    report.read = len(raw.frame)
    if len(raw.frame) == 0:
        raise InvalidValue("图层中没有任何图斑", file=name)
    frame, scrubbed = scrub_frame(raw.frame, name)
    if scrubbed:
        report.warnings.append(scrub_warning(scrubbed))
    attr_cols = [c for c in frame.columns if c != "geometry"]
    try:
        cols = resolve_fields(attr_cols, options.field_map, raw.extra_aliases)
    except InvalidValue as exc:
        exc.details.setdefault("file", name)
        raise
    for canonical in REQUIRED:
        if canonical not in cols:
            raise MissingField(
                msg("import.missing_field", field=display_name(canonical)),
                file=name,
                option="field_map",
                field=display_name(canonical),
                columns=attr_cols,
            )
    report.fields = dict(cols)
    if crs is None:
        crs = resolve_crs(
            _boxes(frame, guess=not options.crs and frame.crs is None),
            frame.crs,
            (options.crs, options.jurisdiction),
            report,
            name,
        )
    out = Normalised(
        frame=pd.DataFrame(frame.drop(columns="geometry")),
        cols=cols,
        attr_cols=attr_cols,
        codes=_text_column(frame[cols["code"]]),
        xzqdm=_text_column(frame[cols["xzqdm"]]),
        geoms=frame.geometry.to_numpy(),
        crs=crs.crs,
        swap_xy=crs.swap_xy,
        name=name,
        driver=raw.driver,
        encoding=raw.encoding,
        scrubbed=dict(scrubbed),
        beyond=crs.beyond,
        beyond_why=crs.why,
    )
    report.seconds["validate_reproject"] = time.perf_counter() - t0
    return out


def _boxes(frame: gpd.GeoDataFrame, *, guess: bool) -> np.ndarray:
    """Each feature's box when its CRS is to be guessed from them; else a placeholder of the
    same length that costs no memory (a million boxes are 32 MB and a tenth of a second)."""
    if guess:
        return shapely.bounds(frame.geometry.to_numpy())
    return np.broadcast_to(np.nan, (len(frame), 4))


def repair(fields: Normalised, report: ImportReport) -> Repaired:
    """Stage 3: X/Y put right, 2D forced, invalid rings repaired; rows without a usable
    geometry or key are listed as rejected.

    Takes ``fields.geoms`` over (leaving None there): only one copy of the geometries should be
    alive at a time, and at a million 图斑 each copy costs about half a gigabyte.
    """
    t0 = time.perf_counter()
    geoms, fields.geoms = _handed_on(fields.geoms, "repair"), None
    if fields.swap_xy:
        geoms = shapely.transform(geoms, lambda c: c[:, ::-1])
    cleaned = clean_geometries(geoms, allow_points=fields.driver in ("CSV", "XLSX"))
    del geoms
    rejected = dict(cleaned.rejected)
    for key, values in (("code", fields.codes), ("xzqdm", fields.xzqdm)):
        col, most = fields.cols[key], MAX_LENGTH[key]
        for i in np.flatnonzero(values == ""):
            rejected.setdefault(int(i), f"字段 {col} 为空")
        lengths = np.fromiter(map(len, values), int, len(values))
        for i in np.flatnonzero(lengths > most):
            rejected.setdefault(int(i), f"字段 {col} 过长：{lengths[i]} 个字符，最多 {most} 个")
    _reject_pointless_areas(fields, cleaned.geoms, rejected)
    report.seconds["validate_reproject"] += time.perf_counter() - t0
    return Repaired(fields, cleaned.geoms, cleaned.repaired, rejected)


def _reject_pointless_areas(
    fields: Normalised, geoms: np.ndarray, rejected: dict[int, str]
) -> None:
    """A 图斑 given by its centre point has only its declared area: without a finite, positive
    one it would count as nothing in every area indicator, so the row is refused."""
    points = np.flatnonzero(shapely.get_type_id(geoms) == 0)
    if not len(points):
        return
    col = fields.cols.get("declared_area")
    if col is None:
        for i in points:
            rejected.setdefault(int(i), "按中心点导入的图斑须有面积字段（如 面积/JCMJ）")
        return
    area = _declared_area(fields.frame, col)
    for i in points[~(np.isfinite(area[points]) & (area[points] > 0))]:
        rejected.setdefault(int(i), f"字段 {col} 不是正的面积：{fields.frame[col].iloc[i]!r}")


def reproject(
    fixed: Repaired, report: ImportReport, *, accept_partial: bool, refuse: bool = True
) -> Located:
    """Stage 4: to CGCS2000 (EPSG:4490); then refuse the file, or drop and list the bad rows.

    Takes ``fixed.geoms`` over, like ``repair``. ``refuse=False``: only list them (a chunk of a
    large import: the file is refused once all its chunks are checked). Rows a guessed CRS puts
    beyond the county are refused with ``accept_partial``, else kept and listed.
    """
    t0 = time.perf_counter()
    f = fixed.fields
    geoms, fixed.geoms = _handed_on(fixed.geoms, "reproject"), None
    lonlat = _to_cgcs2000(geoms, f.crs)
    del geoms
    rejected = fixed.rejected
    wrong = f"坐标换算后不在中国境内，坐标系 {crs_label(f.crs)} 可能有误"
    for i in _outside_china(lonlat):
        rejected.setdefault(int(i), wrong)
    for i in _too_small(lonlat, skip=rejected):
        rejected.setdefault(int(i), f"椭球面积不足 {MIN_AREA_M2} 平方米")
    codes = f.codes
    _note_beyond(f, lonlat, rejected, report, accept_partial=accept_partial)
    for kind, notes in (("repaired", fixed.repaired), ("rejected", rejected)):
        entries = [RowNote(i + 1, codes[i] or None, notes[i]) for i in lowest(notes)]
        report.add_rows(kind, entries, len(notes))
    if refuse and rejected and (not accept_partial or len(rejected) == len(f.frame)):
        # With every row refused there is nothing partial to accept: an empty batch would
        # only hide that the whole file is unusable.
        raise_rejected(report, f.name, f.cols, none_left=len(rejected) == len(f.frame))
    keep = np.setdiff1d(np.arange(len(f.frame)), np.fromiter(rejected, int, len(rejected)))
    out = Located(
        frame=f.frame.iloc[keep],
        cols=f.cols,
        attr_cols=f.attr_cols,
        rows=keep + 1,
        codes=codes[keep],
        xzqdm=f.xzqdm[keep],
        geoms=lonlat[keep],
        crs=f.crs,
        name=f.name,
        encoding=f.encoding,
    )
    report.seconds["validate_reproject"] += time.perf_counter() - t0
    return out


def _note_beyond(
    f: Normalised,
    lonlat: np.ndarray,
    rejected: dict[int, str],
    report: ImportReport,
    *,
    accept_partial: bool,
) -> None:
    """The rows a guessed CRS puts beyond the county: refused with ``accept_partial``, else
    kept and listed in the report (``crs_outliers``) with where they would lie."""
    beyond = np.flatnonzero(f.beyond)
    if not len(beyond):
        return
    beyond = beyond[~np.isin(beyond, np.fromiter(rejected, int, len(rejected)))]
    if accept_partial:
        for i in beyond:
            rejected[int(i)] = f.beyond_why
        return
    listed = beyond[:REPORT_ROWS]  # ascending already: the lowest rows
    b = shapely.bounds(lonlat[listed])
    report.add_rows(
        "crs_outliers",
        (
            {
                "row": int(i) + 1,
                "code": f.codes[i] or None,
                "lon": round(float((b[k, 0] + b[k, 2]) / 2), 5),
                "lat": round(float((b[k, 1] + b[k, 3]) / 2), 5),
                "reason": f.beyond_why,
            }
            for k, i in enumerate(listed)
        ),
        len(beyond),
    )


def measure_area(located: Located, report: ImportReport) -> np.ndarray:
    """Stage 5: ellipsoidal area in m² (a 图斑 given as a point gets its declared area)."""
    t0 = time.perf_counter()
    area = ellipsoidal_area_m2(located.geoms)
    points = shapely.get_type_id(located.geoms) == 0
    if points.any():
        area[points] = _declared_area(located.frame, located.cols.get("declared_area"))[points]
        report.points = int(points.sum())
    report.seconds["area"] = time.perf_counter() - t0
    return area


def describe(located: Located, area_m2: np.ndarray, report: ImportReport) -> ParcelLayer:
    """Stage 6: the layer to store: keys, kept attributes as JSON, delivered land class, areas.

    ``dup_of`` is -1 throughout until ``find_duplicates`` (or ``geo.prejudge``) fills it.
    """
    cols = located.cols
    kept_attrs = [c for c in located.attr_cols if c not in (cols["code"], cols["xzqdm"])]
    report.attributes_kept = kept_attrs
    attributes = json_column(located.frame, kept_attrs)
    if attributes.str.contains("\ufffd", regex=False).any():
        report.warnings.append(
            "属性中含有无法解码的字符（\ufffd），编码可能不对，" + option_hint("encoding")
        )
    before = (
        _land_classes(located.frame[cols["land_class_before"]])
        if "land_class_before" in cols
        else np.full(len(located.frame), None, dtype=object)
    )
    out = gpd.GeoDataFrame(
        {
            "row": located.rows,
            "code": located.codes,
            "xzqdm": located.xzqdm,
            "attributes": attributes,
            "delivered_land_class": before,
            "area_m2": np.round(area_m2, 2),
            "area_mu": np.round(area_m2 / M2_PER_MU, 4),
            "dup_of": np.full(len(located.codes), -1),
        },
        geometry=located.geoms,
        crs=CGCS2000,
    )
    report.source_crs = crs_label(located.crs)
    return ParcelLayer(out, located.name, report.source_crs, located.encoding, report)


def find_duplicates(layer: ParcelLayer) -> None:
    """Stage 7, in this process: mark the rows that repeat an earlier row of the same file.

    Its twin is ``geo.hints.compute_hints``; ``geo.prejudge`` runs both on worker processes."""
    t0 = time.perf_counter()
    dup_of, why = duplicates_in_file(
        layer.frame["code"].to_numpy(), layer.frame.geometry.to_numpy()
    )
    layer.report.seconds["duplicates"] = time.perf_counter() - t0
    set_duplicates(layer, dup_of, why)


def link(layer: ParcelLayer, existing: pd.DataFrame, programme: str) -> list[Link]:
    """Stage 8: links of the rows that are not in-file duplicates to the store's cases
    (``existing``: id, code, programme, geometry), by row of ``layer``."""
    frame = layer.frame
    fresh = (frame["dup_of"] < 0).to_numpy()
    links = link_to_existing(
        frame["code"].to_numpy()[fresh], frame.geometry.to_numpy()[fresh], programme, existing
    )
    index = fresh.nonzero()[0]
    return [Link(int(index[k.row]), k.case_id, k.kind, k.reason, k.iou) for k in links]


def summarise(layer: ParcelLayer, hints: pd.DataFrame) -> None:
    """Stage 9: the hints' counts and the 图斑 reaching outside the county, into the report."""
    report, frame = layer.report, layer.frame
    report.hints = hint_summary(hints)
    share = hints["outside_share"]
    outside = np.flatnonzero(share.fillna(0).to_numpy() > OUTSIDE_LISTED)
    rows, codes = frame["row"].to_numpy(), frame["code"].to_numpy()
    listed = outside[lowest_at(rows[outside])]
    report.add_rows(
        "outside",
        (
            {"row": int(rows[i]), "code": codes[i], "outside_share": float(share.iloc[i])}
            for i in listed
        ),
        len(outside),
    )


def hint_summary(h: pd.DataFrame) -> dict[str, int]:
    """How many 图斑 each kind of hint concerns (``h``: ``geo.hints.compute_hints``' frame)."""
    approval = h["approval_share"].fillna(0)
    return {
        "located": int(h["township_code"].notna().sum()),
        "on_farmland": int((h["farmland_m2"].fillna(0) > 0.5).sum()),
        "permit_inside": int((h["permit_relation"] == "inside").sum()),
        "permit_partly_outside": int((h["permit_relation"] == "partly_outside").sum()),
        "permit_outside": int((h["permit_relation"] == "outside").sum()),
        "approval_covered": int((approval >= 0.999).sum()),
        "approval_partial": int(((approval > 0.001) & (approval < 0.999)).sum()),
        "outside_county": int((h["outside_share"].fillna(0) > OUTSIDE_LISTED).sum()),
    }


def read_parcels(
    path: str | Path,
    *,
    layer: str | None = None,
    encoding: str | None = None,
    crs: str | None = None,
    field_map: Mapping[str, str] | None = None,
    jurisdiction: Jurisdiction | None = None,
    accept_partial: bool = False,
) -> ParcelLayer:
    """Read a 图斑 layer: Shapefile (also zipped), GeoPackage, GeoJSON, FileGDB, KML, XLSX, CSV.

    The stages read → normalise → repair → reproject → measure_area → describe →
    find_duplicates, in this process.

    Parameters
    ----------
    crs : override the file's CRS (any pyproj input, e.g. "EPSG:4527", "EPSG:2363" for Xian 80).
        Without it and without a CRS in the file, one is guessed from coordinate magnitudes and
        ``jurisdiction``, and the report says so.
    field_map : ``{canonical: source column}`` for fields the aliases don't recognise.
    accept_partial : import the good rows and list rejected ones in the report, instead of
        refusing the whole file when any row is unusable.

    Raises an ``ImportError_`` subclass naming the file, row and field on any problem.
    """
    options = ReadOptions(layer, encoding, crs, field_map, jurisdiction, accept_partial)
    raw, report = read(Path(path), options)
    fields = normalise(raw, report, options)
    del raw  # its geometries are the ones ``repair`` cleans: one copy alive at a time
    located = reproject(repair(fields, report), report, accept_partial=accept_partial)
    del fields
    parcels = describe(located, measure_area(located, report), report)
    find_duplicates(parcels)
    return parcels


def _handed_on(geoms: np.ndarray | None, stage: str) -> np.ndarray:
    if geoms is None:  # a stage run twice on one input: its geometries went to the first run
        raise ValueError(f"{stage}: the geometries of this input were already handed on")
    return geoms


def _to_cgcs2000(geoms: np.ndarray, crs: CRS) -> np.ndarray:
    if crs.equals(CGCS2000):
        return geoms
    t = Transformer.from_crs(crs, CGCS2000, always_xy=True)
    return map_in_slices(
        lambda part: shapely.transform(
            part, lambda c: np.column_stack(t.transform(c[:, 0], c[:, 1]))
        ),
        geoms,
    )


def raise_rejected(
    report: ImportReport, name: str, cols: dict[str, str], *, none_left: bool
) -> None:
    """Refuse the file for the rows in ``report.rejected``, naming the first and the field."""
    first = report.rejected[0]
    field = next((c for c in cols.values() if first.reason.startswith(f"字段 {c} ")), "geometry")
    cls = InvalidValue if field != "geometry" else InvalidGeometry
    more = f"（共 {report.rejected_count} 行有问题）" if report.rejected_count > 1 else ""
    raise cls(
        f"第 {first.row} 行：{first.reason}{more}；"
        + (
            "没有可导入的行，修正后重新导入"
            if none_left
            else "修正后重新导入，或用 --accept-partial 只导入其余行"
        ),
        file=name,
        row=first.row,
        field=field,
        code=first.code,
        reason=first.reason,
        rejected=[
            {"row": r.row, "code": r.code, "reason": r.reason} for r in report.rejected[:200]
        ],
    )


def _outside_china(lonlat: np.ndarray) -> np.ndarray:
    minx, miny, maxx, maxy = CHINA_BOUNDS
    b = shapely.bounds(lonlat)
    with np.errstate(invalid="ignore"):
        bad = ~((b[:, 0] >= minx) & (b[:, 2] <= maxx) & (b[:, 1] >= miny) & (b[:, 3] <= maxy))
    bad &= ~shapely.is_missing(lonlat)
    return np.flatnonzero(bad)


def _too_small(lonlat: np.ndarray, skip: Mapping[int, str]) -> np.ndarray:
    """Rows (not already in ``skip``) whose polygon has less than MIN_AREA_M2 of ellipsoidal
    area."""
    polygonal = np.isin(shapely.get_type_id(lonlat), (3, 6))
    with np.errstate(invalid="ignore"):
        small = polygonal & (shapely.area(lonlat) < _SMALL_DEG2)
    rows = np.setdiff1d(np.flatnonzero(small), np.fromiter(skip, int, len(skip)))
    if not len(rows):
        return rows
    return rows[ellipsoidal_area_m2(lonlat[rows]) < MIN_AREA_M2]


def _declared_area(frame: pd.DataFrame, col: str | None) -> np.ndarray:
    if col is None:
        return np.zeros(len(frame))
    return pd.to_numeric(frame[col], errors="coerce").fillna(0).to_numpy(dtype=float)


def _text_column(col: pd.Series) -> np.ndarray:
    """Identifiers as trimmed text, vectorised; blank for missing values."""
    if pd.api.types.is_float_dtype(col):  # admin codes stored as numbers in some DBFs
        return np.array([_clean_text(v) for v in col.tolist()], dtype=object)
    return col.astype("string").fillna("").str.strip().to_numpy(dtype=object)


_CLASS_CODE = re.compile(r"^\d{2}([0-9A-Z]{2}K?)?$")


def _land_classes(col: pd.Series) -> np.ndarray:
    """The delivered 前时相地类 as 三调 codes, None where it is not one. Kept as a column (not
    only among the attributes) because the 耕地 share of new construction is counted from it.
    A DBF may hold the code as a number, dropping its leading zero (103 for 0103)."""
    out = np.full(len(col), None, dtype=object)
    for i, v in enumerate(_text_column(col)):
        s = v.upper()
        if s.isdigit() and len(s) in (1, 3):
            s = s.zfill(len(s) + 1)
        if _CLASS_CODE.match(s):
            out[i] = s
    return out


def _clean_text(v: Any) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    if isinstance(v, float) and v.is_integer():
        v = int(v)  # admin codes stored as numbers in some DBFs
    return str(v).strip()
