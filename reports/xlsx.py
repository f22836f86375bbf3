"""XLSX export laid out like the bureau's goal tables: one sheet per project, A4 landscape.

Every project sheet uses the same 7 columns (A–G). Rows, top to bottom:
title · live/frozen banner · unit line · 项目编码/项目名称 · 预算规模及资金用途 (2 rows) ·
资金支出计划 (2 rows, kind "targets") or the budget execution block (5 rows, "self_evaluation") ·
绩效目标 · indicator header · one row per indicator · warnings.
"""

from __future__ import annotations

import io
import re
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from geo.safe_text import looks_like_formula, xml_text
from reports.document import (
    banner,
    level_spans,
    numbered,
    scope_text,
    spending_rows,
)

BODY_FONT = "宋体"
TITLE_FONT = "黑体"
NCOLS = 7
WIDTHS = {
    "targets": (12, 16, 30, 30, 30, 12, 14),
    "self_evaluation": (12, 16, 28, 28, 32, 16, 28),
}
TARGET_HEADER = ("一级指标", "二级指标", "三级指标", "绩效指标描述", "指标值", "指标值确定依据")
SELF_EVAL_HEADER = (
    "一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "偏差", "偏差原因分析",
)
STATUS_FILL = {
    "behind": PatternFill("solid", fgColor="FCE4E4"),
    "warn": PatternFill("solid", fgColor="FFF2CC"),
    "met": PatternFill("solid", fgColor="E2F0D9"),
}
_THIN = Side(style="thin", color="000000")
BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
WRAP = Alignment(wrap_text=True, vertical="center")
CENTER = Alignment(wrap_text=True, vertical="center", horizontal="center")
HEADER_FILL = PatternFill("solid", fgColor="F2F2F2")


