"""Read a delivered 图斑 layer into a clean GeoDataFrame in CGCS2000 with ellipsoidal areas."""

from __future__ import annotations

import math
import tempfile
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyogrio.errors import DataLayerError, DataSourceError

from geo.area import CGCS2000, M2_PER_MU, ellipsoidal_area_m2
from geo.encoding import shapefile_encoding
from geo.errors import (
    InvalidGeometry,
    InvalidValue,
    MissingCRS,
    MissingField,
    UnreadableFile,
)
from geo.fields import REQUIRED, display_name, find_column

# Everything Tuban manages lies in China; a reprojected 图斑 outside this box means the file's
# CRS is wrong, and storing it would put the case on the wrong continent.
CHINA_BOUNDS = (73.0, 3.0, 136.0, 54.0)


@dataclass(frozen=True)
class ParcelLayer:
    """A delivered layer, normalised: one row per 图斑, geometry in EPSG:4490."""

    frame: gpd.GeoDataFrame  # columns: code, xzqdm, attributes, area_m2, area_mu, geometry
    source_name: str
    source_crs: str
    encoding: str

    def __len__(self) -> int:
        return len(self.frame)

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        minx, miny, maxx, maxy = self.frame.total_bounds
        return float(minx), float(miny), float(maxx), float(maxy)


def read_parcels(
    path: str | Path, *, layer: str | None = None, encoding: str | None = None
) -> ParcelLayer:
    """Read a 图斑 layer (GeoPackage, GeoJSON, Shapefile or zipped Shapefile).

    Raises an ``ImportError_`` subclass naming the file, row and field on any problem; a
    layer is either returned whole and valid or not at all.
    """
    path = Path(path)
    if path.suffix.lower() == ".zip":
        return _read_zip(path, layer=layer, encoding=encoding)
    return _read(path, path.name, layer=layer, encoding=encoding)


def _read_zip(path: Path, *, layer: str | None, encoding: str | None) -> ParcelLayer:
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise UnreadableFile(f"无法打开压缩包：{exc}", file=path.name) from None
    with zf, tempfile.TemporaryDirectory(prefix="tuban-zip-") as tmp:
        members = [m for m in zf.namelist() if not m.endswith("/") and ".." not in Path(m).parts]
        shps = [m for m in members if m.lower().endswith((".shp", ".gpkg", ".geojson", ".json"))]
        if len(shps) != 1:
            raise UnreadableFile(
                f"压缩包中应恰好有一个图层文件，找到 {len(shps)} 个", file=path.name, layers=shps
            )
        stem = str(Path(shps[0]).with_suffix(""))
        for m in members:
            if str(Path(m).with_suffix("")) == stem or m == shps[0]:
                zf.extract(m, tmp)
        inner = Path(tmp) / shps[0]
        return _read(inner, f"{path.name}!{shps[0]}", layer=layer, encoding=encoding)


def _read(path: Path, name: str, *, layer: str | None, encoding: str | None) -> ParcelLayer:
    if not path.exists():
        raise UnreadableFile("文件不存在", file=name)
    enc_note = "UTF-8 (format default)"
    if encoding:
        enc_note = f"{encoding} (given)"
    elif path.suffix.lower() == ".shp":
        encoding, enc_note = shapefile_encoding(path)
    try:
        frame = pyogrio.read_dataframe(path, layer=layer, encoding=encoding)
    except (DataSourceError, DataLayerError, OSError, ValueError) as exc:
        raise UnreadableFile(f"无法读取图层：{exc}", file=name, layer=layer) from None
    if frame.crs is None:
        raise MissingCRS("文件没有坐标系（缺少 .prj 或 CRS 定义），请补充后再导入", file=name)
    src_crs = frame.crs.to_string()
    cols = {c: find_column(frame.columns.drop("geometry"), c) for c in REQUIRED}
    for canonical, col in cols.items():
        if col is None:
            raise MissingField(
                f"缺少必填字段 {display_name(canonical)}", file=name, field=display_name(canonical)
            )
    _check_values(frame, cols, name)
    geoms = _check_geometries(frame.geometry.values, frame[cols["code"]], name)
    lonlat = gpd.GeoSeries(geoms, crs=frame.crs).to_crs(CGCS2000)
    _check_in_china(lonlat, frame[cols["code"]], name, src_crs)
    area = ellipsoidal_area_m2(lonlat.values)
    attr_cols = [c for c in frame.columns if c != "geometry" and c not in cols.values()]
    out = gpd.GeoDataFrame(
        {
            "code": frame[cols["code"]].map(_clean_text).to_numpy(),
            "xzqdm": frame[cols["xzqdm"]].map(_clean_text).to_numpy(),
            "attributes": [_jsonable_row(r) for r in frame[attr_cols].to_dict("records")],
            "area_m2": np.round(area, 2),
            "area_mu": np.round(area / M2_PER_MU, 4),
        },
        geometry=lonlat.values,
        crs=CGCS2000,
    )
    return ParcelLayer(frame=out, source_name=name, source_crs=src_crs, encoding=enc_note)


