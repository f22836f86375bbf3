"""Write a batch export from chunks of store rows (storage.exports), never all rows at once.

GDAL formats are streamed through pyogrio's Arrow writer in one open dataset; CSV and XLSX
(openpyxl's write-only mode) are written row by row; the province profile is a GBK Shapefile
in a Gauss-Krüger zone plus the result table, zipped. What the formats carry is
``geo.export_formats``'; docs/exports.md lists it.
"""

from __future__ import annotations

import csv
import json
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import shapely
from pyogrio.errors import DataLayerError, DataSourceError
from pyogrio.raw import write_arrow
from pyproj import CRS, Transformer

from geo.area import CGCS2000
from geo.errors import InvalidValue, TubanError
from geo.export_formats import (
    CENTRE_COLUMNS,
    DBF_ENCODING,
    GEOMETRY_MODES,
    WKT_COLUMN,
    ExportFormat,
    added_values,
    column_names,
    province_crs,
)
from geo.province_table import sheet_cell, write_result_table
from geo.safe_text import looks_like_formula

Chunks = Callable[[], Iterable[list[dict[str, Any]]]]
INT32 = 2**31 - 1
DBF_TEXT_BYTES = 254  # the widest DBF text field


class ExportFailed(TubanError):
    """GDAL or the disk could not write the file (a full disk, a folder not writable …)."""

    code = "EXPORT_FAILED"


@dataclass(frozen=True)
class ExportOptions:
    """What the user chose besides the format."""

    geometry: str = "wkt"  # tables: "wkt" or "centre"
    zone: int = 39  # province profile: 3° Gauss-Krüger zone
    zone_prefix: bool = True  # province profile: zone number in the easting

    def check(self) -> None:
        """InvalidValue for a choice that does not exist."""
        if self.geometry not in GEOMETRY_MODES:
            raise InvalidValue(
                f"几何方式应为 {' 或 '.join(GEOMETRY_MODES)}，不是 {self.geometry}",
                field="geometry",
            )
        province_crs(self.zone, prefixed=self.zone_prefix)


@dataclass
class ExportSummary:
    """What an export wrote: rows, files, and characters GBK could not hold (replaced by ?)."""

    rows: int = 0
    files: list[str] = field(default_factory=list)
    replaced: int = 0
    notes: list[str] = field(default_factory=list)


def attribute_kinds(chunks: Iterable[list[dict[str, Any]]]) -> dict[str, str]:
    """``{delivered field: kind}`` over every row (kinds: int32, int64, float, text), in the
    order the fields first appear. A field holding both numbers and text is text."""
    kinds: dict[str, str | None] = {}  # None: only empty values so far
    for chunk in chunks:
        for row in chunk:
            for k, v in (row["attributes"] or {}).items():
                kinds[k] = _wider(kinds.get(k), _kind_of(v))
    return {k: (v or "text") for k, v in kinds.items()}


def _kind_of(v: Any) -> str | None:
    if v is None:
        return None
    if isinstance(v, bool):
        return "text"
    if isinstance(v, int):
        return "int32" if -INT32 <= v <= INT32 else "int64"
    if isinstance(v, float):
        return "float"
    return "text"


_ORDER = {None: 0, "int32": 1, "int64": 2, "float": 3, "text": 4}


def _wider(a: str | None, b: str | None) -> str | None:
    """The kind holding values of kinds ``a`` and ``b``: int32 < int64 < float < text."""
    return a if _ORDER[a] >= _ORDER[b] else b


def _text(v: Any) -> str | None:
    if v is None:
        return None
    if isinstance(v, dict | list):
        return json.dumps(v, ensure_ascii=False)
    return str(v)


class _Columns:
    """A batch's export columns: key → (name, kind), with each row's values by key."""

    def __init__(self, kinds: Mapping[str, str], *, province: bool, gdb: bool) -> None:
        self.names = column_names(kinds, province=province)
        self.kinds: dict[str, str] = {"code": "text", "xzqdm": "text"}
        for name, kind in kinds.items():
            # FileGDB's 64-bit integers need ArcGIS Pro 3.2; older readers get doubles.
            self.kinds["attr:" + name] = "float" if gdb and kind == "int64" else kind
        for key in self.names:
            self.kinds.setdefault(key, "text")
        for key in ("fine_yuan", "area_m2", "area_mu"):
            self.kinds[key] = "float"

    def values(self, row: Mapping[str, Any]) -> dict[str, Any]:
        """``{key: value}`` for one store row."""
        out = added_values(row)
        for name, v in (row["attributes"] or {}).items():
            out["attr:" + name] = v
        return out


