"""Vector tiles of a batch and of a reference layer, decoded with the library that encodes them
on SQLite, checked against the stored geometries projected independently (pyproj)."""

from __future__ import annotations

import math
from datetime import date

import mapbox_vector_tile
import pytest
import shapely
from argon2 import PasswordHasher
from pyproj import Transformer

from geo.errors import NotFound
from storage import tiles
from storage.imports import import_file, import_reference
from storage.tiles import Tile, TileSource
from storage.users import UserStore
from storage.visibility import EVERYTHING, Scope
from tests import factories
from tests.conftest import NOW

TO_3857 = Transformer.from_crs(4490, 3857, always_xy=True)
BEFORE_DUE, AFTER_DUE = date(2019, 11, 1), date(2019, 12, 15)  # the batch is due 2019-11-30


def tile_of(lon: float, lat: float, z: int) -> Tile:
    """The tile holding a point (the slippy-map formula)."""
    n = 1 << z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return Tile(z, x, y)


def common_tile(rows: dict) -> Tile:
    """The deepest tile (down to the batch minimum zoom) holding every row's centre."""
    for z in range(17, tiles.BATCH_MIN_ZOOM - 1, -1):
        found = {tile_of(*centre(r), z) for r in rows.values()}
        if len(found) == 1:
            return found.pop()
    raise AssertionError("the rows lie on different tiles at every zoom")


def expected_box(geom: shapely.Geometry, tile: Tile) -> tuple[float, ...]:
    """The bounds of a stored (lon/lat) geometry in tile units, y down, through pyproj, clipped
    to the tile and its buffer."""
    minx, _, maxx, maxy = tile.mercator()
    k = tiles.EXTENT / (maxx - minx)

    def to_tile(x, y):
        mx, my = TO_3857.transform(x, y)
        return (mx - minx) * k, (maxy - my) * k

    g = shapely.transform(geom, to_tile, interleaved=False)
    lo, hi = -tiles.BUFFER, tiles.EXTENT + tiles.BUFFER
    return shapely.clip_by_rect(g, lo, lo, hi, hi).bounds


def decoded(blob: bytes, layer: str) -> list[dict]:
    if not blob:
        return []
    out = mapbox_vector_tile.decode(blob, default_options={"y_coord_down": True})
    return out[layer]["features"] if layer in out else []


@pytest.fixture
def batch(store, mining_meta, squares_gpkg):
    """Three 100 m squares 500 m apart; returns (batch id, {case id: stored row})."""
    b, _ = import_file(store, squares_gpkg, mining_meta, actor="t", now=NOW)
    return b["id"], {r["id"]: r for r in store.features(b["id"])}


def centre(row: dict) -> tuple[float, float]:
    c = shapely.from_wkb(row["geom"]).centroid
    return c.x, c.y


def test_a_tile_holds_the_features_it_meets_with_their_attributes_and_place(store, batch):
    batch_id, rows = batch
    source = TileSource(store.engine)
    first, second = sorted(rows)[:2]
    tile = tile_of(*centre(rows[first]), 17)  # ~230 m: one square, the next is 400 m away
    feats = decoded(source.batch_tile(batch_id, tile, scope=EVERYTHING, today=BEFORE_DUE), "cases")
    assert [f["id"] for f in feats] == [first]
    props = feats[0]["properties"]
    row = rows[first]
    assert props["case_id"] == first and props["code"] == row["code"]
    assert props["state"] == row["state"] and props["programme"] == row["programme"]
    assert props["overdue"] is False and props["reissue"] is False
    got = shapely.geometry.shape(feats[0]["geometry"]).bounds
    want = expected_box(shapely.from_wkb(row["geom"]), tile)
    assert got == pytest.approx(want, abs=1.01)  # the integer grid

    other = tile_of(*centre(rows[second]), 17)
    assert other != tile
    ids = [f["id"] for f in decoded(source.batch_tile(batch_id, other, scope=EVERYTHING,
                                                      today=BEFORE_DUE), "cases")]  # fmt: skip
    assert ids == [second]


