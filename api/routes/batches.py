"""Batches of issued 图斑: list, import (upload), and GeoJSON features per viewport."""

from __future__ import annotations

import json
import tempfile
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import shapely
from fastapi import APIRouter, Depends, File, Form, Query, Response, UploadFile
from fastapi.responses import HTMLResponse
from sqlalchemy import func, select

from api.deps import ClockDep, SettingsDep, StoreDep
from api.schemas import BatchesPublic, BatchImported, BatchPublic
from api.security import CurrentUser, require, user_store
from geo.errors import InvalidValue, NotFound
from geo.fields import field_map_from
from geo.model import Judgment, Programme, State
from geo.roles import Role, sees_all
from storage.imports import import_file
from storage.repository import BatchMeta, CaseStore
from storage.tables import cases, reissues
from storage.users import User, UserStore

router = APIRouter(prefix="/api/batches", tags=["batches"])

# Hints small enough to travel with every feature, for styling and tooltips.
FEATURE_HINTS = (
    "township_name",
    "village_name",
    "permit_relation",
    "approval_share",
    "farmland_m2",
    "outside_share",
)


@router.get("", operation_id="batches-list")
def list_batches(store: StoreDep) -> BatchesPublic:
    data = [BatchPublic.from_row(r) for r in store.list_batches()]
    return BatchesPublic(data=data, count=len(data))


ACCEPTED = {".gpkg", ".geojson", ".json", ".zip", ".kml", ".kmz", ".csv", ".xlsx"}


async def save_upload(file: UploadFile, dest_dir: Path, limit_mb: int) -> Path:
    """Stream an upload to disk, refusing types Tuban cannot read and files over the limit."""
    name = Path(file.filename or "upload").name
    if Path(name).suffix.lower() not in ACCEPTED:
        raise InvalidValue(
            "只接受 .gpkg、.geojson、.kml、.csv、.xlsx，或打包为 .zip 的 Shapefile / FileGDB",
            file=name,
        )
    dest = dest_dir / name
    size = 0
    with dest.open("wb") as out:
        while chunk := await file.read(1 << 20):
            size += len(chunk)
            if size > limit_mb << 20:
                raise InvalidValue(f"文件超过 {limit_mb} MB 上限", file=name)
            out.write(chunk)
    return dest


@router.post("", status_code=201, operation_id="batches-import")
async def import_batch(
    admin: Annotated[User, Depends(require(Role.ADMIN))],
    store: StoreDep,
    settings: SettingsDep,
    clock: ClockDep,
    file: Annotated[UploadFile, File(description=".gpkg / .geojson / .kml / .csv / .xlsx / .zip")],
    programme: Annotated[Programme, Form()],
    period: Annotated[str, Form(min_length=4, max_length=16)],
    authority: Annotated[str, Form(min_length=1, max_length=200)],
    issued_on: Annotated[date, Form()],
    due_on: Annotated[date, Form()],
    layer: Annotated[str | None, Form()] = None,
    encoding: Annotated[str | None, Form()] = None,
    crs: Annotated[str | None, Form(description="override, e.g. EPSG:4527")] = None,
    field_map: Annotated[str | None, Form(description='JSON, e.g. {"图斑编号": "编号"}')] = None,
    accept_partial: Annotated[bool, Form()] = False,
) -> BatchImported:
    mapping = _field_map(field_map)
    with tempfile.TemporaryDirectory(prefix="tuban-upload-") as tmp:
        dest = await save_upload(file, Path(tmp), settings.max_upload_mb)
        meta = BatchMeta(programme, period.strip(), authority.strip(), issued_on, due_on)
        row, created = import_file(
            store,
            dest,
            meta,
            actor=admin.actor,
            now=clock(),
            layer=layer,
            encoding=encoding,
            crs=crs,
            field_map=mapping,
            jurisdiction=settings.jurisdiction(),
            accept_partial=accept_partial,
            workers=settings.import_workers,
        )
    return BatchImported(
        **BatchPublic.from_row(row).model_dump(), created=created, report=row.get("report")
    )


def _field_map(text: str | None) -> dict[str, str] | None:
    if not text:
        return None
    try:
        raw = json.loads(text)
    except ValueError:
        raise InvalidValue(
            'field_map 应为 JSON 对象，如 {"图斑编号": "编号"}', field="field_map"
        ) from None
    return field_map_from(raw, source="field_map")


@router.get("/{batch_id}/report", operation_id="batches-report")
def batch_report(batch_id: int, store: StoreDep) -> dict:
    return store.get_batch(batch_id).get("report") or {}


