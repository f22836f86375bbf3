"""Deliveries as they arrive from Windows desks: zips with GBK member names, several layers in
one zip, Shapefiles missing a part. Every file is written by GDAL's own writer (pyogrio)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from geo.archive import member_name
from geo.errors import MissingField, UnreadableFile
from geo.import_pipeline import read_parcels
from tests import factories


class _WindowsName(zipfile.ZipInfo):
    """A member name stored as GBK bytes without the UTF-8 flag, as Windows' zip in China
    writes it (zipfile itself would write UTF-8 and set the flag)."""

    def _encodeFilenameFlags(self):  # noqa: N802 - zipfile's own name
        return self.filename.encode("gbk"), self.flag_bits


def _shapefile(folder: Path, stem: str, n: int = 2, **kw) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    factories.write(factories.squares(n, **kw), folder / f"{stem}.shp", encoding="GBK")
    return sorted(p for p in folder.iterdir() if p.stem == stem)


def _zip(path: Path, members: dict[str, Path], *, gbk: bool) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for arcname, src in members.items():
            info = _WindowsName(arcname) if gbk else zipfile.ZipInfo(arcname)
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, src.read_bytes())
    return path


def test_gbk_member_names_are_read_as_gbk(tmp_path):
    parts = _shapefile(tmp_path / "src", "矿山图斑")
    z = _zip(tmp_path / "wp.zip", {f"2019年第三季度/{p.name}": p for p in parts}, gbk=True)
    with zipfile.ZipFile(z) as zf:
        raw = zf.infolist()[0]
        assert not raw.flag_bits & 0x800 and "矿山" not in raw.filename  # zipfile's CP437
        assert member_name(raw).startswith("2019年第三季度/矿山图斑.")
    layer = read_parcels(z)
    assert layer.source_name == "wp.zip!2019年第三季度/矿山图斑.shp" and len(layer) == 2
    assert layer.report.file == layer.source_name


def test_a_gbk_name_with_a_backslash_byte_stays_one_name(tmp_path):
    # Read as CP437, a GBK character whose second byte is 0x5C ends in a backslash, which
    # would split the name into a folder and a file.
    name = next(c for c in map(chr, range(0x4E00, 0x9FA6)) if c.encode("gbk").endswith(b"\\"))
    parts = _shapefile(tmp_path / "src", f"图斑{name}")
    z = _zip(tmp_path / "bs.zip", {p.name: p for p in parts}, gbk=True)
    layer = read_parcels(z)
    assert layer.source_name == f"bs.zip!图斑{name}.shp"


def test_utf8_names_with_the_flag_are_left_alone(tmp_path):
    parts = _shapefile(tmp_path / "src", "图斑")
    z = _zip(tmp_path / "u.zip", {f"文件夹/{p.name}": p for p in parts}, gbk=False)
    assert read_parcels(z).source_name == "u.zip!文件夹/图斑.shp"


def test_a_zip_with_two_layers_takes_layer_and_lists_them_without_it(tmp_path):
    a = _shapefile(tmp_path / "a", "矿山图斑", n=2)
    b = _shapefile(tmp_path / "b", "土地图斑", n=3)
    z = _zip(tmp_path / "two.zip", {p.name: p for p in a + b}, gbk=True)
    with pytest.raises(UnreadableFile, match="2 个图层文件") as exc:
        read_parcels(z)
    assert exc.value.details["layers"] == ["土地图斑", "矿山图斑"]
    assert exc.value.details["option"] == "layer"
    assert "--layer" in exc.value.told("cli") and "图层" in exc.value.told("web")
    layer = read_parcels(z, layer="土地图斑")
    assert len(layer) == 3 and layer.source_name == "two.zip!土地图斑.shp"
    assert layer.report.layer == "土地图斑"
    with pytest.raises(UnreadableFile, match="没有图层 林地") as exc:
        read_parcels(z, layer="林地")
    assert exc.value.details["layers"] == ["土地图斑", "矿山图斑"]


def test_a_layer_of_a_geopackage_in_a_zip_is_found_by_name(tmp_path):
    gpkg = tmp_path / "wp.gpkg"
    factories.write(factories.squares(2), gpkg, layer="KS")
    factories.write(factories.squares(4), gpkg, layer="TD")
    other = _shapefile(tmp_path / "o", "别的", n=1)
    z = _zip(tmp_path / "g.zip", {"wp.gpkg": gpkg, **{p.name: p for p in other}}, gbk=False)
    assert len(read_parcels(z, layer="TD")) == 4


@pytest.mark.parametrize("zipped", [False, True])
def test_a_shapefile_without_its_dbf_says_so(tmp_path, zipped):
    parts = _shapefile(tmp_path / "src", "ks")
    keep = [p for p in parts if p.suffix != ".dbf"]
    path = tmp_path / "src" / "ks.shp"
    (tmp_path / "src" / "ks.dbf").unlink()
    if zipped:
        path = _zip(tmp_path / "ks.zip", {p.name: p for p in keep}, gbk=False)
    with pytest.raises(UnreadableFile, match=r"缺少 ks\.dbf 属性表") as exc:
        read_parcels(path)
    assert not isinstance(exc.value, MissingField)
    assert exc.value.details["missing"] == [".dbf"]


@pytest.mark.parametrize("zipped", [False, True])
def test_a_shapefile_without_its_shx_says_so_and_names_no_server_folder(tmp_path, zipped):
    parts = _shapefile(tmp_path / "src", "ks")
    keep = [p for p in parts if p.suffix != ".shx"]
    path = tmp_path / "src" / "ks.shp"
    (tmp_path / "src" / "ks.shx").unlink()
    if zipped:
        path = _zip(tmp_path / "ks.zip", {p.name: p for p in keep}, gbk=False)
    with pytest.raises(UnreadableFile) as exc:
        read_parcels(path)
    assert "缺少 ks.shx 索引文件" in exc.value.message
    assert "tuban-zip" not in str(exc.value) and str(tmp_path) not in str(exc.value)
    assert "Unable to open" not in str(exc.value)


def test_the_report_speaks_chinese_of_encodings_repairs_and_links(tmp_path):
    f = factories.squares(3)
    f.loc[1, "geometry"] = factories.bowtie(dx=500)
    f.loc[2, "TBBH"] = f.loc[0, "TBBH"]
    path = factories.write(f, tmp_path / "ks.shp", encoding="GBK")
    path.with_suffix(".cpg").unlink()
    rep = read_parcels(path).report
    assert rep.encoding == "GBK（无 .cpg 文件，按 .dbf 内容推断）"
    assert rep.repaired[0].reason.startswith("自相交，位置 (")
    page = rep.to_html()
    assert "同一文件内编号重复" in page and "自相交" in page
    for english in ("guessed from", "no .cpg", "Self-intersection", "in_file_same_code"):
        assert english not in page
