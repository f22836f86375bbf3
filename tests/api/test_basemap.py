"""The offline basemap file (TUBAN_BASEMAP_FILE) served as XYZ tiles at /api/basemap: MBTiles
with its TMS row flip, PMTiles v3 with root and leaf directories, raster and gzip vector tiles;
tile coordinates validated; the file's path never reaches a client."""

from __future__ import annotations

import gzip

import pytest

from geo.tile_archive import MBTiles, PMTiles, open_archive, zxy_to_tileid
from runtime.settings import Settings
from tests.basemap_files import png, write_mbtiles, write_pmtiles

# Fengrun at zoom 12 (x 3439, y 1548) and its neighbours.
Z, X, Y = 12, 3439, 1548
TILES = {
    (Z, X, Y): png((200, 30, 30)),
    (Z, X + 1, Y): png((30, 200, 30)),
    (11, 1719, 774): png((9, 9, 9)),
}


def _serve(app, path):
    app.state.settings.basemap_file = path
    return path


def test_reference_tile_ids_of_the_pmtiles_spec():
    assert [zxy_to_tileid(1, 0, 0), zxy_to_tileid(1, 0, 1), zxy_to_tileid(1, 1, 1)] == [1, 2, 3]
    assert zxy_to_tileid(1, 1, 0) == 4 and zxy_to_tileid(2, 0, 0) == 5
    assert zxy_to_tileid(12, 3423, 1763) == 19078479
    assert {zxy_to_tileid(3, x, y) for x in range(8) for y in range(8)} == set(range(21, 85))


def test_without_a_file_there_is_no_offline_basemap(client):
    assert client.get("/api/config").json()["offline_basemap"] is None
    r = client.get(f"/api/basemap/{Z}/{X}/{Y}")
    assert r.status_code == 404 and r.json()["error"]["code"] == "NOT_FOUND"


def test_mbtiles_tiles_by_xyz_with_the_tms_row_flip(client, app, tmp_path):
    path = _serve(app, write_mbtiles(tmp_path / "丰润影像.mbtiles", TILES, {
        "name": "丰润区影像", "format": "png", "minzoom": "11", "maxzoom": "12",
        "bounds": "117.85,39.55,118.35,40.10", "attribution": "丰润区自然资源局",
    }))  # fmt: skip
    cfg = client.get("/api/config").json()["offline_basemap"]
    assert cfg == {
        "url": "api/basemap/{z}/{x}/{y}", "format": "png", "min_zoom": 11, "max_zoom": 12,
        "bounds": [117.85, 39.55, 118.35, 40.10], "name": "丰润区影像",
        "attribution": "丰润区自然资源局",
    }  # fmt: skip
    for (z, x, y), data in TILES.items():
        r = client.get(f"/api/basemap/{z}/{x}/{y}")
        assert r.status_code == 200 and r.content == data, (z, x, y)
        assert r.headers["content-type"] == "image/png"
        assert "max-age" in r.headers["cache-control"]
    # The TMS row of the same tile is another tile, which the file does not have.
    flipped = client.get(f"/api/basemap/{Z}/{X}/{(1 << Z) - 1 - Y}")
    assert flipped.status_code == 404
    assert str(path) not in client.get("/api/config").text
    assert str(tmp_path) not in flipped.text


@pytest.mark.parametrize("leaf", [False, True], ids=["root", "leaf"])
def test_pmtiles_raster_through_root_and_leaf_directories(client, app, tmp_path, leaf):
    _serve(app, write_pmtiles(tmp_path / "b.pmtiles", TILES, leaf=leaf, meta={"name": "底图"}))
    cfg = client.get("/api/config").json()["offline_basemap"]
    assert (cfg["format"], cfg["min_zoom"], cfg["max_zoom"], cfg["name"]) == ("png", 11, 12, "底图")
    assert cfg["bounds"] == pytest.approx([117.0, 39.0, 119.0, 41.0])
    for (z, x, y), data in TILES.items():
        assert client.get(f"/api/basemap/{z}/{x}/{y}").content == data
    assert client.get(f"/api/basemap/{Z}/{X + 2}/{Y}").status_code == 404
    assert client.get(f"/api/basemap/10/{X // 4}/{Y // 4}").status_code == 404  # below min zoom


