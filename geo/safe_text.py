"""Text from province files and forms made safe for the office formats.

XML 1.0 (XLSX and DOCX are zipped XML) cannot hold most C0 control characters, U+FFFE/U+FFFF
or lone surrogates: python-docx and openpyxl refuse them, so one such character in a note
would fail the whole report. A spreadsheet also reads a cell that starts with = + - @ (after
tabs or line breaks, which Excel skips) as a formula: ``=HYPERLINK(...)`` in a note would
become a live link or worse, so such text is marked as text, never as a formula.
"""

from __future__ import annotations

import re

_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
FORMULA_START = ("=", "+", "-", "@")


def xml_text(text: str) -> str:
    """``text`` without the characters XML 1.0 cannot hold (tab and line breaks stay).

    >>> xml_text("a\\x00b\\x0bc\\td\\ufffe")
    'abc\\td'
    """
    return _NOT_XML.sub("", text)


def looks_like_formula(text: str) -> bool:
    """Whether a spreadsheet would take ``text`` for a formula.

    >>> looks_like_formula("=1+1"), looks_like_formula("\\t@SUM(A1)"), looks_like_formula("1+1")
    (True, True, False)
    """
    return text.lstrip("\t\r\n ").startswith(FORMULA_START)
