"""A normalised 图斑 layer (``ParcelLayer``) and the column helpers it is built with.

The stages that build it are in ``geo.import_pipeline``.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS
from pyproj.exceptions import CRSError

from geo.crs import Jurisdiction, place_boxes
from geo.errors import MissingCRS, UnreadableFile, option_hint
from geo.messages import msg
from geo.report import ImportReport, lowest_at

# A guessed CRS must put the data within this distance of the county's bounding box.
GUESS_MARGIN_DEG = 0.25

Progress = Callable[[str, int, int], None]


def no_progress(stage: str, done: int, total: int) -> None:
    """A ``Progress`` that shows nothing."""
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
        return json.loads(str(self.frame["attributes"].iat[i]))

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """(minx, miny, maxx, maxy) of the layer, in degrees."""
        minx, miny, maxx, maxy = self.frame.total_bounds
        return float(minx), float(miny), float(maxx), float(maxy)


def set_duplicates(layer: ParcelLayer, dup_of: np.ndarray, why: list[str]) -> None:
    """Record the in-file duplicates of ``layer`` (``dup_of``: index of the earlier row each row
    repeats, or -1; ``why``: same_code | overlap) in its frame and its report."""
    layer.frame["dup_of"] = dup_of
    _note_duplicates(
        layer.report, layer.frame["row"].to_numpy(), layer.frame["code"].to_numpy(), dup_of, why
    )


def _note_duplicates(
    report: ImportReport, rows: np.ndarray, codes: np.ndarray, dup_of: np.ndarray, why: list[str]
) -> None:
    dups = np.flatnonzero(dup_of >= 0)
    report.add_links(
        (
            {
                "row": int(rows[i]),
                "code": codes[i],
                "linked_code": codes[dup_of[i]],
                "reason": f"in_file_{why[i]}",
                "iou": None,
            }
            for i in dups[lowest_at(rows[dups])]
        ),
        Counter(f"in_file_{why[i]}" for i in dups),
    )


def crs_label(crs: CRS) -> str:
    """``EPSG:n`` when the CRS has a code, else its full definition."""
    epsg = crs.to_epsg(min_confidence=90)
    return f"EPSG:{epsg}" if epsg else crs.to_string()


@dataclass(frozen=True)
class CrsChoice:
    """The source CRS decided for a file, whether its X/Y are swapped, and which features a
    guessed CRS puts beyond the county (``beyond``, one bool per feature; ``why`` says so in
    the words the report gives for them)."""

    crs: CRS
    swap_xy: bool
    beyond: np.ndarray
    why: str = ""

    def of_rows(self, rows: np.ndarray) -> CrsChoice:
        """The choice for the features at positions ``rows`` of the file (a chunk of it)."""
        return CrsChoice(self.crs, self.swap_xy, self.beyond[rows], self.why)


def resolve_crs(
    boxes: np.ndarray,
    file_crs: CRS | None,
    options: tuple[str | None, Jurisdiction | None],
    report: ImportReport,
    name: str,
) -> CrsChoice:
    """The source CRS of features with per-feature ``boxes`` ((n, 4), NaN without a geometry):
    ``options``' override (a CRS text), else ``file_crs``, else one guessed from where most
    features fall within ``options``' jurisdiction (noted in ``report``)."""
    override, where = options
    none = np.zeros(len(boxes), dtype=bool)
    if override:
        try:
            crs = CRS.from_user_input(override)
        except CRSError as exc:
            raise MissingCRS(
                msg("import.bad_crs", crs=override, problem=str(exc)), file=name, option="crs"
            ) from None
        report.crs_how, report.crs_reason = "given", f"用户指定 {override}"
        return CrsChoice(crs, False, none)
    if file_crs is not None:
        report.crs_how = "file"
        return CrsChoice(file_crs, False, none)
    if where is None:
        raise MissingCRS(msg("import.no_crs"), file=name, option="crs")
    try:
        placed = place_boxes(boxes, where, GUESS_MARGIN_DEG)
    except MissingCRS as exc:
        exc.details.setdefault("file", name)
        raise
    guess, label = placed.guess, crs_label(placed.guess.crs)
    far = int(placed.beyond.sum())
    if not placed.majority_inside:
        raise MissingCRS(
            f"文件没有坐标系；按推断的 {label}，{far}/{placed.placed} 个图斑（多数）将落在"
            f"{where.name}之外，需指定正确的坐标系",
            file=name,
            option="crs",
            guessed=label,
            lonlat_bounds=[round(v, 4) for v in placed.lonlat_bounds]
            if all(math.isfinite(v) for v in placed.lonlat_bounds)
            else None,
        )
    report.crs_how, report.crs_reason, report.swap_xy = "guessed", guess.reason, guess.swap_xy
    report.warnings.append(
        f"文件没有坐标系，已推断为 {label}（按多数图斑所在的位置）：{guess.reason}。"
        "西安80 与 CGCS2000 无法从数值区分，如不正确请重新导入，" + option_hint("crs")
    )
    if far:
        report.warnings.append(
            f"按推断的坐标系，有 {far} 个图斑落在{where.name}之外（距辖区超过 "
            f"{GUESS_MARGIN_DEG}°），已照常导入并在报告中列出"
            "（用 --accept-partial 导入时只拒绝这些图斑）"
        )
    why = f"按推断的坐标系 {label} 落在{where.name}之外"
    return CrsChoice(guess.crs, guess.swap_xy, placed.beyond, why)


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


__all__ = ["ParcelLayer", "Progress", "UnreadableFile", "set_duplicates"]
