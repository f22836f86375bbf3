"""Read-only helpers for the web map: its settings (basemap, imagery), search by 图斑编号 or
village, a batch's counts by state and township, local tiles and image chips, and the
printable single-case sheet."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import shapely
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import FileResponse, HTMLResponse
from sqlalchemy import and_, func, or_, select, union_all

from api.deps import SettingsDep, StoreDep
from api.security import CurrentUser, check_visible, user_store
from geo.errors import NotFound
from geo.model import Programme, State
from geo.roles import sees_all
from storage.tables import batches, cases, reissues
from storage.users import User, UserStore

router = APIRouter(prefix="/api", tags=["webmap"])
UsersDep = Annotated[UserStore, Depends(user_store)]

SEARCH_LIMIT = 50
TILE_TYPES = {"png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "webp": "image/webp"}


@router.get("/config", operation_id="webmap-config")
def config(settings: SettingsDep) -> dict[str, Any]:
    """What the web map needs from the server's settings (no secrets beyond the tile URL)."""
    basemap = None
    if settings.basemap_url:
        basemap = {
            "url": settings.basemap_url,
            "attribution": settings.basemap_attribution,
            "subdomains": settings.basemap_subdomains,
            "max_zoom": settings.basemap_max_zoom,
        }
    return {
        "basemap": basemap,
        "feature_limit": settings.feature_limit,
        "imagery_tiles": settings.imagery_tiles,
        "local_tiles": settings.tiles_dir is not None,
    }


def _visible(user: User, users: UserStore):  # type: ignore[no-untyped-def]
    return None if sees_all(user.roles) else users.visible_clause(user)


@router.get("/search", operation_id="webmap-search")
def search(
    store: StoreDep,
    user: CurrentUser,
    users: UsersDep,
    q: Annotated[str, Query(min_length=1, max_length=100)],
    programme: Programme | None = None,
    batch: int | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = SEARCH_LIMIT,
) -> dict[str, Any]:
    """Cases whose 图斑编号 contains ``q``, or whose village or township name does.

    Exact code matches come first. A verifier finds only their own 图斑.
    """
    text = q.strip()
    like = f"%{text.replace('%', '').replace('_', '')}%"
    cond = or_(
        cases.c.code.like(like),
        cases.c.village_name.like(like),
        cases.c.township_name.like(like),
    )
    where = [cond]
    if programme is not None:
        where.append(cases.c.programme == programme.value)
    if batch is not None:
        where.append(cases.c.batch_id == batch)
    if (vis := _visible(user, users)) is not None:
        where.append(vis)
    exact = (cases.c.code == text).desc()
    stmt = (
        select(
            cases.c.id,
            cases.c.batch_id,
            cases.c.code,
            cases.c.programme,
            cases.c.state,
            cases.c.township_name,
            cases.c.village_name,
            batches.c.period,
            cases.c.minx,
            cases.c.miny,
            cases.c.maxx,
            cases.c.maxy,
        )
        .join(batches, batches.c.id == cases.c.batch_id)
        .where(and_(*where))
        .order_by(exact, cases.c.code, cases.c.id)
        .limit(limit + 1)
    )
    with store.engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(stmt)]
    more = len(rows) > limit
    data = [
        {
            "case_id": r["id"],
            "batch_id": r["batch_id"],
            "code": r["code"],
            "programme": r["programme"],
            "programme_label": Programme(r["programme"]).label,
            "state": r["state"],
            "state_label": State(r["state"]).label,
            "township_name": r["township_name"],
            "village_name": r["village_name"],
            "period": r["period"],
            "bbox": [r["minx"], r["miny"], r["maxx"], r["maxy"]],
        }
        for r in rows[:limit]
    ]
    return {"data": data, "count": len(data), "more": more}


@router.get("/batches/{batch_id}/summary", operation_id="webmap-batch-summary")
def batch_summary(
    batch_id: int, store: StoreDep, user: CurrentUser, users: UsersDep
) -> dict[str, Any]:
    """Counts of the batch's 图斑 (those the user sees) by state and by township.

    The map draws only the 图斑 in view; the legend and the township filter use these.
    """
    store.get_batch(batch_id)  # 404 for an unknown batch
    cols = (cases.c.id, cases.c.state, cases.c.township_code, cases.c.township_name)
    own = select(*cols).where(cases.c.batch_id == batch_id)
    again = (
        select(*cols)
        .join(reissues, reissues.c.case_id == cases.c.id)
        .where(reissues.c.batch_id == batch_id, cases.c.batch_id != batch_id)
    )
    if (vis := _visible(user, users)) is not None:
        own, again = own.where(vis), again.where(vis)
    both = union_all(own, again.distinct()).subquery()
    stmt = select(
        both.c.state, both.c.township_code, both.c.township_name, func.count().label("n")
    ).group_by(both.c.state, both.c.township_code, both.c.township_name)
    states: dict[str, int] = {}
    towns: dict[str, dict[str, Any]] = {}
    total = 0
    with store.engine.connect() as conn:
        for r in conn.execute(stmt):
            states[r.state] = states.get(r.state, 0) + r.n
            key = r.township_code or ""
            t = towns.setdefault(key, {"code": r.township_code, "name": r.township_name, "n": 0})
            t["n"] += r.n
            total += r.n
    return {
        "batch_id": batch_id,
        "total": total,
        "states": states,
        "townships": sorted(towns.values(), key=lambda t: (t["code"] is None, t["code"] or "")),
    }


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
def case_extent(case_id: int, store: StoreDep, user: CurrentUser, users: UsersDep) -> dict:
    """Where a case lies (its first issuance): bbox and GeoJSON geometry, to zoom the map there."""
    check_visible(user, case_id, users)
    row = store.get_case_row(case_id)
    return {
        "case_id": case_id,
        "batch_id": row["batch_id"],
        "bbox": [row["minx"], row["miny"], row["maxx"], row["maxy"]],
        "geometry": json.loads(shapely.to_geojson(shapely.from_wkb(row["geom"]))),
    }


@router.get("/cases/{case_id}/sheet", operation_id="webmap-case-sheet", response_class=HTMLResponse)
def case_sheet(
    case_id: int, store: StoreDep, user: CurrentUser, users: UsersDep, request: Request
) -> HTMLResponse:
    """A printable one-page sheet of a 图斑 case, with its map drawn by the vendored Leaflet."""
    from api.routes.cases import _public
    from webmap.case_sheet import render_sheet

    check_visible(user, case_id, users)
    case = _public(store, case_id, request).model_dump(mode="json")
    geom = store.get_case_row(case_id)["geom"]
    return HTMLResponse(render_sheet(case, geom))
