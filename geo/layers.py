"""Read a delivered 图斑 layer into a clean GeoDataFrame in CGCS2000 with ellipsoidal areas.

The whole file is read and checked before anything is stored: the caller gets either a layer
that can be imported as it is, with a report of what was repaired, guessed and linked, or one
error that names the file, row and field.
"""

from __future__ import annotations

import json
import math
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError

from geo.area import CGCS2000, M2_PER_MU, ellipsoidal_area_m2
from geo.crs import Jurisdiction, guess_crs, to_lonlat_bounds
from geo.errors import InvalidGeometry, InvalidValue, MissingCRS, MissingField, UnreadableFile
from geo.fields import REQUIRED, display_name, resolve_fields
from geo.geometry import clean_geometries
from geo.linking import duplicates_in_file
from geo.readers import RawLayer, open_source, read_raw
from geo.report import ImportReport, RowNote

# Everything Tuban manages lies in China; a reprojected 图斑 outside this box means the file's
# CRS is wrong, and storing it would put the case on the wrong continent.
CHINA_BOUNDS = (73.0, 3.0, 136.0, 54.0)
# A guessed CRS must put the data within this distance of the county's bounding box.
GUESS_MARGIN_DEG = 0.25

Progress = Callable[[str, int, int], None]


def no_progress(stage: str, done: int, total: int) -> None:
    return None


@dataclass(frozen=True)
class ParcelLayer:
    """A delivered layer, normalised: one row per 图斑, geometry in EPSG:4490.

    ``frame`` columns: row (1-based source record), code, xzqdm, attributes (the kept source
    fields as one JSON text per row; ``attributes(i)`` decodes one), area_m2, area_mu,
    dup_of (index of the earlier row this one repeats, or -1), geometry.
    """

    frame: gpd.GeoDataFrame
    source_name: str
    source_crs: str
    encoding: str
    report: ImportReport

    def __len__(self) -> int:
        return len(self.frame)

    def attributes(self, i: int) -> dict[str, Any]:
        """The source attributes of row ``i``."""
        return json.loads(self.frame["attributes"].iat[i])

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        minx, miny, maxx, maxy = self.frame.total_bounds
        return float(minx), float(miny), float(maxx), float(maxy)


def read_parcels(
    path: str | Path,
    *,
    layer: str | None = None,
    encoding: str | None = None,
    crs: str | None = None,
    field_map: Mapping[str, str] | None = None,
    jurisdiction: Jurisdiction | None = None,
    accept_partial: bool = False,
    defer_duplicates: Callable[[np.ndarray, np.ndarray], None] | None = None,
    progress: Progress = no_progress,
) -> ParcelLayer:
    """Read a 图斑 layer: Shapefile (also zipped), GeoPackage, GeoJSON, FileGDB, KML, XLSX, CSV.

    Parameters
    ----------
    crs : override the file's CRS (any pyproj input, e.g. "EPSG:4527", "EPSG:2363" for Xian 80).
        Without it and without a CRS in the file, one is guessed from coordinate magnitudes and
        ``jurisdiction``, and the report says so.
    field_map : ``{canonical: source column}`` for fields the aliases don't recognise.
    accept_partial : import the good rows and list rejected ones in the report, instead of
        refusing the whole file when any row is unusable.
    defer_duplicates : leave in-file duplicates to the caller (``dup_of`` all -1 until it
        calls ``set_duplicates``): this is called with the codes and the reprojected geometries
        of the kept rows as soon as they are known, before areas and attributes, so the caller
        can start on them (``geo.prejudge``) while the rest of the layer is prepared.

    Raises an ``ImportError_`` subclass naming the file, row and field on any problem.
    """
    path = Path(path)
    with open_source(path) as (inner, name):
        t0 = time.perf_counter()
        progress("读取", 0, 1)
        raw = read_raw(inner, name, layer=layer, encoding=encoding)
        progress("读取", 1, 1)
        report = ImportReport(
            file=name,
            driver=raw.driver,
            layer=layer,
            encoding=raw.encoding,
            warnings=list(raw.notes),
        )
        report.seconds["read"] = time.perf_counter() - t0
        return _normalise(
            raw,
            report,
            crs=crs,
            field_map=field_map,
            where=jurisdiction,
            accept_partial=accept_partial,
            defer_duplicates=defer_duplicates,
            progress=progress,
        )


