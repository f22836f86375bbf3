"""Photo evidence: reading EXIF, refusing bad uploads, flagging weak evidence, thumbnails."""

from __future__ import annotations

import hashlib
import io
import math
from datetime import date, timedelta

import pytest
from PIL import Image
from PIL.ExifTags import GPS, IFD, Base
from pyproj import Geod
from shapely import box

from geo import photos
from geo import testing as pf
from geo.photos import (
    FLAGS,
    MAX_BYTES,
    THUMB_SIZE,
    PhotoInfo,
    PhotoRejected,
    check_photo,
    inspect_photo,
    make_thumbnail,
)

GRS80 = Geod(ellps="GRS80")
# A 图斑 in 丰润区, about 170 m east-west by 220 m north-south.
POLYGON = box(118.099, 39.829, 118.101, 39.831)
SOUTH_EDGE = (118.100, 39.829)
DATES = {"imagery_date": date(2019, 10, 1), "deadline": date(2019, 11, 30)}


def south_of_polygon(metres: float) -> tuple[float, float]:
    lon, lat, _ = GRS80.fwd(*SOUTH_EDGE, 180, metres)
    return lon, lat


def check(data: bytes, polygon=POLYGON, **kwargs):
    return check_photo(inspect_photo(data, "IMG_0001.jpg"), polygon, **{**DATES, **kwargs})


# --- the factory writes what it claims ---------------------------------------------------


def test_factory_exif_reads_back_with_plain_pillow():
    data = pf.jpeg(118.1, 39.83, 123.5, "M", "2019:11:05 10:30:00", "+08:00", (80, 60))
    im = Image.open(io.BytesIO(data))
    exif = im.getexif()
    gps, sub = exif.get_ifd(IFD.GPSInfo), exif.get_ifd(IFD.Exif)
    assert im.size == (80, 60)
    assert (gps[GPS.GPSLatitudeRef], gps[GPS.GPSLongitudeRef]) == ("N", "E")
    lat = sum(float(v) / 60**i for i, v in enumerate(gps[GPS.GPSLatitude]))
    lon = sum(float(v) / 60**i for i, v in enumerate(gps[GPS.GPSLongitude]))
    assert (lon, lat) == pytest.approx((118.1, 39.83), abs=1e-7)
    assert float(gps[GPS.GPSImgDirection]) == 123.5 and gps[GPS.GPSImgDirectionRef] == "M"
    assert sub[Base.DateTimeOriginal] == "2019:11:05 10:30:00"
    assert sub[Base.OffsetTimeOriginal] == "+08:00"
    negative = Image.open(io.BytesIO(pf.jpeg(118.1, 39.83, -999999))).getexif()
    assert float(negative.get_ifd(IFD.GPSInfo)[GPS.GPSImgDirection]) == -999999
    assert not Image.open(io.BytesIO(pf.jpeg(taken=None, offset=None))).getexif()


# --- inspect_photo -----------------------------------------------------------------------


def test_inspect_reads_hash_type_size_position_direction_and_time():
    data = pf.jpeg(118.1, 39.83, 45.5, size=(80, 60))
    info = inspect_photo(data, "IMG_0001.jpg")
    assert info.sha256 == hashlib.sha256(data).hexdigest()
    assert (info.mime, info.width, info.height) == ("image/jpeg", 80, 60)
    assert (info.lon, info.lat) == pytest.approx((118.1, 39.83), abs=1e-7)
    assert (info.direction, info.direction_ref) == (45.5, "T")
    assert info.taken_at.isoformat() == "2019-11-05T10:30:00+08:00"


def test_southern_and_western_refs_give_negative_degrees():
    info = inspect_photo(pf.jpeg(-70.5, -33.25), "santiago.jpg")
    assert (info.lon, info.lat) == pytest.approx((-70.5, -33.25), abs=1e-7)


def test_time_without_offset_is_taken_as_beijing_time():
    info = inspect_photo(pf.jpeg(offset=None), "a.jpg")
    assert info.taken_at.utcoffset() == timedelta(hours=8)
    assert info.taken_at.replace(tzinfo=None).isoformat() == "2019-11-05T10:30:00"


