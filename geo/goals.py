"""Goal tables (绩效目标表) as data: projects, indicator rows, budgets and spending plans."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from geo.errors import NotFound, TubanError
from geo.model import Programme


class GoalFileError(TubanError):
    code = "GOALS_INVALID"


@dataclass(frozen=True)
class IndicatorRow:
    level1: str
    level2: str
    level3: str
    description: str
    target: str
    basis: str
    metrics: tuple[str, ...] = ()


@dataclass(frozen=True)
class Project:
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


@dataclass(frozen=True)
class GoalBook:
    """All goal tables of one unit and year."""

    unit_code: str
    unit_name: str
    year: int
    projects: tuple[Project, ...]
    department: dict[str, Any] = field(default_factory=dict)

    def project(self, project_id: str) -> Project:
        for p in self.projects:
            if p.id == project_id:
                return p
        raise NotFound(f"没有绩效目标表 {project_id}", project=project_id, year=self.year)


_ROW_KEYS = ("level1", "level2", "level3", "description", "target", "basis")


def load_goals(path: str | Path) -> GoalBook:
    """Load a goal-table YAML file (see sample_data/goals/)."""
    path = Path(path)
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise GoalFileError(f"无法读取绩效目标文件：{exc}", file=path.name) from None
    year = int(doc["year"])
    projects = []
    for i, p in enumerate(doc.get("projects", [])):
        rows = []
        for j, r in enumerate(p.get("indicators", [])):
            missing = [k for k in _ROW_KEYS if k not in r]
            if missing:
                raise GoalFileError(
                    f"指标行缺少 {missing}", file=path.name, project=p.get("id"), row=j + 1
                )
            rows.append(
                IndicatorRow(
                    **{k: str(r[k] or "") for k in _ROW_KEYS},
                    metrics=tuple(r.get("metrics") or ()),
                )
            )
        try:
            projects.append(
                Project(
                    id=p["id"],
                    name=p["name"],
                    year=year,
                    table_title=p.get("table_title", p["name"]),
                    budget=dict(p.get("budget") or {}),
                    purpose=p.get("purpose") or "",
                    spending_plan=dict(p.get("spending_plan") or {}),
                    goals=tuple(p.get("goals") or ()),
                    programmes=tuple(Programme(x) for x in p.get("programmes") or ()),
                    indicators=tuple(rows),
                    code=p.get("code"),
                    table_unit=p.get("table_unit") or "",
                )
            )
        except (KeyError, ValueError) as exc:
            raise GoalFileError(f"项目定义有误：{exc}", file=path.name, project=i + 1) from None
    return GoalBook(
        unit_code=str(doc.get("unit_code", "")),
        unit_name=doc.get("unit_name", ""),
        year=year,
        projects=tuple(projects),
        department=doc.get("department") or {},
    )
