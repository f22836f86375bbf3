"""Recognised names of the fields every 图斑 delivery carries, in Chinese and pinyin forms."""

from __future__ import annotations

from collections.abc import Iterable

# Canonical name -> accepted column names (compared case-insensitively). The first entry is
# what error messages show users.
FIELD_ALIASES: dict[str, tuple[str, ...]] = {
    "code": ("图斑编号", "TBBH", "监测图斑编号", "JCBH", "TBBM", "图斑编码"),
    "xzqdm": ("行政区代码", "XZQDM", "XZQHDM", "行政区划代码", "XZQH"),
}

REQUIRED = ("code", "xzqdm")


def find_column(columns: Iterable[str], canonical: str) -> str | None:
    """The column of ``columns`` that holds ``canonical``, or None."""
    wanted = {a.casefold() for a in FIELD_ALIASES[canonical]}
    for col in columns:
        if str(col).strip().casefold() in wanted:
            return col
    return None


def display_name(canonical: str) -> str:
    aliases = FIELD_ALIASES[canonical]
    return f"{aliases[0]} ({'/'.join(aliases[1:3])})"