class _Sheet:
    """A worksheet plus a cursor; cells written through it get borders, fonts and wrapping."""

    def __init__(self, ws: Worksheet, widths: tuple[int, ...]) -> None:
        self.ws = ws
        self.widths = widths
        self.row = 1
        for i, w in enumerate(widths, 1):
            ws.column_dimensions[get_column_letter(i)].width = w

    def cell(self, col: int, value: Any, *, span: int = 1, rows: int = 1, bold: bool = False,
             center: bool = False, border: bool = True, fmt: str | None = None,
             fill: PatternFill | None = None) -> None:
        r = self.row
        c = self.ws.cell(row=r, column=col)
        if isinstance(value, str):
            value = xml_text(value)
        c.value = value if value != "" else None
        if isinstance(value, str) and looks_like_formula(value):
            # A note or code from a file stays text: a string cell, quote-prefixed so that
            # editing it in Excel or LibreOffice does not turn it into a formula either.
            c.data_type = "s"
            c.quotePrefix = True
        c.font = Font(name=BODY_FONT, size=11, bold=bold)
        c.alignment = CENTER if center else WRAP
        if fmt:
            c.number_format = fmt
        if fill:
            c.fill = fill
        if span > 1 or rows > 1:
            self.ws.merge_cells(start_row=r, start_column=col,
                                end_row=r + rows - 1, end_column=col + span - 1)
        if border:
            for rr in range(r, r + rows):
                for cc in range(col, col + span):
                    self.ws.cell(row=rr, column=cc).border = BORDER

    def next(self, height: float | None = None) -> None:
        self.ws.row_dimensions[self.row].height = height or self._fit(self.row)
        self.row += 1

    def _fit(self, r: int) -> float:
        """Rough auto-height: openpyxl can't measure text, Excel won't refit merged cells."""
        lines = 1
        merged = {m.min_col: m.max_col for m in self.ws.merged_cells.ranges
                  if m.min_row == r == m.max_row}
        for col in range(1, NCOLS + 1):
            value = self.ws.cell(row=r, column=col).value
            if value is None:
                continue
            width = sum(self.widths[c - 1] for c in range(col, merged.get(col, col) + 1))
            per_line = max(1, int(width * 1.1) - 1)  # width is in Latin characters
            here = 0
            for part in str(value).split("\n"):
                units = sum(2 if ord(ch) > 0x2E80 else 1 for ch in part)
                here += max(1, -(-units // per_line))
            lines = max(lines, here)
        return 16.5 * lines + 4


def _sheet_name(name: str, taken: set[str]) -> str:
    base = re.sub(r"[\[\]:*?/\\]", "", name)[:28] or "项目"
    out, n = base, 2
    while out in taken:
        out, n = f"{base}{n}", n + 1
    taken.add(out)
    return out


def _print_setup(ws: Worksheet, title_rows: str | None = None) -> None:
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.5
    ws.page_margins.top = ws.page_margins.bottom = 0.6
    ws.oddFooter.center.text = "第 &P 页，共 &N 页"
    if title_rows:
        ws.print_title_rows = title_rows


def _title(s: _Sheet, text: str, note: str) -> None:
    s.cell(1, text, span=NCOLS, center=True, border=False)
    s.ws.cell(row=s.row, column=1).font = Font(name=TITLE_FONT, size=16, bold=True)
    s.next(30)
    s.cell(1, note, span=NCOLS, border=False)
    s.ws.cell(row=s.row, column=1).font = Font(name=BODY_FONT, size=10, italic=True,
                                               color="7F4F00")
    s.next(20)


def _project_head(s: _Sheet, p: dict[str, Any]) -> None:
    s.cell(1, p["table_unit"], span=5, border=False)
    s.cell(6, f"单位：{p['currency_unit']}", span=2, border=False)
    s.ws.cell(row=s.row, column=6).alignment = Alignment(horizontal="right", vertical="center")
    s.next(20)
    s.cell(1, "项目编码", center=True)
    s.cell(2, p["code"] or "")
    s.cell(3, "项目名称", center=True)
    s.cell(4, p["name"], span=4)
    s.next()
    b = p["budget"]
    s.cell(1, "预算规模及资金用途", rows=2, center=True)
    s.cell(2, "预算数", center=True)
    s.cell(3, b.get("total"), fmt="0.00")
    s.cell(4, "其中：财政资金", center=True)
    s.cell(5, b.get("fiscal"), fmt="0.00")
    s.cell(6, "其他资金", center=True)
    s.cell(7, b.get("other"), fmt="0.00")
    s.next()
    s.cell(2, p["purpose"], span=6)
    s.next()


def _spending_plan(s: _Sheet, p: dict[str, Any]) -> None:
    cps = spending_rows(p)
    s.cell(1, "资金支出计划（%）", rows=2, center=True)
    for i, cp in enumerate(cps):
        s.cell(2 + i, cp["label"], span=3 if i == 3 else 1, center=True)
    s.next()
    for i, cp in enumerate(cps):
        s.cell(2 + i, cp["planned_pct"], span=3 if i == 3 else 1, center=True, fmt="0.00")
    s.next()


def _budget_execution(s: _Sheet, p: dict[str, Any]) -> None:
    cps = spending_rows(p)
    s.cell(1, "资金支出计划与执行", rows=5, center=True)
    s.cell(2, "检查点", center=True, fill=HEADER_FILL)
    for i, cp in enumerate(cps):
        s.cell(3 + i, cp["label"], center=True, fill=HEADER_FILL)
    s.cell(7, "累计支出（元）", center=True, fill=HEADER_FILL)
    s.next()
    lines = (
        ("计划支出（%）", "planned_pct", "0.00"),
        ("实际支出（%）", "actual_pct", "0.00"),
        ("偏差（百分点）", "deviation_pct", "+0.00;-0.00;0.00"),
        ("实际支出（元）", "actual_yuan", "0.00"),
    )
    for k, (label, key, fmt) in enumerate(lines):
        s.cell(2, label, center=True)
        for i, cp in enumerate(cps):
            s.cell(3 + i, cp[key], center=True, fmt=fmt)
        if k == 0:
            s.cell(7, p["spent_total_yuan"], rows=4, center=True, fmt="0.00")
        s.next()


def _goals(s: _Sheet, p: dict[str, Any]) -> None:
    s.cell(1, "绩效目标", center=True)
    s.cell(2, "\n".join(numbered(p["goals"])), span=6)
    s.next()


def _indicators(s: _Sheet, p: dict[str, Any], kind: str) -> None:
    header = TARGET_HEADER if kind == "targets" else SELF_EVAL_HEADER
    for i, h in enumerate(header):
        s.cell(1 + i, h, center=True, bold=True, fill=HEADER_FILL,
               span=2 if kind == "targets" and i == 5 else 1)
    s.next()
    rows = p["rows"]
    span1, span2 = level_spans(rows)
    for k, row in enumerate(rows):
        if span1[k]:
            s.cell(1, row["level1"], rows=span1[k], center=True)
        if span2[k]:
            s.cell(2, row["level2"], rows=span2[k], center=True)
        s.cell(3, row["level3"])
        if kind == "targets":
            s.cell(4, row["description"])
            s.cell(5, row["target"])
            s.cell(6, row["basis"], span=2)
        else:
            actual = row["actual"]
            if row["evidence"]:
                actual += "\n附件：" + "、".join(e["filename"] for e in row["evidence"])
            statuses = {v.get("status") for v in row["values"]}
            worst = next((st for st in ("behind", "warn", "met") if st in statuses), None)
            s.cell(4, row["target"])
            s.cell(5, actual, fill=STATUS_FILL.get(worst or ""))
            s.cell(6, row["deviation"], center=True)
            s.cell(7, row["reason"])
        s.next()


def _warnings(s: _Sheet, p: dict[str, Any]) -> None:
    for w in p["warnings"]:
        s.cell(1, "预警", center=True, fill=STATUS_FILL["warn"])
        s.cell(2, w, span=6, fill=STATUS_FILL["warn"])
        s.next()


def _project_sheet(wb: Workbook, doc: dict[str, Any], p: dict[str, Any], name: str) -> None:
    kind = doc["kind"]
    s = _Sheet(wb.create_sheet(name), WIDTHS[kind])
    title = p["table_title"] if kind == "targets" else f"{p['name']}绩效自评表"
    _title(s, title, banner(doc))
    _project_head(s, p)
    if kind == "targets":
        _spending_plan(s, p)
    else:
        _budget_execution(s, p)
    _goals(s, p)
    _indicators(s, p, kind)
    _warnings(s, p)
    _print_setup(s.ws, "1:2")


def _cover(wb: Workbook, doc: dict[str, Any], sheet_names: list[str]) -> None:
    s = _Sheet(wb.active, (14, 16, 30, 30, 30, 14, 20))
    s.ws.title = "封面"
    _title(s, doc["title"], banner(doc))
    unit = f"{doc['unit_code']}{doc['unit_name']}"
    for label, value in (("单位", unit), ("年度", doc["year"]), ("范围", scope_text(doc)[3:])):
        s.cell(1, label, center=True)
        s.cell(2, value, span=6)
        s.next()
    dept = doc["department"] or {}
    for label, key in (("总体绩效目标", "overall_goals"), ("分项绩效目标", "sub_goals")):
        if dept.get(key):
            s.cell(1, label, center=True)
            s.cell(2, "\n".join(numbered(dept[key])), span=6)
            s.next()
    s.cell(1, "项目", center=True, rows=max(1, len(sheet_names)))
    for p, name in zip(doc["projects"], sheet_names, strict=True):
        s.cell(2, p["name"], span=2)
        s.cell(4, f"见工作表「{name}」", span=4)
        s.next()
    _print_setup(s.ws)


def _execution_sheet(wb: Workbook, doc: dict[str, Any]) -> None:
    s = _Sheet(wb.create_sheet("预算执行"), (26, 14, 10, 14, 14, 16, 18))
    _title(s, "预算执行情况（累计支出与支出计划对比）", banner(doc))
    for i, h in enumerate(("项目名称", "预算数（元）", "检查点", "计划支出（%）", "实际支出（%）",
                           "偏差（百分点）", "实际支出（元）")):
        s.cell(1 + i, h, center=True, bold=True, fill=HEADER_FILL)
    s.next()
    for p in doc["projects"]:
        cps = spending_rows(p)
        s.cell(1, p["name"], rows=len(cps), center=True)
        s.cell(2, p["budget"].get("total"), rows=len(cps), center=True, fmt="0.00")
        for cp in cps:
            s.cell(3, cp["label"], center=True)
            s.cell(4, cp["planned_pct"], center=True, fmt="0.00")
            s.cell(5, cp["actual_pct"], center=True, fmt="0.00")
            s.cell(6, cp["deviation_pct"], center=True, fmt="+0.00;-0.00;0.00")
            s.cell(7, cp["actual_yuan"], center=True, fmt="0.00")
            s.next()
    _print_setup(s.ws, "1:3")


def _differences_sheet(wb: Workbook, doc: dict[str, Any]) -> None:
    s = _Sheet(wb.create_sheet("差异"), (18, 34, 20, 30, 30, 8, 8))
    snap = doc["snapshot"]
    _title(s, f"冻结快照「{snap['label']}」与实时数据的差异", banner(doc))
    for i, h in enumerate(("项目", "三级指标", "指标", "冻结值", "实时值")):
        s.cell(1 + i, h, center=True, bold=True, fill=HEADER_FILL)
    s.next()
    if not doc["differences"]:
        s.cell(1, "冻结以来各指标数值均未变化", span=5)
        s.next()
    for d in doc["differences"]:
        for i, key in enumerate(("project", "level3", "label", "frozen", "live")):
            s.cell(1 + i, d.get(key, ""))
        s.next()
    _print_setup(s.ws, "1:3")


def build_workbook(doc: dict[str, Any]) -> Workbook:
    """The workbook for a prepared document (see :func:`reports.document.prepare`)."""
    wb = Workbook()
    taken = {"封面", "预算执行", "差异"}
    names = [_sheet_name(p["name"], taken) for p in doc["projects"]]
    _cover(wb, doc, names)
    for p, name in zip(doc["projects"], names, strict=True):
        _project_sheet(wb, doc, p, name)
    _execution_sheet(wb, doc)
    if doc["mode"] == "frozen":
        _differences_sheet(wb, doc)
    wb.properties.title = doc["title"]
    wb.properties.creator = doc["unit_name"]
    return wb


def render_xlsx(doc: dict[str, Any]) -> bytes:
    """The report document as an Excel (.xlsx) workbook."""
    buf = io.BytesIO()
    build_workbook(doc).save(buf)
    return buf.getvalue()
