"""Batch exports on both backends: every format re-imports to the same codes, delivered
attributes and areas; the province profile is a GBK Shapefile plus its result table."""

from __future__ import annotations

import sqlite3
import zipfile
from datetime import timedelta
from pathlib import Path

import pyogrio
import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from geo.errors import InvalidValue
from geo.export_formats import FORMATS, choose_format
from geo.export_writer import ExportOptions, cell_text
from geo.import_pipeline import read_parcels
from storage.exports import ExportRows
from storage.imports import import_file
from storage.tables import cases
from tests import factories
from tests.conftest import NOW
from tests.geo.layer_strategies import FENGRUN

HOSTILE = "=cmd|' /C calc'!A0"
# Areas are stored rounded to 0.01 m²: a shape moved by a hundredth of a millimetre can round
# one unit the other way, and that is the most a round trip may change one.
AREA_TOLERANCE = 0.01 + 1e-9
STEPS = [
    ("verify", {"judgment": "illegal", "reason": "unlicensed_mining", "note": "越界"}),
    ("approve", {}),
    ("file", {"case_no": "丰国土资罚〔2019〕3号", "filed_on": "2019-10-16"}),
    ("penalise", {"fine_yuan": 12000.5, "receipt_no": "HB01", "paid_on": "2019-10-18"}),
    ("rectify", {"rectified_on": "2019-10-19"}),
]


@pytest.fixture
def batch(store, mining_meta, tmp_path):
    """Four delivered 图斑 with Chinese and hostile text; the first one filed and fined."""
    frame = factories.squares(4)
    frame["备注"] = [HOSTILE, "丰润区丰登坞镇", "-12", "+SUM(A1)"]
    frame["JCMJ"] = [10000.0, 10000.0, 2500.5, 1.25]
    src = factories.write(frame, tmp_path / "ks.gpkg")
    row, _ = import_file(store, src, mining_meta, actor="admin", now=NOW)
    with store.engine.connect() as conn:
        first = conn.execute(select(cases.c.id).order_by(cases.c.id)).scalars().first()
    for i, (action, payload) in enumerate(STEPS):
        store.apply_action(
            first,
            action,
            actor="甲",
            payload=payload,
            expected_version=i,
            now=NOW + timedelta(days=i),
        )
    return row["id"]


def _stored(store, batch_id):
    with store.engine.connect() as conn:
        rows = conn.execute(
            select(cases.c.code, cases.c.attributes, cases.c.area_m2).where(
                cases.c.batch_id == batch_id
            )
        )
        return {r.code: (r.attributes, r.area_m2) for r in rows}


def _value(v):
    """A value as text, numbers by their value: an XLSX cell holding 10000.0 reads as 10000."""
    try:
        return repr(float(v))
    except ValueError:
        return str(v)


def _export(store, batch_id, out: Path, **options) -> Path:
    ExportRows(store.engine).export(
        batch_id, choose_format(out.name), out, ExportOptions(**options)
    )
    return out


@pytest.mark.parametrize(
    "name", ["b.gpkg", "b.geojson", "b.fgb", "b.kml", "b.gdb", "b.csv", "b.xlsx"]
)
def test_every_format_reimports_to_the_same_codes_attributes_and_areas(
    store, batch, tmp_path, name
):
    out = _export(store, batch, tmp_path / name)
    again = read_parcels(out, jurisdiction=FENGRUN)
    want = _stored(store, batch)
    frame = again.frame
    assert sorted(frame["code"]) == sorted(want)
    for i in range(len(frame)):
        code = frame["code"].iat[i]
        attrs, area = want[code]
        got = again.attributes(i)
        # Tables come back as text (the importer reads every cell as text); a CSV keeps
        # formula-like text behind an apostrophe (XLSX marks the cell as text instead).
        shown = cell_text if name.endswith(".csv") else str
        assert {k: _value(got[k]) for k in attrs} == {
            k: _value(shown(str(v))) for k, v in attrs.items()
        }
        assert abs(frame["area_m2"].iat[i] - area) <= AREA_TOLERANCE, (name, code)
        assert frame["xzqdm"].iat[i] == "130208"


