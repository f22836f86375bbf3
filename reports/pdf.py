"""PDF report: the HTML page in print form (static SVG maps), laid out by WeasyPrint.

Chinese glyphs come from Debian's fonts-noto-cjk ("Noto Sans/Serif CJK SC"), found through
fontconfig. WeasyPrint is given a fetcher that refuses the network, so a PDF never depends on
what a remote server answers.
"""

from __future__ import annotations

from typing import Any

from reports.html import html_page


def pdf_from_html(page: str, **options: Any) -> bytes:
    """``page`` laid out as PDF by WeasyPrint, offline: only ``data:`` URIs are ever fetched, so
    nothing a value in the page could name (a URL, a file path) is loaded."""
    from PIL import ImageFile
    from weasyprint import HTML
    from weasyprint.urls import FatalURLFetchingError, URLFetcher

    # Importing or running WeasyPrint sets Pillow's process-wide LOAD_TRUNCATED_IMAGES; left on,
    # a server that has rendered one PDF would then accept truncated evidence photos.
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    fetcher = URLFetcher(allowed_protocols={"data"}, fail_on_errors=True)
    try:
        pdf = HTML(string=page, url_fetcher=fetcher).write_pdf(pdf_identifier=False, **options)
    except FatalURLFetchingError as exc:
        # A BaseException in WeasyPrint 70: left alone it would pass every `except Exception`
        # and take the server's worker down instead of failing one request.
        raise RuntimeError(f"PDF 不加载外部资源：{exc}") from exc
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = False
    assert pdf is not None
    return pdf


def render_pdf(doc: dict[str, Any]) -> bytes:
    """The report document as a PDF, rendered offline from its print HTML."""
    return pdf_from_html(html_page(doc, for_print=True), uncompressed_pdf=False)
