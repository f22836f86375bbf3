"""Photo evidence (实地举证): read a photo's position, direction and time and check its 图斑."""

from __future__ import annotations

import hashlib
import io
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone, tzinfo
from typing import Any

import numpy as np
import shapely
from PIL import Image, ImageFile, ImageOps
from PIL.ExifTags import GPS, IFD, Base
from pyproj import CRS, Transformer
from pyproj.enums import TransformDirection
from shapely.geometry.base import BaseGeometry

from geo.area import CGCS2000, GEOD
from geo.errors import InvalidPayload
from geo.localtime import LOCAL_TZ
from geo.messages import Msg, msg

MAX_BYTES = 20 * 1024 * 1024
# Pillow format name -> MIME type. Phones that embed a depth map or preview write MPO, which
# is a JPEG with extra frames appended; every JPEG reader shows its first frame.
ALLOWED_FORMATS = {"JPEG": "image/jpeg", "MPO": "image/jpeg", "PNG": "image/png"}
# Phone photos in default modes are ≤ 50 Mpx; anything larger is refused before decoding so a
# small file cannot expand into gigabytes of pixels (decompression bomb).
MAX_PIXELS = 60_000_000
THUMB_SIZE = 320
# Magnetic declination around 唐山 (west, about −7° in 2019–2025 per the World Magnetic
# Model); a magnetic bearing plus this is a true bearing.
MAGNETIC_DECLINATION_DEG = -7.0

FLAGS = (
    "no_position",
    "far_from_polygon",
    "no_direction",
    "magnetic_north",
    "not_facing",
    "no_time",
    "before_imagery",
    "after_deadline",
)
# Each flag in a few words, for lists and the event log (the checks' own notes say more).
FLAG_LABELS: dict[str, tuple[str, str]] = {
    "no_position": ("照片没有拍摄位置（GPS）", "no position (GPS) in the photo"),
    "far_from_polygon": ("拍摄位置离图斑较远", "taken far from the 图斑"),
    "no_direction": ("照片没有拍摄方向", "no direction in the photo"),
    "magnetic_north": ("拍摄方向以磁北为准", "direction relative to magnetic north"),
    "not_facing": ("拍摄方向未朝向图斑", "not facing the 图斑"),
    "no_time": ("照片没有拍摄时间", "no time in the photo"),
    "before_imagery": ("拍摄时间早于卫片影像时间", "taken before the imagery"),
    "after_deadline": ("拍摄时间晚于核查截止日期", "taken after the verification deadline"),
}

_DATETIME = re.compile(r"(\d{4})[:-](\d\d)[:-](\d\d)[ T](\d\d):(\d\d):(\d\d)")
_OFFSET = re.compile(r"([+-])(\d\d):?(\d\d)")
# Errors Pillow raises on damaged or hostile input; the warning is included in case the
# process runs with warnings as errors.
_PIL_ERRORS = (
    OSError,
    SyntaxError,
    ValueError,
    EOFError,
    Image.DecompressionBombError,
    Image.DecompressionBombWarning,
)


class PhotoRejected(InvalidPayload):
    """The upload is not a usable photo; ``details`` name the file, the reason and its size.

    A subclass of ``InvalidPayload`` so the API answers 422 without a mapping of its own.
    """

    code = "PHOTO_REJECTED"


@dataclass(frozen=True)
class PhotoInfo:
    """What a photo says about itself: content hash, type, size and EXIF evidence."""

    sha256: str
    mime: str
    width: int
    height: int
    taken_at: datetime | None  # timezone-aware
    lon: float | None  # WGS84 degrees
    lat: float | None
    direction: float | None  # degrees clockwise from north, [0, 360)
    direction_ref: str | None  # "T" true north, "M" magnetic north


@dataclass
class PhotoCheck:
    """How well a photo proves its 图斑: one stable flag and one Chinese note per failed check."""

    distance_m: float | None = None
    faces_polygon: bool | None = None
    flags: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def flag(self, code: str, note: str) -> None:
        """Record one failed check: its stable flag code and the note shown to users."""
        self.flags.append(code)
        self.notes.append(note)


# --- reading -------------------------------------------------------------------------------


