"""Word report in official-document (公文) layout, per GB/T 9704-2012《党政机关公文格式》.

- Page: A4; 天头 (top) 37 mm, 订口 (left) 28 mm, 版心 156 × 225 mm, hence right 26 mm and
  bottom 35 mm (§5.2.1, §5.2.2).
- Title 2号 方正小标宋简体, body 3号 仿宋_GB2312, first-level headings 黑体, second-level 楷体
  (§7.3.1, §7.3.3). Machines without the GB2312 fonts get 宋体 / 仿宋 / 楷体 through w:altName
  in the font table, which both Word and WPS honour when substituting.
- Page numbers: 4号 宋体 "— 1 —", odd pages right, even pages left (§7.5).
East Asian font names are set on every run (w:rFonts w:eastAsia): WPS ignores w:ascii for CJK.
"""

from __future__ import annotations

import io
from typing import Any

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Mm, Pt
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph

from geo.safe_text import xml_text
from reports.document import (
    banner,
    has_maps,
    level_spans,
    money,
    numbered,
    pct,
    safeguards,
    scope_text,
    signed,
    spending_rows,
)

TITLE_FONT = "方正小标宋简体"
BODY_FONT = "仿宋_GB2312"
HEADING_FONT = "黑体"
KAI_FONT = "楷体_GB2312"
PAGE_NUMBER_FONT = "宋体"
FALLBACKS = {TITLE_FONT: "宋体", BODY_FONT: "仿宋", KAI_FONT: "楷体"}
SIZE_2, SIZE_3, SIZE_4, SIZE_5 = Pt(22), Pt(16), Pt(14), Pt(10.5)  # 二号, 三号, 四号, 五号
LINE_PITCH = Pt(28.9)  # 22 lines in the 225 mm 版心 (§5.2.3)
CHINESE_NUMERALS = "一二三四五六七八九十"


def _fonts(run_or_style: Any, name: str) -> None:
    """Set one font for Latin and East Asian text; WPS reads only w:eastAsia for 中文."""
    run_or_style.font.name = name
    rpr = run_or_style.element.get_or_add_rPr()
    rfonts = rpr.find(qn("w:rFonts"))
    if rfonts is None:
        rfonts = OxmlElement("w:rFonts")
        rpr.insert(0, rfonts)
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        rfonts.set(qn(attr), name)


def _run(par: Paragraph, text: str, font: str = BODY_FONT, size: Pt = SIZE_3,
         bold: bool = False) -> None:
    # A note from a form may hold control characters that XML (and so python-docx) refuses.
    run = par.add_run(xml_text(text))
    _fonts(run, font)
    run.font.size = size
    run.bold = bold


def _para(doc: Any, text: str = "", *, font: str = BODY_FONT, size: Pt = SIZE_3,
          align: int | None = None, indent: bool = True, bold: bool = False) -> Paragraph:
    par = doc.add_paragraph()
    fmt = par.paragraph_format
    fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    fmt.line_spacing = LINE_PITCH
    fmt.space_before = fmt.space_after = Pt(0)
    if indent:
        fmt.first_line_indent = Pt(size.pt * 2)  # 首行缩进二字
    if align is not None:
        par.alignment = align
    if text:
        _run(par, text, font, size, bold)
    return par


def _font_table_fallbacks(doc: Any) -> None:
    part = next((p for p in doc.part.package.iter_parts()
                 if str(p.partname) == "/word/fontTable.xml"), None)
    if part is None:
        return
    root = parse_xml(part.blob)
    for name, alt in FALLBACKS.items():
        root.append(parse_xml(
            f'<w:font {nsdecls("w")} w:name="{name}"><w:altName w:val="{alt}"/>'
            '<w:charset w:val="86"/><w:family w:val="auto"/><w:pitch w:val="variable"/>'
            "</w:font>"))
    from lxml import etree

    part._blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _page_number(par: Paragraph, align: int, indent_side: str) -> None:
    par.alignment = align
    if indent_side == "right":
        par.paragraph_format.right_indent = SIZE_4
    else:
        par.paragraph_format.left_indent = SIZE_4
    _run(par, "— ", PAGE_NUMBER_FONT, SIZE_4)
    run = par.add_run()
    _fonts(run, PAGE_NUMBER_FONT)
    run.font.size = SIZE_4
    for kind, text in (("begin", None), (None, " PAGE "), ("end", None)):
        if kind:
            el = OxmlElement("w:fldChar")
            el.set(qn("w:fldCharType"), kind)
        else:
            el = OxmlElement("w:instrText")
            el.set(qn("xml:space"), "preserve")
            el.text = text
        run._r.append(el)
    _run(par, " —", PAGE_NUMBER_FONT, SIZE_4)


def _setup(doc: Any) -> None:
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    section.footer_distance = Mm(23)  # the number's line sits ~7 mm below the 版心 (§7.5)
    normal = doc.styles["Normal"]
    _fonts(normal, BODY_FONT)
    normal.font.size = SIZE_3
    doc.settings.odd_and_even_pages_header_footer = True
    _page_number(section.footer.paragraphs[0], WD_ALIGN_PARAGRAPH.RIGHT, "right")
    _page_number(section.even_page_footer.paragraphs[0], WD_ALIGN_PARAGRAPH.LEFT, "left")
    _font_table_fallbacks(doc)


