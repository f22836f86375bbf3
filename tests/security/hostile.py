"""Values an attacker can put in a province file, a form or a photo, and how to spot them
when they come out unescaped."""

from __future__ import annotations

import re
import struct
import zlib
from typing import Any

# One per output context: HTML text, an attribute break-out, a JS template literal, and the
# spreadsheet formula prefixes (=, +, -, @, and a tab or CR in front of one).
HTML = "<img src=x onerror=alert(1)>"
BREAKOUT = '"><script>alert(2)</script>'
TEMPLATE = "`${alert(3)}`"
HYPERLINK = '=HYPERLINK("http://x","y")'
FORMULAS = (HYPERLINK, "=1+1", "@SUM(A1)", "+1+1", "-1+1", "\t=1+1", "\r=1+1")
ALL = (HTML, BREAKOUT, TEMPLATE, *FORMULAS)
# Invisible characters a file can carry around a payload: a NUL inside a script tag (the store
# must lose the NUL, the page must escape the rest) and a bidi override disguising a file type.
NUL_SCRIPT = "a\x00<script>alert(4)</script>b"
BIDI = "gpj\u202e.exe"

# Polyglot photo parts: script after a JPEG's end marker, an SVG that runs script.
SCRIPT_TAIL = b"<html><script>alert(5)</script></html>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(6)"><script>alert(7)</script></svg>'

_RAW = re.compile(r"<img src=x onerror|<script>alert\(2\)")


def raw_markup(text: str) -> list[str]:
    """The payload fragments that appear in ``text`` as markup (unescaped HTML).

    TEMPLATE is harmless in HTML text; it only runs inside a script's template literal, so
    pages are checked for inline scripts (``inline_scripts``) instead."""
    return _RAW.findall(text)


def inline_scripts(text: str) -> list[str]:
    """Bodies of the <script> elements without src that a browser would run."""
    out = []
    for attrs, body in re.findall(r"<script\b([^>]*)>(.*?)</script>", text, re.S | re.I):
        if "src=" in attrs or re.search(r"type=[\"']?application/(?:ld\+)?json", attrs):
            continue
        out.append(body)
    return out


def png_with_text(png: bytes, text: str) -> bytes:
    """``png`` with a tEXt chunk (keyword "Comment") holding ``text``, before its IEND."""
    body = b"Comment\x00" + text.encode("latin-1", "replace")
    chunk = struct.pack(">I", len(body)) + b"tEXt" + body
    chunk += struct.pack(">I", zlib.crc32(b"tEXt" + body))
    end = png.rindex(b"IEND") - 4
    return png[:end] + chunk + png[end:]


def formula_cells(book: Any) -> list[tuple[str, str, Any]]:
    """Cells of an openpyxl workbook that a spreadsheet would run: stored formulas, or text
    starting like one (=, +, -, @, also after a tab or CR) without the quote prefix that keeps
    Excel and LibreOffice from turning it into a formula when edited."""
    bad = []
    for ws in book.worksheets:
        for row in ws.iter_rows():
            for c in row:
                if c.data_type == "f":
                    bad.append((ws.title, c.coordinate, c.value))
                elif (
                    isinstance(c.value, str)
                    and c.value.lstrip("\t\r").startswith(("=", "+", "-", "@"))
                    and not (c.data_type == "s" and c.quotePrefix)
                ):
                    bad.append((ws.title, c.coordinate, c.value))
    return bad
