"""The XLSX export re-read with openpyxl: the seed's layout, cell by cell."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook


@pytest.fixture(scope="module")
def book(rendered):
    return lambda name: load_workbook(io.BytesIO(rendered(name, "xlsx")))


def merged(ws):
    return {str(r) for r in ws.merged_cells.ranges}


def test_targets_sheet_reproduces_the_seed_table(book):
    wb = book("targets")
    assert wb.sheetnames == ["封面", "土地利用总体规划编制费用", "矿山卫片执法", "土地变更调查",
                             "预算执行"]
    ws = wb["矿山卫片执法"]
    assert ws["A1"].value == "矿山卫片执法绩效目标表"
    assert ws["A2"].value.startswith("实时数据：数值截至 2019-12-31")
    assert (ws["A3"].value, ws["F3"].value) == ("334002唐山市国土资源局丰润区分局", "单位：元")
    assert (ws["A4"].value, ws["C4"].value, ws["D4"].value) == ("项目编码", "项目名称",
                                                                "矿山卫片执法")
    assert [ws.cell(5, c).value for c in range(1, 8)] == [
        "预算规模及资金用途", "预算数", 300000, "其中：财政资金", 300000, "其他资金", None]
    assert ws["C5"].number_format == "0.00"
    assert ws["B6"].value == "第三方监管、执法经费、测量现状、出具报告"
    assert [ws.cell(7, c).value for c in range(1, 6)] == [
        "资金支出计划（%）", "3月底", "6月底", "10月底", "12月底"]
    assert [ws.cell(8, c).value for c in range(2, 6)] == [10, 40, 60, 100]
    assert ws["B9"].value == "1、第三方监管尽量做到无违法占地和违法开采\n2、出具报告准确无误"
    assert [ws.cell(10, c).value for c in range(1, 7)] == [
        "一级指标", "二级指标", "三级指标", "绩效指标描述", "指标值", "指标值确定依据"]
    assert [ws.cell(11, c).value for c in range(1, 7)] == [
        "产出指标", "时效指标", "按季度完成下发卫片图版核实", "省厅每季度下发矿产和土地卫片数据",
        "按季度完成下发卫片图版核实", "达到省厅市局验收标准"]
    # 一级 merged over its run of rows, as the seed leaves the repeated cells empty
    assert {"A1:G1", "A5:A6", "A7:A8", "E7:G7", "A11:A13", "A14:A15", "F11:G11"} <= merged(ws)
    assert ws["A12"].value is None and ws["A16"].value == "满意度指标"


def test_empty_plan_cells_stay_empty(book):
    wb = book("targets")
    planning, survey = wb["土地利用总体规划编制费用"], wb["土地变更调查"]
    assert [planning.cell(8, c).value for c in range(2, 6)] == [None, None, None, 100]
    assert [survey.cell(8, c).value for c in range(2, 6)] == [None, None, 100, None]
    assert survey["A3"].value == "334002唐山市唐山市国土资源局丰润区分局"  # the seed's own typo
    assert planning["C5"].value == 400000


def test_self_evaluation_sheet_has_actuals_and_budget_execution(book):
    ws = book("live")["矿山卫片执法"]
    assert ws["A1"].value == "矿山卫片执法绩效自评表"
    assert ws["A7"].value == "资金支出计划与执行"
    assert "A7:A11" in merged(ws)
    assert [ws.cell(7, c).value for c in range(2, 8)] == [
        "检查点", "3月底", "6月底", "10月底", "12月底", "累计支出（元）"]
    assert [ws.cell(8, c).value for c in range(2, 7)] == ["计划支出（%）", 10, 40, 60, 100]
    assert [ws.cell(9, c).value for c in range(2, 7)] == ["实际支出（%）", 8.33, 36.67, 60, 95]
    assert [ws.cell(10, c).value for c in range(2, 7)] == ["偏差（百分点）", -1.67, -3.33, 0, -5]
    assert [ws.cell(11, c).value for c in range(3, 7)] == [25000, 110000, 180000, 285000]
    assert ws["G8"].value == 285000
    assert [ws.cell(13, c).value for c in range(1, 8)] == [
        "一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "偏差", "偏差原因分析"]
    first = [ws.cell(14, c).value for c in range(1, 8)]
    assert first == ["产出指标", "时效指标", "按季度完成下发卫片图版核实",
                     "按季度完成下发卫片图版核实", "按期核查率 92.5%（按期核查 37 / 40）",
                     "-7.5 个百分点", "3 个图斑因道路阻断延期核查"]
    assert ws["E14"].fill.fgColor.rgb.endswith("FCE4E4")  # behind target
    assert ws["A20"].value == "预警" and "15% 问责线" in ws["B20"].value


def test_qualitative_row_lists_its_evidence(book):
    ws = book("live")["土地利用总体规划编制费用"]
    cells = [ws.cell(r, 5).value or "" for r in range(14, 19)]
    assert any("附件：满意度调查.pdf" in c for c in cells)


def test_frozen_workbook_has_banner_and_differences(book):
    wb = book("frozen")
    assert "差异" in wb.sheetnames
    ws = wb["矿山卫片执法"]
    assert ws["A2"].value.startswith("冻结快照「2019年第三季度」")
    assert "80.0%（已立案 8 / 10）" in ws["E15"].value
    diff = wb["差异"]
    assert [diff.cell(4, c).value for c in range(1, 6)] == [
        "矿山卫片执法", "按省、市下发卫片数量核实图斑，有效打击矿山违法行为。", "违法图斑立案率",
        "80.0%（已立案 8 / 10）", "90.0%（已立案 9 / 10）"]
    assert "差异" not in book("live").sheetnames


def test_budget_execution_sheet_and_print_setup(book):
    wb = book("live")
    ws = wb["预算执行"]
    assert ws["A4"].value == "土地利用总体规划编制费用" and "A4:A7" in merged(ws)
    assert [ws.cell(r, 4).value for r in range(8, 12)] == [10, 40, 60, 100]
    for sheet in wb.worksheets:
        assert sheet.page_setup.orientation == "landscape"
        assert int(sheet.page_setup.paperSize) == 9  # A4
        assert sheet.sheet_properties.pageSetUpPr.fitToPage
        assert sheet.page_setup.fitToWidth == 1
    mining = wb["矿山卫片执法"]
    assert mining["C14"].font.name == "宋体" and mining["C14"].border.left.style == "thin"
    assert mining.column_dimensions["C"].width >= 20