def _normalise(
    raw: RawLayer,
    report: ImportReport,
    *,
    crs: str | None,
    field_map: Mapping[str, str] | None,
    where: Jurisdiction | None,
    accept_partial: bool,
    defer_duplicates: Callable[[np.ndarray, np.ndarray], None] | None,
    progress: Progress,
) -> ParcelLayer:
    t0 = time.perf_counter()
    frame, name = raw.frame, raw.name
    report.read = len(frame)
    if len(frame) == 0:
        raise InvalidValue("图层中没有任何图斑", file=name)
    attr_cols = [c for c in frame.columns if c != "geometry"]
    try:
        cols = resolve_fields(attr_cols, field_map, raw.extra_aliases)
    except InvalidValue as exc:
        exc.details.setdefault("file", name)
        raise
    for canonical in REQUIRED:
        if canonical not in cols:
            raise MissingField(
                f"缺少必填字段 {display_name(canonical)}，可用 --field-map 指定",
                file=name,
                field=display_name(canonical),
                columns=attr_cols,
            )
    report.fields = dict(cols)
    src_crs, swap = resolve_crs(frame, crs, where, report, name)
    codes = _text_column(frame[cols["code"]])
    xzqdm = _text_column(frame[cols["xzqdm"]])
    geoms = frame.geometry.to_numpy()
    # From here on only the reprojected copy is kept: at a million 图斑 each copy of the
    # geometries costs about half a gigabyte.
    frame = pd.DataFrame(frame.drop(columns="geometry"))
    raw.frame = None  # type: ignore[assignment]
    if swap:
        geoms = shapely.transform(geoms, lambda c: c[:, ::-1])
    cleaned = clean_geometries(geoms, allow_points=raw.driver in ("CSV", "XLSX"))
    del geoms
    rejected = dict(cleaned.rejected)
    for i in np.flatnonzero(codes == ""):
        rejected.setdefault(int(i), f"字段 {cols['code']} 为空")
    for i in np.flatnonzero(xzqdm == ""):
        rejected.setdefault(int(i), f"字段 {cols['xzqdm']} 为空")
    progress("校验", 1, 1)
    lonlat = _to_cgcs2000(cleaned.geoms, src_crs)
    cleaned.geoms = None  # type: ignore[assignment]
    for i in _outside_china(lonlat):
        rejected.setdefault(
            int(i), f"坐标换算后不在中国境内，坐标系 {src_crs.to_string()} 可能有误"
        )
    report.repaired = [
        RowNote(i + 1, codes[i] or None, r) for i, r in sorted(cleaned.repaired.items())
    ]
    report.rejected = [RowNote(i + 1, codes[i] or None, r) for i, r in sorted(rejected.items())]
    if rejected and not accept_partial:
        _raise_rejected(report, name, cols)
    keep = np.setdiff1d(np.arange(len(frame)), np.fromiter(rejected, int, len(rejected)))
    frame, codes, xzqdm, lonlat = frame.iloc[keep], codes[keep], xzqdm[keep], lonlat[keep]
    report.seconds["validate_reproject"] = time.perf_counter() - t0
    if defer_duplicates is not None:
        defer_duplicates(codes, lonlat)
    t0 = time.perf_counter()
    area = ellipsoidal_area_m2(lonlat)
    points = shapely.get_type_id(lonlat) == 0
    if points.any():
        area[points] = _declared_area(frame, cols.get("declared_area"))[points]
        report.points = int(points.sum())
    report.seconds["area"] = time.perf_counter() - t0
    dup_of = np.full(len(codes), -1)
    if defer_duplicates is None:
        t0 = time.perf_counter()
        dup_of, why = duplicates_in_file(codes, lonlat)
        report.seconds["duplicates"] = time.perf_counter() - t0
        _note_duplicates(report, keep + 1, codes, dup_of, why)
    kept_attrs = [c for c in attr_cols if c not in (cols["code"], cols["xzqdm"])]
    report.attributes_kept = kept_attrs
    attributes = json_column(frame, kept_attrs)
    if attributes.str.contains("\ufffd", regex=False).any():
        report.warnings.append(
            "属性中含有无法解码的字符（\ufffd），编码可能不对，可用 --encoding 指定"
        )
    before = (
        _land_classes(frame[cols["land_class_before"]])
        if "land_class_before" in cols
        else np.full(len(frame), None, dtype=object)
    )
    out = gpd.GeoDataFrame(
        {
            "row": keep + 1,
            "code": codes,
            "xzqdm": xzqdm,
            "attributes": attributes,
            "delivered_land_class": before,
            "area_m2": np.round(area, 2),
            "area_mu": np.round(area / M2_PER_MU, 4),
            "dup_of": dup_of,
        },
        geometry=lonlat,
        crs=CGCS2000,
    )
    report.source_crs = _crs_label(src_crs)
    return ParcelLayer(out, name, report.source_crs, raw.encoding, report)


