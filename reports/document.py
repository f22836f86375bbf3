"""The report document (see docs/reports.md): validation, defaults and shared wording.

Renderers only ever see a document that went through :func:`prepare`: required keys are checked
with an error naming the exact path (``projects[1].rows[3].level3``), optional keys get their
empty defaults, so each renderer can index without guarding.
"""

from __future__ import annotations

import copy
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from geo.errors import TubanError
from geo.localtime import beijing_text

KINDS = ("targets", "self_evaluation")
MODES = ("live", "frozen")
CHECKPOINTS = (("mar", "3月底"), ("jun", "6月底"), ("oct", "10月底"), ("dec", "12月底"))
STATUS_TEXT = {"met": "达标", "behind": "未达标", "warn": "预警", "none": ""}


class ReportDocError(TubanError):
    """The report document handed to a renderer is malformed (an engine bug, not user input)."""

    code = "REPORT_DOC_INVALID"


# (key, type(s)) that must be present; None values are rejected for these.
_DOC_REQUIRED = (
    ("kind", str),
    ("title", str),
    ("unit_name", str),
    ("year", int),
    ("mode", str),
    ("as_of", str),
    ("projects", list),
)
_PROJECT_REQUIRED = (("name", str), ("table_title", str), ("budget", dict), ("rows", list))
_ROW_REQUIRED = (("level1", str), ("level2", str), ("level3", str), ("target", str))

_DOC_DEFAULTS: dict[str, Any] = {
    "unit_code": "",
    "computed_at": "",
    "scope": {},
    "snapshot": None,
    "differences": [],
    "department": {},
}
_PROJECT_DEFAULTS: dict[str, Any] = {
    "id": "",
    "code": None,
    "table_unit": "",
    "currency_unit": "元",
    "purpose": "",
    "goals": [],
    "spending_plan": {},
    "spending": [],
    "spent_total_yuan": None,
    "warnings": [],
    "trend": [],
    "maps": {},
}
_ROW_DEFAULTS: dict[str, Any] = {
    "description": "",
    "basis": "",
    "qualitative": False,
    "actual": "",
    "values": [],
    "deviation": "",
    "reason": "",
    "evidence": [],
}


def _check(obj: Any, where: str, required: tuple[tuple[str, type], ...]) -> None:
    if not isinstance(obj, dict):
        raise ReportDocError(f"报告文档 {where or '顶层'} 应为对象（dict）", path=where or "$")
    for key, typ in required:
        path = f"{where}.{key}" if where else key
        if key not in obj or obj[key] is None:
            raise ReportDocError(f"报告文档缺少字段 {path}", path=path)
        if not isinstance(obj[key], typ) or (typ is int and isinstance(obj[key], bool)):
            raise ReportDocError(
                f"报告文档字段 {path} 应为 {typ.__name__}，实为 {type(obj[key]).__name__}",
                path=path,
            )


def _fill(obj: dict[str, Any], defaults: dict[str, Any]) -> None:
    for key, value in defaults.items():
        if obj.get(key) is None and value is not None:
            obj[key] = copy.copy(value)
        else:
            obj.setdefault(key, value)


def prepare(doc: dict[str, Any]) -> dict[str, Any]:
    """Validate ``doc`` and return a copy with every optional key present.

    >>> prepare({"kind": "targets"})
    Traceback (most recent call last):
    ...
    reports.document.ReportDocError: 报告文档缺少字段 title (path=title)
    """
    _check(doc, "", _DOC_REQUIRED)
    if doc["kind"] not in KINDS:
        raise ReportDocError(f"报告文档 kind 应为 {' 或 '.join(KINDS)}", path="kind")
    if doc["mode"] not in MODES:
        raise ReportDocError(f"报告文档 mode 应为 {' 或 '.join(MODES)}", path="mode")
    if doc["mode"] == "frozen":
        _check(doc.get("snapshot"), "snapshot", (("label", str), ("taken_at", str)))
    out = copy.deepcopy(doc)
    _fill(out, _DOC_DEFAULTS)
    for i, project in enumerate(out["projects"]):
        where = f"projects[{i}]"
        _check(project, where, _PROJECT_REQUIRED)
        _fill(project, _PROJECT_DEFAULTS)
        for j, row in enumerate(project["rows"]):
            _check(row, f"{where}.rows[{j}]", _ROW_REQUIRED)
            _fill(row, _ROW_DEFAULTS)
        for j, entry in enumerate(project["spending"]):
            _check(entry, f"{where}.spending[{j}]", (("checkpoint", str),))
    return out


