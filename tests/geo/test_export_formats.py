"""The export model: formats by name, column names per format, the province's short names."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from geo.errors import InvalidValue
from geo.export_formats import (
    ADDED_FIELDS,
    added_values,
    choose_format,
    column_names,
    province_crs,
    safe_file_stem,
)
from geo.export_writer import attribute_kinds, cell_text


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("a.gpkg", "gpkg"),
        ("A.GeoJSON", "geojson"),
        ("a.json", "geojson"),
        ("a.fgb", "fgb"),
        ("a.kml", "kml"),
        ("a.gdb", "gdb"),
        ("a.csv", "csv"),
        ("a.xlsx", "xlsx"),
        ("a.zip", "province"),
    ],
)
def test_the_extension_names_the_format(name, key):
    assert choose_format(name).key == key


@pytest.mark.parametrize("name", ["a.shp", "a.dwg", "noextension", "a.gpkg.bak"])
def test_an_unknown_extension_is_refused_listing_every_format(name):
    with pytest.raises(InvalidValue) as err:
        choose_format(name)
    for ext in (".gpkg", ".geojson", ".fgb", ".kml", ".gdb", ".csv", ".xlsx", ".zip"):
        assert ext in err.value.message


def test_an_explicit_format_must_match_the_extension():
    assert choose_format("p.zip", "province").key == "province"
    with pytest.raises(InvalidValue, match=r"\.zip"):
        choose_format("p.gpkg", "province")
    with pytest.raises(InvalidValue, match="不支持的导出格式"):
        choose_format("p.gpkg", "dwg")


def test_general_names_keep_the_delivered_and_mark_a_clash():
    names = column_names(["BHLX", "乡镇名称", "备注"], province=False)
    assert names["code"] == "图斑编号" and names["attr:BHLX"] == "BHLX"
    assert names["attr:乡镇名称"] == "乡镇名称" and names["township_name"] == "乡镇名称_系统"
    assert len(set(names.values())) == len(names)


def test_province_names_fit_a_dbf_and_follow_the_map():
    delivered = [
        "前时相",
        "HSX",
        "JCMJ",
        "变化类型",
        "很长很长的中文字段名",
        "很长很长的中文字段",
        "HCJG",
        "tbbh",
    ]
    names = column_names(delivered, province=True)
    assert all(len(n.encode("gbk")) <= 10 for n in names.values())
    assert len({n.casefold() for n in names.values()}) == len(names)  # DBF ignores case
    assert names["code"] == "TBBH" and names["xzqdm"] == "XZQDM"
    assert names["attr:前时相"] == "QSX" and names["attr:JCMJ"] == "MJ"
    assert names["attr:变化类型"] == "BHLX" and names["judgment"] == "HCJG"
    assert names["attr:HCJG"] != "HCJG" and names["attr:tbbh"] != "TBBH"
    assert names["attr:很长很长的中文字段名"].startswith("很长很长")


def test_added_values_are_labels_local_days_and_numbers():
    row = {
        "code": "K1",
        "xzqdm": "130208",
        "state": "filed",
        "judgment": "illegal",
        "verify_reason": "unlicensed_mining",
        "verified_at": datetime(2019, 10, 15, 17, 0, tzinfo=UTC),  # 01:00 next day in Beijing
        "filed_on": date(2019, 10, 16),
        "fine_yuan": Decimal("12000.50"),
        "area_m2": 10.0,
    }
    v = added_values(row)
    assert v["state"] == "已立案" and v["judgment"] == "违法" and v["verify_reason"] == "无证开采"
    assert v["verified_at"] == "2019-10-16" and v["filed_on"] == "2019-10-16"
    assert v["fine_yuan"] == 12000.5 and v["closed_at"] is None
    assert {f.key for f in ADDED_FIELDS} <= set(v)


def test_attribute_kinds_widen_to_hold_every_value():
    rows = [
        [{"attributes": {"a": 1, "b": 1, "c": None, "d": 2**40}}],
        [{"attributes": {"a": 2.5, "b": "x", "c": None, "d": 1}}],
    ]
    assert attribute_kinds(rows) == {"a": "float", "b": "text", "c": "text", "d": "int64"}


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=1+1", "'=1+1"),
        ("\t@SUM(A1)", "'\t@SUM(A1)"),
        ("-12.5", "-12.5"),
        ("+86", "+86"),
        ("-x", "'-x"),
        ("丰润", "丰润"),
        (3, 3),
    ],
)
def test_csv_cells_never_start_a_formula(value, cell):
    assert cell_text(value) == cell


def test_zones_and_file_names():
    assert province_crs(39, prefixed=True).to_epsg() == 4527
    assert province_crs(40, prefixed=False).to_epsg() == 4549
    with pytest.raises(InvalidValue):
        province_crs(38, prefixed=True)
    stem = safe_file_stem({"id": 3, "programme": "change_survey", "period": "2019年/../Q3"})
    assert stem == "tuban-batch-3-change-survey-2019Q3"
