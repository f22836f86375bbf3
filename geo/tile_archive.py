"""Read tiles from a single-file basemap the bureau supplies: MBTiles (SQLite, TMS rows) or
PMTiles v3 (one file, Hilbert-ordered directories), raster (png/jpg/webp) or vector (pbf).

The field network is often offline, so the server hands these tiles out itself at
``/api/basemap/{z}/{x}/{y}``: the phone needs no tile server, no internet and no PMTiles code.
Both formats are read here with the standard library only (sqlite3, gzip) so that nothing but
the file is needed. A vector tile's bytes stay gzip-compressed when the file holds them so and
are sent with ``Content-Encoding: gzip``; ``gzipped`` says which.
"""

from __future__ import annotations

import gzip
import sqlite3
import struct
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

# What the web map needs to know to draw the tiles; the file's path is not part of it.
FORMATS = {
    "png": "image/png",
    "jpg": "image/jpeg",
    "webp": "image/webp",
    "pbf": "application/vnd.mapbox-vector-tile",
}
MAX_ZOOM = 24
GZIP_MAGIC = b"\x1f\x8b"


class ArchiveError(ValueError):
    """The file is not a tile archive this reader understands (the message names no path)."""


@dataclass(frozen=True)
class ArchiveInfo:
    """What a basemap file holds: tile format, zoom range, extent (lon/lat) and its credits."""

    format: str
    min_zoom: int
    max_zoom: int
    bounds: tuple[float, float, float, float] | None
    name: str
    attribution: str


@dataclass(frozen=True)
class Tile:
    """One tile's bytes as stored, and whether they are gzip-compressed (vector tiles)."""

    data: bytes
    gzipped: bool


class TileArchive(Protocol):
    """A basemap file: its description and its tiles by XYZ (y down, as Leaflet asks)."""

    info: ArchiveInfo

    def tile(self, z: int, x: int, y: int) -> Tile | None:
        """The tile at z/x/y, or None when the file has none there."""
        ...


def on_grid(z: int, x: int, y: int) -> bool:
    """Whether z/x/y names a tile of the XYZ grid (no file is read for anything else)."""
    return 0 <= z <= MAX_ZOOM and 0 <= x < (1 << z) and 0 <= y < (1 << z)


def open_archive(path: Path) -> TileArchive:
    """The archive at ``path`` by its suffix (.mbtiles or .pmtiles); ArchiveError otherwise."""
    suffix = path.suffix.lower()
    if not path.is_file():
        raise ArchiveError("底图文件不存在")
    if suffix == ".mbtiles":
        return MBTiles(path)
    if suffix == ".pmtiles":
        return PMTiles(path)
    raise ArchiveError("底图文件应为 .mbtiles 或 .pmtiles")


def _sniff(data: bytes) -> str:
    """A tile format from a tile's first bytes (a file whose metadata does not say)."""
    if data.startswith(b"\x89PNG"):
        return "png"
    if data.startswith(b"\xff\xd8"):
        return "jpg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return "pbf"


def _bounds(text: str | None) -> tuple[float, float, float, float] | None:
    try:
        w, s, e, n = (float(v) for v in str(text).split(","))
    except ValueError:
        return None
    ok = -180 <= w < e <= 180 and -90 <= s < n <= 90
    return (w, s, e, n) if ok else None


def _format(name: str | None) -> str | None:
    name = (name or "").strip().lower()
    name = {"jpeg": "jpg", "mvt": "pbf"}.get(name, name)
    return name if name in FORMATS else None


