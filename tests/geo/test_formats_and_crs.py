"""Each delivery format, each CRS case, and guessing a missing CRS from magnitudes."""

from __future__ import annotations

import zipfile

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from geo.crs import Jurisdiction
from geo.errors import InvalidValue, MissingCRS, UnreadableFile
from geo.fields import load_field_map
from geo.import_pipeline import read_parcels
from tests import factories

FENGRUN = Jurisdiction("130208", "丰润区", (117.89, 39.60, 118.29, 40.05))


def _lonlat(layer):
    c = layer.frame.geometry.iloc[0].centroid
    return c.x, c.y


def _assert_in_fengrun(layer, area=10000.0):
    lon, lat = _lonlat(layer)
    assert 118.09 < lon < 118.12 and 39.82 < lat < 39.84
    assert layer.frame["area_m2"].iloc[0] == pytest.approx(area, rel=5e-3)


# --- formats ---------------------------------------------------------------------------------


def test_filegdb(tmp_path):
    path = factories.write(factories.squares(2), tmp_path / "wp.gdb", driver="OpenFileGDB")
    layer = read_parcels(path)
    assert layer.report.driver == "OpenFileGDB"
    _assert_in_fengrun(layer)


def test_zipped_filegdb(tmp_path):
    gdb = factories.write(factories.squares(2), tmp_path / "wp.gdb", driver="OpenFileGDB")
    z = tmp_path / "wp.zip"
    with zipfile.ZipFile(z, "w") as zf:
        for p in gdb.rglob("*"):
            zf.write(p, f"2019Q3/{p.relative_to(tmp_path)}")
    layer = read_parcels(z)
    assert layer.source_name == "wp.zip!2019Q3/wp.gdb" and len(layer) == 2


def test_kml_takes_code_from_placemark_name(tmp_path):
    f = factories.squares(2).to_crs(4326).rename(columns={"TBBH": "Name"})
    path = factories.write(f, tmp_path / "wp.kml", driver="KML")
    layer = read_parcels(path)
    assert list(layer.frame["code"]) == list(f["Name"])
    assert layer.report.fields["code"].lower() == "name"
    _assert_in_fengrun(layer)


def test_csv_with_wkt_and_bom_and_no_crs_guesses_zone(tmp_path):
    f = factories.squares(2)
    df = pd.DataFrame({"图斑编号": f["TBBH"], "行政区代码": f["XZQDM"], "WKT": f.geometry.to_wkt()})
    path = tmp_path / "list.csv"
    path.write_bytes(b"\xef\xbb\xbf" + df.to_csv(index=False).encode("utf-8"))
    layer = read_parcels(path, jurisdiction=FENGRUN)
    assert layer.report.encoding == "UTF-8（带 BOM）"
    assert layer.report.crs_how == "guessed" and layer.source_crs == "EPSG:4527"
    _assert_in_fengrun(layer)


def test_gbk_csv_is_decoded(tmp_path):
    f = factories.squares(1)
    df = pd.DataFrame(
        {"TBBH": f["TBBH"], "XZQDM": f["XZQDM"], "村名": ["王家庄村"], "WKT": f.geometry.to_wkt()}
    )
    path = tmp_path / "gbk.csv"
    path.write_bytes(df.to_csv(index=False).encode("gbk"))
    layer = read_parcels(path, crs="EPSG:4527")
    assert layer.attributes(0)["村名"] == "王家庄村"
    assert "GBK" in layer.report.encoding


def test_xlsx_with_centre_coordinates_and_declared_area(tmp_path):
    f = factories.squares(2)
    c = f.geometry.centroid
    # Chinese surveying convention: X is the northing, Y the (zone-prefixed) easting.
    df = pd.DataFrame(
        {
            "\ufeff图斑编号": f["TBBH"],
            "行政区代码": f["XZQDM"],
            "X": c.y,
            "Y": c.x,
            "面积": [1234.5, 678.9],
        }
    )
    path = tmp_path / "list.xlsx"
    df.to_excel(path, index=False)
    layer = read_parcels(path, jurisdiction=FENGRUN)
    assert layer.report.swap_xy and layer.source_crs == "EPSG:4527"
    assert layer.report.points == 2
    assert list(layer.frame["area_m2"]) == [1234.5, 678.9]
    assert layer.frame.geometry.iloc[0].geom_type == "Point"
    assert list(layer.frame["code"]) == list(f["TBBH"])


def test_table_without_geometry_columns(tmp_path):
    path = tmp_path / "nogeom.csv"
    path.write_text("TBBH,XZQDM\nA,130208\n", encoding="utf-8")
    with pytest.raises(InvalidValue, match="WKT"):
        read_parcels(path)


