"""A batch's 图斑 as a file download: GeoPackage, GeoJSON, FlatGeobuf, KML, FileGDB (zipped),
CSV, XLSX, or the province profile (docs/exports.md)."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import FileResponse
from starlette.background import BackgroundTask

from api.deps import ServicesDep
from api.documented_errors import errors
from api.security import ScopeDep
from geo.export_formats import FORMATS, safe_file_stem
from geo.export_writer import ExportOptions

router = APIRouter(prefix="/api/batches", tags=["batches"])
FormatKey = Literal["gpkg", "geojson", "fgb", "kml", "gdb", "csv", "xlsx", "province"]


def _zip_folder(folder: Path) -> Path:
    """A FileGDB is a folder: sent as a zip holding it."""
    return Path(shutil.make_archive(str(folder), "zip", folder.parent, folder.name))


@router.get(
    "/{batch_id}/export",
    operation_id="batches-export",
    response_class=FileResponse,
    responses={200: {"content": {f.media_type: {} for f in FORMATS.values()}}, **errors(400)},
)
def export_batch(
    batch_id: int,
    services: ServicesDep,
    scope: ScopeDep,
    format: Annotated[FormatKey, Query(description="导出格式")] = "gpkg",
    geometry: Annotated[
        Literal["wkt", "centre"], Query(description="CSV/XLSX：WKT 或中心点经纬度")
    ] = "wkt",
    zone: Annotated[int, Query(ge=39, le=40, description="省厅格式：3° 分带")] = 39,
    zone_prefix: Annotated[bool, Query(description="省厅格式：X 带带号")] = True,
) -> FileResponse:
    """The batch's 图斑 as a file: the delivered fields plus township, village, state, judgment,
    reason, dates, case number and fine. A verifier gets only the 图斑 they may see; 404 when
    there is no such batch."""
    fmt = FORMATS[format]
    exports = services.exports()
    stem = safe_file_stem(exports.batch(batch_id))
    name = stem + (".zip" if fmt.key == "province" else fmt.extensions[0])
    tmp = Path(tempfile.mkdtemp(prefix="tuban-export-"))
    try:
        out = tmp / name
        options = ExportOptions(geometry=geometry, zone=zone, zone_prefix=zone_prefix)
        exports.export(batch_id, fmt, out, options, scope=scope)
        if fmt.directory:
            out, name = _zip_folder(out), name + ".zip"
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return FileResponse(
        out,
        media_type=fmt.media_type,
        filename=name,
        background=BackgroundTask(shutil.rmtree, tmp, ignore_errors=True),
    )
