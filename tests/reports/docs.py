"""Hand-written report documents for the three 2019 seed projects, live and frozen.

Written by hand from the seed tables (sample_data/goals/fengrun-2019.yaml) and made-up but
consistent case counts, so the renderer tests don't depend on the indicator engine.
"""

from __future__ import annotations

import copy
from typing import Any


def _square(lon: float, lat: float, d: float) -> dict[str, Any]:
    ring = [[lon, lat], [lon + d, lat], [lon + d, lat + d], [lon, lat + d], [lon, lat]]
    return {"type": "Polygon", "coordinates": [ring]}


def _quad(coords: list[list[float]]) -> dict[str, Any]:
    return {"type": "Polygon", "coordinates": [coords + [coords[0]]]}


def _fc(features: list[tuple[dict[str, Any], dict[str, Any]]]) -> dict[str, Any]:
    return {
        "type": "FeatureCollection",
        "features": [{"type": "Feature", "geometry": g, "properties": p} for g, p in features],
    }


TOWNSHIPS = _fc(
    [
        (
            _quad([[118.030, 39.792], [118.154, 39.795], [118.150, 39.870], [118.035, 39.866]]),
            {"code": "130208100", "name": "丰润镇", "illegal_count": 3, "illegal_area_mu": 12.6},
        ),
        (
            _quad([[118.154, 39.810], [118.238, 39.812], [118.236, 39.882], [118.150, 39.870]]),
            {"code": "130208101", "name": "任各庄镇", "illegal_count": 1, "illegal_area_mu": 2.4},
        ),
        (
            _quad([[118.035, 39.866], [118.150, 39.870], [118.144, 39.942], [118.023, 39.940]]),
            {"code": "130208104", "name": "王官营镇", "illegal_count": 0, "illegal_area_mu": 0.0},
        ),
        (
            _quad([[118.150, 39.870], [118.236, 39.882], [118.292, 40.035], [118.144, 39.942]]),
            {"code": "130208105", "name": "火石营镇", "illegal_count": 6, "illegal_area_mu": 31.5},
        ),
    ]
)

ILLEGAL = _fc(
    [
        (
            _square(118.080, 39.820, 0.004),
            {"case_id": 11, "code": "WP2019-0011", "township_name": "丰润镇",
             "state": "filed", "area_mu": 5.1},
        ),
        (
            _square(118.110, 39.845, 0.003),
            {"case_id": 14, "code": "WP2019-0014", "township_name": "丰润镇",
             "state": "fined", "area_mu": 4.2},
        ),
        (
            _square(118.200, 39.850, 0.002),
            {"case_id": 21, "code": "WP2019-0021", "township_name": "任各庄镇",
             "state": "judged", "area_mu": 2.4},
        ),
        (
            _square(118.220, 39.960, 0.006),
            {"case_id": 35, "code": "KS2019-0035", "township_name": "火石营镇",
             "state": "filed", "area_mu": 18.9},
        ),
    ]
)

OVERDUE = _fc(
    [
        (
            _square(118.200, 39.850, 0.002),
            {"case_id": 21, "code": "WP2019-0021", "township_name": "任各庄镇",
             "state": "judged", "due_on": "2019-11-30", "days_overdue": 31},
        ),
        (
            _square(118.250, 39.990, 0.003),
            {"case_id": 38, "code": "KS2019-0038", "township_name": "火石营镇",
             "state": "verified", "due_on": "2019-12-15", "days_overdue": 16},
        ),
    ]
)


def _value(metric, label, value, display, unit, num, den, target, deviation, status):
    return {
        "metric": metric, "label": label, "value": value, "display": display, "unit": unit,
        "numerator": num, "denominator": den, "target_value": target,
        "deviation": deviation, "status": status,
    }


