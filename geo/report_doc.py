"""The report document: a goal book's tables with their values, as one plain JSON-able dict.

Renderers (reports/) turn it into XLSX, HTML, PDF and Word; the API returns it as JSON; a
snapshot stores its values. The layout is described in docs/reports.md. Pure: every value,
date and note comes in as an argument.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict
from datetime import date, datetime
from typing import Any

from geo.budget import Checkpoint
from geo.goals import GoalBook, IndicatorRow, Project
from geo.indicators import METRICS, MetricValue, RowValue

KINDS = {"self_evaluation": "绩效自评表", "targets": "绩效目标表"}


def value_entry(v: MetricValue, target: float | None) -> dict[str, Any]:
    """One metric value with its target, deviation and status (met / behind / warn / none)."""
    lower = METRICS[v.metric].lower_is_better if v.metric in METRICS else False
    deviation = None
    status = "none"
    if target is not None and v.value is not None:
        deviation = round(v.value - target, 2)
        met = v.value <= target if lower else v.value >= target
        status = "met" if met else "behind"
    if v.warning:
        status = "warn"
    return {
        "metric": v.metric,
        "label": v.label,
        "value": v.value,
        "display": v.display,
        "unit": v.unit,
        "numerator": v.numerator,
        "denominator": v.denominator,
        "target_value": target,
        "deviation": deviation,
        "status": status,
        "warning": v.warning,
    }


def _deviation_text(values: Sequence[dict[str, Any]]) -> str:
    parts = []
    for v in values:
        if v["deviation"] is None:
            continue
        d = v["deviation"]
        unit = "个百分点" if v["unit"] == "%" else v["unit"]
        parts.append(f"{v['label']} {d:+,.2f} {unit}".replace(".00 ", " "))
    return "；".join(parts)


def row_entry(row: IndicatorRow, values: Iterable[MetricValue], note: Any | None) -> dict:
    """A goal-table row with its actual value, deviation and the staff's reason and evidence.

    ``note`` is any object with ``actual_text``, ``reason`` and ``evidence`` (storage's Note).
    A row without bound metrics is qualitative: its actual value is the text staff wrote.
    """
    entries = [value_entry(v, row.targets.get(v.metric)) for v in values]
    qualitative = not row.metrics
    actual = "；".join(v["display"] for v in entries)
    if note is not None and note.actual_text:
        actual = note.actual_text if qualitative else f"{actual}；{note.actual_text}"
    return {
        "row_no": row.row_no,
        "level1": row.level1,
        "level2": row.level2,
        "level3": row.level3,
        "description": row.description,
        "target": row.target,
        "basis": row.basis,
        "qualitative": qualitative,
        "actual": actual,
        "values": entries,
        "deviation": _deviation_text(entries),
        "reason": (note.reason if note is not None else None) or "",
        "evidence": [
            {"filename": e.get("filename", ""), "sha256": e.get("sha256", "")}
            for e in (note.evidence if note is not None else [])
        ],
    }


def spending_entry(c: Checkpoint) -> dict[str, Any]:
    """One spending checkpoint as a document entry (the date as ISO text)."""
    out = asdict(c)
    out["date"] = c.date.isoformat()
    return out


def project_entry(
    project: Project,
    rows: Sequence[RowValue],
    *,
    notes: Mapping[int, Any] | None = None,
    spending: Sequence[Checkpoint] = (),
    spent_total: float = 0.0,
    currency_unit: str = "元",
    trend: Sequence[dict[str, Any]] = (),
    maps: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """One project's table in the document: its goal data, row values, notes and spending."""
    notes = notes or {}
    entries = [row_entry(r.row, r.values, notes.get(r.row.row_no)) for r in rows]
    warnings = [v["warning"] for e in entries for v in e["values"] if v["warning"]]
    return {
        "id": project.id,
        "name": project.name,
        "code": project.code,
        "table_title": project.table_title,
        "table_unit": project.table_unit,
        "currency_unit": currency_unit,
        "budget": dict(project.budget),
        "purpose": project.purpose,
        "goals": list(project.goals),
        "spending_plan": dict(project.spending_plan),
        "spending": [spending_entry(c) for c in spending],
        "spent_total_yuan": round(spent_total, 2),
        "rows": entries,
        "warnings": warnings,
        "trend": list(trend),
        "maps": dict(maps or {}),
    }


def document(
    book: GoalBook,
    projects: Sequence[dict[str, Any]],
    *,
    kind: str = "self_evaluation",
    as_of: date,
    computed_at: datetime,
    township: tuple[str, str] | None = None,
    period: str | None = None,
    snapshot: Mapping[str, Any] | None = None,
    differences: Sequence[dict[str, Any]] = (),
    dated: bool = False,
) -> dict[str, Any]:
    """The whole report document (see docs/reports.md); ``dated``: its values stand as of a
    past day (``as_of``), which its title says (截至 2019-09-30), rather than live."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {sorted(KINDS)}")
    what = "项目支出绩效自评报告" if kind == "self_evaluation" else "项目支出绩效目标表"
    where = f"（{township[1]}）" if township else ""
    dated = dated and not snapshot
    when = f"（截至 {as_of.isoformat()}）" if dated else ""
    return {
        "kind": kind,
        "title": f"{book.unit_name}{book.year}年度{what}{where}{when}",
        "dated": dated,
        "unit_code": book.unit_code,
        "unit_name": book.unit_name,
        "year": book.year,
        "mode": "frozen" if snapshot else "live",
        "as_of": as_of.isoformat(),
        "computed_at": computed_at.isoformat(),
        "scope": {
            "township_code": township[0] if township else None,
            "township_name": township[1] if township else None,
            "quarter": period,
        },
        "snapshot": dict(snapshot) if snapshot else None,
        "differences": list(differences),
        "department": {
            "overall_goals": list(book.department.get("overall_goals") or []),
            "sub_goals": list(book.department.get("sub_goals") or []),
        },
        "projects": list(projects),
    }


def file_name(doc: Mapping[str, Any], fmt: str) -> str:
    """A report file's name: its year and kind, and the day it stands at (a snapshot's says
    快照, one as of a past day 截至 and that day, a live one the day it was computed).

    >>> doc = {"year": 2019, "kind": "self_evaluation", "mode": "live", "dated": True,
    ...        "as_of": "2019-09-30", "computed_at": "2019-11-20T10:00:00+08:00"}
    >>> file_name(doc, "xlsx")
    '2019年绩效自评-截至20190930.xlsx'
    """
    what = "绩效自评" if doc["kind"] == "self_evaluation" else "绩效目标"
    if doc["mode"] == "frozen":
        tail = "快照"
    elif doc.get("dated"):
        tail = "截至" + str(doc["as_of"]).replace("-", "")
    else:
        tail = str(doc["computed_at"])[:10].replace("-", "")
    return f"{doc['year']}年{what}-{tail}.{fmt}"


def differences(
    frozen: Sequence[dict[str, Any]], live: Sequence[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Values that changed between a snapshot's projects and the live ones, row by row."""

    def index(projects: Sequence[dict[str, Any]]) -> dict[tuple, tuple[str, dict]]:
        return {
            (p["id"], r["row_no"], v["metric"]): (p["name"], {**v, "level3": r["level3"]})
            for p in projects
            for r in p["rows"]
            for v in r["values"]
        }

    before, now = index(frozen), index(live)
    out = []
    for key in sorted(set(before) | set(now), key=lambda k: (str(k[0]), k[1], k[2])):
        b, n = before.get(key), now.get(key)
        fb = b[1]["display"] if b else "—"
        ln = n[1]["display"] if n else "—"
        if fb != ln:
            # The key came from one side at least, so when live lacks it the snapshot has it.
            project, src = n if n is not None else before[key]
            out.append(
                {
                    "project": project,
                    "row_no": key[1],
                    "level3": src["level3"],
                    "metric": key[2],
                    "label": src["label"],
                    "frozen": fb,
                    "live": ln,
                }
            )
    return out
