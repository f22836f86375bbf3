"""PDF report: the HTML page in print form (static SVG maps), laid out by WeasyPrint.

Chinese glyphs come from Debian's fonts-noto-cjk ("Noto Sans/Serif CJK SC"), found through
fontconfig. WeasyPrint is given a fetcher that refuses the network, so a PDF never depends on
what a remote server answers.
"""

from __future__ import annotations

from typing import Any

from reports.html import html_page


def _offline_fetcher(url: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
    from weasyprint.urls import default_url_fetcher

    if url.startswith("data:"):
        return default_url_fetcher(url, *args, **kwargs)
    raise ValueError(f"PDF 报告不加载外部资源：{url}")


def render_pdf(doc: dict[str, Any]) -> bytes:
    from weasyprint import HTML

    page = html_page(doc, for_print=True)
    pdf = HTML(string=page, url_fetcher=_offline_fetcher).write_pdf(
        pdf_identifier=False, uncompressed_pdf=False
    )
    assert pdf is not None
    return pdf
