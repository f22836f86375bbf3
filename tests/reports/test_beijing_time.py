"""Every report format shows instants in Beijing time ("2019-08-03 14:05"), never the raw UTC
ISO string the engine stores (geo.localtime.beijing_text)."""

from __future__ import annotations

import io
import re

import pytest
from docx import Document
from openpyxl import load_workbook
from pypdf import PdfReader

from reports import render
from reports.document import banner, when
from tests.reports.docs import frozen_doc, live_doc

COMPUTED_UTC = "2019-12-31T17:05:09+00:00"  # 2020-01-01 01:05 in Beijing: the day turns too
TAKEN_UTC = "2019-10-08T02:30:00Z"


def _utc_docs() -> dict[str, dict]:
    live = live_doc()
    live["computed_at"] = COMPUTED_UTC
    frozen = frozen_doc()
    frozen["snapshot"]["taken_at"] = TAKEN_UTC
    return {"live": live, "frozen": frozen}


def _text(fmt: str, data: bytes) -> str:
    if fmt == "html":
        return data.decode("utf-8")
    if fmt == "docx":
        d = Document(io.BytesIO(data))
        return "\n".join(p.text for p in d.paragraphs)
    if fmt == "xlsx":
        wb = load_workbook(io.BytesIO(data))
        return "\n".join(
            str(c.value) for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value
        )
    reader = PdfReader(io.BytesIO(data))
    return "".join(page.extract_text() for page in reader.pages)


def test_when_converts_to_beijing_time() -> None:
    assert when(COMPUTED_UTC) == "2020-01-01 01:05"
    assert when(TAKEN_UTC) == "2019-10-08 10:30"
    assert when("2019-10-08T10:30:00+08:00") == "2019-10-08 10:30"
    assert when(None) == "" and when("") == ""
    assert banner(_utc_docs()["live"]).endswith("计算于 2020-01-01 01:05")


@pytest.mark.parametrize("fmt", ["html", "docx", "xlsx", "pdf"])
def test_each_format_shows_beijing_time(fmt: str) -> None:
    for name, doc in _utc_docs().items():
        text = _text(fmt, render(doc, fmt))
        shown = "2020-01-01 01:05" if name == "live" else "2019-10-08 10:30"
        if fmt == "pdf":  # table cells and lines wrap anywhere in extracted PDF text
            text, shown = re.sub(r"\s+", "", text), shown.replace(" ", "")
        assert shown in text, (fmt, name)
        assert not re.search(r"\d{4}-\d\d-\d\dT\d\d:\d\d", text), (fmt, name)