def test_added_fields_carry_the_cases_work(store, batch, tmp_path):
    frame = pyogrio.read_dataframe(_export(store, batch, tmp_path / "b.gpkg"))
    filed = frame[frame["立案案号"].notna()]
    assert len(frame) == 4 and len(filed) == 1
    row = filed.iloc[0]
    assert row["核查结果"] == "违法" and row["罚款金额"] == 12000.5
    assert row["办理状态"] == "已整改" and row["立案日期"] == "2019-10-16"
    assert row["整改日期"] == "2019-10-19" and row["核查理由"]
    assert set(frame[frame["立案案号"].isna()]["办理状态"]) == {"已下发"}


def test_geopackage_is_version_1_2(store, batch, tmp_path):
    out = _export(store, batch, tmp_path / "b.gpkg")
    with sqlite3.connect(out) as conn:
        assert conn.execute("PRAGMA application_id").fetchone()[0] == 0x47504B47  # "GPKG"
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 10200
    # GDAL 3.6 and QGIS 3.22 reading it: tests/storage/test_export_clients.py


def test_table_cells_that_look_like_formulas_stay_text(store, batch, tmp_path):
    text = _export(store, batch, tmp_path / "b.csv").read_text(encoding="utf-8-sig")
    assert "'" + HOSTILE in text and "'+SUM(A1)" in text
    assert ",-12," in text  # a negative number is a number, not a formula
    ws = load_workbook(_export(store, batch, tmp_path / "b.xlsx")).active
    cells = [c for row in ws.iter_rows() for c in row if c.value == HOSTILE]
    assert cells and all(c.data_type == "s" and c.quotePrefix for c in cells)
    assert not [c for row in ws.iter_rows() for c in row if c.data_type == "f"]


def test_field_names_that_look_like_formulas_stay_text(store, mining_meta, tmp_path):
    frame = factories.squares(1)
    frame['=HYPERLINK("http://x")'] = ["v"]
    import_file(store, factories.write(frame, tmp_path / "h.gpkg"), mining_meta, actor="a", now=NOW)
    text = _export(store, 1, tmp_path / "h.csv").read_text(encoding="utf-8-sig")
    assert text.splitlines()[0].count("'=HYPERLINK") == 1
    ws = load_workbook(_export(store, 1, tmp_path / "h.xlsx")).active
    assert not [c for row in ws.iter_rows() for c in row if c.data_type == "f"]


def test_centre_table_reimports_with_the_area_field(store, batch, tmp_path):
    out = _export(store, batch, tmp_path / "c.xlsx", geometry="centre")
    again = read_parcels(out, field_map={"declared_area": "椭球面积"}, jurisdiction=FENGRUN)
    want = _stored(store, batch)
    assert again.report.points == 4
    for code, area in zip(again.frame["code"], again.frame["area_m2"], strict=True):
        assert abs(area - want[code][1]) <= AREA_TOLERANCE


@pytest.mark.parametrize(("zone", "prefix", "epsg"), [(39, True, 4527), (39, False, 4548)])
def test_province_profile_is_gbk_shapefile_and_result_table(
    store, batch, tmp_path, zone, prefix, epsg
):
    out = _export(store, batch, tmp_path / "p.zip", zone=zone, zone_prefix=prefix)
    folder = tmp_path / "unzipped"
    with zipfile.ZipFile(out) as z:
        z.extractall(folder)
    shp = next(folder.glob("*.shp"))
    assert shp.with_suffix(".cpg").read_text() == "GBK"
    assert all(len(n.encode("gbk")) <= 10 for n in pyogrio.read_info(shp)["fields"])
    frame = pyogrio.read_dataframe(shp)
    assert frame.crs.to_epsg() == epsg and len(frame) == 4
    assert "丰润区丰登坞镇" in set(frame["备注"]) and {"TBBH", "XZQDM", "HCJG"} <= set(frame)
    again = read_parcels(shp)
    want = _stored(store, batch)
    for code, area in zip(again.frame["code"], again.frame["area_m2"], strict=True):
        assert abs(area - want[code][1]) <= AREA_TOLERANCE
    ws = load_workbook(next(folder.glob("*.xlsx"))).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][:2] == ("序号", "图斑编号") and len(rows) == 1 + 4
    filed = [r for r in rows[1:] if r[9]]
    assert len(filed) == 1 and filed[0][6] == "违法" and filed[0][8] == "是"
    assert filed[0][10] == 12000.5 and filed[0][11] == "已整改"


