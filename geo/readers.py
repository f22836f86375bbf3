"""Open whatever a county receives as one raw table of features, before any interpretation.

Vector formats go through pyogrio (GDAL): Shapefile, GeoPackage, GeoJSON, FileGDB, KML, also
inside a .zip. Excel and CSV lists of 图斑 carry WKT or centre coordinates in columns.
"""

from __future__ import annotations

import codecs
import io
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pyogrio.raw
import shapely
from pyogrio.errors import DataLayerError, DataSourceError
from shapely.errors import ShapelyError

from geo import archive
from geo.encoding import given_note, guess_dbf_encoding, mismatch_note, shapefile_encoding
from geo.errors import InvalidGeometry, InvalidValue, UnreadableFile
from geo.inputs import file_name, text_problem, without_folders
from geo.messages import msg

VECTOR_SUFFIXES = {".shp", ".gpkg", ".geojson", ".json", ".kml", ".kmz", ".gdb", ".fgb"}
TABLE_SUFFIXES = {".csv", ".xlsx", ".xls"}
ZIPPED_FORMATS = {".xlsx", ".kmz"}
# Drivers read through GDAL's Arrow stream: binary formats whose text is always UTF-8, tested to
# give the same frame as the row-by-row reader (tests/geo/test_arrow_read.py). Shapefiles stay
# row by row: their encoding is guessed or given, and the GBK tests cover that path.
ARROW_DRIVERS = {"GPKG", "FlatGeobuf"}

WKT_COLUMNS = ("wkt", "geometry", "geom", "shape", "几何", "图形", "坐标串")
# (x column, y column) pairs in preference order; Chinese surveying names X for northing, and
# guess_crs detects that swap by magnitude.
XY_COLUMNS = (
    ("经度", "纬度"),
    ("lon", "lat"),
    ("longitude", "latitude"),
    ("中心点经度", "中心点纬度"),
    ("x", "y"),
    ("中心点x", "中心点y"),
    ("中心x坐标", "中心y坐标"),
    ("zxdx", "zxdy"),
    ("横坐标", "纵坐标"),
    ("x坐标", "y坐标"),
)


