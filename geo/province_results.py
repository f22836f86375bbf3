"""The province's check results of submitted 变更调查 图斑 (CSV or XLSX), read and validated."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass

import pandas as pd

from geo import archive
from geo.errors import InvalidValue, UnreadableFile

# What the province writes in 结果, and the workflow action each one means.
RESULTS = {
    "通过": "pass",
    "pass": "pass",
    "passed": "pass",
    "退回": "return",
    "return": "return",
    "returned": "return",
    "不通过": "return",
}
REQUIRED_COLUMNS = ("图斑编号", "结果")
# Optional column: whether the county's 地类 was judged right.
LAND_CLASS_COLUMNS = ("地类正确", "地类是否正确", "地类核查")
MAX_BYTES = 20 << 20


@dataclass(frozen=True)
class ProvinceResult:
    """One row of the results file: ``action`` is None when 结果 is not a known verdict, and
    ``problem`` then says why (the row is reported, not applied)."""

    row: int  # 1 for the first row under the header
    code: str
    action: str | None
    payload: dict[str, str | None]
    problem: str | None = None


def _decode(raw: bytes) -> str:
    """UTF-8 (with or without BOM) when the bytes are valid UTF-8, else GBK."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("gbk")


def _check_workbook(raw: bytes, name: str) -> None:
    try:
        archive.member_names(raw, name)
    except UnreadableFile as exc:
        raise InvalidValue(f"无法读取省级核查结果：{exc.message}", file=name) from None


def read_table(raw: bytes, name: str) -> pd.DataFrame:
    """The file's rows as text, header cleaned; InvalidValue naming the file or missing column."""
    try:
        if name.lower().endswith(".xlsx"):
            # openpyxl inflates the sheets in memory, trusting the zip's directory: check it first.
            _check_workbook(raw, name)
            df = pd.read_excel(io.BytesIO(raw), dtype=str, keep_default_na=False)
        else:
            df = pd.read_csv(io.StringIO(_decode(raw)), dtype=str, keep_default_na=False)
    except (ValueError, UnicodeDecodeError, zipfile.BadZipFile) as exc:
        raise InvalidValue(f"无法读取省级核查结果：{exc}", file=name) from None
    df.columns = [str(c).replace("\ufeff", "").strip() for c in df.columns]
    for col in REQUIRED_COLUMNS:
        if col not in df.columns:
            raise InvalidValue(f"缺少列 {col}", file=name, field=col, columns=list(df.columns))
    return df


def parse_results(raw: bytes, name: str) -> list[ProvinceResult]:
    """Every row of a results file, in order, with its action and payload (or its problem)."""
    out = []
    for i, r in enumerate(read_table(raw, name).to_dict("records"), start=1):
        code, verdict = str(r["图斑编号"]).strip(), str(r["结果"]).strip()
        action = RESULTS.get(verdict.lower())
        if action is None:
            out.append(ProvinceResult(i, code, None, {}, f"结果应为 通过/退回：{r['结果']}"))
            continue
        payload: dict[str, str | None] = {}
        if action == "return":
            payload["reason"] = str(r.get("原因") or "").strip() or None
        land_ok = next((str(r[c]).strip() for c in LAND_CLASS_COLUMNS if str(r.get(c) or "")), "")
        if land_ok:
            payload["land_class_ok"] = land_ok
        out.append(ProvinceResult(i, code, action, payload))
    return out