@router.get(
    "/{batch_id}/report.html", operation_id="batches-report-html", response_class=HTMLResponse
)
def batch_report_html(batch_id: int, store: StoreDep) -> HTMLResponse:
    from geo.report import ImportReport

    rep = store.get_batch(batch_id).get("report")
    if not rep:
        raise NotFound("该批次没有导入报告", batch_id=batch_id)
    return HTMLResponse(ImportReport.from_dict(rep).to_html())


@router.get("/{batch_id}", operation_id="batches-get")
def get_batch(batch_id: int, store: StoreDep) -> BatchPublic:
    return BatchPublic.from_row(store.get_batch(batch_id))


def parse_bbox(bbox: str | None) -> tuple[float, float, float, float] | None:
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
    settings: SettingsDep,
    user: CurrentUser,
    users: Annotated[UserStore, Depends(user_store)],
    bbox: Annotated[str | None, Query(description="minlon,minlat,maxlon,maxlat")] = None,
    state: Annotated[str | None, Query(description="states, comma-separated")] = None,
    township: Annotated[str | None, Query(description="township codes, comma-separated")] = None,
    limit: Annotated[int | None, Query(ge=1, le=1_000_000)] = None,
) -> Response:
    """The batch's 图斑 meeting bbox and the filters, as GeoJSON.

    The collection also carries ``total`` (how many match). When more than ``limit`` match
    (default: the server's feature_limit) it carries no features and ``truncated: true``, so a
    map looking at the whole province asks to zoom in instead of drawing everything.
    """
    box = parse_bbox(bbox)
    cap = limit or settings.feature_limit
    visible = None if sees_all(user.roles) else users.visible_clause(user)
    # Count first: a view over the whole province is answered without reading any geometry.
    counted = _count(store, batch_id, box, _csv(state or ""), _csv(township or ""), visible)
    if counted > cap:
        return Response(
            f'{{"type":"FeatureCollection","total":{counted},"limit":{cap},'
            '"truncated":true,"features":[]}',
            media_type="application/geo+json",
        )
    rows = store.features(batch_id, box)
    if not sees_all(user.roles):  # a verifier's map shows only what is assigned to them
        mine = users.visible_case_ids(user)
        rows = [r for r in rows if r["id"] in mine]
    if state:
        wanted = set(_csv(state))
        rows = [r for r in rows if r["state"] in wanted]
    if township:
        towns = set(_csv(township))
        rows = [r for r in rows if r.get("township_code") in towns]
    head = f'{{"type":"FeatureCollection","total":{len(rows)},"limit":{cap}'
    if len(rows) > cap:
        return Response(
            head + ',"truncated":true,"features":[]}', media_type="application/geo+json"
        )
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
            **{k: r.get(k) for k in FEATURE_HINTS},
            "reissue_of_batch": r.get("reissue_of_batch"),
        }
        parts.append(
            f'{{"type":"Feature","id":{r["id"]},"geometry":{g},'
            f'"properties":{json.dumps(props, ensure_ascii=False)}}}'
        )
    body = head + ',"truncated":false,"features":[' + ",".join(parts) + "]}"
    return Response(body, media_type="application/geo+json")


def _count(
    store: CaseStore,
    batch_id: int,
    box: tuple[float, float, float, float] | None,
    states: list[str],
    towns: list[str],
    visible: Any,
) -> int:
    """How many of the batch's 图斑 (own and re-issued) meet the box and filters: an index
    count on the bounding-box columns, no geometry read."""

    def where(t: Any) -> list[Any]:
        conds = [cases.c.state.in_(states)] if states else []
        if towns:
            conds.append(cases.c.township_code.in_(towns))
        if visible is not None:
            conds.append(visible)
        if box is not None:
            minx, miny, maxx, maxy = box
            conds += [t.c.maxx >= minx, t.c.minx <= maxx, t.c.maxy >= miny, t.c.miny <= maxy]
        return conds

    own = select(func.count()).select_from(cases).where(cases.c.batch_id == batch_id, *where(cases))
    again = (
        select(func.count())
        .select_from(reissues.join(cases, cases.c.id == reissues.c.case_id))
        .where(reissues.c.batch_id == batch_id, cases.c.batch_id != batch_id, *where(reissues))
    )
    with store.engine.connect() as conn:
        return int(conn.execute(own).scalar_one()) + int(conn.execute(again).scalar_one())


def _csv(text: str) -> list[str]:
    return [x.strip() for x in text.split(",") if x.strip()]
