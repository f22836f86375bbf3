"""The province's result table (核查结果表): one row per 图斑 with its 核查结果, 违法类型, 立案,
罚款 and 整改, as the province profile's zip carries it beside the Shapefile."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from geo.export_formats import added_values
from geo.safe_text import looks_like_formula, xml_text

# (header, width): the columns of the table, in order.
RESULT_COLUMNS = (
    ("序号", 6),
    ("图斑编号", 22),
    ("行政区代码", 12),
    ("乡镇", 12),
    ("村", 12),
    ("面积（亩）", 10),
    ("核查结果", 8),
    ("违法类型", 14),
    ("是否立案", 8),
    ("立案案号", 20),
    ("罚款（元）", 12),
    ("整改情况", 8),
    ("整改日期", 12),
    ("办理状态", 10),
)
ILLEGAL = "违法"


def result_row(n: int, row: Mapping[str, Any]) -> list[Any]:
    """Row ``n`` of the table for one store row; filing and rectification are asked only of an
    illegal 图斑 (blank otherwise)."""
    v = added_values(row)
    illegal = v["judgment"] == ILLEGAL
    filed = ("是" if v["case_no"] else "否") if illegal else None
    rectified = ("已整改" if v["rectified_on"] else "未整改") if illegal else None
    return [
        n,
        v["code"],
        v["xzqdm"],
        v["township_name"],
        v["village_name"],
        round(v["area_mu"], 4) if v["area_mu"] is not None else None,
        v["judgment"],
        v["verify_reason"] if illegal else None,
        filed,
        v["case_no"],
        v["fine_yuan"],
        rectified,
        v["rectified_on"],
        v["state"],
    ]


def sheet_cell(ws: Any, v: Any) -> Any:
    """A cell value for openpyxl: text without what XML cannot hold, and text that looks like
    a formula kept as text (quote-prefixed), so opening the file never runs it."""
    from openpyxl.cell import WriteOnlyCell

    if not isinstance(v, str):
        return v
    v = xml_text(v)
    if not looks_like_formula(v):
        return v
    cell = WriteOnlyCell(ws, value=v)
    cell.data_type = "s"
    cell.quotePrefix = True
    return cell


def write_result_table(chunks: Iterable[list[dict[str, Any]]], out: Path) -> int:
    """Write the table to ``out`` (XLSX, written as it goes); how many 图斑 rows it has."""
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("核查结果")
    for i, (_, width) in enumerate(RESULT_COLUMNS, 1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = "A2"
    ws.append([h for h, _ in RESULT_COLUMNS])
    n = 0
    for chunk in chunks:
        for row in chunk:
            n += 1
            ws.append([sheet_cell(ws, v) for v in result_row(n, row)])
    wb.save(out)
    return n
