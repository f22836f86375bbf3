"""The printable single-case sheet (GET /api/cases/{id}/sheet): facts, hints, enforcement and
history of one 图斑, with a map drawn by the app's vendored Leaflet (never a CDN).

Every value on the sheet may come from a province file or a form, so the page is a Jinja2
template with autoescaping always on, and it runs no inline script: the map's data travel as
JSON in a script element of type application/json, drawn by webmap/static/case-sheet.js.
Under the app's CSP (script-src 'self') a value that slipped through could not run either."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import shapely
from jinja2 import Environment, FileSystemLoader

from geo.localtime import beijing_text
from geo.model import Programme, State

# The sheet is served at api/cases/{id}/sheet: three levels below the app root, where the
# static files (and vendored Leaflet) live. Relative, so a sub-path behind a proxy still works.
ROOT = "../../../"
TEMPLATES = Path(__file__).resolve().parent / "templates"
_env = Environment(
    loader=FileSystemLoader(TEMPLATES), autoescape=True, trim_blocks=True, lstrip_blocks=True
)
MILESTONE_FACTS = (
    ("verified_at", "核查时间"),
    ("land_class", "实地地类"),
    ("illegal_area_m2", "实测违法面积(m²)"),
    ("case_no", "案号"),
    ("filed_on", "立案日期"),
    ("fine_yuan", "罚款(元)"),
    ("receipt_no", "票据号"),
    ("rectified_on", "整改日期"),
    ("land_class_before", "前地类"),
    ("land_class_after", "后地类"),
)


def _text(v: Any) -> str:
    if v is None or v == "":
        return "—"
    if isinstance(v, float):
        return f"{v:,.2f}"
    return str(v)


def _facts(case: dict[str, Any]) -> list[tuple[str, str]]:
    hints = case.get("hints") or {}
    ms = case.get("milestones") or {}
    facts = [
        ("图斑编号", case.get("code")),
        ("行政区代码", case.get("xzqdm")),
        ("乡镇", hints.get("township_name")),
        ("村", hints.get("village_name")),
        ("面积", f"{case.get('area_m2', 0):,.2f} m²（{case.get('area_mu', 0):,.2f} 亩）"),
        ("状态", case.get("state_label")),
        ("核查结论", case.get("judgment_label") or "未核查"),
        ("核查员", (case.get("assignee") or {}).get("display_name")),
    ]
    facts += [(label, ms[key]) for key, label in MILESTONE_FACTS if ms.get(key) not in (None, "")]
    # Times in Beijing time, never the API's UTC ISO string.
    facts = [(label, beijing_text(v) if label == "核查时间" else v) for label, v in facts]
    return [(label, _text(v)) for label, v in facts]


def _programme_label(code: Any) -> str:
    try:
        return Programme(code).label
    except ValueError:
        return str(code or "")


def _state_label(code: Any) -> str:
    """A state code as its label (已核查), the code itself when unknown."""
    try:
        return State(code).label
    except ValueError:
        return str(code or "")


def _event(e: dict[str, Any]) -> dict[str, str]:
    return {
        "at": beijing_text(e.get("at")),
        "action": str(e.get("action_label", "")),
        "actor": str(e.get("actor", "")),
        "before": _state_label((e.get("before") or {}).get("state")),
        "after": _state_label((e.get("after") or {}).get("state")),
    }


def render_sheet(case: dict[str, Any], geom_wkb: bytes) -> str:
    """The sheet as one HTML page (zh-CN)."""
    geom = shapely.from_wkb(geom_wkb)
    extent = (case.get("milestones") or {}).get("illegal_geometry")
    photos = [
        {
            "src": ROOT + str(p.get("thumb_url") or "").lstrip("/"),
            "taken_at": beijing_text(p["taken_at"]) if p.get("taken_at") else "拍摄时间未知",
        }
        for p in case.get("photos") or []
    ]
    return _env.get_template("case_sheet.html.j2").render(
        root=ROOT,
        code=str(case.get("code")),
        programme=_programme_label(case.get("programme")),
        batch_id=str(case.get("batch_id", "")),
        facts=_facts(case),
        notes=[str(n) for n in case.get("hint_notes") or []],
        photos=photos,
        events=[_event(e) for e in case.get("events") or []],
        map_data={
            "code": str(case.get("code")),
            "geometry": shapely.geometry.mapping(geom),
            "extent": extent if isinstance(extent, dict) and extent.get("type") else None,
        },
    )