class MBTiles:
    """An MBTiles 1.3 file: table ``tiles`` keyed by zoom, column and TMS row (y up)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()
        try:
            db = self._db()
            meta = dict(db.execute("SELECT name, value FROM metadata").fetchall())
            zooms = db.execute("SELECT MIN(zoom_level), MAX(zoom_level) FROM tiles").fetchone()
            first = db.execute("SELECT tile_data FROM tiles LIMIT 1").fetchone()
        except sqlite3.DatabaseError as exc:
            raise ArchiveError(f"不是可读的 MBTiles 文件（{type(exc).__name__}）") from None
        if first is None or zooms[0] is None:
            raise ArchiveError("MBTiles 文件中没有瓦片")
        fmt = _format(meta.get("format")) or _sniff(bytes(first[0]))
        self.info = ArchiveInfo(
            format=fmt,
            min_zoom=_int(meta.get("minzoom"), zooms[0]),
            max_zoom=_int(meta.get("maxzoom"), zooms[1]),
            bounds=_bounds(meta.get("bounds")),
            name=str(meta.get("name") or ""),
            attribution=str(meta.get("attribution") or ""),
        )

    def _db(self) -> sqlite3.Connection:
        # Read-only, one connection per server thread: opening one per tile cost 0.7 ms, a
        # lookup on an open one 0.1 ms; nothing is shared between threads.
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True)
            self._local.db = db
        return db

    def tile(self, z: int, x: int, y: int) -> Tile | None:
        """The tile at XYZ z/x/y (stored at TMS row 2^z − 1 − y)."""
        if not on_grid(z, x, y):
            return None
        row = (
            self._db()
            .execute(
                "SELECT tile_data FROM tiles WHERE zoom_level=? AND tile_column=? AND tile_row=?",
                (z, x, (1 << z) - 1 - y),
            )
            .fetchone()
        )
        if row is None:
            return None
        data = bytes(row[0])
        return Tile(data, data.startswith(GZIP_MAGIC))


def _int(value: object, default: int) -> int:
    try:
        return int(str(value))
    except ValueError:
        return int(default)


# --- PMTiles v3 (https://github.com/protomaps/PMTiles/blob/main/spec/v3/spec.md) -------------

PMTILES_MAGIC = b"PMTiles"
HEADER = struct.Struct("<7sBQQQQQQQQQQQBBBBBBiiiiBii")
COMPRESSION = {1: None, 2: "gzip"}  # none, gzip; brotli and zstd need libraries we do not ship
TILE_TYPES = {1: "pbf", 2: "png", 3: "jpg", 4: "webp"}
Entry = tuple[int, int, int, int]  # tile_id, offset, length, run_length
MAX_DEPTH = 4  # root + leaves; the spec's writers never nest deeper than three


def zxy_to_tileid(z: int, x: int, y: int) -> int:
    """The PMTiles tile id: the tiles of lower zooms, then the Hilbert index of x, y at z."""
    acc = ((1 << (2 * z)) - 1) // 3
    d = 0
    tx, ty = x, y
    s = 1 << (z - 1) if z else 0
    while s > 0:
        rx = 1 if tx & s else 0
        ry = 1 if ty & s else 0
        d += s * s * ((3 * rx) ^ ry)
        if ry == 0:  # rotate the quadrant
            if rx == 1:
                tx, ty = s - 1 - tx, s - 1 - ty
            tx, ty = ty, tx
        s >>= 1
    return acc + d


def _varints(buf: bytes, pos: int, n: int) -> tuple[list[int], int]:
    out = []
    for _ in range(n):
        value = shift = 0
        while True:
            if pos >= len(buf):
                raise ArchiveError("PMTiles 目录已损坏")
            b = buf[pos]
            pos += 1
            value |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                break
        out.append(value)
    return out, pos


def _directory(buf: bytes) -> list[Entry]:
    """Entries (tile_id, offset, length, run_length); run_length 0 points to a leaf."""
    (n,), pos = _varints(buf, 0, 1)
    deltas, pos = _varints(buf, pos, n)
    runs, pos = _varints(buf, pos, n)
    lengths, pos = _varints(buf, pos, n)
    raw_offsets, pos = _varints(buf, pos, n)
    entries: list[Entry] = []
    tile_id = 0
    for i in range(n):
        tile_id += deltas[i]
        if i > 0 and raw_offsets[i] == 0:
            offset = entries[-1][1] + entries[-1][2]  # right after the previous entry
        else:
            offset = raw_offsets[i] - 1
        entries.append((tile_id, offset, lengths[i], runs[i]))
    return entries


def _find(entries: list[Entry], tile_id: int) -> Entry | None:
    lo, hi = 0, len(entries) - 1
    while lo <= hi:
        mid = (lo + hi) // 2
        if entries[mid][0] < tile_id:
            lo = mid + 1
        elif entries[mid][0] > tile_id:
            hi = mid - 1
        else:
            return entries[mid]
    # The entry before may cover this id with its run of identical tiles (or be a leaf).
    if hi >= 0:
        e = entries[hi]
        if e[3] == 0 or tile_id - e[0] < e[3]:
            return e
    return None


class PMTiles:
    """A PMTiles v3 file read with positioned reads; directories are kept parsed (LRU)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._dirs: OrderedDict[tuple[int, int], list[Entry]] = OrderedDict()
        head = self._read(0, HEADER.size)
        if len(head) < HEADER.size or not head.startswith(PMTILES_MAGIC):
            raise ArchiveError("不是 PMTiles 文件")
        h = HEADER.unpack(head)
        if h[1] != 3:
            raise ArchiveError(f"只支持 PMTiles 第 3 版（此文件为第 {h[1]} 版）")
        (self.root_offset, self.root_length, meta_offset, meta_length, self.leaf_offset) = h[2:7]
        self.data_offset = h[8]
        internal, tiles, tile_type = h[14], h[15], h[16]
        if internal not in COMPRESSION or tiles not in (0, *COMPRESSION):
            raise ArchiveError("PMTiles 使用了不支持的压缩方式（仅支持不压缩或 gzip）")
        if tile_type not in TILE_TYPES:
            raise ArchiveError("PMTiles 瓦片类型不受支持（支持 mvt/png/jpg/webp）")
        self.internal = COMPRESSION[internal]
        self.gzipped_tiles = COMPRESSION.get(tiles) == "gzip"
        meta = self._metadata(meta_offset, meta_length)
        w, s, e, n = (v / 1e7 for v in h[19:23])
        self.info = ArchiveInfo(
            format=TILE_TYPES[tile_type],
            min_zoom=h[17],
            max_zoom=h[18],
            bounds=(w, s, e, n) if -180 <= w < e <= 180 and -90 <= s < n <= 90 else None,
            name=str(meta.get("name") or ""),
            attribution=str(meta.get("attribution") or ""),
        )

    def _read(self, offset: int, length: int) -> bytes:
        with self.path.open("rb") as fh:
            fh.seek(offset)
            return fh.read(length)

    def _inflate(self, data: bytes) -> bytes:
        if self.internal == "gzip":
            try:
                return gzip.decompress(data)
            except (OSError, EOFError):
                raise ArchiveError("PMTiles 目录已损坏") from None
        return data

    def _metadata(self, offset: int, length: int) -> dict[str, object]:
        import json

        if not length:
            return {}
        try:
            meta = json.loads(self._inflate(self._read(offset, length)))
        except ValueError:
            return {}
        return meta if isinstance(meta, dict) else {}

    def _dir(self, offset: int, length: int) -> list[Entry]:
        key = (offset, length)
        with self._lock:
            if key in self._dirs:
                self._dirs.move_to_end(key)
                return self._dirs[key]
        entries = _directory(self._inflate(self._read(offset, length)))
        with self._lock:
            self._dirs[key] = entries
            while len(self._dirs) > 64:
                self._dirs.popitem(last=False)
        return entries

    def tile(self, z: int, x: int, y: int) -> Tile | None:
        """The tile at z/x/y, found through the root and at most a few leaf directories."""
        if not on_grid(z, x, y) or not self.info.min_zoom <= z <= self.info.max_zoom:
            return None
        tile_id = zxy_to_tileid(z, x, y)
        offset, length = self.root_offset, self.root_length
        for _ in range(MAX_DEPTH):
            entry = _find(self._dir(offset, length), tile_id)
            if entry is None:
                return None
            if entry[3] > 0:
                data = self._read(self.data_offset + entry[1], entry[2])
                return Tile(data, self.gzipped_tiles)
            offset, length = self.leaf_offset + entry[1], entry[2]
        return None
