"""What a batch export writes: the formats by extension, and the fields of each (docs/exports.md).

Every format carries the province's own fields as delivered, the 图斑编号 and 行政区代码 under
the names the importer recognises, and what the county added (``ADDED_FIELDS``): township,
village, state, judgment, reason, dates, case number, fine and area. The province profile
(a GBK Shapefile in the county's Gauss-Krüger zone, with the result table) uses the short
names of ``ADDED_FIELDS`` and ``DELIVERED_ABBREVIATIONS``, since a DBF field name holds ten
bytes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import PurePath
from typing import Any

from pyproj import CRS

from geo.crs import gk_crs
from geo.errors import InvalidValue
from geo.fields import FIELD_ALIASES, canonical_key
from geo.localtime import local_time
from geo.model import JUDGMENT_LABELS, STATE_LABELS, Judgment, State, reason_label


@dataclass(frozen=True)
class ExportFormat:
    """One export format: how it is named, and how GDAL (or Tuban itself) writes it."""

    key: str
    label: str
    extensions: tuple[str, ...]
    media_type: str
    driver: str | None = None  # None: a table Tuban writes itself (CSV, XLSX, the province zip)
    dataset_options: Mapping[str, str] = field(default_factory=dict)
    layer_options: Mapping[str, str] = field(default_factory=dict)
    directory: bool = False  # a FileGDB is a folder: the API sends it zipped


FORMATS: dict[str, ExportFormat] = {
    f.key: f
    for f in (
        # VERSION=1.2: GDAL 3.6 and QGIS 3.22 warn on the 1.4 files newer GDAL writes.
        ExportFormat(
            "gpkg",
            "GeoPackage",
            (".gpkg",),
            "application/geopackage+sqlite3",
            "GPKG",
            {"VERSION": "1.2"},
        ),
        ExportFormat(
            "geojson", "GeoJSON", (".geojson", ".json"), "application/geo+json", "GeoJSON"
        ),
        ExportFormat("fgb", "FlatGeobuf", (".fgb",), "application/octet-stream", "FlatGeobuf"),
        ExportFormat("kml", "KML", (".kml",), "application/vnd.google-earth.kml+xml", "KML"),
        # XYSCALE: a grid of 1e-10° (about 0.01 mm); the default 1e-9° moves a 100 m square's
        # area by a hundredth of a m², as much as a round trip may change it.
        ExportFormat(
            "gdb",
            "FileGDB",
            (".gdb",),
            "application/zip",
            "OpenFileGDB",
            layer_options={"XYSCALE": "10000000000"},
            directory=True,
        ),
        ExportFormat("csv", "CSV", (".csv",), "text/csv; charset=utf-8"),
        ExportFormat(
            "xlsx",
            "Excel (XLSX)",
            (".xlsx",),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        ExportFormat(
            "province", "省厅格式 (Shapefile + 核查结果表, zip)", (".zip",), "application/zip"
        ),
    )
}
GEOMETRY_MODES = ("wkt", "centre")
# The columns a table carries its geometry in: names the importer recognises (geo.readers).
WKT_COLUMN = "WKT"
CENTRE_COLUMNS = ("经度", "纬度")


def format_list() -> str:
    """The formats as an error message lists them: 扩展名（名称）."""
    return "、".join(f"{'/'.join(f.extensions)}（{f.label}）" for f in FORMATS.values())


def choose_format(out_name: str, fmt: str | None = None) -> ExportFormat:
    """The format asked for by name (``gpkg``, ``province`` …) or else by ``out_name``'s
    extension; an unknown one is refused with the list of formats."""
    suffix = PurePath(out_name).suffix.lower()
    if fmt:
        found = FORMATS.get(fmt.strip().lower())
        if found is None:
            raise InvalidValue(
                f"不支持的导出格式 {fmt}；可用：{'、'.join(FORMATS)}", field="format", value=fmt
            )
        # GDAL picks some drivers by the name too, and a .gpkg holding a zip misleads everyone.
        if suffix not in found.extensions:
            raise InvalidValue(
                f"{found.label} 文件的扩展名应为 {'/'.join(found.extensions)}",
                file=PurePath(out_name).name,
                field="format",
            )
        return found
    for f in FORMATS.values():
        if suffix in f.extensions:
            return f
    raise InvalidValue(
        f"不支持的导出文件类型 {suffix or '（无扩展名）'}；可用：{format_list()}",
        file=PurePath(out_name).name,
        field="format",
    )


@dataclass(frozen=True)
class AddedField:
    """A field the county adds to the delivered ones: its key in a store row, its name in
    the general formats and its ≤10-character name in the province Shapefile."""

    key: str
    name: str
    short: str
    kind: str  # "text", "date", "number"


CODE_FIELD = AddedField("code", "图斑编号", "TBBH", "text")
XZQDM_FIELD = AddedField("xzqdm", "行政区代码", "XZQDM", "text")
ADDED_FIELDS = (
    AddedField("township_code", "乡镇代码", "XZBM", "text"),
    AddedField("township_name", "乡镇名称", "XZMC", "text"),
    AddedField("village_code", "村代码", "CJBM", "text"),
    AddedField("village_name", "村名称", "CJMC", "text"),
    AddedField("state", "办理状态", "BLZT", "text"),
    AddedField("judgment", "核查结果", "HCJG", "text"),
    AddedField("verify_reason", "核查理由", "HCLY", "text"),
    AddedField("verified_at", "核查日期", "HCRQ", "date"),
    AddedField("filed_on", "立案日期", "LARQ", "date"),
    AddedField("case_no", "立案案号", "LAAH", "text"),
    AddedField("fine_yuan", "罚款金额", "FKJE", "number"),
    AddedField("rectified_on", "整改日期", "ZGRQ", "date"),
    AddedField("closed_at", "结案日期", "JARQ", "date"),
    AddedField("area_m2", "椭球面积", "TQMJ", "number"),
    AddedField("area_mu", "面积亩", "MJM", "number"),
)
ALL_ADDED = (CODE_FIELD, XZQDM_FIELD, *ADDED_FIELDS)
# Short names of delivered fields the importer knows (geo.fields): their pinyin abbreviation.
DELIVERED_ABBREVIATIONS = {
    canonical: next(a for a in aliases if a.isascii())
    for canonical, aliases in FIELD_ALIASES.items()
    if canonical not in ("code", "xzqdm")
}
DBF_NAME_BYTES = 10
DBF_ENCODING = "GBK"


def _fits_dbf(name: str) -> bool:
    try:
        return len(name.encode(DBF_ENCODING)) <= DBF_NAME_BYTES
    except UnicodeEncodeError:
        return False


def _unique(wanted: str, taken: set[str], *, short: bool) -> str:
    """``wanted``, or it with a number appended, not yet in ``taken`` (compared ignoring case,
    as DBF and FileGDB names are); short names stay within ten GBK bytes."""
    name, n = wanted, 1
    while name.casefold() in taken:
        n += 1
        tail = f"_{n}"
        stem = wanted
        while short and not _fits_dbf(stem + tail):
            stem = stem[:-1]
        name = stem + tail
    taken.add(name.casefold())
    return name


def _short_name(delivered: str) -> str:
    canonical = canonical_key(delivered)
    if canonical in DELIVERED_ABBREVIATIONS:
        return DELIVERED_ABBREVIATIONS[canonical]
    name = delivered.encode(DBF_ENCODING, errors="replace").decode(DBF_ENCODING)
    while not _fits_dbf(name):
        name = name[:-1]
    return name or "FIELD"


def column_names(delivered: Iterable[str], *, province: bool) -> dict[str, str]:
    """``{key: column name}`` for a batch's columns: ``code``, ``xzqdm``, each delivered
    attribute (its key is ``"attr:" + name``) and each added field, in that order.

    Delivered names are kept (in the province Shapefile: abbreviated, ``_short_name``); an
    added field whose name a delivered one already has gets ``_系统`` (province: a number)."""
    taken: set[str] = set()
    names = {}
    for f in (CODE_FIELD, XZQDM_FIELD):
        names[f.key] = _unique(f.short if province else f.name, taken, short=province)
    delivered = list(delivered)
    reserved = {(f.short if province else f.name).casefold() for f in ADDED_FIELDS}
    for d in delivered:
        wanted = _short_name(d) if province else d
        if province and wanted.casefold() in reserved:
            wanted = wanted[:7] + "_S"
        names["attr:" + d] = _unique(wanted, taken, short=province)
    for f in ADDED_FIELDS:
        suffix = "" if province or f.name.casefold() not in taken else "_系统"
        names[f.key] = _unique((f.short if province else f.name) + suffix, taken, short=province)
    return names


def _day(v: Any) -> str | None:
    if v is None:
        return None
    if isinstance(v, datetime):
        return local_time(v).date().isoformat()
    if isinstance(v, date):
        return v.isoformat()
    return str(v)


def added_values(row: Mapping[str, Any]) -> dict[str, Any]:
    """The added fields of a store row, as exported: labels in zh-CN, local dates as
    ``YYYY-MM-DD`` text, money and areas as numbers."""
    out: dict[str, Any] = {"code": row["code"], "xzqdm": row["xzqdm"]}
    for f in ADDED_FIELDS:
        v = row.get(f.key)
        if f.kind == "date":
            v = _day(v)
        elif f.kind == "number" and v is not None:
            v = float(v) if isinstance(v, Decimal | int | float) else float(str(v))
        out[f.key] = v
    out["state"] = STATE_LABELS[State(row["state"])]
    judgment = row.get("judgment")
    out["judgment"] = JUDGMENT_LABELS[Judgment(judgment)] if judgment else None
    out["verify_reason"] = reason_label(row.get("verify_reason")) or row.get("verify_reason")
    return out


def province_crs(zone: int, *, prefixed: bool) -> CRS:
    """CGCS2000 3° Gauss-Krüger zone ``zone``: its number in the easting or not (EPSG:4527
    or 4548 for zone 39)."""
    if zone not in (39, 40):
        raise InvalidValue(f"分带应为 39 或 40（丰润区在 39 带），不是 {zone}", field="zone")
    return gk_crs(zone=zone) if prefixed else gk_crs(cm=zone * 3)


def safe_file_stem(batch: Mapping[str, Any]) -> str:
    """An ASCII name for a batch's export file: ``tuban-batch-3-mining-2019Q3``."""
    period = "".join(c for c in str(batch.get("period", "")) if c.isascii() and c.isalnum())
    programme = str(batch.get("programme", "")).replace("_", "-")
    return f"tuban-batch-{int(batch['id'])}-{programme}-{period}".rstrip("-")