def test_bad_wkt_names_row(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(
        'TBBH,XZQDM,WKT\nA,130208,"POLYGON((0 0,1 0,1 1,0 0))"\nB,130208,POLYGON((x\n',
        encoding="utf-8",
    )
    with pytest.raises(InvalidValue) as exc:
        read_parcels(path, crs="EPSG:4527")
    assert exc.value.details["row"] == 2 and exc.value.details["field"] == "WKT"


def test_multi_layer_gpkg_needs_a_layer_name(tmp_path):
    path = tmp_path / "two.gpkg"
    factories.write(factories.squares(2), path, layer="a")
    factories.write(factories.squares(2), path, layer="b")
    with pytest.raises(UnreadableFile) as exc:
        read_parcels(path)
    assert exc.value.details["layers"] == ["a", "b"]
    assert len(read_parcels(path, layer="b")) == 2


def test_field_mapping_file(tmp_path):
    f = factories.squares(2).rename(columns={"TBBH": "编号", "XZQDM": "XZ_CODE"})
    path = factories.write(f, tmp_path / "m.gpkg")
    with pytest.raises(Exception, match="图斑编号"):
        read_parcels(path)
    mapping = tmp_path / "map.yaml"
    mapping.write_text("图斑编号: 编号\nxzqdm: XZ_CODE\n", encoding="utf-8")
    layer = read_parcels(path, field_map=load_field_map(mapping))
    assert list(layer.frame["code"]) == list(f["编号"])
    assert layer.report.fields["code"] == "编号"
    bad = tmp_path / "bad.yaml"
    bad.write_text("图斑编号: 没有这列\n", encoding="utf-8")
    with pytest.raises(InvalidValue, match="没有这列"):
        read_parcels(path, field_map=load_field_map(bad))


def test_encoding_override_wins(tmp_path):
    path = factories.write(factories.squares(1), tmp_path / "g.shp", encoding="GBK")
    (tmp_path / "g.cpg").write_text("UTF-8")  # a wrong .cpg, as real deliveries have
    auto = read_parcels(path)
    assert auto.attributes(0)["BHLX"] == "新增开采"
    assert auto.report.encoding == "GBK（.cpg 写的 UTF-8 与 .dbf 内容不符，按内容读取）"
    right = read_parcels(path, encoding="GBK")
    assert right.attributes(0)["BHLX"] == "新增开采"
    assert right.report.encoding == "GBK（用户指定）"


def test_z_coordinates_are_dropped(tmp_path):
    f = factories.squares(1)
    f["geometry"] = shapely.force_3d(f.geometry.to_numpy(), 12.5)
    layer = read_parcels(factories.write(f, tmp_path / "z.gpkg"))
    assert not layer.frame.geometry.has_z.any()


# --- CRS cases declared in the file ---------------------------------------------------------


@pytest.mark.parametrize("epsg", [4490, 4527, 4548, 2363, 2384, 4326])
def test_each_declared_crs_lands_in_fengrun(tmp_path, epsg):
    """CGCS2000 geographic, GK zone 39 with and without prefix, Xian 80 both ways, WGS84."""
    path = factories.write(factories.squares(1).to_crs(epsg), tmp_path / f"c{epsg}.shp")
    layer = read_parcels(path)
    assert layer.source_crs == f"EPSG:{epsg}" and layer.report.crs_how == "file"
    _assert_in_fengrun(layer)


def test_crs_override(tmp_path):
    path = factories.write(factories.squares(1), tmp_path / "o.shp")
    (tmp_path / "o.prj").unlink()
    layer = read_parcels(path, crs="EPSG:4527")
    assert layer.report.crs_how == "given"
    _assert_in_fengrun(layer)
    with pytest.raises(MissingCRS, match="无法识别"):
        read_parcels(path, crs="EPSG:99999999")


# --- guessing a missing CRS -----------------------------------------------------------------


def _no_prj(tmp_path, frame, name):
    path = factories.write(frame, tmp_path / f"{name}.shp")
    (tmp_path / f"{name}.prj").unlink()
    return path


@pytest.mark.parametrize(
    ("to", "swap", "expected"),
    [
        (4527, False, "EPSG:4527"),
        (4548, False, "EPSG:4548"),
        (4490, False, "EPSG:4490"),
        (4527, True, "EPSG:4527"),
        (4548, True, "EPSG:4548"),
        (4490, True, "EPSG:4490"),
    ],
)
def test_guess_from_magnitudes(tmp_path, to, swap, expected):
    f = factories.squares(1).to_crs(to)
    if swap:
        f["geometry"] = shapely.transform(f.geometry.to_numpy(), lambda c: c[:, ::-1])
    layer = read_parcels(_no_prj(tmp_path, f, f"g{to}{swap}"), jurisdiction=FENGRUN)
    assert layer.source_crs == expected
    assert layer.report.crs_how == "guessed" and layer.report.swap_xy is swap
    assert any("推断" in w for w in layer.report.warnings)
    _assert_in_fengrun(layer)


def test_guess_that_lands_outside_the_county_is_an_error(tmp_path):
    # Zone 40 data (迁安 side of Tangshan) for a county in zone 39: a plausible but wrong guess.
    f = gpd.GeoDataFrame(
        {"TBBH": ["X1"], "XZQDM": ["130283"]},
        geometry=[shapely.box(40_500_000, 4_430_000, 40_500_100, 4_430_100)],
    )
    path = factories.write(f, tmp_path / "far.shp")
    with pytest.raises(MissingCRS, match="丰润区之外") as exc:
        read_parcels(path, jurisdiction=FENGRUN)
    assert exc.value.details["guessed"] == "EPSG:4528"


def test_no_crs_and_no_jurisdiction_is_an_error(tmp_path):
    path = _no_prj(tmp_path, factories.squares(1), "n")
    with pytest.raises(MissingCRS) as exc:
        read_parcels(path)
    assert exc.value.details["file"] == "n.shp"


def test_unguessable_magnitudes(tmp_path):
    f = gpd.GeoDataFrame(
        {"TBBH": ["X1"], "XZQDM": ["130208"]}, geometry=[shapely.box(10, 10, 20, 20)]
    )
    path = factories.write(f, tmp_path / "u.shp")
    with pytest.raises(MissingCRS, match="无法从坐标数值推断"):
        read_parcels(path, jurisdiction=FENGRUN)


def _survey_with_strays(tmp_path, name="bgdc"):
    """A 变更调查 delivery without .prj written by GDAL: 8 图斑 in 丰润区, and two that lie
    100 km east (a neighbour's, or a typo in their coordinates)."""
    f = factories.squares(10)
    f["TBBH"] = [f"130208BG2019{i:04d}" for i in range(1, 11)]
    f.loc[[3, 7], "geometry"] = f.geometry[[3, 7]].translate(100_000, 0)
    return _no_prj(tmp_path, f, name)


def test_a_guess_follows_most_features_and_lists_the_strays(tmp_path):
    layer = read_parcels(_survey_with_strays(tmp_path), jurisdiction=FENGRUN)
    rep = layer.report
    assert len(layer) == 10 and layer.source_crs == "EPSG:4527" and rep.crs_how == "guessed"
    assert rep.crs_outliers_count == 2
    assert [(o["row"], o["code"]) for o in rep.crs_outliers] == [
        (4, "130208BG20190004"),
        (8, "130208BG20190008"),
    ]
    assert all(119.2 < o["lon"] < 119.4 and "丰润区之外" in o["reason"] for o in rep.crs_outliers)
    assert any("2 个图斑落在丰润区之外" in w for w in rep.warnings)
    page = rep.to_html()
    assert "按推断坐标系落在辖区外的图斑" in page and "130208BG20190008" in page
    assert "推断" in page


def test_accept_partial_refuses_only_the_strays(tmp_path):
    layer = read_parcels(_survey_with_strays(tmp_path), jurisdiction=FENGRUN, accept_partial=True)
    rep = layer.report
    assert len(layer) == 8 and rep.crs_how == "guessed" and rep.crs_outliers_count == 0
    assert [(r.row, r.code) for r in rep.rejected] == [
        (4, "130208BG20190004"),
        (8, "130208BG20190008"),
    ]
    assert all("按推断的坐标系 EPSG:4527 落在丰润区之外" == r.reason for r in rep.rejected)
    assert "130208BG20190004" not in set(layer.frame["code"])


def test_a_guess_putting_most_features_outside_is_still_refused(tmp_path):
    f = factories.squares(5)
    f.loc[[0, 1, 2], "geometry"] = f.geometry[[0, 1, 2]].translate(100_000, 0)
    with pytest.raises(MissingCRS, match="3/5 个图斑（多数）将落在丰润区之外"):
        read_parcels(_no_prj(tmp_path, f, "most"), jurisdiction=FENGRUN)


def test_a_given_crs_lists_no_strays_and_says_it_was_given(tmp_path):
    layer = read_parcels(_survey_with_strays(tmp_path), jurisdiction=FENGRUN, crs="EPSG:4527")
    assert layer.report.crs_how == "given" and layer.report.crs_outliers == []
    assert "用户指定" in layer.report.to_html()