def _spending(total: float, plan: dict, actual: dict) -> list[dict[str, Any]]:
    labels = {"mar": ("3月底", "2019-03-31"), "jun": ("6月底", "2019-06-30"),
              "oct": ("10月底", "2019-10-31"), "dec": ("12月底", "2019-12-31")}
    out = []
    for cp, (label, day) in labels.items():
        yuan = actual.get(cp)
        act = None if yuan is None else round(yuan / total * 100, 2)
        planned = plan.get(cp)
        dev = None if act is None or planned is None else round(act - planned, 2)
        out.append({"checkpoint": cp, "label": label, "date": day, "planned_pct": planned,
                    "actual_yuan": yuan, "actual_pct": act, "deviation_pct": dev})
    return out


_EMPTY_MAPS = {
    "townships": {"type": "FeatureCollection", "features": []},
    "illegal": {"type": "FeatureCollection", "features": []},
    "overdue": {"type": "FeatureCollection", "features": []},
}

PLANNING = {
    "id": "planning", "name": "土地利用总体规划编制费用", "code": None,
    "table_title": "规划编制费用绩效目标表", "table_unit": "334002唐山市国土资源局丰润区分局",
    "currency_unit": "元",
    "budget": {"total": 400000.0, "fiscal": 400000.0, "other": None},
    "purpose": "用于资料收集、外业工作及方案制作，提升耕地质量",
    "goals": ["完成规划编制工作，上报成果", "规划成果验收"],
    "spending_plan": {"mar": None, "jun": None, "oct": None, "dec": 100.0},
    "spending": _spending(400000.0, {"dec": 100.0},
                          {"mar": 0.0, "jun": 0.0, "oct": 240000.0, "dec": 400000.0}),
    "spent_total_yuan": 400000.0,
    "rows": [
        {"level1": "产出指标", "level2": "成本指标",
         "level3": "采用竞争性谈判方式，将规划编制费用降到最低",
         "description": "采用竞争性谈判方式，将规划编制费用降到最低",
         "target": "采用竞争性谈判方式，将规划编制费用降到最低",
         "basis": "成果通过专家论证评审", "qualitative": True,
         "actual": "经竞争性谈判确定编制单位，合同价 38.6 万元", "values": [],
         "deviation": "", "reason": "", "evidence": []},
        {"level1": "产出指标", "level2": "时效指标", "level3": "签订合同后提交成果时间",
         "description": "签订合同后提交成果时间",
         "target": "2019年6月20日签订合同，2019年7月9日前提交成果",
         "basis": "成果通过专家论证评审", "qualitative": True,
         "actual": "2019年7月5日提交成果", "values": [],
         "deviation": "", "reason": "", "evidence": []},
        {"level1": "产出指标", "level2": "成本指标", "level3": "采用招投标方式，竞价中标",
         "description": "采用招投标方式，竞价中标", "target": "依据招投标文件，竞价中标",
         "basis": "根据招投标文件", "qualitative": True,
         "actual": "依据招投标文件竞价中标", "values": [],
         "deviation": "", "reason": "", "evidence": []},
        {"level1": "效果指标", "level2": "社会效益指标", "level3": "用于指导空心村建设",
         "description": "用于指导空心村建设", "target": "指导空心村建设的可行性",
         "basis": "成果通过专家论证评审", "qualitative": True,
         "actual": "成果已用于 6 个空心村整治方案", "values": [],
         "deviation": "", "reason": "", "evidence": [
             {"filename": "专家评审意见.pdf", "sha256": "9f2c" + "0" * 60}]},
        {"level1": "满意度指标", "level2": "服务对象满意度指标", "level3": "服务对象满意度",
         "description": "成果已在个乡镇备案，用于指导空心村建设",
         "target": "成果已在个乡镇备案，用于指导空心村建设",
         "basis": "成果已在个乡镇备案，用于指导空心村建设", "qualitative": True,
         "actual": "满意度调查 96%", "values": [],
         "deviation": "", "reason": "", "evidence": [
             {"filename": "满意度调查.pdf", "sha256": "51ab" + "0" * 60}]},
    ],
    "warnings": [],
    "trend": [],
    "maps": copy.deepcopy(_EMPTY_MAPS),
}