def _shade(cell: _Cell, color: str) -> None:
    cell._tc.get_or_add_tcPr().append(
        parse_xml(f'<w:shd {nsdecls("w")} w:val="clear" w:color="auto" w:fill="{color}"/>'))


def _cell(cell: _Cell, text: Any, *, header: bool = False, center: bool = False) -> None:
    cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
    par = cell.paragraphs[0]
    par.paragraph_format.space_before = par.paragraph_format.space_after = Pt(0)
    par.paragraph_format.line_spacing = 1.0
    if header or center:
        par.alignment = WD_ALIGN_PARAGRAPH.CENTER
    lines = str(text if text is not None else "").split("\n")
    for i, line in enumerate(lines):
        if i:
            par = cell.add_paragraph()
            par.paragraph_format.line_spacing = 1.0
        _run(par, line, HEADING_FONT if header else BODY_FONT, SIZE_5)
    if header:
        _shade(cell, "F2F2F2")


def _table(doc: Any, nrows: int, widths_mm: tuple[float, ...]) -> Table:
    table = doc.add_table(rows=nrows, cols=len(widths_mm))
    table.style = doc.styles["Table Grid"]  # single-line borders on every cell
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False  # fixed layout: WPS keeps the widths below instead of refitting
    for col, w in zip(table.columns, widths_mm, strict=True):
        col.width = Mm(w)  # w:gridCol, which WPS and LibreOffice read first
    for row in table.rows:
        for cell, w in zip(row.cells, widths_mm, strict=True):
            cell.width = Mm(w)
    return table


def _merged(table: Table, r0: int, c0: int, r1: int, c1: int, text: Any, **kw: Any) -> None:
    cell = table.cell(r0, c0)
    if (r0, c0) != (r1, c1):
        cell = cell.merge(table.cell(r1, c1))
    _cell(cell, text, **kw)


def _head_table(doc: Any, kind: str, p: dict[str, Any]) -> None:
    cps = spending_rows(p)
    plan_rows = 2 if kind == "targets" else 5
    t = _table(doc, 4 + plan_rows, (22, 18, 22, 24, 22, 22, 26))
    _cell(t.cell(0, 0), "项目编码", header=True)
    _cell(t.cell(0, 1), p["code"] or "")
    _cell(t.cell(0, 2), "项目名称", header=True)
    _merged(t, 0, 3, 0, 6, p["name"])
    b = p["budget"]
    _merged(t, 1, 0, 2, 0, "预算规模及资金用途", header=True)
    for col, (text, header) in enumerate(
        (("预算数", True), (money(b.get("total")), False), ("其中：财政资金", True),
         (money(b.get("fiscal")), False), ("其他资金", True), (money(b.get("other")), False)), 1):
        _cell(t.cell(1, col), text, header=header, center=True)
    _merged(t, 2, 1, 2, 6, p["purpose"])
    if kind == "targets":
        _merged(t, 3, 0, 4, 0, "资金支出计划（%）", header=True)
        for i, cp in enumerate(cps):
            last = 6 if i == 3 else 1 + i
            _merged(t, 3, 1 + i, 3, last, cp["label"], header=True)
            _merged(t, 4, 1 + i, 4, last, pct(cp["planned_pct"]), center=True)
    else:
        _merged(t, 3, 0, 7, 0, "资金支出计划与执行", header=True)
        _cell(t.cell(3, 1), "检查点", header=True)
        for i, cp in enumerate(cps):
            _cell(t.cell(3, 2 + i), cp["label"], header=True)
        _cell(t.cell(3, 6), "累计支出（元）", header=True)
        lines = (("计划支出（%）", "planned_pct", pct), ("实际支出（%）", "actual_pct", pct),
                 ("偏差（百分点）", "deviation_pct", signed),
                 ("实际支出（元）", "actual_yuan", money))
        for k, (label, key, fmt) in enumerate(lines):
            _cell(t.cell(4 + k, 1), label, header=True)
            for i, cp in enumerate(cps):
                _cell(t.cell(4 + k, 2 + i), fmt(cp[key]), center=True)
        _merged(t, 4, 6, 7, 6, money(p["spent_total_yuan"]), center=True)
    last = 3 + plan_rows
    _cell(t.cell(last, 0), "绩效目标", header=True)
    _merged(t, last, 1, last, 6, "\n".join(numbered(p["goals"])))


