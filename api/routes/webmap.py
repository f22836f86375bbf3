"""Read-only helpers for the web map: its settings (basemap, imagery), search by 图斑编号 or
village, a batch's counts by state and township, local tiles and image chips, and the
printable single-case sheet."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import shapely
from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse, HTMLResponse

from api.deps import ClockDep, PagingDep, ServicesDep, SettingsDep, StoreDep
from api.routes.basemap import TEMPLATE, offline_archive
from api.schemas import (
    BasemapPublic,
    BatchSummaryPublic,
    CaseExtentPublic,
    ClockPublic,
    ConfigPublic,
    OfflineBasemapPublic,
    SearchHitPublic,
    SearchHitsPublic,
)
from api.security import CurrentUser, ScopeDep, VisibilityDep, check_visible
from geo.errors import NotFound
from geo.localtime import local_today
from geo.model import Programme, State
from runtime.clock import set_start
from storage import spatial
from storage.spatial import bbox_of
from storage.visibility import Scope

router = APIRouter(prefix="/api", tags=["webmap"])


TILE_TYPES = {"png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "webp": "image/webp"}


@router.get("/config", operation_id="webmap-config")
def config(settings: SettingsDep, clock: ClockDep) -> ConfigPublic:
    """What the web map needs from the server's settings (no secrets beyond the tile URL), and
    its clock: the web map's today and the header's 演示时钟 follow it."""
    now = clock()
    basemap = None
    if settings.basemap_url:
        basemap = BasemapPublic(
            url=settings.basemap_url,
            attribution=settings.basemap_attribution,
            subdomains=settings.basemap_subdomains,
            max_zoom=settings.basemap_max_zoom,
        )
    archive = offline_archive(settings)
    offline = None
    if archive is not None:
        info = archive.info
        offline = OfflineBasemapPublic(
            url=TEMPLATE,
            format=info.format,
            min_zoom=info.min_zoom,
            max_zoom=info.max_zoom,
            bounds=list(info.bounds) if info.bounds else None,
            name=info.name,
            attribution=info.attribution,
        )
    return ConfigPublic(
        basemap=basemap,
        offline_basemap=offline,
        feature_limit=settings.feature_limit,
        imagery_tiles=settings.imagery_tiles,
        local_tiles=settings.tiles_dir is not None,
        clock=ClockPublic(now=now, today=local_today(now), set_start=set_start(clock)),
    )


@router.get("/search", operation_id="webmap-search")
def search(
    services: ServicesDep,
    scope: ScopeDep,
    paging: PagingDep,
    q: Annotated[str, Query(min_length=1, max_length=100)],
    programme: Programme | None = None,
    batch: int | None = None,
) -> SearchHitsPublic:
    """Cases whose 图斑编号 contains ``q``, or whose village or township name does.

    Exact code matches come first. A verifier finds only their own 图斑.
    """
    rows, count = services.map.search(
        text=q.strip(),
        programme=programme.value if programme is not None else None,
        batch_id=batch,
        scope=scope,
        limit=paging.limit,
        offset=paging.offset,
    )
    data = [
        SearchHitPublic(
            case_id=r["id"],
            batch_id=r["batch_id"],
            code=r["code"],
            programme=r["programme"],
            programme_label=Programme(r["programme"]).label,
            state=r["state"],
            state_label=State(r["state"]).label,
            township_name=r["township_name"],
            village_name=r["village_name"],
            period=r["period"],
            bbox=bbox_of(r),
        )
        for r in rows
    ]
    return SearchHitsPublic(data=data, count=count, next=paging.next_url(count))


@router.get("/batches/{batch_id}/summary", operation_id="webmap-batch-summary")
def batch_summary(batch_id: int, services: ServicesDep, scope: ScopeDep) -> BatchSummaryPublic:
    """Counts of the batch's 图斑 (those the user sees) by state and by township.

    The map draws only the 图斑 in view; the legend and the township filter use these.
    """
    summary = services.map.summary(batch_id=batch_id, scope=scope)
    return BatchSummaryPublic.model_validate(summary)


def _inside(root: Path, rel: str) -> Path:
    """``rel`` under ``root``, refusing anything that climbs out of it."""
    base = root.resolve()
    path = (base / rel).resolve()
    if base not in path.parents or not path.is_file():
        raise NotFound("没有该文件", path=rel)
    return path


@router.get("/chips/{path:path}", operation_id="webmap-chip", response_class=FileResponse)
def chip(path: str, settings: SettingsDep) -> FileResponse:
    """A before/after image chip named in a 图斑's attributes (relative to chips_dir)."""
    return FileResponse(_inside(Path(settings.chips_dir), path))


@router.get("/tiles/{z}/{x}/{y}.{ext}", operation_id="webmap-tile", response_class=FileResponse)
def tile(z: int, x: int, y: int, ext: str, settings: SettingsDep) -> FileResponse:
    """A local basemap tile from tiles_dir/{z}/{x}/{y}.{ext}."""
    if settings.tiles_dir is None or ext not in TILE_TYPES:
        raise NotFound("未配置本地瓦片", z=z, x=x, y=y)
    p = _inside(Path(settings.tiles_dir), f"{z}/{x}/{y}.{ext}")
    return FileResponse(p, media_type=TILE_TYPES[ext], headers={"Cache-Control": "max-age=86400"})


@router.get("/cases/{case_id}/extent", operation_id="webmap-case-extent")
def case_extent(
    case_id: int, store: StoreDep, user: CurrentUser, visibility: VisibilityDep
) -> CaseExtentPublic:
    """Where a case lies (its first issuance): bbox and GeoJSON geometry, to zoom the map there."""
    check_visible(user, case_id, visibility)
    row = store.get_case_row(case_id)
    return CaseExtentPublic(
        case_id=case_id,
        batch_id=row["batch_id"],
        bbox=bbox_of(row),
        geometry=json.loads(shapely.to_geojson(spatial.geometry(row))),
    )


@router.get("/cases/{case_id}/sheet", operation_id="webmap-case-sheet", response_class=HTMLResponse)
def case_sheet(
    case_id: int, store: StoreDep, user: CurrentUser, visibility: VisibilityDep, request: Request
) -> HTMLResponse:
    """A printable one-page sheet of a 图斑 case, with its map drawn by the vendored Leaflet."""
    from api.routes.cases import _public
    from webmap.case_sheet import render_sheet

    check_visible(user, case_id, visibility)
    case = _public(store, case_id, request, Scope.of(user)).model_dump(mode="json")
    geom = store.get_case_row(case_id)[spatial.GEOMETRY_COLUMN]
    names = {u.username: u.display_name for u in request.app.state.users.list()}
    settings = request.app.state.settings
    basemap = None
    if settings.basemap_url:
        basemap = {
            "url": settings.basemap_url,
            "attribution": settings.basemap_attribution,
            "subdomains": settings.basemap_subdomains,
            "max_zoom": settings.basemap_max_zoom,
        }
    return HTMLResponse(render_sheet(case, geom, names=names, basemap=basemap))
