"""Standalone HTML report: goal / self-evaluation tables, budget execution, SVG charts, maps.

Everything is inline (CSS, SVG, Leaflet), so the file works offline and can be mailed as is.
The PDF renderer reuses this page with ``for_print=True``: static SVG maps instead of Leaflet.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape

from reports.charts import spending_chart, trend_chart
from reports.document import (
    banner,
    has_maps,
    level_spans,
    money,
    numbered,
    pct,
    safeguards,
    scope_text,
    signed,
    spending_rows,
)
from reports.static_map import svg_map

TEMPLATES = Path(__file__).resolve().parent / "templates"
_env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(["html", "j2"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def _legend(p: dict[str, Any]) -> Markup:
    from webmap.report_maps import ILLEGAL_COLOR, OVERDUE_COLOR, PALETTE

    items = ((PALETTE[-1], "乡镇违法图斑数（颜色越深越多）"), (ILLEGAL_COLOR, "违法图斑"),
             (OVERDUE_COLOR, "逾期图斑"))
    return Markup("").join(
        Markup('<span class="sw" style="background:{}"></span>{}').format(color, text)
        for color, text in items
    )


def _interactive_maps(p: dict[str, Any]) -> tuple[list[dict[str, Any]], list[Markup]]:
    from webmap.report_maps import fragment, illegal_map, overdue_map

    out, styles = [], []
    for title, build in (("各乡镇违法图斑（颜色越深越多，红色为违法图斑）", illegal_map),
                         ("逾期图斑（圈越大逾期越久）", overdue_map)):
        m = build(p["maps"])
        if m is None:
            continue
        part = fragment(m)
        styles.append(Markup(part.style))
        out.append({"title": title, "html": Markup(part.html), "script": Markup(part.script)})
    return out, styles


def _project_view(doc: dict[str, Any], p: dict[str, Any], for_print: bool
                  ) -> tuple[dict[str, Any], list[Markup]]:
    span1, span2 = level_spans(p["rows"])
    rows = []
    for row, s1, s2 in zip(p["rows"], span1, span2, strict=True):
        statuses = {v.get("status") for v in row["values"]}
        status = next((s for s in ("behind", "warn", "met") if s in statuses), "none")
        rows.append({"row": row, "span1": s1, "span2": s2, "status": status})
    spending = spending_rows(p)
    maps: list[dict[str, Any]] = []
    styles: list[Markup] = []
    if has_maps(p):
        if for_print:
            svg = Markup(svg_map(p["maps"]))
            maps = [{"title": "违法图斑分布与逾期图斑（静态图）", "svg": svg}]
        else:
            maps, styles = _interactive_maps(p)
    view = {
        "p": p,
        "title": p["table_title"] if doc["kind"] == "targets" else f"{p['name']}绩效自评表",
        "goals": numbered(p["goals"]),
        "rows": rows,
        "spending": spending,
        "spending_chart": Markup(spending_chart(spending)),
        "trend_charts": [Markup(trend_chart(t)) for t in p["trend"]],
        "maps": maps,
        "legend": _legend(p) if maps and not for_print else "",  # the SVG map has its own
    }
    return view, styles


def html_page(doc: dict[str, Any], *, for_print: bool = False) -> str:
    """The report page for a prepared document."""
    views, styles = [], []
    for p in doc["projects"]:
        view, map_styles = _project_view(doc, p, for_print)
        views.append(view)
        styles.extend(map_styles)
    leaflet = None
    scripts: list[str] = []
    if any(v["maps"] for v in views) and not for_print:
        from webmap.report_maps import leaflet_inline

        css, js = leaflet_inline()
        leaflet = {"css": Markup(css), "js": Markup(js)}
        scripts = [js] + [str(m["script"]) for v in views for m in v["maps"] if "script" in m]
    from webmap.report_maps import offline_policy

    return _env.get_template("report.html.j2").render(
        csp=offline_policy(scripts),
        doc=doc,
        projects=views,
        banner=banner(doc),
        scope=scope_text(doc),
        safeguards=safeguards(doc),
        css=Markup((TEMPLATES / "report.css").read_text(encoding="utf-8")),
        leaflet=leaflet,
        map_styles=styles,
        money=money,
        pct=pct,
        signed=signed,
        escape=escape,
    )


def render_html(doc: dict[str, Any]) -> bytes:
    """The report document as a self-contained HTML page, UTF-8 encoded."""
    return html_page(doc).encode("utf-8")