def inspect_photo(data: bytes, filename: str) -> PhotoInfo:
    """Validate an uploaded photo and read its evidence from EXIF.

    Parameters
    ----------
    data : the file's bytes; the type is detected from them, never from ``filename``.
    filename : used only to name the file in errors.

    Returns
    -------
    PhotoInfo ; missing or unusable EXIF values are ``None`` (never a rejection: evidence
    problems are flagged by ``check_photo``).

    Raises
    ------
    PhotoRejected
        Empty, larger than ``MAX_BYTES``, not JPEG/PNG, over ``MAX_PIXELS`` or truncated.
    """
    with _open(data, filename) as im:
        width, height = im.size
        mime = ALLOWED_FORMATS[str(im.format)]
        _decode(im, data, filename)
        exif = _exif(im)
    lon, lat = _position(exif["gps"])
    direction, ref = _direction(exif["gps"])
    return PhotoInfo(
        sha256=hashlib.sha256(data).hexdigest(),
        mime=mime,
        width=width,
        height=height,
        taken_at=_taken_at(exif["exif"], exif["ifd0"]),
        lon=lon,
        lat=lat,
        direction=direction,
        direction_ref=ref,
    )


def _reject(message: Msg, filename: str, data: bytes, reason: str, **more: Any) -> PhotoRejected:
    return PhotoRejected(message, file=filename, reason=reason, size=len(data), **more)


