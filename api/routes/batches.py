"""Batches of issued 图斑: list, import (upload), and GeoJSON features per viewport."""

from __future__ import annotations

import json
import tempfile
from datetime import date
from pathlib import Path
from typing import Annotated

import shapely
from fastapi import APIRouter, File, Form, Query, Response, UploadFile

from api.deps import ClockDep, SettingsDep, StoreDep
from api.schemas import BatchesPublic, BatchImported, BatchPublic
from geo.errors import InvalidValue
from geo.model import Judgment, Programme, State
from storage.imports import import_file
from storage.repository import BatchMeta

router = APIRouter(prefix="/api/batches", tags=["batches"])


@router.get("", operation_id="batches-list")
def list_batches(store: StoreDep) -> BatchesPublic:
    data = [BatchPublic.from_row(r) for r in store.list_batches()]
    return BatchesPublic(data=data, count=len(data))


@router.post("", status_code=201, operation_id="batches-import")
async def import_batch(
    store: StoreDep,
    settings: SettingsDep,
    clock: ClockDep,
    file: Annotated[UploadFile, File(description=".gpkg / .geojson / .zip (Shapefile)")],
    programme: Annotated[Programme, Form()],
    period: Annotated[str, Form(min_length=4, max_length=16)],
    authority: Annotated[str, Form(min_length=1, max_length=200)],
    issued_on: Annotated[date, Form()],
    due_on: Annotated[date, Form()],
    actor: Annotated[str, Form(min_length=1, max_length=100)] = "api",
    layer: Annotated[str | None, Form()] = None,
    encoding: Annotated[str | None, Form()] = None,
) -> BatchImported:
    name = Path(file.filename or "upload").name
    if Path(name).suffix.lower() not in {".gpkg", ".geojson", ".json", ".zip"}:
        raise InvalidValue("只接受 .gpkg、.geojson 或打包为 .zip 的 Shapefile", file=name)
    limit = settings.max_upload_mb << 20
    with tempfile.TemporaryDirectory(prefix="tuban-upload-") as tmp:
        dest = Path(tmp) / name
        size = 0
        with dest.open("wb") as out:
            while chunk := await file.read(1 << 20):
                size += len(chunk)
                if size > limit:
                    raise InvalidValue(f"文件超过 {settings.max_upload_mb} MB 上限", file=name)
                out.write(chunk)
        meta = BatchMeta(programme, period.strip(), authority.strip(), issued_on, due_on)
        row, created = import_file(
            store, dest, meta, actor=actor, now=clock(), layer=layer, encoding=encoding
        )
    return BatchImported(**BatchPublic.from_row(row).model_dump(), created=created)


@router.get("/{batch_id}", operation_id="batches-get")
def get_batch(batch_id: int, store: StoreDep) -> BatchPublic:
    return BatchPublic.from_row(store.get_batch(batch_id))


def _parse_bbox(bbox: str | None) -> tuple[float, float, float, float] | None:
    if not bbox:
        return None
    try:
        minx, miny, maxx, maxy = (float(x) for x in bbox.split(","))
    except ValueError:
        raise InvalidValue("bbox 应为 minlon,minlat,maxlon,maxlat", field="bbox") from None
    if minx > maxx or miny > maxy:
        raise InvalidValue("bbox 的最小值大于最大值", field="bbox")
    return minx, miny, maxx, maxy


@router.get(
    "/{batch_id}/features",
    operation_id="batches-features",
    response_class=Response,
    responses={200: {"content": {"application/geo+json": {}}}},
)
def features(
    batch_id: int,
    store: StoreDep,
    bbox: Annotated[str | None, Query(description="minlon,minlat,maxlon,maxlat")] = None,
) -> Response:
    rows = store.features(batch_id, _parse_bbox(bbox))
    geoms = shapely.to_geojson(shapely.from_wkb([r["geom"] for r in rows])) if rows else []
    parts = []
    for r, g in zip(rows, geoms, strict=True):
        judgment = Judgment(r["judgment"]) if r["judgment"] else None
        props = {
            "case_id": r["id"],
            "batch_id": r["batch_id"],
            "programme": r["programme"],
            "code": r["code"],
            "xzqdm": r["xzqdm"],
            "state": r["state"],
            "state_label": State(r["state"]).label,
            "judgment": judgment.value if judgment else None,
            "judgment_label": judgment.label if judgment else None,
            "area_m2": r["area_m2"],
            "area_mu": r["area_mu"],
            "version": r["version"],
        }
        parts.append(
            f'{{"type":"Feature","id":{r["id"]},"geometry":{g},'
            f'"properties":{json.dumps(props, ensure_ascii=False)}}}'
        )
    body = '{"type":"FeatureCollection","features":[' + ",".join(parts) + "]}"
    return Response(body, media_type="application/geo+json")
