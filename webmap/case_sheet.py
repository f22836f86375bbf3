"""The printable single-case sheet (GET /api/cases/{id}/sheet): facts, hints, enforcement and
history of one 图斑, with a Folium map drawn by the app's vendored Leaflet (never a CDN)."""

from __future__ import annotations

from html import escape
from typing import Any

import folium
import shapely

# The sheet is served at api/cases/{id}/sheet: three levels below the app root, where the
# static files (and vendored Leaflet) live. Relative, so a sub-path behind a proxy still works.
ROOT = "../../../"
VENDORED_JS = [("leaflet", ROOT + "vendor/leaflet/leaflet.js")]
VENDORED_CSS = [("leaflet_css", ROOT + "vendor/leaflet/leaflet.css")]

STYLE = """
body { font-family: system-ui, "Noto Sans CJK SC", "Microsoft YaHei", sans-serif; margin: 1.5rem;
       color: #1a1a1a; }
h1 { font-size: 1.4rem; margin: 0 0 .5rem; }
h2 { font-size: 1.1rem; margin: 1.2rem 0 .4rem; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; width: 100%; font-size: .9rem; }
th, td { border: 1px solid #ccc; padding: .25rem .5rem; text-align: left; vertical-align: top; }
th { background: #f3f3f3; width: 9rem; }
.sheet-map { height: 360px; margin: .5rem 0; border: 1px solid #999; }
.muted { color: #666; }
@media print { .no-print { display: none; } body { margin: 0; } }
"""

STATE_FILL = "#edc948"
EXTENT_COLOUR = "#d7191c"


def _rows(pairs: list[tuple[str, Any]]) -> str:
    body = "".join(
        f"<tr><th scope='row'>{escape(k)}</th><td>{escape(_text(v))}</td></tr>" for k, v in pairs
    )
    return f"<table>{body}</table>"


def _text(v: Any) -> str:
    if v is None or v == "":
        return "—"
    if isinstance(v, float):
        return f"{v:,.2f}"
    return str(v)


def _map(case: dict[str, Any], geom_wkb: bytes) -> folium.Map:
    geom = shapely.from_wkb(geom_wkb)
    minx, miny, maxx, maxy = geom.bounds
    m = folium.Map(tiles=None, zoom_control=True, control_scale=True, height="360px")
    # Folium's own defaults load Leaflet, jQuery and Bootstrap from CDNs; the sheet needs
    # only Leaflet, and the vendored copy.
    m.default_js = VENDORED_JS
    m.default_css = VENDORED_CSS
    folium.GeoJson(
        shapely.geometry.mapping(geom),
        name="图斑",
        style_function=lambda _f: {
            "color": "#333333",
            "weight": 2,
            "fillColor": STATE_FILL,
            "fillOpacity": 0.5,
        },
        tooltip=f"图斑 {case.get('code')}",
    ).add_to(m)
    extent = case.get("milestones", {}).get("illegal_geometry")
    if isinstance(extent, dict) and extent.get("type"):
        folium.GeoJson(
            extent,
            name="实测违法范围",
            style_function=lambda _f: {
                "color": EXTENT_COLOUR,
                "weight": 2,
                "dashArray": "6 4",
                "fillOpacity": 0.15,
            },
            tooltip="实测违法范围",
        ).add_to(m)
    m.fit_bounds([[miny, minx], [maxy, maxx]], padding=(20, 20))
    return m


def render_sheet(case: dict[str, Any], geom_wkb: bytes) -> str:
    """The sheet as one HTML page (zh-CN)."""
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
    for key, label in (
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
    ):
        if ms.get(key) not in (None, ""):
            facts.append((label, ms[key]))
    notes = case.get("hint_notes") or []
    events = case.get("events") or []
    photos = case.get("photos") or []
    m = _map(case, geom_wkb)
    fig = folium.Figure(title=f"图斑 {case.get('code')} 单案卡片")
    fig.header.add_child(folium.Element(f"<style>{STYLE}</style>"))
    fig.html.add_child(
        folium.Element(
            f"<h1>图斑 {escape(str(case.get('code')))} 单案卡片</h1>"
            f"<p class='muted'>{escape(case.get('programme', ''))} · 批次 {case.get('batch_id')}"
            " · <a class='no-print' href='javascript:print()'>打印</a></p>"
            f"<h2>基本情况</h2>{_rows(facts)}<h2>位置</h2><div class='sheet-map'>"
        )
    )
    m.add_to(fig)
    hint_html = (
        "<ul>" + "".join(f"<li>{escape(n)}</li>" for n in notes) + "</ul>"
        if notes
        else "<p class='muted'>无</p>"
    )
    ev_rows = "".join(
        f"<tr><td>{escape(str(e.get('at', ''))[:19].replace('T', ' '))}</td>"
        f"<td>{escape(e.get('action_label', ''))}</td><td>{escape(e.get('actor', ''))}</td>"
        f"<td>{escape(str((e.get('before') or {}).get('state', '')))} → "
        f"{escape(str((e.get('after') or {}).get('state', '')))}</td></tr>"
        for e in events
    )
    photo_html = "".join(
        f"<figure style='display:inline-block;margin:.3rem'>"
        f"<img src='{ROOT}{escape(p['thumb_url'].lstrip('/'))}' width='160' alt='照片'>"
        f"<figcaption class='muted'>{escape(str(p.get('taken_at') or '拍摄时间未知'))}</figcaption>"
        "</figure>"
        for p in photos
    )
    fig.html.add_child(
        folium.Element(
            "</div><h2>自动预判（仅供参考）</h2>"
            + hint_html
            + f"<h2>照片（{len(photos)} 张）</h2>"
            + (photo_html or "<p class='muted'>无</p>")
            + "<h2>办理记录</h2><table><tr><th>时间</th><th>事项</th><th>办理人</th>"
            "<th>状态</th></tr>" + ev_rows + "</table>"
        )
    )
    return fig.render()
