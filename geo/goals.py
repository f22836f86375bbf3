"""Goal tables (绩效目标表) as data: projects, indicator rows, budgets and spending plans.

A goal book is one unit's tables for one year. It travels as a plain document (the YAML files
in sample_data/goals/, the JSON an admin edits through the API): ``parse_goals`` validates a
document into a ``GoalBook`` and ``goals_to_dict`` turns a book back into the canonical
document, so the two round-trip.
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from geo.errors import InvalidPayload, NotFound
from geo.model import Programme


class GoalFileError(InvalidPayload):
    """A goal document does not validate; ``details`` name file, project, row and field."""

    code = "GOALS_INVALID"


@dataclass(frozen=True)
class IndicatorRow:
    """One row of a goal table: 一级/二级/三级指标, 指标值, basis and the metrics it is bound to."""

    level1: str
    level2: str
    level3: str
    description: str
    target: str
    basis: str
    metrics: tuple[str, ...] = ()
    # 1-based and stable within its project: notes and snapshots refer to a row by it, so it is
    # kept in the stored document and survives rows being inserted or reordered by an edit.
    row_no: int = 0
    # Numeric target per bound metric, on the metric's own scale (e.g. 100 for a share in %).
    targets: Mapping[str, float] = field(default_factory=dict, hash=False)


@dataclass(frozen=True)
class Project:
    """One project's goal table (绩效目标表): budget, spending plan, goals and indicator rows."""

    id: str
    name: str
    year: int
    table_title: str
    budget: dict[str, float | None]
    purpose: str
    spending_plan: dict[str, float | None]
    goals: tuple[str, ...]
    programmes: tuple[Programme, ...]
    indicators: tuple[IndicatorRow, ...]
    code: str | None = None
    table_unit: str = ""

    def row(self, row_no: int) -> IndicatorRow:
        """The indicator row with this stable ``row_no``; NotFound otherwise."""
        for r in self.indicators:
            if r.row_no == row_no:
                return r
        raise NotFound(f"绩效目标表 {self.id} 没有第 {row_no} 行指标", project=self.id, row=row_no)


@dataclass(frozen=True)
class GoalBook:
    """All goal tables of one unit and year."""

    unit_code: str
    unit_name: str
    year: int
    projects: tuple[Project, ...]
    department: dict[str, Any] = field(default_factory=dict)
    currency_unit: str = "元"

    def project(self, project_id: str) -> Project:
        """The project with this id; NotFound otherwise."""
        for p in self.projects:
            if p.id == project_id:
                return p
        raise NotFound(f"没有绩效目标表 {project_id}", project=project_id, year=self.year)


CHECKPOINTS = ("mar", "jun", "oct", "dec")  # 资金支出计划: 3月底 / 6月底 / 10月底 / 12月底
_ROW_KEYS = ("level1", "level2", "level3", "description", "target", "basis")
_ROW_OPTIONAL = ("metrics", "targets", "row_no")
_PROJECT_KEYS = {
    "id",
    "name",
    "table_title",
    "table_unit",
    "code",
    "budget",
    "purpose",
    "spending_plan",
    "goals",
    "programmes",
    "indicators",
}
_BOOK_KEYS = {"unit_code", "unit_name", "year", "currency_unit", "department", "projects"}
_BUDGET_KEYS = ("total", "fiscal", "other")
_PROJECT_ID = re.compile(r"[a-z][a-z0-9_]{0,63}")  # it appears in URLs and table keys