_ARROW = {"int32": pa.int32(), "int64": pa.int64(), "float": pa.float64(), "text": pa.string()}


def _arrow_value(kind: str, v: Any) -> Any:
    if v is None:
        return None
    if kind == "text":
        return _text(v)
    if kind == "float":
        return float(v) if isinstance(v, int | float) else None
    return int(v) if isinstance(v, int) and not isinstance(v, bool) else None


def _gbk(v: Any, summary: ExportSummary) -> Any:
    if not isinstance(v, str):
        return v
    safe = v.encode(DBF_ENCODING, errors="replace").decode(DBF_ENCODING)
    if safe != v:
        summary.replaced += sum(1 for a, b in zip(safe, v, strict=False) if a != b) or 1
    return safe


def _geometries(rows: list[dict[str, Any]], to: Transformer | None, multi: bool) -> np.ndarray:
    geoms = shapely.from_wkb([r["geom"] for r in rows])
    if to is not None:
        geoms = shapely.transform(geoms, lambda xy: np.column_stack(to.transform(*xy.T)))
    if multi:
        kinds = shapely.get_type_id(geoms)
        if (kinds == 0).any():
            raise InvalidValue(
                "批次中有只有中心点的图斑，无法写入面图层；请导出为 GeoPackage、GeoJSON 或表格"
            )
        polys = kinds == 3
        geoms[polys] = [shapely.multipolygons([g]) for g in geoms[polys]]
    return np.asarray(shapely.to_wkb(geoms, flavor="iso"), dtype=object)


def write_vector(
    fmt: ExportFormat,
    chunks: Iterable[list[dict[str, Any]]],
    kinds: Mapping[str, str],
    out: Path,
    *,
    crs: CRS = CGCS2000,
    province: bool = False,
    layer: str = "tuban",
) -> ExportSummary:
    """A GDAL format written in one pass; the province Shapefile in ``crs``, text in GBK."""
    summary = ExportSummary(files=[out.name])
    cols = _Columns(kinds, province=province, gdb=fmt.driver == "OpenFileGDB")
    keys = list(cols.names)
    width = {"GDAL:OGR:width": str(DBF_TEXT_BYTES)} if province else None
    fields = [
        pa.field(
            cols.names[k],
            _ARROW[cols.kinds[k]],
            metadata=width if cols.kinds[k] == "text" else None,
        )
        for k in keys
    ]
    geo = pa.field("geometry", pa.binary(), metadata={"ARROW:extension:name": "geoarrow.wkb"})
    schema = pa.schema([*fields, geo])
    to = Transformer.from_crs(CGCS2000, crs, always_xy=True) if crs != CGCS2000 else None
    multi = province or fmt.driver == "OpenFileGDB"

    failed: list[TubanError] = []

    def batches() -> Iterator[pa.RecordBatch]:
        try:
            for rows in chunks:
                values = [cols.values(r) for r in rows]
                arrays = []
                for k in keys:
                    col = [_arrow_value(cols.kinds[k], v.get(k)) for v in values]
                    if province:
                        col = [_gbk(v, summary) for v in col]
                    arrays.append(pa.array(col, _ARROW[cols.kinds[k]]))
                arrays.append(pa.array(_geometries(rows, to, multi), pa.binary()))
                summary.rows += len(rows)
                yield pa.record_batch(arrays, schema=schema)
        except TubanError as exc:
            failed.append(exc)  # GDAL reports only "Error while accessing batch from stream"
            raise

    try:
        write_arrow(
            pa.RecordBatchReader.from_batches(schema, batches()),
            str(out),
            driver="ESRI Shapefile" if province else fmt.driver,
            layer=layer.replace("-", "_"),
            geometry_name="geometry",
            geometry_type="MultiPolygon" if multi else "Unknown",
            crs=crs.to_wkt(),
            encoding=DBF_ENCODING if province else None,
            dataset_options=dict(fmt.dataset_options) or None,
            layer_options=dict(fmt.layer_options) or None,
        )
    except RuntimeError:
        if failed:
            raise failed[0] from None
        raise
    return summary


def cell_text(v: Any) -> Any:
    """A CSV cell a spreadsheet cannot run: text that starts like a formula gets a leading
    apostrophe (numbers, even negative ones, stay as they are)."""
    if isinstance(v, str) and looks_like_formula(v):
        try:
            float(v)
        except ValueError:
            return "'" + v
    return v


