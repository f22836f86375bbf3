"""Small inline SVG charts (no JavaScript, no network): budget execution bars and trend lines.

The same SVG goes into the HTML page and, through WeasyPrint, into the PDF.
"""

from __future__ import annotations

from html import escape
from typing import Any

FONT = "'Noto Sans CJK SC','Microsoft YaHei',sans-serif"
PLANNED = "#9e9e9e"
ACTUAL = "#1f77b4"
LINE = "#d62728"


def _nice_max(value: float) -> float:
    """Round the axis top up to 1, 2 or 5 × 10^n so gridlines land on readable numbers."""
    if value <= 0:
        return 1.0
    mag = 10 ** len(str(int(value))) / 10
    for step in (1, 2, 5, 10):
        if value <= step * mag:
            return step * mag
    return 10 * mag


def _fmt(v: float) -> str:
    return f"{v:.0f}" if float(v).is_integer() else f"{v:.1f}"


def _axis(x0: float, y0: float, w: float, h: float, top: float, unit: str) -> list[str]:
    out = []
    for i in range(5):
        v = top * i / 4
        y = y0 + h - h * i / 4
        out.append(f'<line x1="{x0}" y1="{y:.1f}" x2="{x0 + w}" y2="{y:.1f}" '
                   f'stroke="#e0e0e0" stroke-width="1"/>')
        out.append(f'<text x="{x0 - 6}" y="{y + 4:.1f}" text-anchor="end" '
                   f'font-size="11">{_fmt(v)}</text>')
    out.append(f'<text x="{x0 - 6}" y="{y0 - 10}" text-anchor="end" font-size="11">'
               f"{escape(unit)}</text>")
    return out


def _svg(width: int, height: int, title: str, body: list[str], css_class: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart {css_class}" role="img" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'font-family="{FONT}" fill="#222"><title>{escape(title)}</title>'
        + "".join(body) + "</svg>"
    )


def spending_chart(rows: list[dict[str, Any]], title: str = "资金支出计划与实际（%）") -> str:
    """Grouped bars per checkpoint: planned % (grey) next to actual cumulative % (blue)."""
    width, height = 520, 250
    x0, y0, w, h = 50, 40, width - 70, height - 85
    values = [v for r in rows for v in (r["planned_pct"], r["actual_pct"]) if v is not None]
    top = _nice_max(max([100.0, *values]))
    body = [f'<text x="{width / 2}" y="18" text-anchor="middle" font-size="14" '
            f'font-weight="bold">{escape(title)}</text>', *_axis(x0, y0, w, h, top, "%")]
    slot = w / max(1, len(rows))
    bar = slot * 0.3
    for i, r in enumerate(rows):
        cx = x0 + slot * (i + 0.5)
        for j, (key, color) in enumerate((("planned_pct", PLANNED), ("actual_pct", ACTUAL))):
            v = r[key]
            x = cx - bar + j * bar
            if v is None:
                body.append(f'<text x="{x + bar / 2:.1f}" y="{y0 + h - 4}" font-size="10" '
                            f'text-anchor="middle" fill="#999">—</text>')
                continue
            bh = h * max(0.0, v) / top
            body.append(f'<rect class="bar {key}" x="{x:.1f}" y="{y0 + h - bh:.1f}" '
                        f'width="{bar - 2:.1f}" height="{bh:.1f}" fill="{color}"/>')
            body.append(f'<text x="{x + bar / 2 - 1:.1f}" y="{y0 + h - bh - 3:.1f}" '
                        f'font-size="10" text-anchor="middle">{_fmt(v)}</text>')
        body.append(f'<text x="{cx:.1f}" y="{y0 + h + 16}" font-size="12" '
                    f'text-anchor="middle">{escape(r["label"])}</text>')
    ly = height - 14
    for k, (label, color) in enumerate((("计划", PLANNED), ("实际累计", ACTUAL))):
        lx = width / 2 - 80 + k * 90
        body.append(f'<rect x="{lx}" y="{ly - 10}" width="12" height="12" fill="{color}"/>')
        body.append(f'<text x="{lx + 16}" y="{ly}" font-size="12">{label}</text>')
    return _svg(width, height, title, body, "spending-chart")


def trend_chart(series: dict[str, Any]) -> str:
    """One metric's value per period as a line with labelled points."""
    width, height = 360, 210
    x0, y0, w, h = 46, 36, width - 66, height - 70
    points = [p for p in series.get("points", []) if p.get("value") is not None]
    title = series.get("label") or series.get("metric", "")
    top = _nice_max(max([0.0, *(p["value"] for p in points)]))
    body = [f'<text x="{width / 2}" y="18" text-anchor="middle" font-size="13" '
            f'font-weight="bold">{escape(title)}</text>',
            *_axis(x0, y0, w, h, top, series.get("unit") or "")]
    n = len(series.get("points", []))
    step = w / max(1, n)
    coords = []
    for i, p in enumerate(series.get("points", [])):
        x = x0 + step * (i + 0.5)
        body.append(f'<text x="{x:.1f}" y="{y0 + h + 16}" font-size="11" '
                    f'text-anchor="middle">{escape(str(p.get("period", "")))}</text>')
        if p.get("value") is None:
            continue
        y = y0 + h - h * max(0.0, p["value"]) / top
        coords.append((x, y, p["value"]))
    if coords:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y, _ in coords)
        body.append(f'<polyline class="trend-line" points="{path}" fill="none" '
                    f'stroke="{LINE}" stroke-width="2"/>')
        for x, y, v in coords:
            body.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{LINE}"/>')
            body.append(f'<text x="{x:.1f}" y="{y - 7:.1f}" font-size="10" '
                        f'text-anchor="middle">{_fmt(v)}</text>')
    return _svg(width, height, title, body, "trend-chart")
