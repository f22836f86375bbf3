"""The rules every value from a form, file or URL must pass: text, money, dates, integers.

One home for the bounds: ``geo.workflow.payloads`` parses action payloads with them, the API
guards every request string with ``check_text``, and ``GET /api/meta`` publishes ``LIMITS`` so the
web map checks the same numbers before sending. Each checker raises ``ValueError`` with a zh-CN
message saying what is wrong; callers add where (the field).
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from geo.localtime import LOCAL_TZ
from geo.messages import BadValue, msg

# Lengths in characters after NFC normalisation.
MAX_NOTE = 2000  # free text: notes, reasons
MAX_NAME = 100  # one line: names, numbers of cases, decisions, receipts (VARCHAR(100))
MAX_MONEY_YUAN = Decimal(10) ** 10  # 一百亿元: above any fine a county decides
FEN = Decimal("0.01")
EARLIEST_DATE = date(2000, 1, 1)  # no 图斑 or enforcement in Tuban's scope predates this
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
MAX_COUNT = 2**31 - 1  # ids and counts: the INTEGER columns' range

LIMITS: dict[str, Any] = {
    "max_note": MAX_NOTE,
    "max_name": MAX_NAME,
    "max_money_yuan": int(MAX_MONEY_YUAN),
    "earliest_date": EARLIEST_DATE.isoformat(),
    "max_count": MAX_COUNT,
}

_SURROGATE = re.compile("[\ud800-\udfff]")
# Bidirectional embeddings/overrides (U+202A–202E) and isolates (U+2066–2069) reorder what a
# reader sees ("RLO" makes "gpj.exe" look like "exe.jpg"); no field of a bureau needs them.
_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")


# What ``text_problem`` refuses in free text, as one character class usable by pandas' regex
# engines too: control characters but tab and line ends, and the bidi controls above.
UNSAFE_CHARS = "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]"
_UNSAFE = re.compile(UNSAFE_CHARS + "|[\ud800-\udfff]")


def _control_chars(s: str, *, multiline: bool) -> list[str]:
    # A carriage return comes with Windows line ends (\r\n), which clean_text turns into \n.
    allowed = {"\n", "\r", "\t"} if multiline else set()
    return [ch for ch in s if unicodedata.category(ch) == "Cc" and ch not in allowed]


def text_problem(s: str, *, max_len: int = MAX_NOTE, multiline: bool = True) -> str | None:
    """Why ``s`` may not be stored as text (zh-CN), or None when it may.

    >>> text_problem("abc\\x00")
    '含有不允许的控制字符 U+0000'
    >>> text_problem("张三") is None
    True
    """
    if _SURROGATE.search(s):
        return "含有无效的 Unicode 字符（孤立代理项）"
    if "\x00" in s:
        return "含有不允许的控制字符 U+0000"
    if m := _BIDI.search(s):
        return f"含有不允许的文字方向控制字符 U+{ord(m.group()):04X}"
    bad = _control_chars(s, multiline=multiline)
    if bad:
        return f"含有不允许的控制字符 U+{ord(bad[0]):04X}"
    if len(s) > max_len:
        return f"过长：{len(s)} 个字符，最多 {max_len} 个"
    return None


def clean_text(v: Any, *, max_len: int = MAX_NOTE, multiline: bool = True) -> str:
    """``v`` as stored text: NFC-normalised, trimmed, line ends as ``\\n``, not empty, within
    ``max_len``, free of NUL, lone surrogates, bidi overrides and control characters (``\\n`` and
    ``\\t`` allowed only when ``multiline``). Raises ``ValueError``.

    >>> clean_text("  Cafe\\u0301 ")
    'Café'
    """
    if isinstance(v, bool) or not isinstance(v, str | int):
        raise BadValue(msg("value.text_expected", got=type(v).__name__))
    s = str(v)
    if _SURROGATE.search(s):  # NFC would choke on them; say so first
        raise ValueError("含有无效的 Unicode 字符（孤立代理项）")
    s = unicodedata.normalize("NFC", s.replace("\r\n", "\n")).strip()
    if not s:
        raise BadValue(msg("value.empty"))
    problem = text_problem(s, max_len=max_len, multiline=multiline)
    if problem:
        raise ValueError(problem)
    return s


def scrub_text(s: str) -> str:
    """``s`` with every character ``text_problem`` refuses in free text removed (NUL and other
    control characters but tab and line ends, bidi controls, lone surrogates), in NFC.

    For text that arrives in bulk and cannot be sent back for an invisible character, such as
    a province file's attributes; what a person types is refused instead (``clean_text``).

    >>> scrub_text("gpj\\u202e.exe"), scrub_text("Cafe\\u0301")
    ('gpj.exe', 'Café')
    """
    return unicodedata.normalize("NFC", _UNSAFE.sub("", s))


def file_name(name: str, *, max_bytes: int = 200) -> str:
    """A file's name as Tuban stores and shows it (an upload's name comes from the client):
    ``scrub_text``-ed, trimmed, and at most ``max_bytes`` of UTF-8, cut in the stem so the
    suffix that says what the file is survives (a file system takes 255 bytes).

    >>> file_name("报告\u202egpj.exe.gpkg"), file_name("长" * 100 + ".gpkg", max_bytes=20)
    ('报告gpj.exe.gpkg', '长长长长….gpkg')
    """
    s = scrub_text(name).strip()
    if len(s.encode()) <= max_bytes:
        return s
    stem, dot, suffix = s.rpartition(".")
    if not dot or len(suffix.encode()) > max_bytes // 4:
        stem, suffix = s, ""
    budget = max_bytes - len("…".encode()) - len(suffix.encode()) - len(dot)
    return stem.encode()[:budget].decode("utf-8", "ignore") + "…" + dot + suffix


# The folders of an absolute POSIX path inside a message (not of a URL): a library's error
# about an upload or an unpacked archive names the server's temporary folder.
_ABSOLUTE_DIRS = re.compile(r"(?<![\w.~:/])/(?:[^\s'\"/]+/)+")


def without_folders(message: str) -> str:
    """``message`` with every absolute path cut to its file name, so an error shown to a user
    never reveals where the server keeps its files.

    >>> without_folders("Unable to open /tmp/tuban-zip-x1/2019/a.shx or /tmp/t/a.SHX.")
    'Unable to open a.shx or a.SHX.'
    """
    return _ABSOLUTE_DIRS.sub("", message)


def clean_name(v: Any) -> str:
    """One-line text (a name, a number of a case, decision, receipt or permit): ``clean_text``
    with no control characters at all and at most ``MAX_NAME`` characters."""
    return clean_text(v, max_len=MAX_NAME, multiline=False)


def money(v: Any) -> Decimal:
    """An amount of money in 元 as an exact Decimal of whole 分: finite, 0 ≤ x ≤ 10^10, at most
    two decimals (1.005 is refused, not rounded). Raises ``ValueError``.

    >>> money("1234.5"), money(3)
    (Decimal('1234.50'), Decimal('3.00'))
    """
    if isinstance(v, bool) or not isinstance(v, str | int | float | Decimal):
        raise BadValue(msg("value.money_expected", got=repr(v)))
    try:
        # str() of a float is its shortest round-trip form: 0.1 stays 0.1, not 0.1000000000000000055
        x = Decimal(v.strip() if isinstance(v, str) else str(v))
    except InvalidOperation:
        raise BadValue(msg("value.money_expected", got=repr(v))) from None
    if not x.is_finite():
        raise ValueError(f"金额应为有限的数字，收到 {v!r}")
    if x < 0:
        raise BadValue(msg("value.money_negative"))
    if x > MAX_MONEY_YUAN:
        raise BadValue(msg("value.money_too_large", maximum=MAX_MONEY_YUAN))
    fen = x.quantize(FEN, rounding=ROUND_HALF_UP)
    if fen != x:
        raise BadValue(msg("value.money_fen", got=v))
    return fen


def to_fen(yuan: Decimal | float | int | str) -> int:
    """Whole 分 of an amount in 元 (exact for any stored amount).

    >>> to_fen(0.1) + to_fen(0.2) == to_fen("0.3")
    True
    """
    return int((Decimal(str(yuan)) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def a_date(v: Any, *, today: date | None = None) -> date:
    """A real calendar date not before 2000-01-01 and, when ``today`` is given (the day a thing
    that already happened is recorded), not after it. Raises ``ValueError``.

    >>> a_date("2019-10-15")
    datetime.date(2019, 10, 15)
    """
    if isinstance(v, datetime):
        d = v.date()
    elif isinstance(v, date):
        d = v
    elif isinstance(v, str):
        try:
            d = date.fromisoformat(v.strip())
        except ValueError:
            raise BadValue(msg("value.date_expected", got=repr(v[:40]))) from None
    else:
        raise BadValue(msg("value.date_expected", got=repr(v)))
    if d < EARLIEST_DATE:
        raise BadValue(msg("value.date_too_early", day=d, earliest=EARLIEST_DATE))
    if today is not None and d > today:
        raise BadValue(msg("value.date_future", day=d, today=today))
    return d


def an_instant(v: Any) -> datetime:
    """A moment as ISO 8601 text (``2019-06-03T09:30+08:00``); without an offset it is the
    bureau's local time. Not before 2000-01-01. Raises ``ValueError``.

    >>> an_instant("2019-06-03T09:30").isoformat()
    '2019-06-03T09:30:00+08:00'
    """
    if isinstance(v, datetime):
        t = v
    elif isinstance(v, str) and len(v) <= 40:
        try:
            t = datetime.fromisoformat(v.strip())
        except ValueError:
            raise BadValue(msg("value.instant_expected", got=repr(v[:40]))) from None
    else:
        raise BadValue(msg("value.instant_expected", got=repr(str(v)[:40])))
    if t.tzinfo is None:
        t = t.replace(tzinfo=LOCAL_TZ)
    if t.date() < EARLIEST_DATE:
        raise BadValue(msg("value.date_too_early", day=t.date(), earliest=EARLIEST_DATE))
    return t


def bounded_int(v: Any, *, lo: int = 0, hi: int = MAX_COUNT) -> int:
    """An integer in ``lo..hi`` (a count or an id). Raises ``ValueError``.

    >>> bounded_int("7")
    7
    """
    if isinstance(v, bool) or (isinstance(v, float) and not v.is_integer()):
        raise BadValue(msg("value.int_expected", got=repr(v)))
    try:
        n = int(v.strip() if isinstance(v, str) and len(v) < 40 else v)
    except (TypeError, ValueError, OverflowError):
        raise BadValue(msg("value.int_expected", got=repr(str(v)[:40]))) from None
    if not lo <= n <= hi:
        raise BadValue(msg("value.int_range", lo=lo, hi=hi))
    return n
