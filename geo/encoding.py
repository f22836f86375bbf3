"""Shapefile attribute encoding: honour a .cpg, otherwise tell UTF-8 from GBK by the bytes."""

from __future__ import annotations

import codecs
import struct
from pathlib import Path

from geo.inputs import scrub_text


def dbf_records_bytes(dbf: Path, limit: int = 1 << 20) -> bytes:
    """The raw record area of a dBASE file (header skipped), up to ``limit`` bytes."""
    with dbf.open("rb") as fh:
        head = fh.read(32)
        if len(head) < 32:
            return b""
        header_len = struct.unpack("<H", head[8:10])[0]
        fh.seek(header_len)
        return fh.read(limit)


def guess_dbf_encoding(dbf: Path) -> str:
    """Return "UTF-8" when the records decode strictly as UTF-8, else "GBK".

    Provincial deliveries without a .cpg are GBK far more often than not; GDAL's own
    fallback (ISO-8859-1) would silently turn their Chinese into mojibake.
    """
    raw = dbf_records_bytes(dbf)
    try:
        raw.decode("utf-8")
        return "UTF-8"
    except UnicodeDecodeError as exc:
        # A multi-byte character cut by the read limit is not evidence against UTF-8.
        if exc.start >= len(raw) - 3 and len(raw) >= (1 << 20):
            return "UTF-8"
        return "GBK"


def shapefile_encoding(shp: Path) -> tuple[str | None, str]:
    """(encoding to pass to the reader or None to let GDAL use the .cpg, how it was decided)."""
    for cpg in (shp.with_suffix(".cpg"), shp.with_suffix(".CPG")):
        if cpg.exists():
            # Its text is shown and stored (VARCHAR(200)): cleaned and cut, whatever it holds.
            said = scrub_text(cpg.read_text(errors="replace")).strip()
            return None, f".cpg: {said[:40]}{'…' if len(said) > 40 else ''}"
    dbf = next((p for p in (shp.with_suffix(".dbf"), shp.with_suffix(".DBF")) if p.exists()), None)
    if dbf is None:
        return None, "no .dbf"
    enc = guess_dbf_encoding(dbf)
    return enc, f"guessed from .dbf bytes (no .cpg): {enc}"


# What a .cpg says when it means UTF-8 (GDAL reads these as UTF-8).
_UTF8_NAMES = frozenset({"utf-8", "utf8", "65001"})


def _records_are_utf8(dbf: Path, block: int = 1 << 24) -> bool:
    """Whether every byte of the dBASE record area decodes as UTF-8 (read a block at a time)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    with dbf.open("rb") as fh:
        head = fh.read(32)
        if len(head) < 32:
            return True
        fh.seek(struct.unpack("<H", head[8:10])[0])
        try:
            while data := fh.read(block):
                decoder.decode(data)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return False
    return True


def whole_shapefile_encoding(shp: Path) -> tuple[str | None, str]:
    """``shapefile_encoding`` for a Shapefile read a part at a time: a .cpg saying UTF-8 is
    checked against every record first, so that a part that happens to be plain ASCII does not
    decide one encoding and a later part another (the whole-file reader finds the lie when
    decoding fails)."""
    enc, note = shapefile_encoding(shp)
    if enc is not None:
        return enc, note
    cpg = next((c for c in (shp.with_suffix(".cpg"), shp.with_suffix(".CPG")) if c.exists()), None)
    dbf = next((p for p in (shp.with_suffix(".dbf"), shp.with_suffix(".DBF")) if p.exists()), None)
    if cpg is None or dbf is None:
        return enc, note
    said = cpg.read_text(errors="replace").strip().lower()
    if said in _UTF8_NAMES and not _records_are_utf8(dbf):
        return "GBK", f"GBK (the {note} does not match the .dbf bytes)"
    return enc, note