def when(iso: str | None) -> str:
    """An instant as the bureau reads it, in Beijing time whatever zone it was written in:
    '2019-10-08T02:30:00+00:00' → '2019-10-08 10:30'; empty stays empty."""
    return beijing_text(iso) if iso else ""


def banner(doc: dict[str, Any]) -> str:
    """One line saying whether the figures are live or a frozen snapshot, and as of when."""
    if doc["mode"] == "frozen":
        snap = doc["snapshot"]
        by = f"，由 {snap['taken_by']} 冻结" if snap.get("taken_by") else ""
        as_of = snap.get("as_of") or doc["as_of"]
        return f"冻结快照「{snap['label']}」：数值截至 {as_of}，冻结于 {when(snap['taken_at'])}{by}"
    computed = f"，计算于 {when(doc['computed_at'])}" if doc["computed_at"] else ""
    return f"实时数据：数值截至 {doc['as_of']}{computed}"


def scope_text(doc: dict[str, Any]) -> str:
    """The report's scope line: 全区 or a township, the year or one quarter of it."""
    scope = doc["scope"] or {}
    place = scope.get("township_name") or "全区"
    quarter = scope.get("quarter")
    period = f"{doc['year']}年第{quarter}季度" if quarter else f"{doc['year']}年度"
    return f"范围：{place}，{period}"


def money(value: Decimal | float | None) -> str:
    """Amounts as the seed writes them: 400000.00, exact to the 分 (half up, as a Decimal, so
    0.125 is 0.13 and not a float's 0.12); empty when unknown or not a finite number."""
    if value is None:
        return ""
    amount = Decimal(str(value))
    if not amount.is_finite():
        return ""
    return f"{amount.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP)}"


def pct(value: float | None) -> str:
    """A percentage with two decimals, without the % sign; empty when unknown."""
    return "" if value is None else f"{value:.2f}"


def signed(value: float | None) -> str:
    """A deviation in percentage points with its sign (+1.50, -2.00); empty when unknown."""
    return "" if value is None else f"{value:+.2f}"


def spending_rows(project: dict[str, Any]) -> list[dict[str, Any]]:
    """The four checkpoints in order, merging the plan with whatever execution the doc carries."""
    by_cp = {e["checkpoint"]: e for e in project["spending"]}
    plan = project["spending_plan"] or {}
    rows = []
    for cp, label in CHECKPOINTS:
        e = by_cp.get(cp, {})
        planned = e.get("planned_pct", plan.get(cp))
        rows.append(
            {
                "checkpoint": cp,
                "label": e.get("label") or label,
                "date": e.get("date", ""),
                "planned_pct": planned,
                "actual_yuan": e.get("actual_yuan"),
                "actual_pct": e.get("actual_pct"),
                "deviation_pct": e.get("deviation_pct"),
            }
        )
    return rows


def runs(values: list[str]) -> list[tuple[int, int]]:
    """(start, length) of each run of equal consecutive values: the cells an official table merges.

    >>> runs(["产出指标", "产出指标", "效果指标", "产出指标"])
    [(0, 2), (2, 1), (3, 1)]
    """
    out: list[tuple[int, int]] = []
    for i, v in enumerate(values):
        if out and values[out[-1][0]] == v:
            out[-1] = (out[-1][0], out[-1][1] + 1)
        else:
            out.append((i, 1))
    return out


def level_spans(rows: list[dict[str, Any]]) -> tuple[list[int], list[int]]:
    """Row spans for 一级 and 二级 columns: span at the first row of a run, 0 on merged rows.

    二级 runs never cross a 一级 boundary.
    """
    n = len(rows)
    span1 = [0] * n
    span2 = [0] * n
    for start, length in runs([r["level1"] for r in rows]):
        span1[start] = length
        sub = [r["level2"] for r in rows[start : start + length]]
        for s2, l2 in runs(sub):
            span2[start + s2] = l2
    return span1, span2


def numbered(items: list[str]) -> list[str]:
    """The seed numbers goals '1、…'; the data holds them without numbers."""
    return [f"{i}、{text}" for i, text in enumerate(items, 1)]


def has_maps(project: dict[str, Any]) -> bool:
    """Whether any of a project's map layers has a feature to draw."""
    return any((fc or {}).get("features") for fc in (project["maps"] or {}).values())


def safeguards(doc: dict[str, Any]) -> list[tuple[str, str]]:
    """三、工作保障措施 as (title, text) pairs: goal files hold dicts, plain strings also do."""
    out = []
    for item in (doc["department"] or {}).get("safeguards") or []:
        if isinstance(item, dict):
            out.append((str(item.get("title", "")), str(item.get("text", ""))))
        else:
            out.append((str(item), ""))
    return out