MINING = {
    "id": "mining_enforcement", "name": "矿山卫片执法", "code": None,
    "table_title": "矿山卫片执法绩效目标表", "table_unit": "334002唐山市国土资源局丰润区分局",
    "currency_unit": "元",
    "budget": {"total": 300000.0, "fiscal": 300000.0, "other": None},
    "purpose": "第三方监管、执法经费、测量现状、出具报告",
    "goals": ["第三方监管尽量做到无违法占地和违法开采", "出具报告准确无误"],
    "spending_plan": {"mar": 10.0, "jun": 40.0, "oct": 60.0, "dec": 100.0},
    "spending": _spending(300000.0, {"mar": 10.0, "jun": 40.0, "oct": 60.0, "dec": 100.0},
                          {"mar": 25000.0, "jun": 110000.0, "oct": 180000.0, "dec": 285000.0}),
    "spent_total_yuan": 285000.0,
    "rows": [
        {"level1": "产出指标", "level2": "时效指标", "level3": "按季度完成下发卫片图版核实",
         "description": "省厅每季度下发矿产和土地卫片数据",
         "target": "按季度完成下发卫片图版核实", "basis": "达到省厅市局验收标准",
         "qualitative": False, "actual": "按期核查率 92.5%（按期核查 37 / 40）",
         "values": [_value("verified_by_due_share", "按期核查率", 92.5,
                           "92.5%（按期核查 37 / 40）", "%", 37, 40, 100.0, -7.5, "behind")],
         "deviation": "-7.5 个百分点", "reason": "3 个图斑因道路阻断延期核查", "evidence": []},
        {"level1": "产出指标", "level2": "数量指标",
         "level3": "按省、市下发卫片数量核实图斑，有效打击矿山违法行为。",
         "description": "按照要求完成矿产、土地卫片数据核实任务",
         "target": "按省、市下发卫片数量核实图斑，有效打击矿山违法行为",
         "basis": "对违法行为立案查处到位", "qualitative": False,
         "actual": "已核查 40 / 下发 40；违法图斑立案率 90.0%（已立案 9 / 10）",
         "values": [
             _value("verified_of_issued", "已核查 / 下发图斑", 40, "已核查 40 / 下发 40", "个",
                    40, 40, 40, 0, "met"),
             _value("illegal_filed_share", "违法图斑立案率", 90.0, "90.0%（已立案 9 / 10）",
                    "%", 9, 10, 100.0, -10.0, "behind"),
         ],
         "deviation": "立案率 -10.0 个百分点", "reason": "1 宗待当事人到案后立案",
         "evidence": []},
        {"level1": "产出指标", "level2": "时效指标", "level3": "对省下发图斑按时完成执法任务",
         "description": "按省市要求按时完成执法任务", "target": "对省下发图斑按时完成执法任务",
         "basis": "达到验收标准", "qualitative": False,
         "actual": "执法办结率 70.0%（办结 7 / 10）",
         "values": [_value("enforcement_closed_share", "执法办结率", 70.0,
                           "70.0%（办结 7 / 10）", "%", 7, 10, 100.0, -30.0, "behind")],
         "deviation": "-30.0 个百分点", "reason": "2 宗罚款分期缴纳中", "evidence": []},
        {"level1": "效果指标", "level2": "经济效益指标", "level3": "对违法开采非法占地依法进行处罚",
         "description": "对违法行为依法处罚到位", "target": "违法行为依法处罚到位",
         "basis": "通过罚款票据达到目标", "qualitative": False,
         "actual": "罚款到账 6 笔，共 125000.00 元（均有票据）",
         "values": [_value("penalties_receipted", "罚款票据", 125000.0,
                           "6 笔，共 125000.00 元", "元", 6, 6, None, None, "none")],
         "deviation": "", "reason": "", "evidence": []},
        {"level1": "效果指标", "level2": "生态效益指标", "level3": "对打击盗采全天24小时平台监管",
         "description": "保证不破坏生态环境越界开采", "target": "对打击盗采全天24小时平台监管",
         "basis": "控制非法开采矿山数量", "qualitative": False,
         "actual": "仍在非法开采的矿山 2 处",
         "values": [_value("illegal_mines_active", "非法开采矿山", 2, "2 处", "处",
                           2, None, 0, 2, "warn")],
         "deviation": "+2 处", "reason": "已移交公安联合查处", "evidence": []},
        {"level1": "满意度指标", "level2": "服务对象满意度指标",
         "level3": "对违法单位处理情况合理合法", "description": "对违法单位处理情况合理合法",
         "target": "对违法单位处理情况合理合法", "basis": "对违法单位处理情况合理合法",
         "qualitative": True, "actual": "无行政复议、行政诉讼", "values": [],
         "deviation": "", "reason": "", "evidence": []},
    ],
    "warnings": ["违法占用耕地比例 12.4%，接近 15% 问责线"],
    "trend": [
        {"metric": "verified_of_issued", "label": "已核查 / 下发图斑", "unit": "个",
         "points": [{"period": "2019Q1", "value": 8.0}, {"period": "2019Q2", "value": 19.0},
                    {"period": "2019Q3", "value": 31.0}, {"period": "2019Q4", "value": 40.0}]},
        {"metric": "illegal_filed_share", "label": "违法图斑立案率", "unit": "%",
         "points": [{"period": "2019Q1", "value": 50.0}, {"period": "2019Q2", "value": 66.7},
                    {"period": "2019Q3", "value": 80.0}, {"period": "2019Q4", "value": 90.0}]},
    ],
    "maps": {"townships": TOWNSHIPS, "illegal": ILLEGAL, "overdue": OVERDUE},
}

