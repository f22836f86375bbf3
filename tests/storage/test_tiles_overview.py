"""Overview tiles: a dense tile below zoom 15 carries counts per cell instead of polygons,
counted as an independent computation (pyproj) says, the same on SQLite and PostGIS, and only
over what the user may see."""

from __future__ import annotations

import math
from collections import Counter

import geopandas as gpd
import pytest
import shapely
from argon2 import PasswordHasher
from pyproj import Transformer
from shapely.geometry import box

from storage import tiles
from storage.engine import make_engine, migrate, sqlite_url
from storage.imports import import_file
from storage.repository import CaseStore
from storage.tiles import Tile, TileSource
from storage.users import UserStore
from storage.visibility import EVERYTHING, Scope
from tests import factories
from tests.conftest import NOW, _drop_schema, _pg_schema_url
from tests.storage.test_tiles import AFTER_DUE, BEFORE_DUE, decoded, tile_of

TO_3857 = Transformer.from_crs(4490, 3857, always_xy=True)
HALF = math.pi * 6378137.0
SIDE = 15  # squares a side: 225 图斑 over ~4.5 km, one or two z12 tiles


def dense_frame() -> gpd.GeoDataFrame:
    """SIDE × SIDE squares of 40 m, 300 m apart, near Fengrun (EPSG:4527)."""
    x0, y0 = factories.FENGRUN_X, factories.FENGRUN_Y
    geoms = [
        box(x0 + i * 300, y0 + j * 300, x0 + i * 300 + 40, y0 + j * 300 + 40)
        for j in range(SIDE)
        for i in range(SIDE)
    ]
    n = len(geoms)
    return gpd.GeoDataFrame(
        {
            "TBBH": [f"130208KS2019Q3{k:04d}" for k in range(n)],
            "XZQDM": ["130208"] * n,
            "BHLX": ["新增开采"] * n,
            "JCMJ": [1600.0] * n,
        },
        geometry=geoms,
        crs="EPSG:4527",
    )


@pytest.fixture
def dense_gpkg(tmp_path):
    return factories.write(dense_frame(), tmp_path / "dense.gpkg")


def load(store, path, meta) -> tuple[int, dict[int, dict]]:
    b, _ = import_file(store, path, meta, actor="t", now=NOW)
    return b["id"], {r["id"]: r for r in store.features(b["id"])}


def expected_cells(rows, tile: Tile) -> Counter:
    """(col, row) of each 图斑's bbox centre in ``tile``, through pyproj: a Counter."""
    size = 2 * HALF / (1 << tile.z) / tiles.OVERVIEW_GRID
    got: Counter = Counter()
    for r in rows:
        minx, miny, maxx, maxy = shapely.from_wkb(r["geom"]).bounds
        mx, my = TO_3857.transform((minx + maxx) / 2, (miny + maxy) / 2)
        gx, gy = math.floor((mx + HALF) / size), math.floor((HALF - my) / size)
        col, row = gx - tile.x * tiles.OVERVIEW_GRID, gy - tile.y * tiles.OVERVIEW_GRID
        if 0 <= col < tiles.OVERVIEW_GRID and 0 <= row < tiles.OVERVIEW_GRID:
            got[(col, row)] += 1
    return got