def _table_rows(
    chunks: Iterable[list[dict[str, Any]]], cols: _Columns, geometry: str, summary: ExportSummary
) -> Iterator[list[Any]]:
    keys = list(cols.names)
    for rows in chunks:
        geoms = shapely.from_wkb([r["geom"] for r in rows])
        if geometry == "centre":
            centres = shapely.point_on_surface(geoms)
            places = [[round(p.x, 8), round(p.y, 8)] for p in centres]
        else:
            places = [[t] for t in shapely.to_wkt(geoms, rounding_precision=-1)]
        for r, place in zip(rows, places, strict=True):
            v = cols.values(r)
            summary.rows += 1
            yield [_text(v.get(k)) if cols.kinds[k] == "text" else v.get(k) for k in keys] + place


def _header(cols: _Columns, geometry: str) -> list[str]:
    return [*cols.names.values(), *(CENTRE_COLUMNS if geometry == "centre" else (WKT_COLUMN,))]


def write_csv(
    chunks: Iterable[list[dict[str, Any]]], kinds: Mapping[str, str], out: Path, geometry: str
) -> ExportSummary:
    """UTF-8 with a byte-order mark (so Excel reads the Chinese), one row per 图斑."""
    summary = ExportSummary(files=[out.name])
    cols = _Columns(kinds, province=False, gdb=False)
    with out.open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow([cell_text(h) for h in _header(cols, geometry)])  # names come from files
        for row in _table_rows(chunks, cols, geometry, summary):
            w.writerow([cell_text(v) for v in row])
    return summary


def write_xlsx(
    chunks: Iterable[list[dict[str, Any]]], kinds: Mapping[str, str], out: Path, geometry: str
) -> ExportSummary:
    """One sheet, one row per 图斑, written as it goes (openpyxl's write-only mode)."""
    from openpyxl import Workbook

    summary = ExportSummary(files=[out.name])
    cols = _Columns(kinds, province=False, gdb=False)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("图斑")
    ws.append([sheet_cell(ws, h) for h in _header(cols, geometry)])
    for row in _table_rows(chunks, cols, geometry, summary):
        ws.append([sheet_cell(ws, v) for v in row])
    wb.save(out)
    return summary


def write_province(
    chunks: Chunks,
    kinds: Mapping[str, str],
    out: Path,
    options: ExportOptions,
    stem: str,
) -> ExportSummary:
    """The zip the province takes: the Shapefile set (GBK, with .cpg) in the chosen zone and
    the result table (核查结果表, one row per 图斑)."""
    crs = province_crs(options.zone, prefixed=options.zone_prefix)
    with tempfile.TemporaryDirectory(prefix="tuban-export-") as tmp:
        folder = Path(tmp)
        shp = folder / f"{stem}.shp"
        fmt = ExportFormat("shp", "Shapefile", (".shp",), "application/zip", "ESRI Shapefile")
        summary = write_vector(fmt, chunks(), kinds, shp, crs=crs, province=True, layer=stem)
        (folder / f"{stem}.cpg").write_text(DBF_ENCODING, encoding="ascii")
        table = folder / f"{stem}_result.xlsx"
        write_result_table(chunks(), table)
        names = sorted(p.name for p in folder.iterdir())
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
            for name in names:
                z.write(folder / name, name)
    summary.files = names
    if summary.replaced:
        summary.notes.append(f"{summary.replaced} 个字符无法用 GBK 表示，已替换为 ?")
    return summary


def write_export(
    fmt: ExportFormat,
    chunks: Chunks,
    kinds: Mapping[str, str],
    out: Path,
    options: ExportOptions,
    *,
    stem: str,
) -> ExportSummary:
    """Write ``fmt`` to ``out`` from ``chunks()`` (called once per pass over the rows).

    Written beside ``out`` first and moved into place at the end, so a failed export leaves
    no half-written file."""
    options.check()
    part = out.with_name(f".part-{out.name}")  # the same extension: GDAL picks by it
    _remove(part)
    try:
        if fmt.key == "province":
            summary = write_province(chunks, kinds, part, options, stem)
        elif fmt.key == "csv":
            summary = write_csv(chunks(), kinds, part, options.geometry)
        elif fmt.key == "xlsx":
            summary = write_xlsx(chunks(), kinds, part, options.geometry)
        else:
            summary = write_vector(fmt, chunks(), kinds, part, layer=stem)
        if fmt.key != "province":
            summary.files = [out.name]
        _remove(out)
        part.rename(out)
    except (OSError, DataSourceError, DataLayerError) as exc:
        raise ExportFailed(f"无法写入 {out.name}：{exc}", file=out.name) from None
    finally:
        _remove(part)
    return summary


def _remove(p: Path) -> None:
    if p.is_dir():
        shutil.rmtree(p)
    elif p.exists():
        p.unlink()
