"""The printable single-case sheet (GET /api/cases/{id}/sheet): facts, hints, enforcement and
history of one 图斑, with a map drawn by the app's vendored Leaflet (never a CDN).

Every value on the sheet may come from a province file or a form, so the page is a Jinja2
template with autoescaping always on, and it runs no inline script: the map's data travel as
JSON in a script element of type application/json, drawn by webmap/static/case-sheet.js.
Under the app's CSP (script-src 'self') a value that slipped through could not run either."""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import shapely
from jinja2 import Environment, FileSystemLoader

from geo.land_classes import COMMON_LAND_CLASSES
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


LAND_CLASS_NAMES = dict(COMMON_LAND_CLASSES)
LAND_CLASS_FIELDS = ("land_class", "land_class_before", "land_class_after")
# The field steps whose actor is the sheet's 核查员.
FIELD_ACTIONS = ("verify", "collect_evidence")
_ACTOR = re.compile(r"^(?P<name>.+)（(?P<username>[^（）]+)）$")


def _text(v: Any) -> str:
    if v is None or v == "":
        return "—"
    if isinstance(v, float):
        return f"{v:,.2f}"
    return str(v)


def _when(v: Any) -> str:
    """An instant as the bureau's wall clock reads it (the API sends UTC)."""
    return beijing_text(v)


def _fact_value(key: str, v: Any) -> Any:
    if key in LAND_CLASS_FIELDS and str(v) in LAND_CLASS_NAMES:
        return f"{v} {LAND_CLASS_NAMES[str(v)]}"  # a 三调 code with its name
    if key == "verified_at":
        return _when(v)
    return v


def _state(code: Any) -> str:
    try:
        return State(str(code)).label
    except ValueError:
        return str(code or "")


def _programme(code: Any) -> str:
    try:
        return Programme(str(code)).label
    except ValueError:
        return str(code or "")


def _person(actor: str, names: dict[str, str]) -> str:
    """An event's actor as people know them: the display name of an account
    ("张三（zhangsan）" → 张三), the text as written otherwise (imports, demo history)."""
    m = _ACTOR.match(actor)
    if m and m["username"] in names:
        return names[m["username"]]
    return actor


def _verifier(case: dict[str, Any], names: dict[str, str]) -> str | None:
    """Who did the field work: the actor of the latest verification or evidence, else the
    verifier the 图斑 is assigned to."""
    done = [e for e in case.get("events") or [] if e.get("action") in FIELD_ACTIONS]
    if done:
        return _person(str(done[-1].get("actor", "")), names)
    return (case.get("assignee") or {}).get("display_name")


def _facts(case: dict[str, Any], names: dict[str, str]) -> list[tuple[str, str]]:
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
        ("核查员", _verifier(case, names)),
    ]
    facts += [
        (label, _fact_value(key, ms[key]))
        for key, label in MILESTONE_FACTS
        if ms.get(key) not in (None, "")
    ]
    return [(label, _text(v)) for label, v in facts]


def _event(e: dict[str, Any], names: dict[str, str]) -> dict[str, str]:
    return {
        "at": _when(e.get("at", "")),
        "action": str(e.get("action_label", "")),
        "actor": _person(str(e.get("actor", "")), names),
        "before": _state((e.get("before") or {}).get("state", "")),
        "after": _state((e.get("after") or {}).get("state", "")),
    }


def outline_svg(geom: Any, extent: dict[str, Any] | None, size: int = 320) -> tuple[str, str]:
    """The 图斑 and its 实测违法范围 (or "") as SVG path data in a ``size`` square, for the 位置 box
    on paper and without script; x scaled by cos(latitude), as reports/static_map.py does."""
    shapes = [geom] + ([shapely.geometry.shape(extent)] if extent else [])
    minx, miny, maxx, maxy = shapely.GeometryCollection(shapes).bounds
    k = math.cos(math.radians((miny + maxy) / 2))
    span = max((maxx - minx) * k, maxy - miny, 1e-12)
    pad = size * 0.08
    scale = (size - 2 * pad) / span

    def path(g: Any) -> str:
        out = []
        for poly in getattr(g, "geoms", [g]):
            if not isinstance(poly, shapely.Polygon):
                continue  # an outline has rings; a stray point or line draws nothing
            for ring in [poly.exterior, *poly.interiors]:
                pts = [
                    f"{pad + (x - minx) * k * scale:.1f},{size - pad - (y - miny) * scale:.1f}"
                    for x, y in ring.coords
                ]
                out.append("M" + "L".join(pts) + "Z")
        return "".join(out)

    return path(shapes[0]), (path(shapes[1]) if extent else "")


def render_sheet(
    case: dict[str, Any],
    geom_wkb: bytes,
    *,
    names: dict[str, str] | None = None,
    basemap: dict[str, Any] | None = None,
) -> str:
    """The sheet as one HTML page (zh-CN). ``names``: display name by username, for the people
    in its history; ``basemap``: the app's basemap (url, attribution, subdomains, max_zoom), drawn
    under the 图斑 when the server has one."""
    names = names or {}
    geom = shapely.from_wkb(geom_wkb)
    extent = (case.get("milestones") or {}).get("illegal_geometry")
    extent = extent if isinstance(extent, dict) and extent.get("type") else None
    outline, extent_outline = outline_svg(geom, extent)
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
        programme=_programme(case.get("programme")),
        batch_id=str(case.get("batch_id", "")),
        facts=_facts(case, names),
        notes=[str(n) for n in case.get("hint_notes") or []],
        photos=photos,
        events=[_event(e, names) for e in case.get("events") or []],
        outline=outline,
        extent_outline=extent_outline,
        map_data={
            "code": str(case.get("code")),
            "geometry": shapely.geometry.mapping(geom),
            "extent": extent,
            "basemap": basemap,
        },
    )