def counted(feats) -> Counter:
    return Counter(
        {(f["id"] % tiles.OVERVIEW_GRID, f["id"] // tiles.OVERVIEW_GRID): f["properties"]["n"]
         for f in feats}
    )  # fmt: skip


def busiest_tile(rows, z: int) -> Tile:
    centres = [shapely.from_wkb(r["geom"]).centroid for r in rows]
    return Counter(tile_of(c.x, c.y, z) for c in centres).most_common(1)[0][0]


def test_a_dense_tile_is_an_overview_counting_each_图斑_in_its_cell(store, mining_meta, dense_gpkg):
    batch_id, rows = load(store, dense_gpkg, mining_meta)
    source = TileSource(store.engine, overview_rows=10)
    for z in (12, 13, 14):
        tile = busiest_tile(rows.values(), z)
        want = expected_cells(rows.values(), tile)
        assert sum(want.values()) > 10
        blob = source.batch_tile(batch_id, tile, scope=EVERYTHING, today=BEFORE_DUE)
        assert decoded(blob, tiles.CASES_LAYER) == []
        feats = decoded(blob, tiles.OVERVIEW_LAYER)
        assert counted(feats) == want, z
        step = tiles.EXTENT // tiles.OVERVIEW_GRID
        for f in feats:
            col, row = f["id"] % tiles.OVERVIEW_GRID, f["id"] // tiles.OVERVIEW_GRID
            assert f["geometry"]["type"] == "Point"
            assert f["geometry"]["coordinates"] == [col * step + step // 2, row * step + step // 2]
            assert f["properties"]["state"] == "issued" and f["properties"]["overdue"] is False


def test_every_图斑_is_in_exactly_one_tile_of_a_zoom(store, mining_meta, dense_gpkg):
    batch_id, rows = load(store, dense_gpkg, mining_meta)
    source = TileSource(store.engine)
    z = 14
    seen = {tile_of(*shapely.from_wkb(r["geom"]).centroid.coords[0], z) for r in rows.values()}
    near = {Tile(z, t.x + dx, t.y + dy) for t in seen for dx in (-1, 0, 1) for dy in (-1, 0, 1)}
    total = sum(
        c["n"] for t in near for c in source.overview_cells(batch_id, t, scope=EVERYTHING,
                                                             today=BEFORE_DUE)
    )  # fmt: skip
    assert total == len(rows)


def test_a_sparse_tile_keeps_its_polygons_and_zoom_15_never_has_an_overview(
    store, mining_meta, dense_gpkg
):
    batch_id, rows = load(store, dense_gpkg, mining_meta)
    tile = busiest_tile(rows.values(), 14)
    n = sum(expected_cells(rows.values(), tile).values())
    source = TileSource(store.engine, overview_rows=n)  # not more than the threshold
    feats = decoded(source.batch_tile(batch_id, tile, scope=EVERYTHING, today=BEFORE_DUE),
                    tiles.CASES_LAYER)  # fmt: skip
    assert len(feats) >= n
    dense = TileSource(store.engine, overview_rows=0)
    t15 = busiest_tile(rows.values(), 15)
    blob = dense.batch_tile(batch_id, t15, scope=EVERYTHING, today=BEFORE_DUE)
    assert decoded(blob, tiles.CASES_LAYER) and not decoded(blob, tiles.OVERVIEW_LAYER)


def test_a_cell_shows_its_most_urgent_state_and_whether_any_is_overdue(
    store, mining_meta, dense_gpkg
):
    batch_id, rows = load(store, dense_gpkg, mining_meta)
    source = TileSource(store.engine, overview_rows=0)
    tile = busiest_tile(rows.values(), 13)
    step = 2 * HALF / (1 << tile.z) / tiles.OVERVIEW_GRID

    def cell_of(r):
        minx, miny, maxx, maxy = shapely.from_wkb(r["geom"]).bounds
        mx, my = TO_3857.transform((minx + maxx) / 2, (miny + maxy) / 2)
        return (math.floor((mx + HALF) / step) - tile.x * tiles.OVERVIEW_GRID,
                math.floor((HALF - my) / step) - tile.y * tiles.OVERVIEW_GRID)  # fmt: skip

    by_cell: dict = {}
    for cid, r in rows.items():
        by_cell.setdefault(cell_of(r), []).append(cid)
    full, partly = [ids for c, ids in sorted(by_cell.items()) if len(ids) > 1
                    and all(0 <= k < tiles.OVERVIEW_GRID for k in c)][:2]  # fmt: skip
    verify = {"judgment": "legal", "reason": "approved"}
    for cid in full + partly[:1]:
        store.apply_action(cid, "verify", actor="hc", now=NOW, expected_version=None,
                           payload=verify)  # fmt: skip

    def props(today):
        feats = decoded(source.batch_tile(batch_id, tile, scope=EVERYTHING, today=today),
                        tiles.OVERVIEW_LAYER)  # fmt: skip
        return {f["id"]: f["properties"] for f in feats}

    def fid(ids):
        col, row = cell_of(rows[ids[0]])
        return row * tiles.OVERVIEW_GRID + col

    now = props(BEFORE_DUE)
    assert now[fid(full)]["state"] == "verified"  # all verified
    assert now[fid(partly)]["state"] == "issued"  # one still untouched: more urgent
    assert not any(p["overdue"] for p in now.values())
    late = props(AFTER_DUE)
    assert all(p["overdue"] for p in late.values())  # verified is not final either


def test_a_verifier_overview_counts_only_their_图斑(store, mining_meta, dense_gpkg):
    batch_id, rows = load(store, dense_gpkg, mining_meta)
    users = UserStore(store.engine, PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    v = users.add(username="v", display_name="核查员", password="Tuban-2019-verify!",
                  roles=["verifier"], by="t", now=NOW)  # fmt: skip
    mine = sorted(rows)[::7]
    users.assign(mine, v.id, by="t", now=NOW)
    source = TileSource(store.engine, overview_rows=3)
    tile = busiest_tile(rows.values(), 12)
    want = expected_cells([rows[c] for c in mine], tile)
    assert 3 < sum(want.values()) < sum(expected_cells(rows.values(), tile).values())
    blob = source.batch_tile(batch_id, tile, scope=Scope.of(v), today=BEFORE_DUE)
    assert counted(decoded(blob, tiles.OVERVIEW_LAYER)) == want


@pytest.fixture
def both_stores(tmp_path):
    """The same file imported into a fresh SQLite store and a fresh PostGIS schema."""
    url, schema = _pg_schema_url()
    engines = [make_engine(sqlite_url(tmp_path / "t.sqlite")), make_engine(url)]
    for e in engines:
        migrate(e)
    yield [CaseStore(e) for e in engines]
    for e in engines:
        e.dispose()
    _drop_schema(schema)


def test_sqlite_and_postgis_give_the_same_overview(both_stores, mining_meta, dense_gpkg):
    loaded = [load(s, dense_gpkg, mining_meta) for s in both_stores]
    assert loaded[0][0] == loaded[1][0] and sorted(loaded[0][1]) == sorted(loaded[1][1])
    batch_id, rows = loaded[0]
    cid = sorted(rows)[len(rows) // 2]
    for s in both_stores:
        s.apply_action(cid, "verify", actor="hc", now=NOW, expected_version=None,
                       payload={"judgment": "illegal", "reason": "unlicensed_mining"})  # fmt: skip
    sources = [TileSource(s.engine, overview_rows=5) for s in both_stores]
    for z in (12, 13, 14):
        for tile in {busiest_tile(rows.values(), z), tile_of(*shapely.from_wkb(rows[cid]["geom"])
                                                             .centroid.coords[0], z)}:  # fmt: skip
            for today in (BEFORE_DUE, AFTER_DUE):
                got = [
                    decoded(
                        src.batch_tile(batch_id, tile, scope=EVERYTHING, today=today),
                        tiles.OVERVIEW_LAYER,
                    )  # fmt: skip
                    for src in sources
                ]
                assert got[0] and got[0] == got[1], (tile, today)
