"""Values an attacker can put in a province file, a form or a photo, and how to spot them
when they come out unescaped."""

from __future__ import annotations

import re

# One per output context: HTML text, an attribute break-out, a JS template literal, and the
# spreadsheet formula prefixes (=, +, -, @, and a tab or CR in front of one).
HTML = "<img src=x onerror=alert(1)>"
BREAKOUT = '"><script>alert(2)</script>'
TEMPLATE = "`${alert(3)}`"
HYPERLINK = '=HYPERLINK("http://x","y")'
FORMULAS = (HYPERLINK, "=1+1", "@SUM(A1)", "+1+1", "-1+1", "\t=1+1", "\r=1+1")
ALL = (HTML, BREAKOUT, TEMPLATE, *FORMULAS)

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
