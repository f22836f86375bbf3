"""Vector tiles (MVT) of a batch's 图斑 and of reference layers, with ETags for revalidation."""

from __future__ import annotations

import hashlib
from datetime import datetime
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request, Response

from api.deps import ClockDep, ServicesDep
from api.documented_errors import errors
from api.security import ScopeDep
from geo.localtime import local_today
from storage.tiles import FORMAT, MAX_ZOOM, Tile
from storage.visibility import Scope

router = APIRouter(prefix="/api/tiles", tags=["webmap"])
MVT = "application/vnd.mapbox-vector-tile"
LAYER_PATTERN = r"^(batch|ref)-[1-9][0-9]{0,8}$"
# Tiles depend on who asks (a verifier's hold only their 图斑) and change with every case event:
# kept by the browser only, and revalidated on each use (a 304 costs no rendering). The server
# keeps the bytes too, by the same ETag (storage/tile_cache.py), so users sharing a scope share
# renders; whether this one came from there is in X-Tile-Cache (the response time shows it
# anyway, so the header tells nobody anything new).
CACHE_CONTROL = "private, no-cache"
CACHE_HEADER = "X-Tile-Cache"
ANSWERS: dict[int | str, dict[str, Any]] = {
    200: {"content": {MVT: {}}, "description": "the tile"},
    204: {"description": "nothing to draw here (empty, or zoomed out below the layer's minimum)"},
    304: {"description": "unchanged since the ETag in If-None-Match"},
}


def _matches(header: str | None, etag: str) -> bool:
    if not header:
        return False
    tags = {t.strip().removeprefix("W/") for t in header.split(",")}
    return etag in tags or "*" in tags


@router.get(
    "/{layer}/{z}/{x}/{y}.mvt",
    operation_id="tiles-get",
    response_class=Response,
    responses={**ANSWERS, **errors(404)},
)
def tile(
    request: Request,
    services: ServicesDep,
    clock: ClockDep,
    scope: ScopeDep,
    layer: Annotated[str, Path(pattern=LAYER_PATTERN, description="batch-<id> or ref-<id>")],
    z: Annotated[int, Path(ge=0, le=MAX_ZOOM)],
    x: Annotated[int, Path(ge=0, lt=1 << MAX_ZOOM)],
    y: Annotated[int, Path(ge=0, lt=1 << MAX_ZOOM)],
) -> Response:
    """One tile: layer ``cases`` of a batch (``batch-<id>``: the 图斑 the user may see, with
    state and overdue) or layer ``refs`` of a reference layer (``ref-<id>``); see docs/api.md.

    404 for an unknown batch or layer, or x/y off the grid of zoom z; 204 when nothing is to be
    drawn. The ETag changes whenever a case changes (and with the user's scope and the day); send
    it back in If-None-Match to get 304. A dense batch tile below zoom 15 carries layer
    ``overview`` (counts per cell) instead of ``cases``.
    """
    return answer_tile(request, services, clock(), scope, layer, Tile(z, x, y))


def answer_tile(
    request: Request, services: Any, now: datetime, scope: Scope, layer: str, where: Tile
) -> Response:
    """The tile of ``layer`` (``batch-<id>`` or ``ref-<id>``) at ``where`` as the user of
    ``scope`` may see it: 200 with its bytes, 304 for a matching If-None-Match, 204 when empty
    (also for /ogc's tiles, which serve the same bytes under OGC API - Tiles paths)."""
    kind, _, ident = layer.partition("-")
    source = services.tiles
    epoch: tuple[Any, ...] | None = None
    if kind == "batch":
        today = local_today(now)
        epoch, mine = source.batch_state(int(ident), scope)
        version = (*epoch, *mine)
        etag = _etag(
            layer, version, scope.user_id, scope.townships, today, where.z, where.x, where.y
        )
        render = partial(source.batch_tile, int(ident), where, scope=scope, today=today)
    else:
        etag = _etag(layer, source.ref_version(int(ident)), where.z, where.x, where.y)
        render = partial(source.ref_tile, int(ident), where)

    headers = {"ETag": etag, "Cache-Control": CACHE_CONTROL}
    if _matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    body, kept = source.cache.fetch(etag, render, epoch=epoch)
    headers[CACHE_HEADER] = "hit" if kept else "miss"
    if not body:
        return Response(status_code=204, headers=headers)
    return Response(body, media_type=MVT, headers=headers)


def _etag(*parts: Any) -> str:
    """A strong ETag: a digest of everything the tile's bytes depend on."""
    return '"' + hashlib.sha256(repr((FORMAT, *parts)).encode()).hexdigest()[:32] + '"'