def test_text_gbk_cannot_hold_is_replaced_and_counted(store, mining_meta, tmp_path):
    frame = factories.squares(1)
    frame["备注"] = ["😀 丰润"]
    import_file(store, factories.write(frame, tmp_path / "e.gpkg"), mining_meta, actor="a", now=NOW)
    summary = ExportRows(store.engine).export(
        1, FORMATS["province"], tmp_path / "p.zip", ExportOptions()
    )
    assert summary.replaced == 1 and summary.notes


def test_unknown_extension_is_refused_with_the_formats(tmp_path):
    with pytest.raises(InvalidValue) as err:
        choose_format("b.shp")
    assert ".gpkg" in err.value.message and ".zip" in err.value.message
    with pytest.raises(InvalidValue):
        choose_format("b.gpkg", "dwg")


def test_a_zone_outside_the_county_is_refused(store, batch, tmp_path):
    with pytest.raises(InvalidValue):
        _export(store, batch, tmp_path / "p.zip", zone=38)
    assert not (tmp_path / "p.zip").exists()


def test_chunks_cover_the_batch_in_bounded_pieces(store, batch):
    sizes = [len(c) for c in ExportRows(store.engine).chunks(batch, chunk_rows=3)]
    assert sizes == [3, 1]


def test_a_reissued_图斑_comes_with_its_own_fields_and_its_cases_state(
    store, batch, mining_meta, tmp_path
):
    again = factories.squares(2)
    again["备注"] = ["第二次下发", "第二次下发"]
    meta = mining_meta.__class__(
        mining_meta.programme,
        "2019Q4",
        mining_meta.authority,
        mining_meta.issued_on,
        mining_meta.due_on,
    )
    row, _ = import_file(
        store, factories.write(again, tmp_path / "q4.gpkg"), meta, actor="a", now=NOW
    )
    frame = pyogrio.read_dataframe(_export(store, row["id"], tmp_path / "q4.gpkg"))
    assert sorted(frame["图斑编号"]) == sorted(again["TBBH"])
    assert set(frame["备注"]) == {"第二次下发"}
    filed = frame[frame["图斑编号"] == again["TBBH"].iat[0]].iloc[0]
    assert filed["立案案号"] == "丰国土资罚〔2019〕3号" and filed["办理状态"] == "已整改"


@pytest.mark.parametrize("name", ["p.gdb", "p.zip"])
def test_centre_point_图斑_are_refused_by_polygon_layers_leaving_nothing(
    store, mining_meta, tmp_path, name
):
    src = tmp_path / "points.csv"
    src.write_text(
        "图斑编号,行政区代码,经度,纬度,面积\nK1,130208,118.1,39.83,500\n", encoding="utf-8"
    )
    import_file(store, src, mining_meta, actor="a", now=NOW, jurisdiction=FENGRUN)
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(InvalidValue, match="中心点"):
        _export(store, 1, out / name)
    assert list(out.iterdir()) == []
    _export(store, 1, tmp_path / "p.gpkg")  # a GeoPackage holds points beside polygons
    assert len(pyogrio.read_dataframe(tmp_path / "p.gpkg")) == 1
