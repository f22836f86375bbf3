"""The Word report re-read with python-docx: 公文 page, fonts WPS can see, tables."""

from __future__ import annotations

import io

import pytest
from docx import Document
from docx.oxml.ns import qn

from tests.reports.conftest import indicator_names


@pytest.fixture(scope="module")
def word(rendered):
    return lambda name: Document(io.BytesIO(rendered(name, "docx")))


def east_asia(run) -> str | None:
    rfonts = run._r.rPr.find(qn("w:rFonts"))
    return None if rfonts is None else rfonts.get(qn("w:eastAsia"))


def all_cell_text(d) -> str:
    return "\n".join(c.text for t in d.tables for row in t.rows for c in row.cells)


def test_title_and_fonts(word):
    d = word("live")
    title = d.paragraphs[0]
    assert title.text == "唐山市国土资源局丰润区分局2019年度项目支出绩效自评报告"
    assert east_asia(title.runs[0]) == "方正小标宋简体"
    assert title.runs[0].font.size.pt == 22  # 二号
    body = next(p for p in d.paragraphs if p.text.startswith("1、贯彻落实"))
    assert east_asia(body.runs[0]) == "仿宋_GB2312" and body.runs[0].font.size.pt == 16  # 三号
    heading = next(p for p in d.paragraphs if p.text.startswith("一、"))
    assert east_asia(heading.runs[0]) == "黑体"
    assert "实时数据：数值截至 2019-12-31" in d.paragraphs[2].text


def test_page_is_gb_t_9704(word):
    d = word("live")
    s = d.sections[0]
    assert (round(s.page_width.mm), round(s.page_height.mm)) == (210, 297)
    assert [round(x.mm) for x in (s.top_margin, s.bottom_margin, s.left_margin,
                                  s.right_margin)] == [37, 35, 28, 26]
    assert round(s.page_width.mm - s.left_margin.mm - s.right_margin.mm) == 156  # 版心宽
    footer_xml = s.footer.paragraphs[0]._p.xml
    assert "PAGE" in footer_xml and "— " in s.footer.paragraphs[0].text
    assert d.settings.odd_and_even_pages_header_footer


def test_tables_hold_the_indicators(word, docs):
    d = word("live")
    text = all_cell_text(d)
    for name in indicator_names(docs["live"]):
        assert name in text
    mining = d.tables[3]  # planning head + rows, then mining head, mining rows
    assert [c.text for c in mining.rows[0].cells] == [
        "一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "偏差", "偏差原因分析"]
    assert mining.cell(1, 4).text == "按期核查率 92.5%（按期核查 37 / 40）"
    assert mining.cell(1, 0)._tc is mining.cell(3, 0)._tc  # 产出指标 merged over 3 rows
    assert mining.cell(1, 0).text == "产出指标"
    head = d.tables[2]
    assert head.cell(1, 2).text == "300000.00" and head.cell(0, 3).text == "矿山卫片执法"
    assert [head.cell(5, c).text for c in range(2, 6)] == ["8.33", "36.67", "60.00", "95.00"]
    assert east_asia(mining.cell(1, 4).paragraphs[0].runs[0]) == "仿宋_GB2312"
    assert 'w:val="single"' in d.styles["Table Grid"].element.xml  # bordered


def test_targets_document_and_map_picture(word):
    d = word("targets")
    text = all_cell_text(d)
    assert "指标值确定依据" in text and "实际完成值" not in text
    head = d.tables[2]
    assert [head.cell(4, c).text for c in range(1, 5)] == ["10.00", "40.00", "60.00", "100.00"]
    assert len(d.inline_shapes) == 1  # the mining project's static map
    assert any("逾期图斑" in p.text for p in d.paragraphs)


def test_frozen_document_lists_differences(word):
    d = word("frozen")
    assert any(p.text.startswith("三、冻结快照「2019年第三季度」") for p in d.paragraphs)
    diff = d.tables[-1]
    assert [c.text for c in diff.rows[1].cells][3:] == ["80.0%（已立案 8 / 10）",
                                                         "90.0%（已立案 9 / 10）"]


def test_font_table_names_fallbacks(rendered):
    import zipfile

    with zipfile.ZipFile(io.BytesIO(rendered("live", "docx"))) as z:
        fonts = z.read("word/fontTable.xml").decode("utf-8")
    assert 'w:name="方正小标宋简体"' in fonts and '<w:altName w:val="宋体"/>' in fonts
    assert 'w:name="仿宋_GB2312"' in fonts and '<w:altName w:val="仿宋"/>' in fonts


def test_department_safeguards(word, docs):
    texts = [p.text for p in word("live").paragraphs]
    assert "（三）工作保障措施" in texts
    assert "1、" + docs["live"]["department"]["safeguards"][0]["title"] in texts