def test_overdue_follows_the_due_date_and_an_empty_place_gives_no_bytes(store, batch):
    batch_id, rows = batch
    source = TileSource(store.engine)
    tile = common_tile(rows)
    feats = decoded(source.batch_tile(batch_id, tile, scope=EVERYTHING, today=AFTER_DUE), "cases")
    assert sorted(f["id"] for f in feats) == sorted(rows)
    assert all(f["properties"]["overdue"] is True for f in feats)
    far = tile_of(100.0, 30.0, 14)
    assert source.batch_tile(batch_id, far, scope=EVERYTHING, today=AFTER_DUE) == b""
    low = tile_of(*centre(rows[min(rows)]), tiles.BATCH_MIN_ZOOM - 1)
    assert source.batch_tile(batch_id, low, scope=EVERYTHING, today=AFTER_DUE) == b""


def test_a_verifier_tile_lacks_what_is_not_assigned_to_them(store, batch):
    batch_id, rows = batch
    users = UserStore(store.engine, PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    v = users.add(username="v", display_name="核查员", password="Tuban-2019-verify!",
                  roles=["verifier"], by="t", now=NOW)  # fmt: skip
    mine = sorted(rows)[1]
    source = TileSource(store.engine)
    scope = Scope.of(v)
    before = source.batch_version(batch_id, scope)
    users.assign([mine], v.id, by="t", now=NOW)
    assert source.batch_version(batch_id, scope) != before, "an assignment changes their tiles"
    tile = common_tile(rows)
    feats = decoded(source.batch_tile(batch_id, tile, scope=scope, today=AFTER_DUE), "cases")
    assert [f["id"] for f in feats] == [mine]


def test_the_version_moves_with_a_case_event_and_not_otherwise(store, batch):
    batch_id, rows = batch
    source = TileSource(store.engine)
    v1 = source.batch_version(batch_id, EVERYTHING)
    assert source.batch_version(batch_id, EVERYTHING) == v1
    store.apply_action(min(rows), "verify", actor="hc", now=NOW, expected_version=None,
                       payload={"judgment": "legal", "reason": "approved"})  # fmt: skip
    assert source.batch_version(batch_id, EVERYTHING) != v1
    tile = tile_of(*centre(rows[min(rows)]), 17)
    feats = decoded(source.batch_tile(batch_id, tile, scope=EVERYTHING, today=AFTER_DUE), "cases")
    assert feats[0]["properties"]["state"] == store.get_case_row(min(rows))["state"] != "issued"


@pytest.mark.parametrize("z,x,y", [(-1, 0, 0), (23, 0, 0), (3, 8, 0), (3, 0, -1), (0, 1, 0)])
def test_a_tile_off_the_grid_is_not_found(z, x, y):
    with pytest.raises(NotFound):
        Tile(z, x, y)


def test_an_unknown_batch_or_layer_is_not_found(store):
    source = TileSource(store.engine)
    with pytest.raises(NotFound):
        source.batch_version(999, EVERYTHING)
    with pytest.raises(NotFound):
        source.ref_version(999)


def test_a_reference_layer_tile_names_its_features(store, tmp_path):
    frame = factories.squares(2, size=300, step=2000)
    frame["NAME"] = ["甲村", "乙村"]
    frame["CODE"] = ["130208001", "130208002"]
    path = factories.write(frame, tmp_path / "villages.gpkg")
    row, _, _ = import_reference(store, path, "village", name="村界", version="2019", actor="t",
                                 now=NOW)  # fmt: skip
    source = TileSource(store.engine)
    from storage.refs import RefStore

    stored = RefStore(store.engine).frame(row["id"])
    g = stored.geometry.iloc[0]
    tile = tile_of(g.centroid.x, g.centroid.y, 15)
    feats = decoded(source.ref_tile(row["id"], tile), tiles.REFS_LAYER)
    assert len(feats) == 1
    assert feats[0]["properties"]["code"] == stored["ident"].iloc[0]
    assert feats[0]["properties"]["name"] == stored["label"].iloc[0]
    got = shapely.geometry.shape(feats[0]["geometry"]).bounds
    assert got == pytest.approx(expected_box(g, tile), abs=1.01)
    assert source.ref_version(row["id"]) == source.ref_version(row["id"])