def _open(data: bytes, filename: str) -> Image.Image:
    """Open ``data`` as JPEG/PNG after the size checks; pixels are not decoded yet."""
    if not data:
        raise _reject(msg("photo.empty"), filename, data, "empty")
    if len(data) > MAX_BYTES:
        too_big = msg("photo.too_large", megabytes=MAX_BYTES // (1024 * 1024))
        raise _reject(too_big, filename, data, "too_large", limit=MAX_BYTES)
    if data[4:12] in (b"ftypheic", b"ftypheix", b"ftypmif1", b"ftyphevc"):
        # iPhones save HEIC by default; say how to get a JPEG instead of "not an image".
        raise _reject(msg("photo.heic"), filename, data, "heic")
    try:
        # Only the allowed decoders ever see the bytes: less parser surface for hostile files.
        im = Image.open(io.BytesIO(data), formats=["JPEG", "PNG"])
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _reject(msg("photo.bomb"), filename, data, "too_many_pixels") from None
    except _PIL_ERRORS:
        raise _reject(msg("photo.not_image"), filename, data, "not_image") from None
    if str(im.format) not in ALLOWED_FORMATS:
        im.close()
        raise _reject(msg("photo.not_image"), filename, data, "not_image")
    if im.width * im.height > MAX_PIXELS:
        pixels = im.width * im.height
        im.close()
        many = msg("photo.too_many_pixels", pixels=pixels, maximum=MAX_PIXELS)
        raise _reject(many, filename, data, "too_many_pixels", pixels=pixels)
    return im


def _decode(im: Image.Image, data: bytes, filename: str) -> None:
    """Decode every pixel so truncated or corrupt files are refused now, not when shown."""
    if im.format in ("JPEG", "MPO"):
        # DCT scaling decodes the whole stream at 1/8 size: same check, 1/64 of the memory.
        im.draft("RGB", (max(1, im.width // 8), max(1, im.height // 8)))
    if ImageFile.LOAD_TRUNCATED_IMAGES:
        # Another library (WeasyPrint does, on import) switched Pillow to padding truncated
        # files silently; evidence must still be refused, so the default is restored.
        ImageFile.LOAD_TRUNCATED_IMAGES = False
    try:
        im.load()
    except _PIL_ERRORS:
        raise _reject(msg("photo.truncated"), filename, data, "truncated") from None


def _exif(im: Image.Image) -> dict[str, Mapping[int, Any]]:
    """The IFD0, Exif and GPS directories; empty when absent or unreadable."""
    try:
        exif = im.getexif()
        return {"ifd0": exif, "exif": exif.get_ifd(IFD.Exif), "gps": exif.get_ifd(IFD.GPSInfo)}
    except (*_PIL_ERRORS, KeyError, TypeError):
        # Damaged metadata is an evidence problem check_photo flags, not a reason to refuse.
        return {"ifd0": {}, "exif": {}, "gps": {}}


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        value = value.decode("ascii", "replace")
    return value.strip("\x00 ").upper() if isinstance(value, str) else ""


def _number(value: Any) -> float | None:
    try:
        x = float(value)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    return x if math.isfinite(x) else None


def _degrees(value: Any, ref: Any, negative: str) -> float | None:
    """Decimal degrees from EXIF degrees/minutes/seconds rationals and an N/S/E/W ref."""
    parts = value if isinstance(value, tuple) else (value,)
    try:
        nums = [float(p) for p in parts[:3]]
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    if not nums or not all(math.isfinite(n) and n >= 0 for n in nums):
        return None
    deg = sum(n / 60**i for i, n in enumerate(nums))
    return -deg if _text(ref) == negative else deg


def _position(gps: Mapping[int, Any]) -> tuple[float | None, float | None]:
    if GPS.GPSLatitude not in gps or GPS.GPSLongitude not in gps:
        return None, None
    lat = _degrees(gps[GPS.GPSLatitude], gps.get(GPS.GPSLatitudeRef), "S")
    lon = _degrees(gps[GPS.GPSLongitude], gps.get(GPS.GPSLongitudeRef), "W")
    if lat is None or lon is None or abs(lat) > 90 or abs(lon) > 180:
        return None, None
    return lon, lat


def _direction(gps: Mapping[int, Any]) -> tuple[float | None, str | None]:
    """GPSImgDirection in [0, 360); −999999, negative, ≥ 360 and 0/0 mean "unknown"."""
    d = _number(gps.get(GPS.GPSImgDirection))
    if d is None or not 0 <= d < 360:
        return None, None
    ref = _text(gps.get(GPS.GPSImgDirectionRef))
    return d, ref if ref in ("T", "M") else None


def _taken_at(exif_ifd: Mapping[int, Any], ifd0: Mapping[int, Any]) -> datetime | None:
    """DateTimeOriginal with OffsetTimeOriginal; some writers misplace both in IFD0.

    Only the capture time counts: DateTime (IFD0) is when the file was last edited.
    """
    raw = exif_ifd.get(Base.DateTimeOriginal) or ifd0.get(Base.DateTimeOriginal)
    m = _DATETIME.match(_text(raw))
    if not m:
        return None
    try:
        year, month, day, hour, minute, second = map(int, m.groups())
        naive = datetime(year, month, day, hour, minute, second)
    except ValueError:  # "0000:00:00 00:00:00" and other impossible dates
        return None
    offset = exif_ifd.get(Base.OffsetTimeOriginal) or ifd0.get(Base.OffsetTimeOriginal)
    # Without an offset the camera clock is taken as local: every photo here is shot in China,
    # whose phones run on Beijing time (UTC+8, no daylight saving since 1991).
    return naive.replace(tzinfo=_offset(offset) or LOCAL_TZ)


def _offset(value: Any) -> tzinfo | None:
    m = _OFFSET.fullmatch(_text(value))
    if not m or int(m[2]) > 14 or int(m[3]) > 59:
        return None
    delta = timedelta(hours=int(m[2]), minutes=int(m[3]))
    return timezone(-delta if m[1] == "-" else delta)


# --- checking ------------------------------------------------------------------------------


def check_photo(
    info: PhotoInfo,
    polygon: BaseGeometry,
    *,
    imagery_date: date | None,
    deadline: date | None,
    max_distance_m: float = 200,
    fov_tolerance_deg: float = 30,
) -> PhotoCheck:
    """Check a photo's position, direction and time against its 图斑; flag, never drop.

    Parameters
    ----------
    info : from ``inspect_photo``.
    polygon : the 图斑 in EPSG:4490 (x = longitude). Phone GPS is WGS84; the two frames differ
        by well under a metre (domain.md §4), far below GPS error, so no datum shift is applied.
    imagery_date : date of the 后时相 imagery; a photo from an earlier day cannot show the change.
    deadline : the batch's due date; compared with the photo's local (LOCAL_TZ) calendar day.
    max_distance_m : geodesic distance beyond which the photo is flagged ``far_from_polygon``.
    fov_tolerance_deg : how far the camera may point beside the polygon's bearing range, for
        the lens's field of view and compass error.

    Returns
    -------
    PhotoCheck ; ``flags`` are codes from ``FLAGS`` in that order, ``notes`` the matching
    Chinese text.

    Examples
    --------
    >>> from shapely import box
    >>> info = PhotoInfo("0" * 64, "image/jpeg", 64, 48, None, 118.1, 39.83, 90.0, "T")
    >>> c = check_photo(info, box(118.09, 39.82, 118.11, 39.84), imagery_date=None, deadline=None)
    >>> c.distance_m, c.faces_polygon, c.flags
    (0.0, True, ['no_time'])
    """
    if shapely.is_empty(polygon):
        raise ValueError("empty polygon")
    minx, miny, maxx, maxy = polygon.bounds
    if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        raise ValueError(f"polygon is not in lon/lat degrees: bounds {polygon.bounds}")
    check = PhotoCheck()
    direction = _true_direction(info, check)
    _check_place(info, polygon, direction, check, max_distance_m, fov_tolerance_deg)
    _check_time(info.taken_at, check, imagery_date, deadline)
    # Report in the fixed order of FLAGS, whatever order the checks ran in.
    pairs = sorted(zip(check.flags, check.notes, strict=True), key=lambda p: FLAGS.index(p[0]))
    check.flags, check.notes = [f for f, _ in pairs], [n for _, n in pairs]
    return check


def _true_direction(info: PhotoInfo, check: PhotoCheck) -> float | None:
    """The camera bearing from true north, or None (flagged) when the photo has none."""
    if info.direction is None:
        check.flag("no_direction", "照片没有有效的拍摄方向（方位角缺失、为 −999999 或超出 0–360°）")
        return None
    if info.direction_ref != "M":
        return info.direction
    true = (info.direction + MAGNETIC_DECLINATION_DEG) % 360
    check.flag(
        "magnetic_north",
        f"拍摄方向以磁北为准（{info.direction:.0f}°）；唐山一带磁偏角约 "
        f"{MAGNETIC_DECLINATION_DEG:+.0f}°，按真北 {true:.0f}° 判断朝向",
    )
    return true


def _check_place(
    info: PhotoInfo,
    polygon: BaseGeometry,
    direction: float | None,
    check: PhotoCheck,
    max_distance_m: float,
    tolerance: float,
) -> None:
    if info.lon is None or info.lat is None or (info.lon == 0 and info.lat == 0):
        # 0,0 is what many apps write when they had no fix, not a place in the Gulf of Guinea.
        check.flag("no_position", "照片没有 GPS 位置（缺失或为 0,0），无法证明在实地拍摄")
        return
    point = shapely.Point(info.lon, info.lat)
    if polygon.covers(point):
        # Standing inside the 图斑, any direction shows it.
        check.distance_m, check.faces_polygon = 0.0, True
        return
    check.distance_m = _distance_m(polygon, info.lon, info.lat)
    if check.distance_m > max_distance_m:
        check.flag(
            "far_from_polygon",
            f"拍摄位置距图斑 {check.distance_m:.0f} 米，超过允许的 {max_distance_m:.0f} 米",
        )
    if direction is None:
        return
    start, width = _bearing_arc(_bearings(polygon, info.lon, info.lat, point))
    check.faces_polygon = _in_arc(direction, start - tolerance, width + 2 * tolerance)
    if not check.faces_polygon:
        check.flag(
            "not_facing",
            f"拍摄方向 {direction:.0f}° 未朝向图斑（图斑位于 {start % 360:.0f}° 至 "
            f"{(start + width) % 360:.0f}° 方向，容差 ±{tolerance:.0f}°）",
        )


def _distance_m(polygon: BaseGeometry, lon: float, lat: float) -> float:
    """Geodesic metres on the CGCS2000 ellipsoid from (lon, lat) to the polygon's nearest point.

    The nearest point is found in an azimuthal equidistant projection centred on the photo,
    where straight-line distance from the centre is geodesic distance; the metres then come
    from the ellipsoid itself.
    """
    aeqd = Transformer.from_crs(
        CGCS2000,
        CRS.from_proj4(f"+proj=aeqd +lat_0={lat} +lon_0={lon} +ellps=GRS80 +units=m +no_defs"),
        always_xy=True,
    )
    local = shapely.transform(polygon, lambda c: np.column_stack(aeqd.transform(c[:, 0], c[:, 1])))
    near = shapely.shortest_line(shapely.Point(0, 0), local)
    x, y = shapely.get_coordinates(near)[1]
    near_lon, near_lat = aeqd.transform(x, y, direction=TransformDirection.INVERSE)
    return float(GEOD.inv(lon, lat, near_lon, near_lat)[2])


def _bearings(polygon: BaseGeometry, lon: float, lat: float, point: shapely.Point) -> np.ndarray:
    """Geodesic forward azimuths (0–360°) from the photo to the polygon's convex-hull vertices.

    When the photo stands inside the hull but outside the polygon (a notch, a hole, between
    parts) the polygon surrounds it, so every direction counts.
    """
    hull = polygon.convex_hull
    if hull.covers(point):
        return np.arange(0.0, 360.0, 90.0)
    xy = shapely.get_coordinates(hull)
    az, _, _ = GEOD.inv(np.full(len(xy), lon), np.full(len(xy), lat), xy[:, 0], xy[:, 1])
    return np.mod(np.asarray(az), 360.0)


def _bearing_arc(bearings: np.ndarray) -> tuple[float, float]:
    """(start, width) in degrees of the smallest clockwise arc holding every bearing.

    The arc is the circle minus its largest empty gap, so it may cross north (0/360).

    >>> _bearing_arc(np.array([350.0, 10.0]))
    (350.0, 20.0)
    """
    b = np.sort(np.mod(bearings, 360.0))
    gaps = np.diff(np.append(b, b[0] + 360.0))
    i = int(np.argmax(gaps))
    return float(b[(i + 1) % len(b)]), float(360.0 - gaps[i])


def _in_arc(direction: float, start: float, width: float) -> bool:
    return width >= 360 or (direction - start) % 360 <= width


def _check_time(
    taken_at: datetime | None, check: PhotoCheck, imagery_date: date | None, deadline: date | None
) -> None:
    if taken_at is None:
        check.flag("no_time", "照片没有拍摄时间（EXIF DateTimeOriginal），无法核对拍摄日期")
        return
    if taken_at.tzinfo is None:
        taken_at = taken_at.replace(tzinfo=LOCAL_TZ)
    day = taken_at.astimezone(LOCAL_TZ).date()
    if imagery_date is not None and day < imagery_date:
        check.flag("before_imagery", f"拍摄日期 {day} 早于后时相影像日期 {imagery_date}")
    if deadline is not None and day > deadline:
        check.flag("after_deadline", f"拍摄日期 {day} 晚于本批次截止日期 {deadline}")


# --- thumbnails ----------------------------------------------------------------------------


def make_thumbnail(data: bytes) -> bytes:
    """A JPEG at most ``THUMB_SIZE`` px on its longest side, upright, with no metadata.

    EXIF (position), ICC profiles and comments are all left behind: thumbnails are shown to
    anyone who can see the case, and orientation is already applied to the pixels.

    Raises
    ------
    PhotoRejected
        On the same grounds as ``inspect_photo``.
    """
    with _open(data, "thumbnail") as im:
        if im.format in ("JPEG", "MPO"):
            im.draft("RGB", (THUMB_SIZE, THUMB_SIZE))  # decode at the smallest scale ≥ thumb
        try:
            upright = ImageOps.exif_transpose(im).convert("RGBA")
        except _PIL_ERRORS:
            raise _reject(msg("photo.truncated"), "thumbnail", data, "truncated") from None
    upright.thumbnail((THUMB_SIZE, THUMB_SIZE), Image.Resampling.LANCZOS)
    # A fresh canvas carries no info dict (Pillow would copy a JPEG comment), and flattens
    # transparent PNG pixels onto white rather than black.
    clean = Image.new("RGB", upright.size, "white")
    clean.paste(upright, mask=upright.getchannel("A"))
    out = io.BytesIO()
    clean.save(out, "JPEG", quality=85, optimize=True)
    return out.getvalue()
