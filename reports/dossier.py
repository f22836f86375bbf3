"""A case's evidence dossier as a PDF, for an administrative review or a court.

Timeline (actor, Beijing time), judgments, enforcement, photos with their EXIF checks and
content hashes, a map of the polygon and the hash chain's head. Every value came from a file,
a form or a photo, so the template escapes by construction (Jinja2 autoescape) and WeasyPrint
loads nothing but ``data:`` URIs.
"""

from __future__ import annotations

import base64
from datetime import datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from geo.localtime import local_time
from geo.model import Action, Judgment, State
from reports.static_map import svg_map

_ENV = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
)


def _beijing(at: datetime | None) -> str:
    return "" if at is None else local_time(at).strftime("%Y-%m-%d %H:%M:%S（北京时间）")


def _label(kind: type, value: Any) -> str:
    try:
        return str(kind(value).label)
    except ValueError:
        return str(value)


def _data_uri(jpeg: bytes | None) -> str | None:
    return None if jpeg is None else "data:image/jpeg;base64," + base64.b64encode(jpeg).decode()


def dossier_html(src: dict[str, Any], *, now: datetime) -> str:
    """The dossier as print HTML (the PDF's source)."""
    events = [
        {**e, "action_label": _label(Action, e["action"]), "when": _beijing(e["at"])}
        for e in src["events"]
    ]
    photos = [
        {**p, "thumb": _data_uri(p.get("thumbnail")), "taken": _beijing(p.get("taken_at"))}
        for p in src["photos"]
    ]
    case = src["case"]
    # svg_map escapes its own text; its output is SVG markup, not a value.
    drawn = Markup(svg_map({"illegal": src["geometry"]}, 480, 320, title="图斑范围"))  # noqa: S704
    return _ENV.get_template("dossier.html.j2").render(
        case=case,
        state_label=_label(State, case.get("state")),
        judgment_label=_label(Judgment, case["judgment"]) if case.get("judgment") else "",
        events=events,
        photos=photos,
        enforcement=src["enforcement"],
        chain=src["chain"],
        map_svg=drawn,
        generated=_beijing(now),
    )


def render_dossier(src: dict[str, Any], *, now: datetime) -> bytes:
    """The dossier as PDF bytes, rendered offline (data: URIs only: the thumbnails)."""
    from reports.pdf import pdf_from_html

    return pdf_from_html(dossier_html(src, now=now))
