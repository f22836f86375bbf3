"""Shapefile attribute encoding: honour a .cpg, otherwise tell UTF-8 from GBK by the bytes."""

from __future__ import annotations

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