@pytest.mark.parametrize("taken", ["0000:00:00 00:00:00", "    :  :     :  :  ", "yesterday"])
def test_unusable_capture_time_is_none(taken):
    assert inspect_photo(pf.jpeg(taken=taken), "a.jpg").taken_at is None


@pytest.mark.parametrize("direction", [-999999, -1, 360, 400, math.nan])
def test_sentinel_and_out_of_range_directions_are_none(direction):
    info = inspect_photo(pf.jpeg(118.1, 39.83, direction), "a.jpg")
    assert (info.direction, info.direction_ref) == (None, None)


def test_png_is_accepted_with_its_exif():
    info = inspect_photo(pf.png(118.1, 39.83, 10.0), "screenshot.png")
    assert info.mime == "image/png"
    assert (info.lon, info.lat, info.direction) == pytest.approx((118.1, 39.83, 10.0))


def test_mpo_from_phones_is_a_jpeg():
    info = inspect_photo(pf.mpo(118.1, 39.83), "IMG_0002.jpg")
    assert info.mime == "image/jpeg" and info.lon == pytest.approx(118.1)


def test_type_comes_from_content_not_the_name():
    assert inspect_photo(pf.png(), "photo.jpg").mime == "image/png"
    with pytest.raises(PhotoRejected):
        inspect_photo(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", "photo.jpg")


def rejection(data: bytes, filename: str = "upload.jpg") -> PhotoRejected:
    with pytest.raises(PhotoRejected) as info:
        inspect_photo(data, filename)
    err = info.value
    assert err.code == "PHOTO_REJECTED"
    assert err.details["file"] == filename and err.details["size"] == len(data)
    return err


@pytest.mark.parametrize(
    "data",
    [
        b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n",
        "实地举证说明：照片见附件".encode(),
        b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x01;",
    ],
    ids=["pdf", "text", "gif"],
)
def test_non_image_and_disallowed_types_are_rejected(data):
    err = rejection(data)
    assert err.details["reason"] == "not_image"
    assert err.message == "文件不是 JPEG/PNG 图片"


def test_empty_and_heic_uploads_are_rejected_with_a_reason():
    assert rejection(b"").details["reason"] == "empty"
    heic = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic"
    err = rejection(heic, "IMG_0003.HEIC")
    assert err.details["reason"] == "heic" and "HEIC" in err.message


@pytest.mark.parametrize("make", [pf.jpeg, pf.png], ids=["jpeg", "png"])
def test_truncated_image_is_rejected(make):
    whole = make(size=(400, 300), noise=True) if make is pf.jpeg else _noisy_png()
    assert inspect_photo(whole, "a").width == 400
    assert rejection(whole[: len(whole) * 2 // 3]).details["reason"] == "truncated"


def _noisy_png() -> bytes:
    out = io.BytesIO()
    Image.effect_noise((400, 300), 64).save(out, "PNG")
    return out.getvalue()


def test_file_over_max_bytes_is_rejected_before_decoding():
    data = pf.jpeg() + bytes(MAX_BYTES)  # a valid JPEG with trailing padding
    err = rejection(data)
    assert err.details["reason"] == "too_large" and err.details["limit"] == MAX_BYTES
    assert "20 MB" in err.message


def test_decompression_bomb_header_is_rejected():
    bomb = pf.png_header(100_000, 100_000)  # 10 Gpx claimed in 100 bytes
    assert rejection(bomb).details["reason"] == "too_many_pixels"


def test_images_over_max_pixels_are_rejected_below_pillows_own_limit(monkeypatch):
    err = rejection(pf.png_header(9000, 9000))  # 81 Mpx: Pillow alone would only warn
    assert err.details["pixels"] == 81_000_000
    monkeypatch.setattr(photos, "MAX_PIXELS", 1000)
    assert rejection(pf.jpeg()).details["reason"] == "too_many_pixels"


def test_damaged_exif_reads_as_missing_evidence_not_a_crash():
    good = pf.jpeg(118.1, 39.83, 10.0)
    at = good.index(b"Exif\x00\x00") + 6
    broken = good[:at] + b"XX" + good[at + 2 :]  # not a TIFF byte-order mark
    info = inspect_photo(broken, "a.jpg")
    assert (info.lon, info.direction, info.taken_at) == (None, None, None)


# --- check_photo: position and direction --------------------------------------------------


def test_photo_inside_the_polygon_passes():
    result = check(pf.jpeg(118.1, 39.83, 200.0))
    assert (result.distance_m, result.faces_polygon, result.flags) == (0.0, True, [])
    assert result.notes == []


def test_photo_50_m_south_facing_north_faces_the_polygon():
    result = check(pf.jpeg(*south_of_polygon(50), 0.0))
    assert result.distance_m == pytest.approx(50, abs=0.05)
    assert result.faces_polygon is True and result.flags == []


def test_photo_50_m_south_facing_south_is_not_facing():
    result = check(pf.jpeg(*south_of_polygon(50), 180.0))
    assert result.faces_polygon is False and result.flags == ["not_facing"]
    assert "180°" in result.notes[0]


def test_far_photo_is_flagged_with_the_geodesic_distance():
    lon, lat = south_of_polygon(1500)
    result = check(pf.jpeg(lon, lat, 0.0))
    expected = GRS80.inv(lon, lat, *SOUTH_EDGE)[2]
    assert result.distance_m == pytest.approx(expected, rel=0.01)
    assert result.distance_m == pytest.approx(expected, abs=0.05)  # in fact to centimetres
    assert result.flags == ["far_from_polygon"] and result.faces_polygon is True
    assert "1500 米" in result.notes[0]


def test_distance_to_a_corner_and_max_distance_is_configurable():
    corner = (118.101, 39.831)
    lon, lat, _ = GRS80.fwd(*corner, 45, 150)  # north-east of the NE corner
    result = check(pf.jpeg(lon, lat, 225.0))
    assert result.distance_m == pytest.approx(150, abs=0.05) and result.flags == []
    assert check(pf.jpeg(lon, lat, 225.0), max_distance_m=100).flags == ["far_from_polygon"]


def test_no_exif_at_all_flags_position_direction_and_time():
    result = check(pf.jpeg(taken=None, offset=None))
    assert result.flags == ["no_position", "no_direction", "no_time"]
    assert (result.distance_m, result.faces_polygon) == (None, None)
    assert len(result.notes) == 3 and all(result.notes)


def test_zero_zero_position_is_no_position():
    result = check(pf.jpeg(0.0, 0.0, 0.0))
    assert result.flags == ["no_position"] and result.distance_m is None


def test_sentinel_direction_is_no_direction_and_facing_unknown():
    result = check(pf.jpeg(*south_of_polygon(50), -999999))
    assert result.flags == ["no_direction"] and result.faces_polygon is None
    assert result.distance_m == pytest.approx(50, abs=0.05)


def test_magnetic_direction_is_flagged_and_still_judged_after_declination():
    lon, lat = south_of_polygon(50)
    result = check(pf.jpeg(lon, lat, 0.0, "M"))
    assert result.flags == ["magnetic_north"] and result.faces_polygon is True
    assert "磁偏角约 -7°" in result.notes[0]
    # A 2° sliver due north at 5 km, judged with no tolerance: magnetic 7° is true 0°.
    narrow = box(118.0995, 39.829 + 0.045, 118.1005, 39.829 + 0.046)
    kw = {"fov_tolerance_deg": 0, "max_distance_m": 10_000}
    assert check(pf.jpeg(lon, lat, 7.0, "M"), narrow, **kw).faces_polygon is True
    assert check(pf.jpeg(lon, lat, 7.0, "T"), narrow, **kw).flags == ["not_facing"]


@pytest.mark.parametrize(
    ("direction", "faces"), [(355.0, True), (0.0, True), (5.0, True), (300.0, False), (60, False)]
)
def test_bearings_wrap_around_north(direction, faces):
    # The polygon straddles due north of the camera: bearings run about 349° → 11°.
    lon, lat = 118.100, 39.827
    polygon = box(118.0995, 39.829, 118.1005, 39.830)
    assert check(pf.jpeg(lon, lat, direction), polygon).faces_polygon is faces


def test_camera_in_a_notch_of_the_polygon_faces_it():
    u_shape = box(118.099, 39.829, 118.101, 39.831).difference(
        box(118.0997, 39.8295, 118.1003, 39.832)
    )
    result = check(pf.jpeg(118.1, 39.8305, 180.0), u_shape)
    assert result.distance_m > 0 and result.faces_polygon is True and result.flags == []


def test_projected_polygon_is_refused():
    info = inspect_photo(pf.jpeg(118.1, 39.83, 0.0), "a.jpg")
    with pytest.raises(ValueError, match="lon/lat"):
        check_photo(info, box(39_500_000, 4_400_000, 39_500_100, 4_400_100), **DATES)


# --- check_photo: time --------------------------------------------------------------------


def test_photo_before_the_later_imagery_is_flagged():
    result = check(pf.jpeg(118.1, 39.83, 0.0, taken="2019:09:30 16:00:00"))
    assert result.flags == ["before_imagery"] and "2019-10-01" in result.notes[0]


def test_photo_after_the_deadline_is_flagged():
    result = check(pf.jpeg(118.1, 39.83, 0.0, taken="2019:12:01 08:00:00"))
    assert result.flags == ["after_deadline"]


def test_days_are_compared_in_beijing_time():
    # 23:30 UTC on 30 Nov is 07:30 on 1 Dec in 丰润: after a 30 Nov deadline.
    late = pf.jpeg(118.1, 39.83, 0.0, taken="2019:11:30 23:30:00", offset="+00:00")
    assert check(late).flags == ["after_deadline"]
    # 00:30 Beijing time on 1 Oct is still 30 Sep in UTC, but it is on the imagery day.
    early = pf.jpeg(118.1, 39.83, 0.0, taken="2019:09:30 16:30:00", offset="+00:00")
    assert check(early).flags == []


def test_time_checks_are_skipped_without_dates():
    data = pf.jpeg(118.1, 39.83, 0.0, taken="2001:01:01 00:00:00")
    assert check(data, imagery_date=None, deadline=None).flags == []


def test_every_flag_has_a_chinese_note_and_a_known_code():
    info = PhotoInfo("0" * 64, "image/jpeg", 1, 1, None, None, None, None, None)
    result = check_photo(info, POLYGON, **DATES)
    assert set(result.flags) <= set(FLAGS)
    assert len(result.notes) == len(result.flags)
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in note) for note in result.notes)


# --- thumbnails ---------------------------------------------------------------------------


def test_thumbnail_is_small_upright_and_has_no_metadata():
    # 800×600 stored, orientation 6 (rotate 90° clockwise to view): shown as 600×800.
    data = pf.jpeg(118.1, 39.83, 0.0, size=(800, 600), orientation=6, comment=b"secret")
    thumb = Image.open(io.BytesIO(make_thumbnail(data)))
    assert thumb.format == "JPEG"
    assert thumb.size == (240, THUMB_SIZE)
    assert not thumb.getexif()
    assert "comment" not in thumb.info and "icc_profile" not in thumb.info


def test_thumbnail_of_transparent_png_and_of_small_photo():
    out = io.BytesIO()
    Image.new("RGBA", (1000, 500), (0, 0, 0, 0)).save(out, "PNG")
    thumb = Image.open(io.BytesIO(make_thumbnail(out.getvalue())))
    assert thumb.size == (THUMB_SIZE, 160)
    assert thumb.getpixel((10, 10)) == pytest.approx((255, 255, 255), abs=2)  # white, not black
    assert Image.open(io.BytesIO(make_thumbnail(pf.jpeg()))).size == (64, 48)  # no upscaling


def test_thumbnail_refuses_what_inspect_refuses():
    with pytest.raises(PhotoRejected):
        make_thumbnail(b"not an image")
    with pytest.raises(PhotoRejected):
        make_thumbnail(pf.png_header(100_000, 100_000))
