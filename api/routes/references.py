"""Reference layers: list, import (upload), and features per viewport for the map."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

import shapely
from fastapi import APIRouter, Depends, File, Form, Response, UploadFile

from api.deps import ClockDep, SettingsDep, StoreDep
from api.routes.batches import parse_bbox, save_upload
from api.schemas import RefLayerPublic, RefLayersPublic
from api.security import require
from geo.references import RefKind
from geo.roles import Role
from storage.imports import import_reference
from storage.refs import RefStore
from storage.users import User

router = APIRouter(prefix="/api/references", tags=["references"])


@router.get("", operation_id="references-list")
def list_layers(store: StoreDep) -> RefLayersPublic:
    data = [RefLayerPublic.from_row(r) for r in RefStore(store.engine).list_layers()]
    return RefLayersPublic(data=data, count=len(data))


@router.post("", status_code=201, operation_id="references-import")
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
    responses={200: {"content": {"application/geo+json": {}}}},
)
def features(layer_id: int, store: StoreDep, bbox: str | None = None) -> Response:
    import json

    frame = RefStore(store.engine).frame(layer_id, parse_bbox(bbox))
    geoms = shapely.to_geojson(frame.geometry.to_numpy()) if len(frame) else []
    parts = [
        f'{{"type":"Feature","geometry":{g},"properties":'
        f"{json.dumps({'ident': i, 'label': lb}, ensure_ascii=False)}}}"
        for g, i, lb in zip(geoms, frame["ident"], frame["label"], strict=True)
    ]
    body = '{"type":"FeatureCollection","features":[' + ",".join(parts) + "]}"
    return Response(body, media_type="application/geo+json")
