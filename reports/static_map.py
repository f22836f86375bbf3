"""Static maps for print (PDF: SVG, Word: PNG): townships shaded by illegal 图斑, overdue marked.

Leaflet can't run in a PDF or a .docx, so the same picture is drawn from the shapely
geometries. Lon/lat are projected equirectangularly with x scaled by cos(latitude): at a
district's extent (~30 km) that is visually indistinguishable from a conformal projection.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable, Iterable
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any

from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from webmap.report_maps import ILLEGAL_COLOR, OVERDUE_COLOR, bounds, count_color, features

if TYPE_CHECKING:  # Pillow is imported only when a PNG is drawn
    from PIL.ImageFont import FreeTypeFont

FONT = "'Noto Sans CJK SC',sans-serif"
CJK_FONT_FILES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
)
Point = tuple[float, float]


def _projector(maps: dict[str, Any], width: int, height: int, pad: int
               ) -> Callable[[float, float], Point] | None:
    box = bounds(maps.get("townships"), maps.get("illegal"), maps.get("overdue"))
    if box is None:
        return None
    minx, miny, maxx, maxy = box
    k = math.cos(math.radians((miny + maxy) / 2))
    span_x = max((maxx - minx) * k, 1e-9)
    span_y = max(maxy - miny, 1e-9)
    scale = min((width - 2 * pad) / span_x, (height - 2 * pad) / span_y)
    ox = (width - span_x * scale) / 2
    oy = (height - span_y * scale) / 2

    def project(lon: float, lat: float) -> Point:
        return ox + (lon - minx) * k * scale, height - oy - (lat - miny) * scale

    return project


def _rings(geom: BaseGeometry) -> Iterable[list[tuple[float, float]]]:
    polys = getattr(geom, "geoms", [geom])
    for poly in polys:
        if poly.geom_type != "Polygon":
            continue
        yield list(poly.exterior.coords)
        for hole in poly.interiors:
            yield list(hole.coords)


def _layers(maps: dict[str, Any]) -> dict[str, list[tuple[BaseGeometry, dict[str, Any]]]]:
    return {key: [(shape(f["geometry"]), f.get("properties") or {})
                  for f in features(maps.get(key))]
            for key in ("townships", "illegal", "overdue")}


def svg_map(maps: dict[str, Any], width: int = 640, height: int = 440,
            title: str = "违法图斑分布与逾期图斑") -> str:
    """An SVG map; empty string when the collections hold no features."""
    project = _projector(maps, width, height - 24, 20)  # the legend takes the bottom strip
    if project is None:
        return ""
    layers = _layers(maps)
    top = max((p.get("illegal_count") or 0 for _, p in layers["townships"]), default=0)
    body: list[str] = [f"<title>{escape(title)}</title>"]

    def path(geom: BaseGeometry) -> str:
        parts = []
        for ring in _rings(geom):
            pts = [project(x, y) for x, y, *_ in ring]
            parts.append("M" + " L".join(f"{x:.1f},{y:.1f}" for x, y in pts) + " Z")
        return " ".join(parts)

    for geom, p in layers["townships"]:
        fill = count_color(p.get("illegal_count"), top)
        body.append(f'<path class="township" d="{path(geom)}" fill="{fill}" '
                    f'stroke="#555" stroke-width="0.8" fill-rule="evenodd"/>')
    for geom, p in layers["townships"]:
        x, y = project(*geom.representative_point().coords[0])
        label = f"{p.get('name', '')} {p.get('illegal_count') or 0}"
        w = 11 * len(label) * 0.8 + 6  # CJK glyphs are ~1 em wide; a halo keeps labels legible
        body.append(f'<rect x="{x - w / 2:.1f}" y="{y - 12:.1f}" width="{w:.1f}" height="16" '
                    f'rx="3" fill="#fff" fill-opacity="0.8"/>')
        body.append(f'<text class="township-label" x="{x:.1f}" y="{y:.1f}" font-size="11" '
                    f'text-anchor="middle">{escape(label)}</text>')
    for geom, _p in layers["illegal"]:
        body.append(f'<path class="illegal" d="{path(geom)}" fill="{ILLEGAL_COLOR}" '
                    f'fill-opacity="0.6" stroke="{ILLEGAL_COLOR}" stroke-width="1"/>')
        x, y = project(*geom.representative_point().coords[0])
        body.append(f'<circle class="illegal" cx="{x:.1f}" cy="{y:.1f}" r="3" '
                    f'fill="{ILLEGAL_COLOR}"/>')
    for geom, p in layers["overdue"]:
        x, y = project(*geom.representative_point().coords[0])
        body.append(f'<circle class="overdue" cx="{x:.1f}" cy="{y:.1f}" r="7" fill="none" '
                    f'stroke="{OVERDUE_COLOR}" stroke-width="2.5"><title>'
                    f'{escape(str(p.get("code", "")))} 逾期 {p.get("days_overdue", "")} 天'
                    f"</title></circle>")
    ly = height - 10
    legend = ((ILLEGAL_COLOR, "违法图斑"), (OVERDUE_COLOR, "逾期图斑（圈）"),
              (count_color(top, top), "乡镇违法图斑数（颜色越深越多）"))
    lx = 10
    for color, text in legend:
        body.append(f'<rect x="{lx}" y="{ly - 10}" width="12" height="12" fill="{color}"/>')
        body.append(f'<text x="{lx + 16}" y="{ly}" font-size="11">{text}</text>')
        lx += 30 + 13 * len(text)
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="static-map" role="img" '
            f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
            f'font-family="{FONT}" fill="#222">' + "".join(body) + "</svg>")


def _font(size: int) -> FreeTypeFont | None:
    from PIL import ImageFont

    for path in CJK_FONT_FILES:
        if Path(path).is_file():
            return ImageFont.truetype(path, size)
    return None  # labels are skipped rather than drawn as tofu boxes


def png_map(maps: dict[str, Any], width: int = 1600, height: int = 1100) -> bytes:
    """The same map as a PNG (for Word); empty bytes when there is nothing to draw."""
    from PIL import Image, ImageDraw

    project = _projector(maps, width, height - 70, 50)
    if project is None:
        return b""
    layers = _layers(maps)
    top = max((p.get("illegal_count") or 0 for _, p in layers["townships"]), default=0)
    img = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(img)
    for geom, p in layers["townships"]:
        for ring in _rings(geom):
            draw.polygon([project(x, y) for x, y, *_ in ring],
                         fill=count_color(p.get("illegal_count"), top), outline="#555555",
                         width=2)
    for geom, _p in layers["illegal"]:
        for ring in _rings(geom):
            draw.polygon([project(x, y) for x, y, *_ in ring], fill=ILLEGAL_COLOR)
        x, y = project(*geom.representative_point().coords[0])
        draw.ellipse((x - 7, y - 7, x + 7, y + 7), fill=ILLEGAL_COLOR)
    for geom, _p in layers["overdue"]:
        x, y = project(*geom.representative_point().coords[0])
        draw.ellipse((x - 16, y - 16, x + 16, y + 16), outline=OVERDUE_COLOR, width=6)
    font = _font(26)
    if font is not None:
        for geom, p in layers["townships"]:
            x, y = project(*geom.representative_point().coords[0])
            draw.text((x, y), f"{p.get('name', '')} {p.get('illegal_count') or 0}", font=font,
                      fill="#222222", anchor="mm", stroke_width=3, stroke_fill="white")
        legend = ((ILLEGAL_COLOR, "违法图斑"), (OVERDUE_COLOR, "逾期图斑（圈）"),
                  (count_color(top, top), "乡镇违法图斑数（颜色越深越多）"))
        lx, ly = 30, height - 45
        for color, text in legend:
            draw.rectangle((lx, ly, lx + 26, ly + 26), fill=color)
            draw.text((lx + 36, ly + 13), text, font=font, fill="#222222", anchor="lm")
            lx += 80 + int(draw.textlength(text, font=font))
    buf = io.BytesIO()
    img.save(buf, "PNG", optimize=True)
    return buf.getvalue()