def test_vector_tiles_keep_their_gzip_and_say_so(client, app, tmp_path):
    mvt = b"\x1a\x0b\x0a\x05water\x28\x80\x20"  # a protobuf layer message, as stored
    _serve(
        app, write_pmtiles(tmp_path / "v.pmtiles", {(Z, X, Y): mvt}, tile_type=1, gzip_tiles=True)
    )
    assert client.get("/api/config").json()["offline_basemap"]["format"] == "pbf"
    r = client.get(f"/api/basemap/{Z}/{X}/{Y}")
    assert r.headers["content-encoding"] == "gzip"
    assert r.headers["content-type"] == "application/vnd.mapbox-vector-tile"
    assert r.content == mvt  # the client inflated what the file held
    mb = tmp_path / "v.mbtiles"
    _serve(app, write_mbtiles(mb, {(Z, X, Y): gzip.compress(mvt)}, {"format": "pbf"}))
    r = client.get(f"/api/basemap/{Z}/{X}/{Y}")
    assert r.headers["content-encoding"] == "gzip" and r.content == mvt
    # Where a vector file has nothing: empty, not an error body a renderer would parse.
    empty = client.get(f"/api/basemap/{Z}/{X + 1}/{Y}")
    assert empty.status_code == 204 and empty.content == b""


def test_tile_coordinates_are_checked_before_the_file_is_read(client, app, tmp_path):
    _serve(app, write_mbtiles(tmp_path / "b.mbtiles", TILES, {"format": "png"}))
    assert client.get("/api/basemap/2/4/0").status_code == 404  # x off the zoom-2 grid
    assert client.get("/api/basemap/2/0/4").status_code == 404
    assert client.get("/api/basemap/25/0/0").status_code == 422
    assert client.get("/api/basemap/-1/0/0").status_code in (404, 422)
    assert client.get("/api/basemap/1/a/0").status_code == 422
    assert client.get("/api/basemap/1/0/0.png").status_code == 422


def test_an_unreadable_file_is_no_basemap_and_its_path_is_not_told(client, app, tmp_path):
    bad = tmp_path / "secret-folder" / "broken.mbtiles"
    bad.parent.mkdir()
    bad.write_bytes(b"not a database at all" * 100)
    _serve(app, bad)
    cfg = client.get("/api/config")
    assert cfg.json()["offline_basemap"] is None and "secret-folder" not in cfg.text
    r = client.get(f"/api/basemap/{Z}/{X}/{Y}")
    assert r.status_code == 404 and "secret-folder" not in r.text
    # Replacing the file is picked up without a restart.
    write_mbtiles(bad.with_suffix(".tmp"), TILES, {"format": "png"}).replace(bad)
    assert client.get(f"/api/basemap/{Z}/{X}/{Y}").content == TILES[(Z, X, Y)]


def test_tiles_need_a_signed_in_user(anon, app, tmp_path):
    _serve(app, write_mbtiles(tmp_path / "b.mbtiles", TILES, {"format": "png"}))
    assert anon.get(f"/api/basemap/{Z}/{X}/{Y}").status_code == 401


def test_the_setting_takes_only_tile_archives(tmp_path):
    assert Settings(basemap_file=str(tmp_path / "a.pmtiles")).basemap_file == tmp_path / "a.pmtiles"
    assert Settings(basemap_file="").basemap_file is None
    with pytest.raises(ValueError, match="mbtiles"):
        Settings(basemap_file=str(tmp_path / "a.png"))


def test_archives_open_by_suffix(tmp_path):
    assert isinstance(open_archive(write_mbtiles(tmp_path / "a.mbtiles", TILES)), MBTiles)
    assert isinstance(open_archive(write_pmtiles(tmp_path / "a.pmtiles", TILES)), PMTiles)
    # Without metadata the format comes from the tiles themselves.
    assert open_archive(tmp_path / "a.mbtiles").info.format == "png"
