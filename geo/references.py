"""Reference layers a county overlays on 图斑: boundaries, 永久基本农田, 采矿权, approvals.

Each is imported as a named, versioned layer; what the hint engine needs of a feature is an
identifier and a label, found by the usual field names of each kind.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

from geo.area import CGCS2000
from geo.crs import Jurisdiction
from geo.errors import InvalidGeometry, InvalidValue
from geo.geometry import clean_geometries
from geo.layers import crs_label, jsonable_records, resolve_crs
from geo.readers import open_source, read_raw
from geo.report import ImportReport, RowNote, lowest


class RefKind(StrEnum):
    """The kinds of reference layer a county can import; the value is stored and sent."""

    TOWNSHIP = "township"
    VILLAGE = "village"
    FARMLAND = "farmland"  # 永久基本农田
    MINING_PERMIT = "mining_permit"  # 采矿权 矿区范围
    APPROVAL = "approval"  # 用地审批 / 供地
    FACILITY_FARMLAND = "facility_farmland"  # 设施农用地 备案

    @property
    def label(self) -> str:
        """The kind's zh-CN name (村界, 永久基本农田, …)."""
        return REF_LABELS[self]


REF_LABELS = {
    RefKind.TOWNSHIP: "乡镇界",
    RefKind.VILLAGE: "村界",
    RefKind.FARMLAND: "永久基本农田",
    RefKind.MINING_PERMIT: "采矿权",
    RefKind.APPROVAL: "用地审批/供地",
    RefKind.FACILITY_FARMLAND: "设施农用地",
}

# kind -> (identifier aliases, label aliases)
REF_FIELDS: dict[RefKind, tuple[tuple[str, ...], tuple[str, ...]]] = {
    RefKind.TOWNSHIP: (("XZQDM", "XZDM", "乡镇代码", "行政区代码"), ("XZQMC", "XZMC", "乡镇名称")),
    RefKind.VILLAGE: (("ZLDWDM", "CJDM", "村级代码", "坐落单位代码"), ("ZLDWMC", "CJMC", "村名")),
    RefKind.FARMLAND: (("JBNTTBBH", "BSM", "基本农田图斑编号"), ("DLBM", "地类编码")),
    RefKind.MINING_PERMIT: (("XKZH", "采矿许可证号", "许可证号"), ("KSMC", "矿山名称")),
    RefKind.APPROVAL: (("PZWH", "批准文号", "供地文号"), ("XMMC", "项目名称")),
    RefKind.FACILITY_FARMLAND: (("BABH", "备案编号"), ("YT", "用途")),
}


@dataclass(frozen=True)
class RefLayer:
    """A reference layer as read: its kind, its features in EPSG:4490 and the import report."""

    kind: RefKind
    frame: gpd.GeoDataFrame  # columns: ident, label, attributes, geometry (EPSG:4490)
    report: ImportReport


def _pick(columns: list[str], aliases: tuple[str, ...]) -> str | None:
    folded = {c.strip().casefold(): c for c in columns}
    return next((folded[a.casefold()] for a in aliases if a.casefold() in folded), None)


def read_reference(
    path: str | Path,
    kind: RefKind | str,
    *,
    layer: str | None = None,
    encoding: str | None = None,
    crs: str | None = None,
    jurisdiction: Jurisdiction | None = None,
) -> RefLayer:
    """Read a reference layer; invalid rings are repaired, features without area refused."""
    kind = RefKind(kind)
    with open_source(Path(path), layer) as (inner, name):
        raw = read_raw(inner, name, layer=layer, encoding=encoding)
    frame = raw.frame
    report = ImportReport(
        file=name, driver=raw.driver, layer=layer, encoding=raw.encoding, read=len(frame)
    )
    if len(frame) == 0:
        raise InvalidValue("参考图层中没有任何要素", file=name)
    geoms = frame.geometry.to_numpy()
    choice = resolve_crs(shapely.bounds(geoms), frame.crs, (crs, jurisdiction), report, name)
    src_crs, swap = choice.crs, choice.swap_xy
    report.source_crs = crs_label(src_crs)
    if swap:
        geoms = shapely.transform(geoms, lambda c: c[:, ::-1])
    cleaned = clean_geometries(geoms)
    if cleaned.rejected:
        i, reason = next(iter(sorted(cleaned.rejected.items())))
        raise InvalidGeometry(
            f"第 {i + 1} 行：{reason}",
            file=name,
            row=i + 1,
            field="geometry",
            rejected=len(cleaned.rejected),
        )
    report.add_rows(
        "repaired",
        [RowNote(i + 1, None, cleaned.repaired[i]) for i in lowest(cleaned.repaired)],
        len(cleaned.repaired),
    )
    cols = [c for c in frame.columns if c != "geometry"]
    id_aliases, label_aliases = REF_FIELDS[kind]
    id_col, label_col = _pick(cols, id_aliases), _pick(cols, label_aliases)
    report.fields = {k: v for k, v in (("ident", id_col), ("label", label_col)) if v}
    n = len(frame)
    ident = frame[id_col].astype(str).to_numpy() if id_col else np.arange(1, n + 1).astype(str)
    label = frame[label_col].astype(str).to_numpy() if label_col else np.full(n, "", object)
    lonlat = gpd.GeoSeries(cleaned.geoms, crs=src_crs).to_crs(CGCS2000).to_numpy()
    out = gpd.GeoDataFrame(
        {
            "ident": ident,
            "label": label,
            "attributes": jsonable_records(frame, cols),
        },
        geometry=lonlat,
        crs=CGCS2000,
    )
    report.imported = n
    return RefLayer(kind, out, report)
