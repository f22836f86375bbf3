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
    """The report document as a PDF, rendered offline from its print HTML by WeasyPrint."""
    from PIL import ImageFile
    from weasyprint import HTML

    # Importing WeasyPrint sets Pillow's process-wide LOAD_TRUNCATED_IMAGES; left on, a server
    # that has rendered one PDF would then accept truncated evidence photos. Our reports embed
    # no raster images, so Pillow's default is put back.
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    page = html_page(doc, for_print=True)
    pdf = HTML(string=page, url_fetcher=_offline_fetcher).write_pdf(
        pdf_identifier=False, uncompressed_pdf=False
    )
    assert pdf is not None
    return pdf
