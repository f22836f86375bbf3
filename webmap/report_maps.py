"""Folium maps for the HTML report: illegal 图斑 by township and overdue cases, fully offline.

Folium links Leaflet (and jQuery, Bootstrap, …) from CDNs by default. These maps use none of
those plugins, so the links are dropped and the app's vendored Leaflet (webmap/static/vendor)
is inlined instead: a report file opened on a machine without internet still shows its maps.
No basemap tiles either (tiles=None): township outlines give the orientation.
"""

from __future__ import annotations

import base64
import html
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import folium
from shapely.geometry import shape

LEAFLET_DIR = Path(__file__).resolve().parent / "static" / "vendor" / "leaflet"
# Sequential reds (ColorBrewer Reds, 5 classes); zero-count townships stay almost white.
PALETTE = ("#fee5d9", "#fcae91", "#fb6a4a", "#de2d26", "#a50f15")
ZERO_COLOR = "#f7f7f7"
ILLEGAL_COLOR = "#b30000"
OVERDUE_COLOR = "#e66101"
STATE_TEXT = {
    "issued": "已下发", "verified": "已核查", "judged": "已判定", "filed": "已立案",
    "fined": "已处罚", "closed": "已结案",
}


def count_color(count: float | None, max_count: float | None) -> str:
    """Fill colour for a township with ``count`` illegal 图斑 out of the district maximum.

    >>> count_color(0, 6), count_color(6, 6), count_color(1, 6)
    ('#f7f7f7', '#a50f15', '#fee5d9')
    """
    if not count or not max_count:
        return ZERO_COLOR
    k = min(len(PALETTE) - 1, int((count / max_count) * len(PALETTE) - 1e-9))
    return PALETTE[k]


def features(fc: dict[str, Any] | None) -> list[dict[str, Any]]:
    return [f for f in (fc or {}).get("features", []) if f.get("geometry")]


def bounds(*fcs: dict[str, Any] | None) -> tuple[float, float, float, float] | None:
    """(minx, miny, maxx, maxy) over every feature of the collections, None when all are empty."""
    boxes = [shape(f["geometry"]).bounds for fc in fcs for f in features(fc)]
    if not boxes:
        return None
    return (min(b[0] for b in boxes), min(b[1] for b in boxes),
            max(b[2] for b in boxes), max(b[3] for b in boxes))


@lru_cache(maxsize=1)
def leaflet_inline() -> tuple[str, str]:
    """(css, js) of the vendored Leaflet, the CSS images turned into data URIs."""
    css = (LEAFLET_DIR / "leaflet.css").read_text(encoding="utf-8")

    def data_uri(match: re.Match[str]) -> str:
        path = LEAFLET_DIR / match.group(1)
        if not path.is_file():
            return match.group(0)
        kind = "svg+xml" if path.suffix == ".svg" else path.suffix.lstrip(".")
        return f"url(data:image/{kind};base64,{base64.b64encode(path.read_bytes()).decode()})"

    css = re.sub(r"url\((images/[^)]+)\)", data_uri, css)
    js = (LEAFLET_DIR / "leaflet.js").read_text(encoding="utf-8")
    js = re.sub(r"//# sourceMappingURL=\S+\s*$", "", js)  # no map file beside a report
    return css, js


def _base_map(*fcs: dict[str, Any] | None) -> folium.Map:
    box = bounds(*fcs)
    assert box is not None
    m = folium.Map(location=[(box[1] + box[3]) / 2, (box[0] + box[2]) / 2], zoom_start=11,
                   tiles=None, control_scale=True, zoom_snap=0.25)
    m.default_js = []  # Leaflet comes inlined, folium's CDN plugins are unused
    m.default_css = []
    m.fit_bounds([[box[1], box[0]], [box[3], box[2]]], padding=(10, 10))
    return m