def _clean_text(v: Any) -> str:
    if isinstance(v, float) and v.is_integer():
        v = int(v)  # admin codes stored as numbers in some DBFs
    return str(v).strip()


def _is_blank(v: Any) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v)) or str(v).strip() == ""


def _check_values(frame: pd.DataFrame, cols: dict[str, str | None], name: str) -> None:
    if len(frame) == 0:
        raise InvalidValue("图层中没有任何图斑", file=name)
    for col in cols.values():
        assert col is not None
        blank = frame[col].map(_is_blank).to_numpy()
        if blank.any():
            row = int(np.flatnonzero(blank)[0]) + 1
            raise InvalidValue(
                f"第 {row} 行字段 {col} 为空",
                file=name,
                row=row,
                field=col,
                rows=(np.flatnonzero(blank)[:20] + 1).tolist(),
            )
    codes = frame[cols["code"]].map(_clean_text)
    dup = codes.duplicated(keep="first").to_numpy()
    if dup.any():
        row = int(np.flatnonzero(dup)[0]) + 1
        raise InvalidValue(
            f"第 {row} 行图斑编号 {codes.iloc[row - 1]} 在文件中重复",
            file=name,
            row=row,
            field=cols["code"],
            value=codes.iloc[row - 1],
        )


def _check_geometries(geoms: np.ndarray, codes: pd.Series, name: str) -> np.ndarray:
    geoms = shapely.force_2d(geoms)
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    types = shapely.get_type_id(geoms)
    polygonal = np.isin(types, [3, 6])  # Polygon, MultiPolygon
    valid = shapely.is_valid(geoms)
    for i in range(len(geoms)):
        if missing[i]:
            raise InvalidGeometry(
                f"第 {i + 1} 行几何为空",
                file=name,
                row=i + 1,
                field="geometry",
                code=_clean_text(codes.iloc[i]),
            )
        if not polygonal[i]:
            raise InvalidGeometry(
                f"第 {i + 1} 行几何类型为 {shapely.get_type_id(geoms[i])}，应为面",
                file=name,
                row=i + 1,
                field="geometry",
                code=_clean_text(codes.iloc[i]),
            )
        if not valid[i]:
            reason = shapely.is_valid_reason(geoms[i])
            raise InvalidGeometry(
                f"第 {i + 1} 行几何无效：{reason}",
                file=name,
                row=i + 1,
                field="geometry",
                code=_clean_text(codes.iloc[i]),
                reason=reason,
            )
    return geoms


def _check_in_china(lonlat: gpd.GeoSeries, codes: pd.Series, name: str, crs: str) -> None:
    minx, miny, maxx, maxy = CHINA_BOUNDS
    b = lonlat.bounds
    bad = ~((b.minx >= minx) & (b.maxx <= maxx) & (b.miny >= miny) & (b.maxy <= maxy))
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise InvalidGeometry(
            f"第 {i + 1} 行坐标换算后不在中国境内，坐标系 {crs} 可能有误",
            file=name,
            row=i + 1,
            field="geometry",
            code=_clean_text(codes.iloc[i]),
            crs=crs,
        )


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


def _jsonable_row(row: dict[str, Any]) -> dict[str, Any]:
    return {str(k): _jsonable(v) for k, v in row.items()}
