"""The offline basemap: tiles of the .mbtiles/.pmtiles file named by TUBAN_BASEMAP_FILE, so the
web map has imagery or a street map with no network at all."""

from __future__ import annotations

import logging
import threading
from pathlib import Path as FilePath
from typing import Annotated, Any

from fastapi import APIRouter, Path, Response

from api.deps import SettingsDep
from api.documented_errors import errors
from geo.errors import NotFound
from geo.tile_archive import FORMATS, MAX_ZOOM, ArchiveError, TileArchive, on_grid, open_archive
from runtime.settings import Settings

router = APIRouter(prefix="/api/basemap", tags=["webmap"])
log = logging.getLogger(__name__)
# Tiles change only when the bureau replaces the file (and then its size or time changes the
# archive below); a day in the browser's cache saves the phone's data and battery.
CACHE_CONTROL = "private, max-age=86400"
TEMPLATE = "api/basemap/{z}/{x}/{y}"

_lock = threading.Lock()
_opened: dict[str, Any] = {"key": None, "archive": None}


def offline_archive(settings: Settings) -> TileArchive | None:
    """The configured basemap file, opened once and again when it is replaced; None when none
    is set or it cannot be read (logged for the administrator, never shown to a client)."""
    if settings.basemap_file is None:
        return None
    path = FilePath(settings.basemap_file)
    try:
        stat = path.stat()
        key: tuple[str, int | None, int | None] = (str(path), stat.st_mtime_ns, stat.st_size)
    except OSError:
        key = (str(path), None, None)
    with _lock:
        if _opened["key"] == key:
            return _opened["archive"]
        try:
            archive: TileArchive | None = open_archive(path)
        except (ArchiveError, OSError) as exc:
            log.error("offline basemap unreadable", extra={"path": str(path), "reason": str(exc)})
            archive = None
        _opened.update(key=key, archive=archive)
        return archive


@router.get(
    "/{z}/{x}/{y}",
    operation_id="basemap-tile",
    response_class=Response,
    responses={
        200: {"content": {t: {} for t in FORMATS.values()}, "description": "the tile"},
        204: {"description": "a vector basemap has nothing here"},
        **errors(404),
    },
)
def tile(
    settings: SettingsDep,
    z: Annotated[int, Path(ge=0, le=MAX_ZOOM)],
    x: Annotated[int, Path(ge=0, lt=1 << MAX_ZOOM)],
    y: Annotated[int, Path(ge=0, lt=1 << MAX_ZOOM)],
) -> Response:
    """One tile of the offline basemap (XYZ, y down). 404 when no file is configured, for x/y
    off the grid of zoom z, and where a raster file has no tile; 204 where a vector one has
    none."""
    archive = offline_archive(settings)
    if archive is None:
        raise NotFound("未配置离线底图", z=z, x=x, y=y)
    if not on_grid(z, x, y):
        raise NotFound("瓦片坐标超出该级别范围", z=z, x=x, y=y)
    found = archive.tile(z, x, y)
    if found is None:
        if archive.info.format == "pbf":
            # Nothing to draw here: a vector renderer reads a 404's JSON body as a tile.
            return Response(status_code=204, headers={"Cache-Control": CACHE_CONTROL})
        raise NotFound("离线底图在此处没有瓦片", z=z, x=x, y=y)
    headers = {"Cache-Control": CACHE_CONTROL}
    if found.gzipped:
        headers["Content-Encoding"] = "gzip"
    return Response(found.data, media_type=FORMATS[archive.info.format], headers=headers)
