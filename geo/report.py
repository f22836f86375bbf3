"""What an import did, for the user: counts, CRS and encoding used, repaired and rejected rows."""

from __future__ import annotations

import heapq
import html
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from itertools import chain
from typing import Any, TypeVar

import numpy as np

# Entries each of the report's row lists keeps: the lowest rows (file order), whatever order
# they were found in. The totals are counted apart; a 10-million-图斑 import grew its lists to
# gigabytes, and a clerk reads the first rows to see what is wrong with the file anyway.
REPORT_ROWS = 1000
ROW_LISTS = ("repaired", "rejected", "links", "outside", "crs_outliers")

T = TypeVar("T")
# The links' reasons (stored as codes, the API's values) as the printed report says them.
LINK_REASONS = {
    "in_file_same_code": "同一文件内编号重复",
    "in_file_overlap": "同一文件内图形重叠",
    "reissue_same_code": "重复下发（编号相同）",
    "reissue_overlap": "重复下发（图形重叠）",
    "site_same_code": "其他项目的同一地块（编号相同）",
    "site_overlap": "其他项目的同一地块（图形重叠）",
    "site_patrol": "动态巡查案件的同一地块（点位或范围）",
}
# How the source CRS was decided (``ImportReport.crs_how``), as the report and the CLI say it.
CRS_HOW_LABELS = {"file": "文件自带", "given": "用户指定", "guessed": "推断"}


@dataclass
class RowNote:
    """Why one source record was repaired or rejected, by its record number and 图斑编号."""

    row: int  # 1-based record number in the source
    code: str | None
    reason: str


def _row(entry: RowNote | Mapping[str, Any]) -> int:
    return entry.row if isinstance(entry, RowNote) else int(entry["row"])


def lowest(rows: Iterable[int]) -> list[int]:
    """The ``REPORT_ROWS`` lowest of ``rows``, ascending: the only ones worth turning into
    report entries."""
    return heapq.nsmallest(REPORT_ROWS, rows)


def lowest_by(items: Iterable[T], row: Callable[[T], int]) -> list[T]:
    """The ``REPORT_ROWS`` items of lowest ``row(item)``, in that order."""
    return heapq.nsmallest(REPORT_ROWS, items, key=row)


def lowest_at(rows: np.ndarray) -> np.ndarray:
    """Where in ``rows`` its ``REPORT_ROWS`` lowest values are, lowest first."""
    return np.argsort(rows, kind="stable")[:REPORT_ROWS]


