"""The province's results file: CSV (UTF-8 or GBK) or XLSX rows to actions, clear errors."""

from __future__ import annotations

import io

import pandas as pd
import pytest

from geo.errors import InvalidValue
from geo.province_results import ProvinceResult, parse_results

CSV = "图斑编号,结果,原因,地类正确\nA1,通过,,是\nA2,退回,地类判定有误,\nA3,待定,,\n"


def test_rows_become_actions_with_their_payloads():
    rows = parse_results(CSV.encode("utf-8-sig"), "checks.csv")
    assert rows == [
        ProvinceResult(1, "A1", "pass", {"land_class_ok": "是"}),
        ProvinceResult(2, "A2", "return", {"reason": "地类判定有误"}),
        ProvinceResult(3, "A3", None, {}, "结果应为 通过/退回：待定"),
    ]


def test_gbk_and_xlsx_read_the_same():
    want = parse_results(CSV.encode("utf-8"), "a.csv")
    assert parse_results(CSV.encode("gbk"), "a.csv") == want
    buf = io.BytesIO()
    pd.read_csv(io.StringIO(CSV), dtype=str, keep_default_na=False).to_excel(buf, index=False)
    assert parse_results(buf.getvalue(), "a.XLSX") == want


def test_verdicts_in_english_and_a_blank_return_reason():
    text = "\ufeff图斑编号,结果\nB1, Passed \nB2,returned\n"
    rows = parse_results(text.encode(), "x.csv")
    assert [(r.code, r.action, r.payload) for r in rows] == [
        ("B1", "pass", {}),
        ("B2", "return", {"reason": None}),
    ]


def test_a_missing_column_names_the_file_and_the_field():
    with pytest.raises(InvalidValue) as exc:
        parse_results("图斑编号,原因\nA1,\n".encode(), "checks.csv")
    assert exc.value.details["file"] == "checks.csv" and exc.value.details["field"] == "结果"


def test_an_unreadable_file_is_refused_with_its_name():
    with pytest.raises(InvalidValue) as exc:
        parse_results(b"PK\x03\x04 not really a workbook", "checks.xlsx")
    assert exc.value.details["file"] == "checks.xlsx"
