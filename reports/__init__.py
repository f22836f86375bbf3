"""Report renderers: the report document (a plain dict) in, XLSX / HTML / PDF / DOCX bytes out.

Pure: no database, no clock, no web framework. See docs/reports.md for the document.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from reports.document import ReportDocError, prepare

FORMATS = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}

__all__ = ["FORMATS", "ReportDocError", "prepare", "render"]


def _renderer(fmt: str) -> Callable[[dict[str, Any]], bytes]:
    # Imported lazily: WeasyPrint loads Pango at import, python-docx and folium are heavy too.
    if fmt == "xlsx":
        from reports.xlsx import render_xlsx

        return render_xlsx
    if fmt == "html":
        from reports.html import render_html

        return render_html
    if fmt == "pdf":
        from reports.pdf import render_pdf

        return render_pdf
    if fmt == "docx":
        from reports.docx import render_docx

        return render_docx
    raise ReportDocError(f"不支持的报告格式 {fmt!r}，可选：{'、'.join(FORMATS)}", format=fmt)


def render(doc: dict[str, Any], fmt: str) -> bytes:
    """Render a report document as ``fmt`` (one of :data:`FORMATS`); raises ReportDocError."""
    renderer = _renderer(fmt)
    return renderer(prepare(doc))
