"""Hostile values (a 图斑 code, a township name, a note, an evidence file name) in the office
reports: HTML escaped and its maps' tooltips too, XLSX cells text and never formulas, the
Word file still opens, the standalone HTML runs only the scripts its CSP hashes name."""

from __future__ import annotations

import base64
import copy
import hashlib
import html
import io
import json
import re
import zipfile

import pytest
from docx import Document
from openpyxl import load_workbook

from reports import render
from reports.html import html_page
from tests.reports.docs import live_doc
from tests.security import hostile

CONTROL = "\x00\x01\x0b\x1b\ufffe"


def _hostile_doc(kind: str = "self_evaluation") -> dict:
    doc = copy.deepcopy(live_doc(kind))
    values = iter(hostile.ALL * 20)
    for p in doc["projects"]:
        p["purpose"] = hostile.HYPERLINK
        p["goals"] = [hostile.HTML, "=1+1", "@SUM(A1)" + CONTROL]
        p["warnings"] = [hostile.BREAKOUT]
        for row in p["rows"]:
            row["actual"] = next(values)
            row["reason"] = next(values) + CONTROL
            row["evidence"] = [{"filename": hostile.HTML, "sha256": "0" * 64}]
        for fc in (p.get("maps") or {}).values():
            for f in fc.get("features", []):
                f["properties"].update(
                    code=hostile.HTML, township_name=hostile.TEMPLATE, name=hostile.BREAKOUT
                )
    return doc


def _tooltips(page: str) -> list[str]:
    """The tooltip texts of the maps' GeoJSON layers, as the page's script holds them."""
    layers = [json.loads(m) for m in re.findall(r"_add\((\{.*\})\);", page)]
    return [f["properties"]["tip"] for fc in layers for f in fc["features"]]


def test_html_report_escapes_text_and_map_tooltips():
    page = html_page(_hostile_doc())
    assert hostile.raw_markup(page) == []
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    # Folium's GeoJsonTooltip puts a feature's "tip" into the tooltip as HTML: escaped text.
    tips = _tooltips(page)
    assert tips and all(hostile.raw_markup(t) == [] for t in tips), tips
    assert any("&lt;img src=x onerror=alert(1)&gt;" in t for t in tips)
    # The PDF is drawn from the print variant: static SVG maps whose labels carry the names.
    printed = html_page(_hostile_doc(), for_print=True)
    assert hostile.raw_markup(printed) == [] and "&lt;img src=x onerror" in printed


def test_standalone_html_report_allows_exactly_its_own_inline_scripts():
    page = html_page(_hostile_doc())
    meta = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)"', page)
    assert meta, "the downloaded report carries its own CSP"
    policy = dict(
        (d.split()[0], d.split()[1:]) for d in html.unescape(meta.group(1)).split(";") if d.strip()
    )
    assert "'unsafe-inline'" not in policy["script-src"]
    scripts = hostile.inline_scripts(page)
    assert scripts, "the report has its maps"
    hashes = {
        "'sha256-" + base64.b64encode(hashlib.sha256(s.encode()).digest()).decode() + "'"
        for s in scripts
    }
    assert set(policy["script-src"]) == {"'self'", *hashes} or set(policy["script-src"]) == hashes
    assert policy["default-src"] == ["'none'"] and policy["connect-src"] == ["'none'"]


@pytest.mark.parametrize("kind", ["self_evaluation", "targets"])
def test_xlsx_keeps_hostile_text_as_text(kind):
    data = render(_hostile_doc(kind), "xlsx")
    book = load_workbook(io.BytesIO(data))
    assert hostile.formula_cells(book) == []
    seen = {c.value for ws in book.worksheets for row in ws.iter_rows() for c in row}
    assert hostile.HYPERLINK in seen, seen
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        for name in z.namelist():
            if name.startswith("xl/worksheets/"):
                assert b"<f>" not in z.read(name) and b"<f " not in z.read(name), name


def test_docx_with_control_characters_opens_and_keeps_the_text():
    data = render(_hostile_doc(), "docx")
    word = Document(io.BytesIO(data))
    text = "\n".join(c.text for t in word.tables for r in t.rows for c in r.cells) + "\n".join(
        p.text for p in word.paragraphs
    )
    assert hostile.HTML in text and hostile.HYPERLINK in text
    assert "@SUM(A1)" in text and not any(ch in text for ch in "\x00\x01\x0b\x1b")


def test_report_document_json_is_unchanged_by_escaping():
    """Escaping belongs to the renderers: the JSON document keeps the values as they were."""
    doc = _hostile_doc()
    before = json.dumps(doc, sort_keys=True)
    html_page(doc)
    render(doc, "xlsx")
    assert json.dumps(doc, sort_keys=True) == before
