"""Folium maps for the HTML report: illegal 图斑 by township and overdue cases, fully offline.

Folium links Leaflet (and jQuery, Bootstrap, …) from CDNs by default. These maps use none of
those plugins, so the links are dropped and the app's vendored Leaflet (webmap/static/vendor)
is inlined instead: a report file opened on a machine without internet still shows its maps.
No basemap tiles either (tiles=None): township outlines give the orientation.
"""

from __future__ import annotations

import base64
import hashlib
import html
import re
from collections.abc import Callable
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
    """The features of a GeoJSON FeatureCollection that have a geometry (none for None)."""
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


def _with_tips(fc: dict[str, Any] | None, tip: Callable[[dict[str, Any]], str], *,
               points: bool = False) -> dict[str, Any]:
    """A copy whose features carry a ready-made tooltip text (and, if asked, are points).

    One GeoJson layer per collection keeps a map with thousands of 图斑 to a few elements;
    the precomputed "tip" means no tooltip field can be missing from a feature. Folium's
    GeoJsonTooltip puts it into the page as HTML (innerHTML), and a code or township name comes
    from a province file, so the tip is HTML-escaped here.
    """
    out = []
    for f in features(fc):
        props = dict(f.get("properties") or {})
        props["tip"] = html.escape(tip(props))
        geom = f["geometry"]
        if points:
            pt = shape(geom).representative_point()
            geom = {"type": "Point", "coordinates": [pt.x, pt.y]}
        out.append({"type": "Feature", "geometry": geom, "properties": props})
    return {"type": "FeatureCollection", "features": out}


def _tooltip() -> folium.GeoJsonTooltip:
    return folium.GeoJsonTooltip(fields=["tip"], labels=False)


def _township_tip(p: dict[str, Any]) -> str:
    return (f"{p.get('name', '')}：违法图斑 {p.get('illegal_count') or 0} 个，"
            f"{p.get('illegal_area_mu') or 0} 亩")


def _townships_layer(fc: dict[str, Any], *, choropleth: bool) -> folium.GeoJson:
    top = max(((f.get("properties") or {}).get("illegal_count") or 0 for f in features(fc)),
              default=0)

    def style(feature: dict[str, Any]) -> dict[str, Any]:
        n = feature["properties"].get("illegal_count") or 0
        return {"fillColor": count_color(n, top) if choropleth else "#ffffff",
                "fillOpacity": 0.8 if choropleth else 0.2,
                "color": "#555555", "weight": 1}

    return folium.GeoJson(_with_tips(fc, _township_tip),
                          name="乡镇违法图斑数" if choropleth else "乡镇",
                          style_function=style, tooltip=_tooltip())


def _illegal_tip(p: dict[str, Any]) -> str:
    state = STATE_TEXT.get(p.get("state") or "", p.get("state") or "")
    return (f"{p.get('code', '')} · {p.get('township_name', '')} · {state} · "
            f"{p.get('area_mu', '')} 亩")


def _overdue_tip(p: dict[str, Any]) -> str:
    return (f"{p.get('code', '')} · {p.get('township_name', '')} · "
            f"逾期 {p.get('days_overdue') or 0} 天（期限 {p.get('due_on', '')}）")


def _circles(fc: dict[str, Any], name: str, color: str, tip: Callable[[dict[str, Any]], str],
             radius: Callable[[dict[str, Any]], float]) -> folium.GeoJson:
    def style(feature: dict[str, Any]) -> dict[str, Any]:
        # Leaflet's CircleMarker.setStyle also applies "radius".
        return {"radius": radius(feature["properties"]), "color": color, "weight": 2, "fill": True,
                "fillColor": color, "fillOpacity": 0.6}

    return folium.GeoJson(_with_tips(fc, tip, points=True), name=name, style_function=style,
                          marker=folium.CircleMarker(radius=5), tooltip=_tooltip())


def illegal_map(maps: dict[str, Any]) -> folium.Map | None:
    """Townships shaded by their illegal 图斑 count, with each illegal 图斑 drawn and marked."""
    towns, illegal = maps.get("townships"), maps.get("illegal")
    if not features(towns) and not features(illegal):
        return None
    m = _base_map(towns, illegal)
    if features(towns):
        _townships_layer(towns, choropleth=True).add_to(m)
    if features(illegal):
        folium.GeoJson(_with_tips(illegal, _illegal_tip), name="违法图斑",
                       style_function=lambda _f: {"color": ILLEGAL_COLOR, "weight": 2,
                                                  "fillOpacity": 0.5},
                       tooltip=_tooltip()).add_to(m)
        # Small 图斑 vanish at district zoom: a dot marks each one.
        _circles(illegal, "违法图斑位置", ILLEGAL_COLOR, _illegal_tip, lambda _p: 4).add_to(m)
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
    _circles(overdue, "逾期图斑", OVERDUE_COLOR, _overdue_tip,
             lambda p: 5 + min(p.get("days_overdue") or 0, 90) / 10).add_to(m)
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


def script_hash(body: str) -> str:
    """The CSP source that allows exactly one inline script with this body."""
    digest = hashlib.sha256(body.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode()}'"


def offline_policy(scripts: list[str]) -> str:
    """The CSP of a downloaded report page: its own inline scripts (by hash) and nothing else.

    A file opened from disk gets no HTTP headers, so the policy travels in a meta element. The
    page loads nothing (default-src 'none'), sends nothing (connect-src, form-action 'none'),
    and runs only the scripts it was written with: Leaflet and its maps' set-up.
    """
    allowed = " ".join(dict.fromkeys(script_hash(s) for s in scripts)) or "'none'"
    return (
        f"default-src 'none'; script-src {allowed}; style-src 'unsafe-inline'; "
        "img-src data:; connect-src 'none'; object-src 'none'; base-uri 'none'; "
        "form-action 'none'"
    )


def standalone_html(m: folium.Map, title: str = "地图") -> str:
    """A whole offline page holding one map (Leaflet inlined)."""
    css, js = leaflet_inline()
    part = fragment(m)
    csp = html.escape(offline_policy([js, part.script]))
    return (
        f'<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{csp}">'
        f"<title>{html.escape(title)}</title><style>{css}</style><script>{js}</script>"
        f"<style>html,body{{height:100%;margin:0}}</style>{part.style}</head>"
        f"<body>{part.html}<script>{part.script}</script></body></html>"
    )
