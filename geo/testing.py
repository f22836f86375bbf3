"""Synthetic evidence photos with real EXIF (GPS position, direction, time) for tests and demo."""

from __future__ import annotations

import io
import math
import struct
import zlib
from fractions import Fraction
from typing import Any

from PIL import Image
from PIL.ExifTags import GPS, IFD, Base
from PIL.TiffImagePlugin import IFDRational

RATIONAL, SIGNED_RATIONAL = 5, 10


def jpeg(
    lon: float | None = None,
    lat: float | None = None,
    direction: float | None = None,
    direction_ref: str | None = "T",
    taken: str | None = "2019:11:05 10:30:00",
    offset: str | None = "+08:00",
    size: tuple[int, int] = (64, 48),
    *,
    orientation: int | None = None,
    comment: bytes | None = None,
    noise: bool = False,
) -> bytes:
    """A JPEG photo; every EXIF value left as None is omitted (all None: no EXIF at all).

    ``direction`` may be negative (−999999 is the usual "unknown"): it is then written as a
    signed rational, as some apps do. ``noise`` fills the image with noise so the compressed
    stream is long enough to cut in the middle.
    """
    extra: dict[str, Any] = {"comment": comment} if comment else {}
    return _save(
        _image(size, noise),
        "JPEG",
        _exif(lon, lat, direction, direction_ref, taken, offset, orientation),
        **extra,
    )


def png(
    lon: float | None = None,
    lat: float | None = None,
    direction: float | None = None,
    taken: str | None = "2019:11:05 10:30:00",
    size: tuple[int, int] = (64, 48),
    mode: str = "RGB",
) -> bytes:
    """A PNG with the same EXIF in an eXIf chunk (screenshots and some apps write PNG)."""
    im = _image(size, False).convert(mode)
    return _save(im, "PNG", _exif(lon, lat, direction, "T", taken, "+08:00", None))


def mpo(lon: float, lat: float, size: tuple[int, int] = (64, 48)) -> bytes:
    """A two-frame MPO (JPEG plus a second image), as phones write with depth or previews."""
    im = _image(size, False)
    out = io.BytesIO()
    exif = _exif(lon, lat, None, None, "2019:11:05 10:30:00", "+08:00", None)
    im.save(out, "MPO", save_all=True, append_images=[im.copy()], exif=exif)
    return out.getvalue()


def png_header(width: int, height: int) -> bytes:
    """A PNG whose header claims ``width`` × ``height`` pixels but holds almost no data."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + chunk(b"IEND", b"")
    )


def _image(size: tuple[int, int], noise: bool) -> Image.Image:
    if noise:
        return Image.effect_noise(size, 64).convert("RGB")
    return Image.new("RGB", size, (112, 150, 80))


def _save(im: Image.Image, fmt: str, exif: bytes | None, **kwargs: Any) -> bytes:
    out = io.BytesIO()
    if exif:
        kwargs["exif"] = exif
    im.save(out, fmt, **kwargs)
    return out.getvalue()


def _dms(value: float) -> tuple[IFDRational, IFDRational, IFDRational]:
    """Degrees, minutes and seconds (to 1/10000″, about 3 mm) as EXIF rationals."""
    # Integer steps of 1/10000″ so rounding never yields 60″ or 60′.
    deg, rest = divmod(round(abs(value) * 3600 * 10000), 3600 * 10000)
    minutes, seconds = divmod(rest, 60 * 10000)
    return IFDRational(deg, 1), IFDRational(minutes, 1), IFDRational(seconds, 10000)


def _rational(value: float) -> IFDRational:
    if math.isnan(value):
        return IFDRational(0, 0)  # 0/0: how some apps write "no direction"
    f = Fraction(abs(value)).limit_denominator(1000)
    return IFDRational(f.numerator, f.denominator)


def _exif(
    lon: float | None,
    lat: float | None,
    direction: float | None,
    direction_ref: str | None,
    taken: str | None,
    offset: str | None,
    orientation: int | None,
) -> bytes | None:
    exif = Image.Exif()
    if orientation is not None:
        exif[Base.Orientation] = orientation
    gps: dict[int, Any] = {}
    if lat is not None and lon is not None:
        gps[GPS.GPSLatitudeRef] = "N" if lat >= 0 else "S"
        gps[GPS.GPSLatitude] = _dms(lat)
        gps[GPS.GPSLongitudeRef] = "E" if lon >= 0 else "W"
        gps[GPS.GPSLongitude] = _dms(lon)
    if direction is not None:
        if direction_ref is not None:
            gps[GPS.GPSImgDirectionRef] = direction_ref
        # Pillow writes GPSImgDirection as an unsigned RATIONAL; a negative is patched in below.
        gps[GPS.GPSImgDirection] = _rational(direction)
    if gps:
        exif.get_ifd(IFD.GPSInfo).update(gps)
    if taken is not None or offset is not None:
        sub = exif.get_ifd(IFD.Exif)
        if taken is not None:
            sub[Base.DateTimeOriginal] = taken
        if offset is not None:
            sub[Base.OffsetTimeOriginal] = offset
    if orientation is None and not gps and taken is None and offset is None:
        return None
    raw = exif.tobytes()
    return _negate_direction(raw) if direction is not None and direction < 0 else raw


def _negate_direction(raw: bytes) -> bytes:
    """Turn the GPSImgDirection entry into a SIGNED RATIONAL with a negative numerator."""
    tiff = bytearray(raw[6:])  # after b"Exif\0\0"
    e = "<" if tiff[:2] == b"II" else ">"
    at = tiff.find(struct.pack(f"{e}HHL", GPS.GPSImgDirection, RATIONAL, 1))
    assert at > 0, "GPSImgDirection entry not found"
    value_at = struct.unpack_from(f"{e}L", tiff, at + 8)[0]
    struct.pack_into(f"{e}H", tiff, at + 2, SIGNED_RATIONAL)
    numerator = struct.unpack_from(f"{e}L", tiff, value_at)[0]
    struct.pack_into(f"{e}l", tiff, value_at, -numerator)
    return raw[:6] + bytes(tiff)