@dataclass
class RawLayer:
    """Features as read: geometry in the file's own coordinates, CRS possibly missing."""

    frame: gpd.GeoDataFrame
    name: str
    encoding: str
    driver: str
    extra_aliases: dict[str, tuple[str, ...]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


@contextmanager
def open_source(path: Path, layer: str | None = None) -> Iterator[tuple[Path, str]]:
    """Yield (a readable path, display name); a .zip is unpacked to a temporary folder and its
    one layer file read, or the one ``layer`` names when it holds several."""
    if path.suffix.lower() in ZIPPED_FORMATS:
        # Read by GDAL or openpyxl, which trust the directory: refuse a bomb before they open it.
        archive.open_zip(path, path.name).close()
    if path.suffix.lower() != ".zip":
        yield path, file_name(path.name)
        return
    with (
        archive.open_zip(path, path.name) as zf,
        tempfile.TemporaryDirectory(prefix="tuban-zip-") as tmp,
    ):
        archive.extract(zf, Path(tmp), path.name)
        root = Path(tmp)
        cands = sorted(
            {
                p
                for p in root.rglob("*")
                if (p.suffix.lower() in VECTOR_SUFFIXES | TABLE_SUFFIXES)
                and not any(q.suffix.lower() == ".gdb" for q in p.parents)
                and (p.suffix.lower() != ".gdb" or p.is_dir())
            }
        )
        inner = _member(cands, root, layer, path.name)
        # A batch's name (VARCHAR(500)): a member deep in folders is cut, never refused.
        yield inner, file_name(f"{path.name}!{inner.relative_to(root)}", max_bytes=480)


def _member(cands: list[Path], root: Path, layer: str | None, name: str) -> Path:
    """The layer file of an archive: its only one, else the one whose layer ``layer`` is (a
    file's own name without suffix, or a layer of a GeoPackage or FileGDB in it)."""
    if len(cands) == 1:
        return cands[0]
    if not cands:
        raise UnreadableFile(
            msg("import.zip_empty"),
            file=name,
        )
    own = [c for c in cands if c.stem == layer]
    inside = [c for c in cands if c.suffix.lower() in (".gpkg", ".gdb") and layer in _layers(c)]
    hits = own or inside
    if layer is not None and len(hits) == 1:
        return hits[0]
    # What --layer takes: a file's own name without suffix (where it is, when two share one).
    names = [c.stem for c in cands]
    if len(set(names)) < len(names):
        names = [str(c.relative_to(root).with_suffix("")) for c in cands]
    if layer is None:
        what = msg("import.zip_many_layers", count=len(cands), names=names)
    elif hits:
        what = msg("import.zip_same_layer", layer=layer, names=names)
    else:
        what = msg("import.zip_no_layer", layer=layer, names=names)
    raise UnreadableFile(what, file=name, layer=layer, layers=names, option="layer")


def _layers(path: Path) -> list[str]:
    try:
        return [str(n) for n, _ in pyogrio.list_layers(path)]
    except (DataSourceError, DataLayerError, OSError):
        return []


def read_raw(
    path: Path,
    name: str,
    *,
    layer: str | None = None,
    encoding: str | None = None,
    fids: np.ndarray | None = None,
) -> RawLayer:
    """Read a file's first (or named) layer as Arrow columns and raw geometries; only the
    features ``fids`` (ascending; a vector layer's feature ids) when given."""
    suffix = path.suffix.lower()
    if not path.exists():
        raise UnreadableFile(msg("import.missing_file"), file=name)
    if encoding is not None:
        _check_codec(encoding, name)
    if suffix in TABLE_SUFFIXES:
        if fids is not None:
            raise ValueError("a table is read whole")
        return _read_table(path, name, layer=layer, encoding=encoding)
    return _read_vector(path, name, layer=layer, encoding=encoding, fids=fids)


def _check_codec(encoding: str, name: str) -> None:
    """Refuse an encoding no codec knows: GDAL would ignore it silently, Python fail late."""
    # Python's lookup forgives a bidi override or stray punctuation in the name; GDAL would not.
    known = text_problem(encoding, max_len=40, multiline=False) is None
    try:
        codecs.lookup(encoding)
    except (LookupError, ValueError):  # ValueError: a NUL in the name
        known = False
    if not known:
        raise InvalidValue(
            msg("import.unknown_encoding", encoding=repr(encoding[:40])),
            file=name,
            field="encoding",
            option="encoding",
        )


def _pick_layer(path: Path, name: str, layer: str | None) -> str | None:
    if path.suffix.lower() == ".shp":
        _check_shapefile_parts(path, name)
    try:
        layers = pyogrio.list_layers(path)
    except (DataSourceError, DataLayerError, OSError) as exc:
        raise UnreadableFile(
            msg("import.unreadable_layer", problem=without_folders(str(exc))), file=name
        ) from None
    names = [str(n) for n, _ in layers]
    if layer is not None and len(names) == 1 and layer == path.stem:
        return None  # the layer that chose this file out of an archive: its only one
    if layer is not None:
        if layer not in names:
            raise UnreadableFile(
                msg("import.no_layer", layer=layer),
                file=name,
                layer=layer,
                layers=names,
                option="layer",
            )
        return layer
    if len(layers) <= 1:
        return None
    polygonal = [str(n) for n, t in layers if t and "Polygon" in str(t)]
    if len(polygonal) == 1:
        return polygonal[0]
    raise UnreadableFile(msg("import.many_layers"), file=name, layers=names, option="layer")


# A Shapefile's parts without which GDAL reads it wrong or fails with its own words: without
# the .dbf it reads shapes with no attributes (so "no 图斑编号 field"), without the .shx it
# names the missing file by its full path.
_SHAPEFILE_PARTS = (".shx", ".dbf")  # named in messages import.shapefile_shx/_dbf


def _check_shapefile_parts(shp: Path, name: str) -> None:
    """Refuse a Shapefile whose .shx or .dbf is not beside it, naming what is missing."""
    missing = [
        ext
        for ext in _SHAPEFILE_PARTS
        if not any(shp.with_suffix(s).exists() for s in (ext, ext.upper()))
    ]
    if missing:
        parts = [msg(f"import.shapefile_{ext[1:]}", name=shp.stem) for ext in missing]
        raise UnreadableFile(
            msg("import.shapefile_incomplete", parts=parts),
            file=name,
            missing=missing,
        )


def pick_layer(path: Path, name: str, layer: str | None) -> str | None:
    """The layer ``read_raw`` reads: ``layer``, else the only (polygon) layer of the file."""
    return _pick_layer(path, name, layer)


def _read_vector(
    path: Path, name: str, *, layer: str | None, encoding: str | None, fids: np.ndarray | None
) -> RawLayer:
    suffix = path.suffix.lower()
    given = bool(encoding)
    enc_note = given_note(encoding) if encoding else "UTF-8（格式默认）"
    if suffix == ".shp" and not encoding:
        encoding, enc_note = shapefile_encoding(path)
    layer = _pick_layer(path, name, layer)
    try:
        info = pyogrio.read_info(path, layer=layer)
        try:
            arrow = info.get("driver") in ARROW_DRIVERS
            frame = _read_frame(path, layer, encoding, arrow=arrow, fids=fids)
        except UnicodeDecodeError:
            if suffix != ".shp" or given:
                raise
            # A .cpg that lies (says UTF-8 over GBK bytes) is common; trust the bytes instead.
            encoding = guess_dbf_encoding(_dbf_of(path))
            frame = pyogrio.read_dataframe(path, layer=layer, encoding=encoding, fids=fids)
            enc_note = mismatch_note(encoding, path)
    except ShapelyError as exc:
        raise _unparsable(path, name, layer, encoding, exc) from None
    except (DataSourceError, DataLayerError, OSError, ValueError) as exc:
        said = without_folders(str(exc))
        raise UnreadableFile(
            msg("import.unreadable_layer", problem=said), file=name, layer=layer
        ) from None
    extra: dict[str, tuple[str, ...]] = {}
    if info.get("driver") in ("KML", "LIBKML"):
        # KML keeps the 图斑编号 in the placemark name.
        extra = {"code": ("name",)}
    frame.columns = [str(c).lstrip("\ufeff") for c in frame.columns]
    return RawLayer(frame, name, enc_note, str(info.get("driver")), extra)


def _unparsable(
    path: Path, name: str, layer: str | None, encoding: str | None, exc: Exception
) -> InvalidGeometry:
    """The refusal of a layer whose geometries GEOS cannot even build (a ring left open, NaN
    coordinates), naming the first such row."""
    try:
        wkb = pyogrio.raw.read(path, layer=layer, encoding=encoding, columns=[])[2]
    except (DataSourceError, DataLayerError, OSError, ValueError):
        wkb = []
    row = next((i + 1 for i, g in enumerate(wkb) if not _parses(g)), None)
    where = f"第 {row} 行" if row else "图层中"
    return InvalidGeometry(
        f"{where}的几何无法解析（环未闭合或坐标不是有限数）：{exc}",
        file=name, row=row, field="geometry", layer=layer,
    )  # fmt: skip


def _parses(wkb: bytes | None) -> bool:
    try:
        shapely.from_wkb(wkb)
    except (ShapelyError, ValueError):
        return False
    return True


def _read_frame(
    path: Path, layer: str | None, encoding: str | None, *, arrow: bool, fids: np.ndarray | None
) -> gpd.GeoDataFrame:
    """One layer as a GeoDataFrame; through GDAL's Arrow stream where that is known to give
    the same frame, since it reads a million 图斑 about twice as fast."""
    if arrow and encoding is None:
        try:
            # Arrow hands DATE fields over as datetime.date objects; as datetime64 they come
            # out exactly as the row-by-row reader gives them (and as attributes store them).
            return pyogrio.read_dataframe(
                path,
                layer=layer,
                use_arrow=True,
                arrow_to_pandas_kwargs={"date_as_object": False},
                fids=fids,
            )
        except (DataSourceError, DataLayerError, ValueError, TypeError, NotImplementedError):
            pass  # anything the Arrow path cannot take, the row-by-row reader reads or reports
    return pyogrio.read_dataframe(path, layer=layer, encoding=encoding, fids=fids)


def _dbf_of(shp: Path) -> Path:
    return next(
        (p for p in (shp.with_suffix(".dbf"), shp.with_suffix(".DBF")) if p.exists()),
        shp.with_suffix(".dbf"),
    )


def _decode_text(raw: bytes, encoding: str | None) -> tuple[str, str]:
    if encoding:
        return raw.decode(encoding), given_note(encoding)
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8"), "UTF-8（带 BOM）"
    try:
        return raw.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        return raw.decode("gbk", errors="strict"), "GBK（不是有效的 UTF-8，按 GBK 读取）"


def _find(columns: list[str], wanted: tuple[str, ...]) -> str | None:
    folded = {c.strip().casefold(): c for c in columns}
    return next((folded[w] for w in wanted if w in folded), None)


def _read_table(path: Path, name: str, *, layer: str | None, encoding: str | None) -> RawLayer:
    try:
        if path.suffix.lower() == ".csv":
            text, enc_note = _decode_text(path.read_bytes(), encoding)
            df = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
            driver = "CSV"
        else:
            df = pd.read_excel(path, sheet_name=layer or 0, dtype=str, keep_default_na=False)
            enc_note, driver = "Unicode（XLSX 格式）", "XLSX"
    except (UnicodeDecodeError, ValueError, OSError, KeyError, zipfile.BadZipFile) as exc:
        raise UnreadableFile(
            msg("import.unreadable_table", problem=without_folders(str(exc))), file=name
        ) from None
    # Excel exports from some tools carry a stray UTF-8 BOM into the first header or cell.
    df.columns = [str(c).replace("\ufeff", "").strip() for c in df.columns]
    df = df.map(lambda v: v.replace("\ufeff", "").strip() if isinstance(v, str) else v)
    cols = list(df.columns)
    wkt = _find(cols, WKT_COLUMNS)
    notes = []
    if wkt is not None:
        texts = np.array([v or None for v in df[wkt]], dtype=object)
        geoms = shapely.from_wkt(texts, on_invalid="ignore")
        bad = np.flatnonzero(shapely.is_missing(geoms) & (df[wkt] != "").to_numpy())
        if len(bad):
            raise InvalidValue(
                f"第 {bad[0] + 1} 行 {wkt} 不是有效的 WKT",
                file=name,
                row=int(bad[0]) + 1,
                field=wkt,
            )
        df = df.drop(columns=[wkt])
        notes.append(f"几何取自 WKT 字段 {wkt}")
    else:
        pair = next(
            (
                (x, y)
                for x0, y0 in XY_COLUMNS
                if (x := _find(cols, (x0,))) and (y := _find(cols, (y0,)))
            ),
            None,
        )
        if pair is None:
            raise InvalidValue(
                "表格中没有 WKT 字段，也没有中心点坐标字段（如 X/Y、经度/纬度）",
                file=name,
                columns=cols,
            )
        xs = _numbers(df, pair[0], name)
        ys = _numbers(df, pair[1], name)
        geoms = np.asarray(shapely.points(xs, ys), dtype=object)
        df = df.drop(columns=list(pair))
        notes.append(f"仅有中心点坐标（{pair[0]}, {pair[1]}），图斑按点导入，面积取自面积字段")
    return RawLayer(
        gpd.GeoDataFrame(df, geometry=geoms, crs=None), name, enc_note, driver, notes=notes
    )


def _numbers(df: pd.DataFrame, col: str, name: str) -> np.ndarray:
    vals = pd.to_numeric(df[col], errors="coerce")
    bad = np.flatnonzero(vals.isna().to_numpy())
    if len(bad):
        raise InvalidValue(
            f"第 {bad[0] + 1} 行 {col} 不是数字：{df[col].iloc[bad[0]]!r}",
            file=name,
            row=int(bad[0]) + 1,
            field=col,
        )
    return vals.to_numpy(dtype=float)