def set_duplicates(layer: ParcelLayer, dup_of: np.ndarray, why: list[str]) -> None:
    """Record in-file duplicates found outside ``read_parcels`` (see ``defer_duplicates``)."""
    layer.frame["dup_of"] = dup_of
    _note_duplicates(
        layer.report, layer.frame["row"].to_numpy(), layer.frame["code"].to_numpy(), dup_of, why
    )


def _note_duplicates(
    report: ImportReport, rows: np.ndarray, codes: np.ndarray, dup_of: np.ndarray, why: list[str]
) -> None:
    for i in np.flatnonzero(dup_of >= 0):
        report.links.append(
            {
                "row": int(rows[i]),
                "code": codes[i],
                "linked_code": codes[dup_of[i]],
                "reason": f"in_file_{why[i]}",
                "iou": None,
            }
        )


def _to_cgcs2000(geoms: np.ndarray, crs: CRS, step: int = 100_000) -> np.ndarray:
    """Reproject to EPSG:4490 slice by slice, releasing each source slice as it goes, so only
    one full copy of the geometries is alive at a time."""
    if crs.equals(CGCS2000):
        return geoms
    t = Transformer.from_crs(crs, CGCS2000, always_xy=True)
    out = np.empty(len(geoms), dtype=object)
    for s0 in range(0, len(geoms), step):
        out[s0 : s0 + step] = shapely.transform(
            geoms[s0 : s0 + step], lambda c: np.column_stack(t.transform(c[:, 0], c[:, 1]))
        )
        geoms[s0 : s0 + step] = None
    return out


def _crs_label(crs: CRS) -> str:
    epsg = crs.to_epsg(min_confidence=90)
    return f"EPSG:{epsg}" if epsg else crs.to_string()


def resolve_crs(
    frame: gpd.GeoDataFrame,
    override: str | None,
    where: Jurisdiction | None,
    report: ImportReport,
    name: str,
) -> tuple[CRS, bool]:
    if override:
        try:
            crs = CRS.from_user_input(override)
        except CRSError as exc:
            raise MissingCRS(f"无法识别指定的坐标系 {override}：{exc}", file=name) from None
        report.crs_how, report.crs_reason = "given", f"用户指定 {override}"
        return crs, False
    if frame.crs is not None:
        report.crs_how = "file"
        return frame.crs, False
    geoms = frame.geometry.to_numpy()
    ok = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    if not ok.any():
        raise MissingCRS("文件没有坐标系，也没有可用于推断的坐标", file=name)
    bounds = tuple(float(v) for v in shapely.total_bounds(geoms[ok]))
    if where is None:
        raise MissingCRS("文件没有坐标系（缺少 .prj 或 CRS 定义），请用 --crs 指定", file=name)
    guess = guess_crs(bounds, where)  # type: ignore[arg-type]
    ll = to_lonlat_bounds(bounds, guess.crs, guess.swap_xy)  # type: ignore[arg-type]
    if not where.contains_bounds(ll, GUESS_MARGIN_DEG):
        raise MissingCRS(
            f"文件没有坐标系；按推断的 {_crs_label(guess.crs)} 数据将落在{where.name}之外，"
            "请用 --crs 指定正确的坐标系",
            file=name,
            guessed=_crs_label(guess.crs),
            lonlat_bounds=[round(v, 4) for v in ll],
        )
    report.crs_how, report.crs_reason, report.swap_xy = "guessed", guess.reason, guess.swap_xy
    report.warnings.append(
        f"文件没有坐标系，已推断为 {_crs_label(guess.crs)}：{guess.reason}。"
        "西安80 与 CGCS2000 无法从数值区分，如不正确请用 --crs 重新导入"
    )
    return guess.crs, guess.swap_xy


