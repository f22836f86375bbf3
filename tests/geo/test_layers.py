"""Layer import: formats, reprojection, area, and a clear error for each kind of bad input."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pandas as pd
import pytest
from pyproj import Geod

from geo.errors import InvalidGeometry, InvalidValue, MissingCRS, MissingField, UnreadableFile
from geo.import_pipeline import read_parcels
from tests import factories


@pytest.mark.parametrize(
    "suffix,driver", [(".gpkg", "GPKG"), (".geojson", "GeoJSON"), (".shp", "ESRI Shapefile")]
)
def test_reads_each_format_into_cgcs2000_with_ellipsoidal_area(tmp_path, suffix, driver):
    src = factories.squares(3, size=100.0)
    path = factories.write(src, tmp_path / f"ks{suffix}", driver=driver)
    layer = read_parcels(path)
    assert layer.frame.crs.to_epsg() == 4490
    assert list(layer.frame["code"]) == list(src["TBBH"])
    assert set(layer.frame["xzqdm"]) == {"130208"}
    lon, lat = layer.frame.geometry.iloc[0].exterior.coords[0]
    assert 117.9 < lon < 118.3 and 39.7 < lat < 40.0
    ref = abs(Geod(ellps="GRS80").geometry_area_perimeter(layer.frame.geometry.iloc[0])[0])
    assert layer.frame["area_m2"].iloc[0] == pytest.approx(ref, abs=0.01)
    # Gauss-Krüger distorts little near the central meridian: plane 10 000 m² ≈ ellipsoidal.
    assert layer.frame["area_m2"].iloc[0] == pytest.approx(10000.0, rel=5e-3)
    assert layer.frame["area_mu"].iloc[0] == pytest.approx(
        layer.frame["area_m2"].iloc[0] / 666.6667, rel=1e-4
    )
    assert layer.attributes(0)["BHLX"] == "新增开采"


def test_zipped_shapefile(tmp_path):
    shp = factories.write(factories.squares(2), tmp_path / "ks.shp")
    z = tmp_path / "ks.zip"
    with zipfile.ZipFile(z, "w") as zf:
        for p in tmp_path.glob("ks.*"):
            if p.suffix != ".zip":
                zf.write(p, f"delivery/{p.name}")
    layer = read_parcels(z)
    assert len(layer) == 2 and layer.source_name == "ks.zip!delivery/ks.shp"
    assert shp.exists()


def test_gbk_shapefile_without_cpg_reads_as_chinese(tmp_path):
    path = factories.write(factories.squares(2), tmp_path / "gbk.shp", encoding="GBK")
    tmp_path.joinpath("gbk.cpg").unlink(missing_ok=True)
    assert "新增开采".encode("gbk") in tmp_path.joinpath("gbk.dbf").read_bytes()
    layer = read_parcels(path)
    assert layer.attributes(0)["BHLX"] == "新增开采"
    assert "GBK" in layer.encoding


def test_utf8_shapefile_without_cpg_stays_utf8(tmp_path):
    path = factories.write(factories.squares(1), tmp_path / "u.shp", encoding="UTF-8")
    tmp_path.joinpath("u.cpg").unlink(missing_ok=True)
    assert read_parcels(path).attributes(0)["BHLX"] == "新增开采"


def test_no_crs_is_refused_naming_the_file(tmp_path):
    path = factories.write(factories.squares(1), tmp_path / "noprj.shp")
    tmp_path.joinpath("noprj.prj").unlink()
    with pytest.raises(MissingCRS) as exc:
        read_parcels(path)
    assert exc.value.details["file"] == "noprj.shp"


def test_unreadable_file(tmp_path):
    bad = tmp_path / "broken.gpkg"
    bad.write_bytes(b"this is not a geopackage")
    with pytest.raises(UnreadableFile) as exc:
        read_parcels(bad)
    assert exc.value.details["file"] == "broken.gpkg"


def test_missing_required_field(tmp_path):
    path = factories.write(factories.squares(2).drop(columns=["TBBH"]), tmp_path / "x.gpkg")
    with pytest.raises(MissingField) as exc:
        read_parcels(path)
    assert "图斑编号" in exc.value.details["field"]
    assert exc.value.details["file"] == "x.gpkg"


def test_chinese_field_names_are_recognised(tmp_path):
    f = factories.squares(2).rename(columns={"TBBH": "监测图斑编号", "XZQDM": "行政区代码"})
    layer = read_parcels(factories.write(f, tmp_path / "jc.gpkg"))
    assert list(layer.frame["code"]) == list(f["监测图斑编号"])


def test_blank_code_names_the_row(tmp_path):
    f = factories.squares(3)
    f.loc[1, "TBBH"] = " "
    with pytest.raises(InvalidValue) as exc:
        read_parcels(factories.write(f, tmp_path / "b.gpkg"))
    assert exc.value.details["row"] == 2 and exc.value.details["field"] == "TBBH"


def test_duplicate_code_in_file_is_linked_not_doubled(tmp_path):
    f = factories.squares(3)
    f.loc[2, "TBBH"] = f.loc[0, "TBBH"]
    layer = read_parcels(factories.write(f, tmp_path / "d.gpkg"))
    assert layer.frame["dup_of"].tolist() == [-1, -1, 0]
    [link] = layer.report.links
    assert link["row"] == 3 and link["reason"] == "in_file_same_code"


def test_overlapping_duplicate_in_file_is_linked(tmp_path):
    f = factories.squares(3)
    f.loc[2, "geometry"] = f.loc[1, "geometry"].buffer(1)
    layer = read_parcels(factories.write(f, tmp_path / "o.gpkg"))
    assert layer.frame["dup_of"].tolist() == [-1, -1, 1]
    assert layer.report.links[0]["reason"] == "in_file_overlap"


def test_invalid_ring_is_repaired_and_listed(tmp_path):
    f = factories.squares(3)
    f.loc[1, "geometry"] = factories.bowtie(dx=500)
    layer = read_parcels(factories.write(f, tmp_path / "inv.gpkg"))
    assert len(layer) == 3
    [note] = layer.report.repaired
    assert note.row == 2 and note.code == f.loc[1, "TBBH"]
    assert note.reason.startswith("自相交，位置 (") and "Self" not in note.reason
    fixed = layer.frame.geometry.iloc[1]
    assert fixed.is_valid and fixed.geom_type == "MultiPolygon"
    # two triangles of 100 m × 50 m: 5 000 m² in all
    assert layer.frame["area_m2"].iloc[1] == pytest.approx(5000, rel=5e-3)


def test_zero_area_row_is_rejected_naming_row_and_code(tmp_path):
    f = factories.squares(3)
    f.loc[1, "geometry"] = factories.degenerate()
    with pytest.raises(InvalidGeometry) as exc:
        read_parcels(factories.write(f, tmp_path / "z.gpkg"))
    d = exc.value.details
    assert d["row"] == 2 and d["code"] == f.loc[1, "TBBH"] and d["field"] == "geometry"
    assert d["file"] == "z.gpkg" and len(d["rejected"]) == 1


def test_accept_partial_keeps_good_rows_and_reports_rejects(tmp_path):
    f = factories.squares(4)
    f.loc[1, "geometry"] = factories.degenerate()
    f.loc[3, "geometry"] = None
    layer = read_parcels(factories.write(f, tmp_path / "p.gpkg"), accept_partial=True)
    assert layer.frame["row"].tolist() == [1, 3]
    rej = layer.report.rejected
    assert [r.row for r in rej] == [2, 4]
    assert rej[0].reason.startswith("几何无效且无法修复为面") and rej[1].reason == "几何为空"


def test_wrong_crs_that_lands_outside_china(tmp_path):
    f = factories.squares(1).set_crs("EPSG:4326", allow_override=True)
    with pytest.raises(InvalidGeometry, match="不在中国境内"):
        read_parcels(factories.write(f, tmp_path / "w.gpkg"))


def test_zero_features(tmp_path):
    with pytest.raises(InvalidValue, match="没有任何图斑"):
        read_parcels(factories.write(factories.squares(1).iloc[0:0], tmp_path / "e.gpkg"))


def test_missing_file(tmp_path: Path):
    with pytest.raises(UnreadableFile):
        read_parcels(tmp_path / "nope.gpkg")


def test_land_class_before_is_kept_as_a_code_column(tmp_path):
    f = factories.squares(4)
    f["QSXDL"] = ["0103", "103", "林地", None]  # a DBF number drops the leading zero
    layer = read_parcels(factories.write(f, tmp_path / "tb.gpkg"))
    got = [None if pd.isna(v) else v for v in layer.frame["delivered_land_class"]]
    assert got == ["0103", "0103", None, None]
    assert layer.attributes(1)["QSXDL"] == "103"  # the delivered value is kept as it came
