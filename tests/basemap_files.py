"""Small offline basemap files for tests, written from scratch (nothing big is committed):
MBTiles (SQLite, TMS rows) and PMTiles v3 (optionally with a leaf directory, gzip tiles)."""

from __future__ import annotations

import gzip
import io
import json
import math
import sqlite3
from pathlib import Path

from PIL import Image

from geo.tile_archive import HEADER, zxy_to_tileid


def png(colour: tuple[int, int, int], size: int = 256) -> bytes:
    """A plain PNG tile of one colour."""
    out = io.BytesIO()
    Image.new("RGB", (size, size), colour).save(out, format="PNG")
    return out.getvalue()


def write_mbtiles(
    path: Path, tiles: dict[tuple[int, int, int], bytes], meta: dict[str, str] | None = None
) -> Path:
    """An MBTiles file holding ``tiles`` by XYZ z/x/y (stored with the TMS row flip)."""
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE metadata (name TEXT, value TEXT)")
        db.execute(
            "CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER,"
            " tile_data BLOB)"
        )
        db.executemany("INSERT INTO metadata VALUES (?, ?)", list((meta or {}).items()))
        db.executemany(
            "INSERT INTO tiles VALUES (?, ?, ?, ?)",
            [(z, x, (1 << z) - 1 - y, data) for (z, x, y), data in tiles.items()],
        )
    return path


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _directory(entries: list[tuple[int, int, int, int]]) -> bytes:
    """Entries (tile_id, offset, length, run_length) serialised as the spec says (no offsets
    elided, so the reader's 'right after the previous' rule is tested by the leaf entries)."""
    out = bytearray(_varint(len(entries)))
    last = 0
    for tile_id, *_ in entries:
        out += _varint(tile_id - last)
        last = tile_id
    for *_, run in entries:
        out += _varint(run)
    for _, _, length, _ in entries:
        out += _varint(length)
    previous_end = None
    for _, offset, length, _ in entries:
        out += _varint(0 if offset == previous_end else offset + 1)
        previous_end = offset + length
    return bytes(out)


def write_pmtiles(
    path: Path,
    tiles: dict[tuple[int, int, int], bytes],
    *,
    tile_type: int = 2,
    gzip_tiles: bool = False,
    leaf: bool = False,
    meta: dict[str, str] | None = None,
    bounds: tuple[float, float, float, float] = (117.0, 39.0, 119.0, 41.0),
) -> Path:
    """A PMTiles v3 file of ``tiles``; with ``leaf`` the root points to one leaf directory."""
    ordered = sorted(tiles.items(), key=lambda kv: zxy_to_tileid(*kv[0]))
    data = bytearray()
    entries = []
    for zxy, blob in ordered:
        body = gzip.compress(blob) if gzip_tiles else blob
        entries.append((zxy_to_tileid(*zxy), len(data), len(body), 1))
        data += body
    leaves = b""
    if leaf:
        leaves = _directory(entries)
        root = _directory([(entries[0][0], 0, len(leaves), 0)])
    else:
        root = _directory(entries)
    metadata = json.dumps(meta or {}).encode()
    root_at = HEADER.size
    meta_at = root_at + len(root)
    leaf_at = meta_at + len(metadata)
    data_at = leaf_at + len(leaves)
    zooms = [z for z, _, _ in tiles]
    header = HEADER.pack(
        b"PMTiles", 3,
        root_at, len(root), meta_at, len(metadata), leaf_at, len(leaves), data_at, len(data),
        len(tiles), len(tiles), len(tiles),
        1, 1, 2 if gzip_tiles else 1, tile_type, min(zooms), max(zooms),
        *(round(v * 1e7) for v in bounds), min(zooms), 0, 0,
    )  # fmt: skip
    path.write_bytes(header + root + metadata + leaves + bytes(data))
    return path


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    """The XYZ tile (Web Mercator) holding lon/lat at zoom z."""
    n = 1 << z
    x = int((lon + 180.0) / 360.0 * n)
    y = int((1.0 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2.0 * n)
    return min(max(x, 0), n - 1), min(max(y, 0), n - 1)


def area_tiles(
    bounds: tuple[float, float, float, float], zooms: range
) -> dict[tuple[int, int, int], bytes]:
    """A checkerboard of two pale tiles over ``bounds`` (w, s, e, n) at each zoom: a basemap
    whose tiles can be told apart on a screenshot, a few hundred bytes each."""
    light, dark = png((236, 232, 220), 256), png((214, 226, 206), 256)
    tiles = {}
    for z in zooms:
        x0, y0 = tile_of(bounds[0], bounds[3], z)
        x1, y1 = tile_of(bounds[2], bounds[1], z)
        for x in range(x0, x1 + 1):
            for y in range(y0, y1 + 1):
                tiles[(z, x, y)] = light if (x + y) % 2 else dark
    return tiles


def vector_tile() -> bytes:
    """A Mapbox Vector Tile in the Protomaps basemap schema: land ("earth") over the whole
    tile and water over its north-west quarter."""
    import mapbox_vector_tile

    square = "POLYGON ((0 0, 4096 0, 4096 4096, 0 4096, 0 0))"
    quarter = "POLYGON ((0 0, 2048 0, 2048 2048, 0 2048, 0 0))"
    return mapbox_vector_tile.encode(
        [
            {"name": "earth", "features": [{"geometry": square, "properties": {}}]},
            {"name": "water", "features": [{"geometry": quarter, "properties": {"kind": "lake"}}]},
        ]
    )
