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


def _cpg_says(shp: Path) -> str | None:
    """What the Shapefile's .cpg says, cleaned and cut (it is shown and stored in a
    VARCHAR(200)), or None without a .cpg."""
    for cpg in (shp.with_suffix(".cpg"), shp.with_suffix(".CPG")):
        if cpg.exists():
            said = scrub_text(cpg.read_text(errors="replace")).strip()
            return f"{said[:40]}{'…' if len(said) > 40 else ''}"
    return None


def given_note(encoding: str) -> str:
    """The report's words for an encoding the user chose."""
    return f"{encoding}（用户指定）"


def mismatch_note(encoding: str, shp: Path) -> str:
    """The report's words for ``encoding`` used because the .cpg's does not fit the bytes."""
    return f"{encoding}（.cpg 写的 {_cpg_says(shp)} 与 .dbf 内容不符，按内容读取）"


def shapefile_encoding(shp: Path) -> tuple[str | None, str]:
    """(encoding to pass to the reader or None to let GDAL use the .cpg, how it was decided,
    in the report's words)."""
    said = _cpg_says(shp)
    if said is not None:
        return None, f"{said}（取自 .cpg 文件）"
    dbf = next((p for p in (shp.with_suffix(".dbf"), shp.with_suffix(".DBF")) if p.exists()), None)
    if dbf is None:
        return None, "无 .dbf 文件"
    enc = guess_dbf_encoding(dbf)
    return enc, f"{enc}（无 .cpg 文件，按 .dbf 内容推断）"


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
        return "GBK", mismatch_note("GBK", shp)
    return enc, note