CHANGE_SURVEY = {
    "id": "land_change_survey", "name": "土地变更调查", "code": None,
    "table_title": "土地变更调查绩效目标表",
    "table_unit": "334002唐山市唐山市国土资源局丰润区分局",
    "currency_unit": "元",
    "budget": {"total": 300000.0, "fiscal": 300000.0, "other": None},
    "purpose": "丰润区2019年土地变更调查工作项目。",
    "goals": ["形成2019年土地变更数据库。", "完成土地变更调查用地管理信息套合标注结果入库工作。"],
    "spending_plan": {"mar": None, "jun": None, "oct": 100.0, "dec": None},
    "spending": _spending(300000.0, {"oct": 100.0},
                          {"mar": 0.0, "jun": 90000.0, "oct": 270000.0, "dec": 300000.0}),
    "spent_total_yuan": 300000.0,
    "rows": [
        {"level1": "产出指标", "level2": "质量指标", "level3": "数据库成果的省厅通过率",
         "description": "作业单位数据库建立后，需经省厅接受并通过后才能交付使用",
         "target": "能够及时启用数据库成果", "basis": "省厅要求", "qualitative": False,
         "actual": "省厅通过率 96.0%（通过 48 / 50）",
         "values": [_value("provincial_pass_rate", "省厅通过率", 96.0,
                           "96.0%（通过 48 / 50）", "%", 48, 50, 100.0, -4.0, "behind")],
         "deviation": "-4.0 个百分点", "reason": "2 个图斑举证照片不清晰，已补拍", "evidence": []},
        {"level1": "产出指标", "level2": "时效指标", "level3": "作业成果提交时间",
         "description": "合同签订后，作业成果提交验收时间", "target": "按照省厅要求按时提交成果",
         "basis": "省厅要求。", "qualitative": False,
         "actual": "按时提交率 100.0%（按时 1 / 1）",
         "values": [_value("submitted_by_due_share", "按时提交率", 100.0,
                           "100.0%（按时 1 / 1）", "%", 1, 1, 100.0, 0.0, "met")],
         "deviation": "", "reason": "", "evidence": []},
        {"level1": "产出指标", "level2": "数量指标", "level3": "国家下发监测图斑数量",
         "description": "历年土地利用变更调查国家提取变化图版",
         "target": "每个变化图斑都需要实地举证。", "basis": "省厅要求", "qualitative": False,
         "actual": "已举证 118 / 下发 120",
         "values": [_value("evidence_of_issued", "举证完整 / 下发图斑", 118,
                           "已举证 118 / 下发 120", "个", 118, 120, 120, -2, "behind")],
         "deviation": "-2 个", "reason": "2 个图斑位于封闭厂区，待协调入场", "evidence": []},
        {"level1": "效果指标", "level2": "社会效益指标", "level3": "健全全区土地利用现状",
         "description": "根据2019年发展情况，把2019年变化的土地类型加载入数据库中。",
         "target": "土地变更地类的正确率。", "basis": "省厅要求。", "qualitative": True,
         "actual": "省级核查地类正确率 98.3%", "values": [],
         "deviation": "", "reason": "", "evidence": []},
        {"level1": "满意度指标", "level2": "服务对象满意度指标", "level3": "土地利用对象满意度",
         "description": (
             "对当年度土地性质变更的单位进行调查上图，土地利用对象对上库数据的满意程度。"),
         "target": "把所有变化地类按照现状进行举证，然后修改数据库。", "basis": "省厅要求。",
         "qualitative": True, "actual": "未收到异议", "values": [],
         "deviation": "", "reason": "", "evidence": []},
    ],
    "warnings": [],
    "trend": [
        {"metric": "evidence_of_issued", "label": "举证完整 / 下发图斑", "unit": "个",
         "points": [{"period": "2019Q1", "value": 0.0}, {"period": "2019Q2", "value": 0.0},
                    {"period": "2019Q3", "value": 64.0}, {"period": "2019Q4", "value": 118.0}]},
    ],
    "maps": copy.deepcopy(_EMPTY_MAPS),
}