def _townships_layer(fc: dict[str, Any], *, choropleth: bool) -> folium.GeoJson:
    top = max((f["properties"].get("illegal_count") or 0 for f in features(fc)), default=0)

    def style(feature: dict[str, Any]) -> dict[str, Any]:
        n = feature["properties"].get("illegal_count") or 0
        return {"fillColor": count_color(n, top) if choropleth else "#ffffff",
                "fillOpacity": 0.8 if choropleth else 0.2,
                "color": "#555555", "weight": 1}

    return folium.GeoJson(
        fc, name="乡镇违法图斑数" if choropleth else "乡镇", style_function=style,
        tooltip=folium.GeoJsonTooltip(
            fields=["name", "illegal_count", "illegal_area_mu"],
            aliases=["乡镇", "违法图斑（个）", "违法面积（亩）"], localize=True),
    )


def _marker(feature: dict[str, Any], color: str, radius: float, tip: str) -> folium.CircleMarker:
    p = shape(feature["geometry"]).representative_point()
    return folium.CircleMarker([p.y, p.x], radius=radius, color=color, weight=2,
                               fill=True, fill_color=color, fill_opacity=0.6,
                               tooltip=html.escape(tip))


def illegal_map(maps: dict[str, Any]) -> folium.Map | None:
    """Townships shaded by their illegal 图斑 count, with each illegal 图斑 drawn and marked."""
    towns, illegal = maps.get("townships"), maps.get("illegal")
    if not features(towns) and not features(illegal):
        return None
    m = _base_map(towns, illegal)
    if features(towns):
        _townships_layer(towns, choropleth=True).add_to(m)
    layer = folium.FeatureGroup(name="违法图斑").add_to(m)
    for f in features(illegal):
        p = f["properties"]
        tip = (f"{p.get('code', '')} · {p.get('township_name', '')} · "
               f"{STATE_TEXT.get(p.get('state'), p.get('state', ''))} · {p.get('area_mu', '')} 亩")
        folium.GeoJson(f, style_function=lambda _f: {"color": ILLEGAL_COLOR, "weight": 2,
                                                     "fillOpacity": 0.5}).add_to(layer)
        _marker(f, ILLEGAL_COLOR, 4, tip).add_to(layer)
    folium.LayerControl(collapsed=False).add_to(m)
    return m


def overdue_map(maps: dict[str, Any]) -> folium.Map | None:
    """Overdue cases as circles sized by days overdue, over the township outlines."""
    towns, overdue = maps.get("townships"), maps.get("overdue")
    if not features(overdue):
        return None
    m = _base_map(towns, overdue)
    if features(towns):
        _townships_layer(towns, choropleth=False).add_to(m)
    layer = folium.FeatureGroup(name="逾期图斑").add_to(m)
    for f in features(overdue):
        p = f["properties"]
        days = p.get("days_overdue") or 0
        tip = (f"{p.get('code', '')} · {p.get('township_name', '')} · 逾期 {days} 天"
               f"（期限 {p.get('due_on', '')}）")
        _marker(f, OVERDUE_COLOR, 5 + min(days, 90) / 10, tip).add_to(layer)
    return m


@dataclass(frozen=True)
class MapFragment:
    """The parts of one map for a page that already carries Leaflet: CSS, a div and its script."""

    style: str
    html: str
    script: str


def fragment(m: folium.Map) -> MapFragment:
    """Split a rendered map into page parts, dropping folium's page-wide html/body styles."""
    fig = m.get_root()
    fig.render()
    own = fig.header._children[m.get_name()].render()
    styles = [s for s in re.findall(r"<style>.*?</style>", own, re.S) if m.get_name() in s]
    for name, child in fig.header._children.items():
        if name not in (m.get_name(), "meta_http"):
            styles.append(child.render())
    return MapFragment("\n".join(styles), fig.html.render(), fig.script.render())


def standalone_html(m: folium.Map, title: str = "地图") -> str:
    """A whole offline page holding one map (Leaflet inlined)."""
    css, js = leaflet_inline()
    part = fragment(m)
    return (
        f'<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>{css}</style><script>{js}</script>"
        f"<style>html,body{{height:100%;margin:0}}</style>{part.style}</head>"
        f"<body>{part.html}<script>{part.script}</script></body></html>"
    )
