"""Reference layers: list, import (upload), and features per viewport for the map."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Query, Request, Response, UploadFile

from api.deps import ClockDep, PagingDep, ServicesDep, SettingsDep, StoreDep
from api.documented_errors import errors
from api.routes.batches import GEOJSON, MAX_FEATURES, geojson_page, parse_bbox, save_upload
from api.schemas import RefLayerPublic, RefLayersPublic
from api.security import require
from geo.references import RefKind
from geo.roles import Role
from storage.imports import import_reference
from storage.users import User

router = APIRouter(prefix="/api/references", tags=["references"])


@router.get("", operation_id="references-list")
def list_layers(services: ServicesDep, paging: PagingDep) -> RefLayersPublic:
    """Every imported reference layer version, by kind then import time."""
    rows = services.refs.list_layers()
    data = [RefLayerPublic.from_row(r) for r in paging.slice(rows)]
    return RefLayersPublic(data=data, count=len(rows), next=paging.next_url(len(rows)))


@router.post("", status_code=201, operation_id="references-import", responses=errors(400, 403, 409))
async def import_layer(
    admin: Annotated[User, Depends(require(Role.ADMIN))],
    store: StoreDep,
    settings: SettingsDep,
    clock: ClockDep,
    file: Annotated[UploadFile, File()],
    kind: Annotated[RefKind, Form()],
    name: Annotated[str, Form(min_length=1, max_length=200)],
    version: Annotated[str, Form(min_length=1, max_length=50)],
    layer: Annotated[str | None, Form()] = None,
    encoding: Annotated[str | None, Form()] = None,
    crs: Annotated[str | None, Form()] = None,
) -> RefLayerPublic:
    """Import a reference layer file as a version of ``kind`` (admin only).

    The same file again changes nothing; another file under a stored name and version gets 409;
    unreadable files or files over the upload limit get 400.
    """
    with tempfile.TemporaryDirectory(prefix="tuban-upload-") as tmp:
        dest = await save_upload(file, Path(tmp), settings.max_upload_mb)
        row, _, _ = import_reference(
            store,
            dest,
            kind,
            name=name,
            version=version,
            actor=admin.actor,
            now=clock(),
            layer=layer,
            encoding=encoding,
            crs=crs,
            jurisdiction=settings.jurisdiction(),
        )
    return RefLayerPublic.from_row(row)


@router.get(
    "/{layer_id}/features",
    operation_id="references-features",
    response_class=Response,
    responses={200: {"content": {GEOJSON: {}}}, **errors(400)},
)
def features(
    layer_id: int,
    request: Request,
    services: ServicesDep,
    bbox: Annotated[str | None, Query(description="minlon,minlat,maxlon,maxlat")] = None,
    limit: Annotated[int, Query(ge=0, le=MAX_FEATURES, description="0: numberMatched only")] = (
        MAX_FEATURES
    ),
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Response:
    """The layer's features meeting bbox, as GeoJSON pages (numberMatched, ``next``)."""
    box = parse_bbox(bbox)
    matched = services.refs.count(layer_id, box)
    page = services.refs.geojson(layer_id, box, limit=limit, offset=offset)
    return geojson_page(
        request,
        [f["geojson"] for f in page],
        [{"ident": f["ident"], "label": f["label"]} for f in page],
        ids=None,
        matched=matched,
        limit=limit,
        offset=offset,
    )
