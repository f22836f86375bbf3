"""Zips from outside: traversal, symlinks, member counts, bombs and forged sizes are refused with a
clear zh-CN error, and nothing much reaches the disk first."""

from __future__ import annotations

import io
import stat
import zipfile
from pathlib import Path

import pytest

from geo import archive
from geo.archive import ArchiveRefused, ZipLimits
from geo.errors import InvalidValue, UnreadableFile
from geo.province_results import read_table
from geo.readers import open_source
from storage.indicator_notes import evidence_type
from tests.api.conftest import upload


def _zip(path: Path, members: dict[str, bytes], *, symlink: str | None = None) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
        if symlink:
            info = zipfile.ZipInfo(symlink)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            zf.writestr(info, "/etc/passwd")
    return path


def _written(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


@pytest.mark.parametrize(
    "name", ["../evil.geojson", "/abs.geojson", "C:/x.geojson", "a\\..\\..\\x.geojson", "a/../../b"]
)
def test_member_names_that_leave_the_folder_are_refused(tmp_path, name):
    path = _zip(tmp_path / "t.zip", {"ok.geojson": b"{}", name: b"{}"})
    with pytest.raises(ArchiveRefused, match="路径不安全"):
        archive.open_zip(path, "t.zip")
    assert not (tmp_path.parent / "evil.geojson").exists()


def test_a_symlink_member_is_refused(tmp_path):
    path = _zip(tmp_path / "t.zip", {"ok.geojson": b"{}"}, symlink="link.geojson")
    with pytest.raises(ArchiveRefused, match="路径不安全"):
        archive.open_zip(path, "t.zip")


def test_too_many_members_or_too_much_declared_are_refused(tmp_path):
    path = _zip(tmp_path / "t.zip", {f"{i}.txt": b"x" * 100 for i in range(5)})
    with pytest.raises(ArchiveRefused, match="文件过多"):
        archive.open_zip(path, "t.zip", ZipLimits(max_members=4))
    with pytest.raises(ArchiveRefused, match="解压后过大"):
        archive.open_zip(path, "t.zip", ZipLimits(max_total_bytes=499))


def test_a_zip_bomb_is_refused_before_a_byte_is_inflated(zip_bomb, monkeypatch):
    inflated = []
    real_read = zipfile.ZipExtFile.read

    def counting_read(self, n=-1):
        data = real_read(self, n)
        inflated.append(len(data))
        return data

    monkeypatch.setattr(zipfile.ZipExtFile, "read", counting_read)
    with pytest.raises(UnreadableFile, match="压缩比异常") as exc:
        with open_source(zip_bomb):
            pass
    assert exc.value.details["member"] == "layer.geojson"
    assert sum(inflated) == 0


def test_a_forged_size_is_caught_while_extracting(forged_zip, tmp_path):
    dest = tmp_path / "out"
    dest.mkdir()
    with archive.open_zip(forged_zip, "forged.zip") as zf, pytest.raises(ArchiveRefused) as exc:
        archive.extract(zf, dest, "forged.zip")
    assert "layer.geojson" in exc.value.message
    assert _written(dest) <= 1 << 20


def test_the_actual_bytes_are_counted_against_the_ceiling(tmp_path):
    path = _zip(tmp_path / "t.zip", {"a.txt": b"a" * 3000, "b.txt": b"b" * 3000})
    dest = tmp_path / "out"
    dest.mkdir()
    with zipfile.ZipFile(path) as zf, pytest.raises(ArchiveRefused):
        # The directory is read as honest here; the budget still stops the second member.
        zf.infolist()[1].file_size = 1
        archive.extract(zf, dest, "t.zip", ZipLimits(max_total_bytes=4000))
    assert _written(dest) <= 4000


def test_an_honest_zip_is_extracted(tmp_path):
    path = _zip(tmp_path / "t.zip", {"dir/a.geojson": b"{}"})
    with archive.open_zip(path, "t.zip") as zf:
        written = archive.extract(zf, tmp_path / "out", "t.zip")
    assert [p.relative_to(tmp_path / "out").as_posix() for p in written] == ["dir/a.geojson"]


def test_office_files_are_checked_before_they_are_opened(zip_bomb):
    data = zip_bomb.read_bytes()
    with pytest.raises(InvalidValue, match="压缩比异常"):
        read_table(data, "结果.xlsx")
    assert evidence_type(data) is None


def test_not_a_zip_is_an_unreadable_file(tmp_path):
    path = tmp_path / "t.zip"
    path.write_bytes(b"PK\x03\x04 not really")
    with pytest.raises(UnreadableFile, match="无法打开压缩包"):
        archive.open_zip(path, "t.zip")
    with pytest.raises(UnreadableFile):
        archive.member_names(io.BytesIO(b"junk").getvalue(), "x.docx")


def test_the_api_answers_a_bomb_and_a_forged_zip_with_400(client, zip_bomb, forged_zip):
    for path, words in ((zip_bomb, "压缩比异常"), (forged_zip, "实际大小超过声明")):
        r = upload(client, path)
        assert r.status_code == 400, r.text
        assert r.json()["error"]["code"] == "ARCHIVE_REFUSED"
        assert words in r.json()["error"]["message"] or "已损坏" in r.json()["error"]["message"]


def _windows_zip(path: Path, members: dict[str, bytes]) -> Path:
    """Member names as GBK bytes without the UTF-8 flag, as Windows' zip in China writes."""

    class Gbk(zipfile.ZipInfo):
        def _encodeFilenameFlags(self):  # noqa: N802 - zipfile's own name
            return self.filename.encode("gbk"), self.flag_bits

    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(Gbk(name), data)
    return path


def _shapefile_parts(folder: Path, stem: str, n: int = 2) -> dict[str, bytes]:
    from tests import factories

    folder.mkdir(exist_ok=True)
    factories.write(factories.squares(n), folder / f"{stem}.shp", encoding="GBK")
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.stem == stem}


@pytest.mark.parametrize(("part", "words"), [(".shx", "索引文件"), (".dbf", "属性表")])
def test_an_incomplete_shapefile_upload_names_the_part_and_no_server_folder(
    client, tmp_path, part, words
):
    parts = _shapefile_parts(tmp_path / "src", "图斑")
    parts.pop(f"图斑{part}")
    z = _windows_zip(tmp_path / "缺文件.zip", {f"2019/{k}": v for k, v in parts.items()})
    r = upload(client, z)
    assert r.status_code == 400, r.text
    err = r.json()["error"]
    assert err["code"] == "IMPORT_UNREADABLE" and f"缺少 图斑{part} {words}" in err["message"]
    assert err["details"]["file"] == "缺文件.zip!2019/图斑.shp"
    assert "tuban-" not in r.text and "/tmp" not in r.text and "Unable to open" not in r.text


def test_an_upload_of_two_layers_zipped_on_windows_takes_the_layer_field(client, tmp_path):
    parts = _shapefile_parts(tmp_path / "a", "矿山图斑")
    parts |= _shapefile_parts(tmp_path / "b", "土地图斑", 3)
    z = _windows_zip(tmp_path / "两个图层.zip", {f"下发/{k}": v for k, v in parts.items()})
    r = upload(client, z)
    assert r.status_code == 400
    assert r.json()["error"]["details"]["layers"] == ["土地图斑", "矿山图斑"]
    r = upload(client, z, layer="土地图斑")
    assert r.status_code == 201, r.text
    assert r.json()["source_name"] == "两个图层.zip!下发/土地图斑.shp"
    assert r.json()["feature_count"] == 3
