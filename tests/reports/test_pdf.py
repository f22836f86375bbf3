"""The PDF, text extracted with pypdf: Chinese indicator names prove the CJK fonts are mapped."""

from __future__ import annotations

import io
import re

import pytest
from pypdf import PdfReader

from tests.reports.conftest import indicator_names


@pytest.fixture(scope="module")
def pdf(rendered):
    def read(name: str) -> tuple[PdfReader, str]:
        reader = PdfReader(io.BytesIO(rendered(name, "pdf")))
        text = "".join(page.extract_text() for page in reader.pages)
        return reader, re.sub(r"\s+", "", text)  # table cells wrap lines anywhere

    return read


def squash(s: str) -> str:
    return re.sub(r"\s+", "", s)


def test_every_indicator_name_is_extractable(pdf, docs):
    reader, text = pdf("live")
    assert len(reader.pages) >= 4  # cover + one page or more per project
    for name in indicator_names(docs["live"]):
        assert squash(name) in text
    assert squash("按期核查率 92.5%（按期核查 37 / 40）") in text
    assert "矿山卫片执法绩效自评表" in text and "资金支出计划与执行" in text


def test_fonts_are_embedded_noto_cjk(pdf):
    reader, _ = pdf("live")
    fonts = set()
    for page in reader.pages:
        for font in (page["/Resources"].get("/Font") or {}).values():
            fonts.add(str(font.get_object()["/BaseFont"]))
    assert any("Noto-Sans-CJK-SC" in f for f in fonts), fonts  # subset, embedded
    assert any("Noto-Serif-CJK-SC" in f for f in fonts), fonts  # headings


def test_banner_on_every_page_and_differences(pdf):
    reader, text = pdf("frozen")
    for page in reader.pages:
        assert "冻结快照「2019年第三季度」" in squash(page.extract_text())
    assert squash("冻结快照与实时数据的差异") in text
    assert squash("90.0%（已立案 9 / 10）") in text
    _, live = pdf("live")
    assert "实时数据：数值截至2019-12-31" in live and "冻结快照" not in live


def test_static_map_replaces_leaflet(pdf):
    _, text = pdf("live")
    assert "违法图斑分布与逾期图斑（静态图）" in text
    assert "火石营镇6" in text  # township label drawn by the SVG map


def test_targets_pdf_has_the_seed_columns(pdf):
    _, text = pdf("targets")
    assert "指标值确定依据" in text and "矿山卫片执法绩效目标表" in text
    assert "实际完成值" not in text



def test_rendering_a_pdf_leaves_truncated_photos_refused(rendered):
    """WeasyPrint switches Pillow to accept truncated images when imported; evidence photos
    must still be refused after a report was rendered in the same process."""
    from PIL import ImageFile

    from geo import testing as pf
    from geo.photos import PhotoRejected, inspect_photo

    rendered("live", "pdf")
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False
    ImageFile.LOAD_TRUNCATED_IMAGES = True  # as if another library had switched it on
    whole = pf.jpeg(size=(400, 300), noise=True)
    with pytest.raises(PhotoRejected):
        inspect_photo(whole[: len(whole) * 2 // 3], "cut.jpg")
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False


def test_the_renderer_fetches_data_uris_and_nothing_else(tmp_path):
    """A page that names a file or a URL fails to render instead of loading it; a data: image
    (how the dossier embeds its thumbnails) is embedded."""
    from reports.pdf import pdf_from_html

    dot = (
        "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQ"
        "DwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
    )
    assert PdfReader(io.BytesIO(pdf_from_html(f'<p>图</p><img src="{dot}">'))).pages
    secret = tmp_path / "secret.png"
    secret.write_bytes(b"not for the pdf")
    for url in (secret.as_uri(), "http://127.0.0.1:9/x.png"):
        with pytest.raises(RuntimeError, match="不加载外部资源"):
            pdf_from_html(f'<img src="{url}">')