class _Where:
    """Where in the document we are, so every error names file, project, row and field."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.project: str | int | None = None
        self.row: int | None = None

    def error(self, message: str, field_: str | None = None) -> GoalFileError:
        where = []
        if self.project is not None:
            where.append(f"项目 {self.project}")
        if self.row is not None:
            where.append(f"第 {self.row} 行指标")
        if field_:
            where.append(f"字段 {field_}")
        prefix = f"{self.source}：" + ("，".join(where) + "：" if where else "")
        return GoalFileError(
            prefix + message, file=self.source, project=self.project, row=self.row, field=field_
        )


def _text(value: Any, where: _Where, name: str, *, required: bool = False) -> str:
    if value is None:
        if required:
            raise where.error("不能为空", name)
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise where.error(f"应为文字，实为 {type(value).__name__}", name)
    text = str(value)
    if required and not text.strip():
        raise where.error("不能为空", name)
    return text


def _number(value: Any, where: _Where, name: str, *, lo: float | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise where.error(f"应为数字，实为 {value!r}", name)
    number = float(value)
    if not math.isfinite(number) or (lo is not None and number < lo):
        raise where.error(f"数值 {value!r} 不在允许范围内", name)
    return number


def _mapping(value: Any, where: _Where, name: str) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise where.error(f"应为键值表，实为 {type(value).__name__}", name)
    return value


def _texts(value: Any, where: _Where, name: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise where.error("应为列表", name)
    return tuple(_text(v, where, f"{name}[{i + 1}]", required=True) for i, v in enumerate(value))


def _unknown(doc: Mapping[str, Any], allowed: Collection[str], where: _Where) -> None:
    extra = sorted(str(k) for k in doc if k not in allowed)
    if extra:
        raise where.error(f"未知字段 {extra}（允许：{sorted(allowed)}）", extra[0])


def _budget(value: Any, where: _Where) -> dict[str, float | None]:
    raw = _mapping(value, where, "budget")
    _unknown(raw, _BUDGET_KEYS, where)
    if raw.get("total") is None:
        raise where.error("缺少预算数", "budget.total")
    return {
        k: None if raw.get(k) is None else _number(raw[k], where, f"budget.{k}", lo=0)
        for k in _BUDGET_KEYS
    }


def _spending_plan(value: Any, where: _Where) -> dict[str, float | None]:
    raw = _mapping(value, where, "spending_plan")
    _unknown(raw, CHECKPOINTS, where)
    plan: dict[str, float | None] = {}
    last: tuple[str, float] | None = None
    for k in CHECKPOINTS:
        v = raw.get(k)
        if v is None:
            plan[k] = None
            continue
        pct = _number(v, where, f"spending_plan.{k}", lo=0)
        if pct > 100:
            raise where.error(f"累计支出计划 {pct}% 超过 100%", f"spending_plan.{k}")
        # The plan is cumulative (支出进度): a later checkpoint cannot plan less than an earlier.
        if last is not None and pct < last[1]:
            raise where.error(
                f"累计支出计划不能减少（{last[0]} {last[1]}% → {k} {pct}%）", f"spending_plan.{k}"
            )
        plan[k] = pct
        last = (k, pct)
    return plan


def _row(
    r: Any, where: _Where, known_metrics: Collection[str] | None
) -> tuple[dict[str, Any], int | None]:
    """The fields of one indicator row, and its explicit row_no if the document gives one."""
    if not isinstance(r, Mapping):
        raise where.error("指标行应为键值表")
    missing = [k for k in _ROW_KEYS if k not in r]
    if missing:
        raise where.error(f"指标行缺少 {missing}", missing[0])
    _unknown(r, (*_ROW_KEYS, *_ROW_OPTIONAL), where)
    fields: dict[str, Any] = {k: _text(r[k], where, k) for k in ("level1", "level2", "level3")}
    for k in ("level1", "level2", "level3"):
        if not fields[k].strip():
            raise where.error("一级/二级/三级指标不能为空", k)
    fields.update({k: _text(r[k], where, k) for k in ("description", "target", "basis")})
    metrics = _texts(r.get("metrics"), where, "metrics")
    if len(set(metrics)) != len(metrics):
        raise where.error(f"指标绑定重复：{list(metrics)}", "metrics")
    if known_metrics is not None:
        for m in metrics:
            if m not in known_metrics:
                raise where.error(f"未知的计算指标 {m}（可用：{sorted(known_metrics)}）", "metrics")
    targets = {}
    for name, value in _mapping(r.get("targets"), where, "targets").items():
        if name not in metrics:
            raise where.error(
                f"目标值 {name} 没有绑定到本行（metrics：{list(metrics)}）", "targets"
            )
        targets[str(name)] = _number(value, where, f"targets.{name}")
    fields["metrics"] = metrics
    fields["targets"] = MappingProxyType(targets)
    row_no = r.get("row_no")
    if row_no is not None and (
        isinstance(row_no, bool) or not isinstance(row_no, int) or row_no < 1
    ):
        raise where.error(f"行号应为正整数，实为 {row_no!r}", "row_no")
    return fields, row_no


def _rows(
    value: Any, where: _Where, known_metrics: Collection[str] | None
) -> tuple[IndicatorRow, ...]:
    if not isinstance(value, list) or not value:
        raise where.error("至少需要一行指标", "indicators")
    parsed = []
    for i, r in enumerate(value):
        where.row = i + 1
        parsed.append(_row(r, where, known_metrics))
    where.row = None
    # Rows without a number (a fresh file, or a row an admin just inserted) are numbered after
    # the highest explicit one, in document order: existing rows keep theirs.
    taken = [n for _, n in parsed if n is not None]
    dup = sorted({n for n in taken if taken.count(n) > 1})
    if dup:
        where.row = dup[0]
        raise where.error(f"行号重复：{dup}", "row_no")
    nxt = max(taken, default=0)
    rows = []
    for fields, n in parsed:
        if n is None:
            nxt += 1
            n = nxt
        rows.append(IndicatorRow(**fields, row_no=n))
    return tuple(rows)


def _project(
    p: Any, i: int, year: int, where: _Where, known_metrics: Collection[str] | None
) -> Project:
    where.project, where.row = i + 1, None
    if not isinstance(p, Mapping):
        raise where.error("项目应为键值表")
    pid = _text(p.get("id"), where, "id", required=True)
    if not _PROJECT_ID.fullmatch(pid):
        raise where.error(f"项目编号 {pid!r} 只能用小写字母、数字和下划线", "id")
    where.project = pid
    _unknown(p, _PROJECT_KEYS, where)
    name = _text(p.get("name"), where, "name", required=True)
    programmes = []
    for x in _texts(p.get("programmes"), where, "programmes"):
        try:
            programmes.append(Programme(x))
        except ValueError:
            allowed = [m.value for m in Programme]
            raise where.error(f"未知的业务类型 {x}（可用：{allowed}）", "programmes") from None
    code = p.get("code")
    return Project(
        id=pid,
        name=name,
        year=year,
        table_title=_text(p.get("table_title"), where, "table_title") or name,
        budget=_budget(p.get("budget"), where),
        purpose=_text(p.get("purpose"), where, "purpose"),
        spending_plan=_spending_plan(p.get("spending_plan"), where),
        goals=_texts(p.get("goals"), where, "goals"),
        programmes=tuple(programmes),
        indicators=_rows(p.get("indicators"), where, known_metrics),
        code=None if code is None else _text(code, where, "code"),
        table_unit=_text(p.get("table_unit"), where, "table_unit"),
    )


def _department(value: Any, where: _Where) -> dict[str, Any]:
    """部门整体绩效目标: lists of goals and the 工作保障措施 (title and text each)."""
    raw = _mapping(value, where, "department")
    _unknown(raw, ("overall_goals", "sub_goals", "safeguards"), where)
    out: dict[str, Any] = {}
    for k in ("overall_goals", "sub_goals"):
        if k in raw:
            out[k] = list(_texts(raw[k], where, f"department.{k}"))
    if "safeguards" in raw:
        items = raw["safeguards"] or []
        if not isinstance(items, list):
            raise where.error("应为列表", "department.safeguards")
        out["safeguards"] = []
        for j, s in enumerate(items):
            name = f"department.safeguards[{j + 1}]"
            s = _mapping(s, where, name)
            _unknown(s, ("title", "text"), where)
            out["safeguards"].append(
                {
                    "title": _text(s.get("title"), where, f"{name}.title", required=True),
                    "text": _text(s.get("text"), where, f"{name}.text"),
                }
            )
    return out


def parse_goals(doc: Any, source: str, known_metrics: Collection[str] | None = None) -> GoalBook:
    """Validate a goal document into a GoalBook; ``source`` names it in errors (a file name).

    ``known_metrics``, when given, is the set of metric names rows may bind; a misspelt name is
    refused here instead of failing later when the indicators are computed.
    """
    where = _Where(source)
    if not isinstance(doc, Mapping):
        raise where.error("绩效目标文件应为键值表")
    _unknown(doc, _BOOK_KEYS, where)
    year = doc.get("year")
    if isinstance(year, bool) or not isinstance(year, int) or not 2000 <= year <= 2100:
        raise where.error(f"年度应为四位整数，实为 {year!r}", "year")
    projects_raw = doc.get("projects")
    if not isinstance(projects_raw, list) or not projects_raw:
        raise where.error("至少需要一个项目", "projects")
    projects = [_project(p, i, year, where, known_metrics) for i, p in enumerate(projects_raw)]
    where.project = where.row = None
    ids = [p.id for p in projects]
    dup = sorted({x for x in ids if ids.count(x) > 1})
    if dup:
        where.project = dup[0]
        raise where.error(f"项目编号重复：{dup}", "id")
    return GoalBook(
        unit_code=_text(doc.get("unit_code"), where, "unit_code"),
        unit_name=_text(doc.get("unit_name"), where, "unit_name"),
        year=year,
        projects=tuple(projects),
        department=_department(doc.get("department"), where),
        currency_unit=_text(doc.get("currency_unit"), where, "currency_unit") or "元",
    )


def _row_dict(r: IndicatorRow) -> dict[str, Any]:
    out: dict[str, Any] = {"row_no": r.row_no, **{k: getattr(r, k) for k in _ROW_KEYS}}
    if r.metrics:
        out["metrics"] = list(r.metrics)
    if r.targets:
        out["targets"] = dict(r.targets)
    return out


def goals_to_dict(book: GoalBook) -> dict[str, Any]:
    """The canonical document of a book: ``parse_goals(goals_to_dict(b), …) == b``."""
    return {
        "unit_code": book.unit_code,
        "unit_name": book.unit_name,
        "year": book.year,
        "currency_unit": book.currency_unit,
        "department": book.department,
        "projects": [
            {
                "id": p.id,
                "table_title": p.table_title,
                "table_unit": p.table_unit,
                "name": p.name,
                "code": p.code,
                "budget": dict(p.budget),
                "purpose": p.purpose,
                "spending_plan": dict(p.spending_plan),
                "goals": list(p.goals),
                "programmes": [x.value for x in p.programmes],
                "indicators": [_row_dict(r) for r in p.indicators],
            }
            for p in book.projects
        ],
    }


def goals_to_yaml(book: GoalBook) -> str:
    """The book as YAML an admin can edit and import again (Chinese kept readable)."""
    return yaml.safe_dump(
        goals_to_dict(book), allow_unicode=True, sort_keys=False, width=1000, indent=2
    )


def read_goal_doc(path: str | Path) -> dict[str, Any]:
    """The raw document of a goal YAML file (not yet validated)."""
    path = Path(path)
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise GoalFileError(f"无法读取绩效目标文件：{exc}", file=path.name) from None
    if not isinstance(doc, dict):
        raise GoalFileError("绩效目标文件应为键值表", file=path.name)
    return doc


def load_goals(path: str | Path, known_metrics: Collection[str] | None = None) -> GoalBook:
    """Load a goal-table YAML file (see sample_data/goals/)."""
    return parse_goals(read_goal_doc(path), Path(path).name, known_metrics)