def _raise_rejected(report: ImportReport, name: str, cols: dict[str, str]) -> None:
    first = report.rejected[0]
    field = (
        cols["code"]
        if "字段" in first.reason and cols["code"] in first.reason
        else (cols["xzqdm"] if cols["xzqdm"] in first.reason else "geometry")
    )
    cls = InvalidValue if field != "geometry" else InvalidGeometry
    more = f"（共 {len(report.rejected)} 行有问题）" if len(report.rejected) > 1 else ""
    raise cls(
        f"第 {first.row} 行：{first.reason}{more}；"
        "修正后重新导入，或用 --accept-partial 只导入其余行",
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


def _jsonable(v: Any) -> Any:
    if v is None:
        return None
    if isinstance(v, float | np.floating):
        return None if math.isnan(v) else float(v)
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, np.bool_):
        return bool(v)
    if isinstance(v, pd.Timestamp | datetime | date):
        return None if pd.isna(v) else v.isoformat()
    if isinstance(v, bytes):
        return v.hex()
    return v


def _jsonable_column(col: pd.Series) -> list[Any]:
    if pd.api.types.is_string_dtype(col) or col.dtype == object:
        return [_jsonable(v) for v in col.tolist()]
    if pd.api.types.is_float_dtype(col):
        return col.astype(object).where(col.notna(), None).tolist()
    if pd.api.types.is_integer_dtype(col) or pd.api.types.is_bool_dtype(col):
        return col.tolist()
    return [_jsonable(v) for v in col.tolist()]


def json_lines(frame: pd.DataFrame, columns: list[str]) -> list[str]:
    """Each row of ``columns`` as one compact JSON object (pandas' C encoder: fast, and far
    lighter than a million dicts)."""
    if not columns or len(frame) == 0:
        return ["{}"] * len(frame)
    sub = frame[columns].copy()
    for c in sub.columns:  # bytes and odd objects have no JSON form: stringify them first
        if sub[c].dtype == object:
            sub[c] = [_jsonable(v) for v in sub[c].tolist()]
    text = sub.to_json(orient="records", lines=True, force_ascii=False, date_format="iso")
    return text.splitlines()


def json_column(frame: pd.DataFrame, columns: list[str], step: int = 100_000) -> pd.Series:
    """``json_lines`` as a text column, built a slice of rows at a time: a million rows of JSON
    as Python strings (and the one long string they are split from) would add ~0.4 GB to an
    import's peak; as Arrow-backed text they take a fraction of that."""
    parts = [
        pd.Series(json_lines(frame.iloc[s0 : s0 + step], columns), dtype="str")
        for s0 in range(0, len(frame), step)
    ]
    if not parts:
        return pd.Series([], dtype="str")
    return pd.concat(parts, ignore_index=True)


def jsonable_records(frame: pd.DataFrame, columns: list[str]) -> list[dict[str, Any]]:
    """Rows of ``columns`` as JSON-ready dicts, converted column by column (fast for 1M rows)."""
    if not columns:
        return [{} for _ in range(len(frame))]
    names = [str(c) for c in columns]
    values = [_jsonable_column(frame[c]) for c in columns]
    return [dict(zip(names, row, strict=True)) for row in zip(*values, strict=True)]


__all__ = ["ParcelLayer", "Progress", "UnreadableFile", "read_parcels", "set_duplicates"]
