"""What an import did, for the user: counts, CRS and encoding used, repaired and rejected rows."""

from __future__ import annotations

import html
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class RowNote:
    """Why one source record was repaired or rejected, by its record number and 图斑编号."""

    row: int  # 1-based record number in the source
    code: str | None
    reason: str


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
    imported: int = 0
    points: int = 0
    repaired: list[RowNote] = field(default_factory=list)
    rejected: list[RowNote] = field(default_factory=list)
    links: list[dict[str, Any]] = field(default_factory=list)
    outside: list[dict[str, Any]] = field(default_factory=list)
    hints: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    batch_id: int | None = None
    created: bool | None = None

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

        crs_how = {"file": "文件自带", "given": "用户指定", "guessed": "推断"}[self.crs_how]
        summary = [
            ("文件", self.file),
            ("格式", self.driver),
            ("图层", self.layer or "—"),
            ("属性编码", self.encoding),
            ("坐标系", f"{self.source_crs}（{crs_how}）"),
            ("坐标系说明", self.crs_reason or "—"),
            ("读取要素", self.read),
            ("新建图斑案件", self.imported),
            ("关联到已有图斑", len(self.links)),
            ("几何已修复", len(self.repaired)),
            ("拒绝导入", len(self.rejected)),
            ("超出辖区", len(self.outside)),
        ]
        rows = "".join(f"<tr><th>{e(k)}</th><td>{e(str(v))}</td></tr>" for k, v in summary)
        warn = "".join(f"<li>{e(w)}</li>" for w in self.warnings) or "<li>无</li>"
        notes = [("row", "行"), ("code", "图斑编号"), ("reason", "原因")]
        fields = [{"k": k, "v": v} for k, v in self.fields.items()]
        return f"""<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<title>导入报告 {e(self.file)}</title>
<style>body{{font-family:"Noto Sans CJK SC",sans-serif;margin:2em;color:#222}}
table{{border-collapse:collapse;margin:.5em 0 1.5em}}td,th{{border:1px solid #bbb;padding:.3em .6em;
text-align:left}}th{{background:#f0f3f7}}h2{{border-left:4px solid #1f4e79;padding-left:.4em}}
</style></head><body><h1>图斑导入报告</h1><table>{rows}</table>
<h2>提示</h2><ul>{warn}</ul>
<h2>字段识别</h2>{table(fields, [("k", "标准字段"), ("v", "源字段")])}
<h2>已修复的几何</h2>{table([asdict(r) for r in self.repaired], notes)}
<h2>拒绝导入的行</h2>{table([asdict(r) for r in self.rejected], notes)}
<h2>关联到已有图斑（不重复计数）</h2>{
            table(
                self.links,
                [
                    ("row", "行"),
                    ("code", "图斑编号"),
                    ("linked_code", "关联图斑"),
                    ("reason", "关联原因"),
                    ("iou", "重叠度 IoU"),
                ],
            )
        }
<h2>超出辖区的图斑</h2>{
            table(
                self.outside,
                [("row", "行"), ("code", "图斑编号"), ("outside_share", "辖区外面积占比")],
            )
        }
</body></html>"""