@dataclass
class ImportReport:
    """Everything an import tells its user; stored with the batch, shown as JSON or HTML."""

    file: str
    driver: str = ""
    layer: str | None = None
    encoding: str = ""
    source_crs: str = ""
    crs_how: str = "file"  # file | given | guessed
    crs_reason: str = ""
    swap_xy: bool = False
    fields: dict[str, str] = field(default_factory=dict)
    attributes_kept: list[str] = field(default_factory=list)
    read: int = 0
    imported: int = 0  # the batch's 图斑: its new cases and those it re-issued
    reissued: int = 0  # of imported, those that joined an earlier batch's case
    points: int = 0
    repaired: list[RowNote] = field(default_factory=list)
    rejected: list[RowNote] = field(default_factory=list)
    links: list[dict[str, Any]] = field(default_factory=list)
    outside: list[dict[str, Any]] = field(default_factory=list)
    # Kept rows that the guessed CRS puts beyond the county (with --accept-partial they are
    # refused instead, and listed among ``rejected``).
    crs_outliers: list[dict[str, Any]] = field(default_factory=list)
    # Exact totals of the five lists above, which keep at most REPORT_ROWS entries each.
    repaired_count: int = 0
    rejected_count: int = 0
    links_count: int = 0
    outside_count: int = 0
    crs_outliers_count: int = 0
    link_reasons: dict[str, int] = field(default_factory=dict)  # links_count by reason
    hints: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    batch_id: int | None = None
    created: bool | None = None

    def add_rows(self, kind: str, entries: Iterable[Any], total: int | None = None) -> None:
        """Count ``total`` more entries of list ``kind`` (default: as many as ``entries``) and
        keep the REPORT_ROWS lowest rows of the list and ``entries``, in row order.

        ``entries`` may be fewer than ``total`` (already trimmed, e.g. a chunk's report) but
        must include the lowest rows of what they stand for, so that any split of a file into
        chunks keeps the same entries.
        """
        entries = list(entries)
        kept = heapq.nsmallest(REPORT_ROWS, chain(getattr(self, kind), entries), key=_row)
        setattr(self, kind, kept)
        added = len(entries) if total is None else total
        setattr(self, f"{kind}_count", getattr(self, f"{kind}_count") + added)

    def add_links(self, entries: Iterable[dict[str, Any]], reasons: Mapping[str, int]) -> None:
        """Links (``entries``: the lowest rows of them) counted by reason in ``reasons``."""
        self.add_rows("links", entries, sum(reasons.values()))
        for reason, count in reasons.items():
            self.link_reasons[reason] = self.link_reasons.get(reason, 0) + count

    def merge_rows(self, part: ImportReport) -> None:
        """``part``'s row lists and totals (a chunk of the same file) into this report's."""
        for kind in ROW_LISTS:
            self.add_rows(kind, getattr(part, kind), getattr(part, f"{kind}_count"))
        for reason, count in part.link_reasons.items():
            self.link_reasons[reason] = self.link_reasons.get(reason, 0) + count

    def shown(self, kind: str) -> str:
        """How much of list ``kind`` is shown, when not all of it: for a heading."""
        listed, total = len(getattr(self, kind)), getattr(self, f"{kind}_count")
        return f"仅列出前 {listed} 条，共 {total} 条" if total > listed else ""

    def to_dict(self) -> dict[str, Any]:
        """The report as a JSON-able dict (what the batch row stores)."""
        # Shallow on purpose: asdict deep-copies every link dict, seconds at 100k links.
        d = {f: getattr(self, f) for f in self.__dataclass_fields__}
        d["repaired"] = [asdict(r) for r in self.repaired]
        d["rejected"] = [asdict(r) for r in self.rejected]
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ImportReport:
        """A report back from ``to_dict``'s output; keys it does not know are dropped."""
        d = dict(d)
        for kind in ROW_LISTS:
            # Reports stored before the lists were capped: every entry is listed.
            d.setdefault(f"{kind}_count", len(d.get(kind) or []))
        if "link_reasons" not in d:
            d["link_reasons"] = dict(Counter(str(k.get("reason")) for k in d.get("links") or []))
        d["repaired"] = [RowNote(**r) for r in d.get("repaired", [])]
        d["rejected"] = [RowNote(**r) for r in d.get("rejected", [])]
        return cls(**{k: v for k, v in d.items() if k in cls.__dataclass_fields__})

    def to_html(self) -> str:
        """A self-contained page (no external assets) a clerk can open or print."""
        e = html.escape

        def table(rows: list[dict[str, Any]], cols: list[tuple[str, str]]) -> str:
            if not rows:
                return "<p>无</p>"
            head = "".join(f"<th>{e(label)}</th>" for _, label in cols)
            body = "".join(
                "<tr>"
                + "".join(
                    f"<td>{e(str(r.get(k, '') if r.get(k) is not None else ''))}</td>"
                    for k, _ in cols
                )
                + "</tr>"
                for r in rows
            )
            return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"

        crs_how = CRS_HOW_LABELS[self.crs_how]
        summary = [
            ("文件", self.file),
            ("格式", self.driver),
            ("图层", self.layer or "—"),
            ("属性编码", self.encoding),
            ("坐标系", f"{self.source_crs}（{crs_how}）"),
            ("坐标系说明", self.crs_reason or "—"),
            ("读取要素", self.read),
            ("导入图斑", self.imported),
            ("其中重复下发（并入已有案件）", self.reissued),
            ("新建图斑案件", self.imported - self.reissued),
            ("关联到已有图斑", self.links_count),
            ("几何已修复", self.repaired_count),
            ("拒绝导入", self.rejected_count),
            ("超出辖区", self.outside_count),
            ("按推断坐标系落在辖区外", self.crs_outliers_count),
        ]
        rows = "".join(f"<tr><th>{e(k)}</th><td>{e(str(v))}</td></tr>" for k, v in summary)
        warn = "".join(f"<li>{e(w)}</li>" for w in self.warnings) or "<li>无</li>"
        notes = [("row", "行"), ("code", "图斑编号"), ("reason", "原因")]
        fields = [{"k": k, "v": v} for k, v in self.fields.items()]

        links = [
            {**k, "reason": LINK_REASONS.get(str(k.get("reason")), k.get("reason"))}
            for k in self.links
        ]
        link_cols = [("row", "行"), ("code", "图斑编号"), ("linked_code", "关联图斑")]
        link_cols += [("reason", "关联原因"), ("iou", "重叠度 IoU")]

        def heading(title: str, kind: str) -> str:
            note = self.shown(kind)
            return f"<h2>{e(title)}</h2>" + (f"<p>{e(note)}</p>" if note else "")

        return f"""<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<title>导入报告 {e(self.file)}</title>
<style>body{{font-family:"Noto Sans CJK SC",sans-serif;margin:2em;color:#222}}
table{{border-collapse:collapse;margin:.5em 0 1.5em}}td,th{{border:1px solid #bbb;padding:.3em .6em;
text-align:left}}th{{background:#f0f3f7}}h2{{border-left:4px solid #1f4e79;padding-left:.4em}}
</style></head><body><h1>图斑导入报告</h1><table>{rows}</table>
<h2>提示</h2><ul>{warn}</ul>
<h2>字段识别</h2>{table(fields, [("k", "标准字段"), ("v", "源字段")])}
{heading("已修复的几何", "repaired")}{table([asdict(r) for r in self.repaired], notes)}
{heading("拒绝导入的行", "rejected")}{table([asdict(r) for r in self.rejected], notes)}
{heading("关联到已有图斑（不重复计数）", "links")}{table(links, link_cols)}
{heading("超出辖区的图斑", "outside")}{
            table(
                self.outside,
                [("row", "行"), ("code", "图斑编号"), ("outside_share", "辖区外面积占比")],
            )
        }
{heading("按推断坐标系落在辖区外的图斑（已导入，请核对坐标）", "crs_outliers")}{
            table(
                self.crs_outliers,
                [("row", "行"), ("code", "图斑编号"), ("lon", "经度"), ("lat", "纬度")],
            )
        }
</body></html>"""