DEPARTMENT = {
    "overall_goals": [
        "贯彻落实国家、省、市国土资源法律、法规和政策，落实上级有关国土资源的决定和决议等；",
        "负责辖区内的地政、地籍、矿产资源和矿业整顿管理工作；",
    ],
    "sub_goals": ["进一步加强地籍地政管理，推动建立统一的土地分类、调查、统计、登记制度。"],
    "safeguards": [
        {"title": "进一步加大资源保护力度，全面维护国土资源秩序。",
         "text": "我局将按照国家最严格的土地管理制度，全面维护和加强土地资源秩序。"},
    ],
}


def live_doc(kind: str = "self_evaluation") -> dict[str, Any]:
    """The whole district for 2019, values live as of year end."""
    title = ("唐山市国土资源局丰润区分局2019年度项目支出绩效自评报告"
             if kind == "self_evaluation" else "唐山市国土资源局丰润区分局2019年度预算项目绩效目标")
    return {
        "kind": kind, "title": title,
        "unit_code": "334002", "unit_name": "唐山市国土资源局丰润区分局", "year": 2019,
        "mode": "live", "as_of": "2019-12-31", "computed_at": "2026-11-25T20:00:00+08:00",
        "scope": {"township_code": None, "township_name": None, "quarter": None},
        "snapshot": None, "differences": [],
        "department": copy.deepcopy(DEPARTMENT),
        "projects": copy.deepcopy([PLANNING, MINING, CHANGE_SURVEY]),
    }


def frozen_doc(kind: str = "self_evaluation") -> dict[str, Any]:
    """The third-quarter snapshot: the mining filing rate was 8 / 10 when frozen, 9 / 10 now."""
    doc = live_doc(kind)
    doc["mode"] = "frozen"
    doc["as_of"] = "2019-09-30"
    doc["snapshot"] = {"id": 3, "label": "2019年第三季度", "as_of": "2019-09-30",
                       "taken_at": "2019-10-08T10:30:00+08:00", "taken_by": "tongji"}
    mining = doc["projects"][1]
    row = mining["rows"][1]
    row["actual"] = "已核查 31 / 下发 31；违法图斑立案率 80.0%（已立案 8 / 10）"
    row["values"][1].update(value=80.0, display="80.0%（已立案 8 / 10）", numerator=8,
                            deviation=-20.0)
    row["deviation"] = "立案率 -20.0 个百分点"
    doc["differences"] = [
        {"project": "矿山卫片执法", "level3": row["level3"], "label": "违法图斑立案率",
         "frozen": "80.0%（已立案 8 / 10）", "live": "90.0%（已立案 9 / 10）"},
        {"project": "土地变更调查", "level3": "国家下发监测图斑数量",
         "label": "举证完整 / 下发图斑",
         "frozen": "已举证 64 / 下发 120", "live": "已举证 118 / 下发 120"},
    ]
    return doc