def _indicator_table(doc: Any, kind: str, p: dict[str, Any]) -> None:
    rows = p["rows"]
    if kind == "targets":
        header = ("一级指标", "二级指标", "三级指标", "绩效指标描述", "指标值", "指标值确定依据")
        widths: tuple[float, ...] = (17, 20, 32, 32, 32, 23)
    else:
        header = ("一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "偏差",
                  "偏差原因分析")
        widths = (15, 18, 27, 27, 31, 16, 22)
    t = _table(doc, len(rows) + 1, widths)
    for i, h in enumerate(header):
        _cell(t.cell(0, i), h, header=True)
    span1, span2 = level_spans(rows)
    for k, row in enumerate(rows, 1):
        if span1[k - 1]:
            _merged(t, k, 0, k + span1[k - 1] - 1, 0, row["level1"], center=True)
        if span2[k - 1]:
            _merged(t, k, 1, k + span2[k - 1] - 1, 1, row["level2"], center=True)
        if kind == "targets":
            cells = (row["level3"], row["description"], row["target"], row["basis"])
        else:
            actual = row["actual"]
            if row["evidence"]:
                actual += "\n附件：" + "、".join(e["filename"] for e in row["evidence"])
            cells = (row["level3"], row["target"], actual, row["deviation"], row["reason"])
        for i, text in enumerate(cells, 2):
            _cell(t.cell(k, i), text)


def _heading(doc: Any, text: str, level: int) -> None:
    _para(doc, text, font=HEADING_FONT if level == 1 else KAI_FONT)


def _project(doc: Any, kind: str, p: dict[str, Any], n: int) -> None:
    title = p["table_title"] if kind == "targets" else f"{p['name']}绩效自评表"
    _heading(doc, f"（{CHINESE_NUMERALS[n] if n < 10 else n + 1}）{title}", 2)
    unit = _para(doc, indent=False)
    _run(unit, p["table_unit"], size=SIZE_5)
    _run(unit, f"\t单位：{p['currency_unit']}", size=SIZE_5)
    unit.paragraph_format.tab_stops.add_tab_stop(Mm(156), alignment=2)  # right tab
    _head_table(doc, kind, p)
    _para(doc, indent=False).paragraph_format.line_spacing = Pt(8)
    _indicator_table(doc, kind, p)
    for w in p["warnings"]:
        _para(doc, f"预警：{w}")
    if has_maps(p):
        from reports.static_map import png_map

        png = png_map(p["maps"])
        if png:
            doc.add_picture(io.BytesIO(png), width=Mm(150))
            doc.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
            _para(doc, "图：违法图斑分布（乡镇颜色越深违法图斑越多）与逾期图斑（圈）",
                  font=KAI_FONT, size=SIZE_5, align=WD_ALIGN_PARAGRAPH.CENTER, indent=False)


def _differences(doc: Any, d: dict[str, Any]) -> None:
    diffs = d["differences"]
    if not diffs:
        _para(doc, "冻结以来各指标数值均未变化。")
        return
    t = _table(doc, len(diffs) + 1, (26, 40, 26, 32, 32))
    for i, h in enumerate(("项目", "三级指标", "指标", "冻结值", "实时值")):
        _cell(t.cell(0, i), h, header=True)
    for k, row in enumerate(diffs, 1):
        for i, key in enumerate(("project", "level3", "label", "frozen", "live")):
            _cell(t.cell(k, i), row.get(key, ""))


def build_document(doc: dict[str, Any]) -> Any:
    """The python-docx Document for a prepared report document."""
    word = Document()
    _setup(word)
    _para(word, doc["title"], font=TITLE_FONT, size=SIZE_2, align=WD_ALIGN_PARAGRAPH.CENTER,
          indent=False).paragraph_format.line_spacing = Pt(36)
    _para(word, indent=False)
    _para(word, f"（{banner(doc)}；{scope_text(doc)}）", font=KAI_FONT,
          align=WD_ALIGN_PARAGRAPH.CENTER, indent=False)
    sections = []
    dept = doc["department"] or {}
    if dept.get("overall_goals") or dept.get("sub_goals") or safeguards(doc):
        sections.append("dept")
    sections.append("projects")
    if doc["mode"] == "frozen":
        sections.append("diff")
    for n, name in enumerate(sections):
        head = CHINESE_NUMERALS[n]
        if name == "dept":
            _heading(word, f"{head}、部门整体绩效目标", 1)
            for k, (label, key) in enumerate((("总体绩效目标", "overall_goals"),
                                              ("分项绩效目标", "sub_goals"))):
                if dept.get(key):
                    _heading(word, f"（{CHINESE_NUMERALS[k]}）{label}", 2)
                    for line in numbered(dept[key]):
                        _para(word, line)
            if safeguards(doc):
                _heading(word, "（三）工作保障措施", 2)
                for k, (title, text) in enumerate(safeguards(doc), 1):
                    _para(word, f"{k}、{title}")
                    if text:
                        _para(word, text)
        elif name == "projects":
            label = "预算项目绩效目标" if doc["kind"] == "targets" else "预算项目绩效自评"
            _heading(word, f"{head}、{label}", 1)
            for k, p in enumerate(doc["projects"]):
                _project(word, doc["kind"], p, k)
        else:
            _heading(word, f"{head}、冻结快照「{doc['snapshot']['label']}」与实时数据的差异", 1)
            _differences(word, doc)
    word.core_properties.title = xml_text(doc["title"])
    word.core_properties.author = xml_text(doc["unit_name"])
    return word


def render_docx(doc: dict[str, Any]) -> bytes:
    """The report document as a Word (.docx) file."""
    buf = io.BytesIO()
    build_document(doc).save(buf)
    return buf.getvalue()
