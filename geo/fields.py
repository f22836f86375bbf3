"""Recognised names of the fields 图斑 deliveries carry, in Chinese and pinyin-abbreviation forms.

A mapping file (YAML or JSON, ``{canonical or Chinese name: source column}``) covers what the
aliases do not; every other column is kept as a source attribute.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path

import yaml

from geo.errors import InvalidValue

# Canonical name -> accepted column names, compared case-insensitively. The first entry is the
# name users see in messages and reports.
FIELD_ALIASES: dict[str, tuple[str, ...]] = {
    "code": ("图斑编号", "TBBH", "监测图斑编号", "JCBH", "TBBM", "图斑编码", "TBYBH", "WPTBBH"),
    "xzqdm": ("行政区代码", "XZQDM", "XZQHDM", "行政区划代码", "XZQH", "XZDM", "县级行政区代码"),
    "before_date": ("前时相", "QSX", "QSXSJ", "前时相时间"),
    "after_date": ("后时相", "HSX", "HSXSJ", "后时相时间"),
    "change_type": ("变化类型", "BHLX", "图斑类型", "TBLX", "JCLX"),
    "land_class_before": ("前时相地类", "QSXDL", "QDLBM"),
    "land_class_after": ("后时相地类", "HSXDL", "HDLBM", "地类编码", "DLBM"),
    "declared_area": ("面积", "MJ", "JCMJ", "监测面积", "TBMJ", "图斑面积"),
}

REQUIRED = ("code", "xzqdm")
# The longest key the store keeps (its VARCHAR columns); a longer one is refused at import
# rather than cut, since a cut code could join another 图斑's case.
MAX_LENGTH = {"code": 100, "xzqdm": 32}


def display_name(canonical: str) -> str:
    """The field as the report names it: its first alias with two more in brackets."""
    aliases = FIELD_ALIASES[canonical]
    return f"{aliases[0]} ({'/'.join(aliases[1:3])})"


def canonical_key(key: str) -> str | None:
    """The canonical field a source column name stands for, or None when none matches."""
    k = key.strip().casefold()
    for canonical, aliases in FIELD_ALIASES.items():
        if k == canonical or k in {a.casefold() for a in aliases}:
            return canonical
    return None


def field_map_from(raw: object, *, source: str) -> dict[str, str]:
    """``{canonical: source column}`` from a parsed mapping ({"图斑编号": "编号", ...})."""
    if not isinstance(raw, Mapping):
        raise InvalidValue("字段映射应为“字段名: 源字段”的映射", file=source, field="field_map")
    out = {}
    for key, col in raw.items():
        canonical = canonical_key(str(key))
        if canonical is None:
            known = "、".join(a[0] for a in FIELD_ALIASES.values())
            raise InvalidValue(
                f"字段映射中的字段 {key} 无法识别（可用：{known}）",
                file=source,
                field="field_map",
                key=str(key),
            )
        if not isinstance(col, str | int) or isinstance(col, bool):
            # A list or mapping here (YAML aliases can nest them deeply) names no column.
            raise InvalidValue(
                f"字段映射中 {key} 的源字段应为一个字段名",
                file=source,
                field="field_map",
                key=str(key),
            )
        out[canonical] = str(col)
    return out


def parse_field_map(text: str, *, source: str) -> dict[str, str]:
    """A mapping typed into a form: a JSON object, or lines of ``标准字段: 源字段`` as in a
    mapping file."""
    try:
        raw = json.loads(text)
    except ValueError:
        try:
            raw = yaml.safe_load(text)
        except yaml.YAMLError:
            raw = None
    if not isinstance(raw, Mapping):
        raise InvalidValue(
            "字段映射应为每行一个“标准字段: 源字段”（如 图斑编号: 编号），或 JSON 对象",
            file=source,
            field="field_map",
        )
    return field_map_from(raw, source=source)


def load_field_map(path: str | Path) -> dict[str, str]:
    """Read a mapping file (YAML or JSON) into ``{canonical: source column}``."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
        raw = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except (OSError, ValueError, yaml.YAMLError) as exc:
        raise InvalidValue(f"无法读取字段映射文件：{exc}", file=path.name) from None
    return field_map_from(raw, source=path.name)


def resolve_fields(
    columns: Iterable[str],
    field_map: Mapping[str, str] | None = None,
    extra_aliases: Mapping[str, tuple[str, ...]] | None = None,
) -> dict[str, str]:
    """``{canonical: column}`` for each canonical field found among ``columns``.

    An explicit mapping wins over aliases; a mapping naming a column that does not exist is an
    error rather than a silent fallback.
    """
    cols = [str(c) for c in columns]
    folded = {c.strip().casefold(): c for c in cols}
    found: dict[str, str] = {}
    for canonical, col in (field_map or {}).items():
        if col.strip().casefold() not in folded:
            raise InvalidValue(f"字段映射指定的源字段 {col} 不存在", field=col, columns=cols)
        found[canonical] = folded[col.strip().casefold()]
    for canonical, aliases in FIELD_ALIASES.items():
        if canonical in found:
            continue
        names = aliases + tuple((extra_aliases or {}).get(canonical, ()))
        for a in names:
            match = folded.get(a.casefold())
            if match is not None and match not in found.values():
                found[canonical] = match
                break
    return found
