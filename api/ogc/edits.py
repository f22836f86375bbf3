"""OGC API - Features Part 4 on the verification collection: a GIS client records a 卫片图斑's
verification (judgment, reason, land class, note, measured extent) by replacing (PUT), patching
(PATCH, JSON Merge Patch) or creating (POST, naming the 图斑 by ``code``) its feature.

Each edit is the workflow's ``verify`` action, taken as the web map takes it: the same role and
assignment checks (``api.security.check_action``), the same payload checks, the same optimistic
lock and the same event in the case's history. Versions: the item's ETag is the case's version;
an ``If-Match`` naming another one is refused with 412 before anything is read from the body, a
``version`` property that is stale with 409 (the web map's conflict), and a state that does not
allow verifying with 409 too. DELETE answers 405: a verification is undone by a reviewer
returning it, never erased.
"""

from __future__ import annotations

from typing import Annotated, Any

import orjson
import shapely.geometry
from fastapi import APIRouter, Depends, Request, Response
from starlette.concurrency import run_in_threadpool

from api.ogc import documents as docs
from api.ogc.auth import OgcEditor
from api.ogc.errors import OgcRoute, PreconditionFailed, TooLarge, UnsupportedType, ogc_error
from api.ogc.items import one_text, shown_shapes
from api.ogc.params import ItemParams
from api.ogc.routes import ALLOW_CHANGE, verification_page
from api.security import check_action, get_visibility
from geo.errors import InvalidPayload, NotFound, VersionConflict
from geo.inputs import MAX_COUNT
from geo.model import Action
from geo.ogc_crs import OgcCrs, by_uri
from geo.ogc_edits import merge_patch, verification
from storage import spatial
from storage.ogc_features import code_condition, ids_condition
from storage.users import User
from storage.visibility import Visibility

router = APIRouter(prefix="/ogc", route_class=OgcRoute, tags=["ogc"])
ITEMS = f"/collections/{docs.VERIFICATION}/items"
# A verification is a few properties and one measured polygon: 1 MB holds thousands of vertices.
MAX_BODY = 1 << 20
BODY_TYPES = ("application/geo+json", "application/json", "application/merge-patch+json", "")
VisibilityDep = Annotated[Visibility, Depends(get_visibility)]


async def _body(request: Request) -> Any:
    """The request's JSON body, read no further than MAX_BODY."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind not in BODY_TYPES:
        raise UnsupportedType(f"请求体应为 GeoJSON（application/geo+json），收到 {kind[:60]}")
    raw = bytearray()
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > MAX_BODY:
            raise TooLarge(f"请求体超过 {MAX_BODY >> 20} MB")
    try:
        return orjson.loads(bytes(raw))
    except orjson.JSONDecodeError:
        raise InvalidPayload("请求体不是有效的 JSON", field="body") from None


def _if_match(request: Request) -> int | None:
    header = request.headers.get("if-match")
    if header is None or header.strip() == "*":
        return None
    try:
        return int(header.strip().removeprefix("W/").strip('"'))
    except ValueError:
        raise InvalidPayload("If-Match 应为读取要素时得到的 ETag", field="If-Match") from None


def _content_crs(request: Request) -> OgcCrs:
    raw = request.headers.get("content-crs")
    return by_uri(None if raw is None else raw.strip().strip("<>"), param="Content-Crs")


def _case_id(fid: str) -> int:
    if not fid.isdigit() or not 0 < int(fid) <= MAX_COUNT:
        raise NotFound(f"没有要素 {fid[:40]}", feature=fid[:40])
    return int(fid)


def _current(request: Request, user: User, case_id: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """The item as the user may see it (row, properties); NotFound when it is not there."""
    one = ItemParams(1, 0, None, by_uri(None), None, None)
    rows, props, _ = verification_page(request, user, one, [ids_condition([case_id])])
    if not rows:
        raise NotFound(f"{docs.VERIFICATION} 中没有要素 {case_id}", feature=case_id)
    return rows[0], props[0]


def _record(
    request: Request,
    user: User,
    visibility: Visibility,
    case_id: int,
    body: Any,
    *,
    patch: bool,
    expected: int | None,
    crs: OgcCrs,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Apply the verification ``body`` asks for; the item after it (row, properties)."""
    check_action(user, Action.VERIFY.value, case_id, visibility)
    row, props = _current(request, user, case_id)
    if expected is not None and expected != row["version"]:
        raise PreconditionFailed(
            f"要素已是版本 {row['version']}（If-Match 为 {expected}），请重新读取后再提交",
            current_version=row["version"],
        )
    if patch:
        body = merge_patch({"type": "Feature", "properties": props}, body)
    issued = spatial.geometries([row[spatial.GEOMETRY_COLUMN]])[0]
    recorded = row.get("illegal_geometry")
    asked = verification(
        body,
        props,
        issued=issued,
        recorded=None if not recorded else shapely.geometry.shape(recorded),
        crs=crs,
    )
    services, clock = request.app.state.services, request.app.state.clock
    try:
        services.cases.apply_action(
            case_id,
            Action.VERIFY.value,
            actor=user.actor,
            payload=asked.payload,
            expected_version=expected if expected is not None else asked.version,
            now=clock(),
        )
    except VersionConflict as exc:
        if expected is None:
            raise
        raise PreconditionFailed(exc.message, **exc.details) from None
    return _current(request, user, case_id)


def _answer(
    row: dict[str, Any], props: dict[str, Any], status: int = 200, **headers: str
) -> Response:
    crs = by_uri(None)
    text = one_text(row, props, crs, shown_shapes([row]))
    headers.update({"ETag": f'"{row["version"]}"', "Content-Crs": f"<{crs.uri}>"})
    return Response(text, status_code=status, media_type=docs.GEOJSON, headers=headers)


async def _edit(
    request: Request, user: User, visibility: Visibility, fid: str, *, patch: bool
) -> Response:
    case_id = _case_id(fid)
    expected, crs = _if_match(request), _content_crs(request)
    body = await _body(request)
    row, props = await run_in_threadpool(
        _record, request, user, visibility, case_id, body, patch=patch, expected=expected, crs=crs
    )
    return _answer(row, props)


@router.put(ITEMS + "/{fid}", include_in_schema=False)
async def replace(
    fid: str, request: Request, user: OgcEditor, visibility: VisibilityDep
) -> Response:
    """Record the verification the whole feature describes."""
    return await _edit(request, user, visibility, fid, patch=False)


@router.patch(ITEMS + "/{fid}", include_in_schema=False)
async def update(
    fid: str, request: Request, user: OgcEditor, visibility: VisibilityDep
) -> Response:
    """Record the verification the item becomes with this merge patch."""
    return await _edit(request, user, visibility, fid, patch=True)


def _named(request: Request, user: User, body: Any) -> int:
    """The case a created feature names by ``code`` (and ``batch_id`` where codes repeat)."""
    props = body.get("properties") if isinstance(body, dict) else None
    code = props.get("code") if isinstance(props, dict) else None
    if not isinstance(code, str) or not code.strip():
        raise InvalidPayload("新建核查须在 properties.code 中写明图斑编号", field="code")
    batch = props.get("batch_id") if isinstance(props, dict) else None
    if batch is not None and (isinstance(batch, bool) or not isinstance(batch, int)):
        raise InvalidPayload("batch_id 应为整数", field="batch_id")
    one = ItemParams(2, 0, None, by_uri(None), None, None)
    rows, _, _ = verification_page(request, user, one, [code_condition(code.strip(), batch)])
    if not rows:
        raise NotFound(f"没有可见的卫片图斑 {code[:100]}", code=code[:100])
    if len(rows) > 1:
        raise InvalidPayload(
            f"图斑编号 {code[:100]} 在多个批次中都有，请写明 batch_id", field="batch_id"
        )
    return int(rows[0]["id"])


@router.post(ITEMS, include_in_schema=False)
async def create(request: Request, user: OgcEditor, visibility: VisibilityDep) -> Response:
    """Record a verification for the 图斑 the feature names by ``code``: 201 with its item's
    Location."""
    expected, crs = _if_match(request), _content_crs(request)
    body = await _body(request)
    case_id = await run_in_threadpool(_named, request, user, body)
    row, props = await run_in_threadpool(
        _record, request, user, visibility, case_id, body, patch=False, expected=expected, crs=crs
    )
    where = docs.href(request, f"{ITEMS}/{case_id}")
    return _answer(row, props, 201, Location=where)


@router.delete(ITEMS + "/{fid}", include_in_schema=False)
def delete(fid: str) -> Response:
    """Not offered: 405 naming what is."""
    return ogc_error(405, "核查记录不能删除；如需重做，请审核人退回", Allow=ALLOW_CHANGE)


@router.api_route("/collections/{cid}/items", methods=["POST"], include_in_schema=False)
def create_elsewhere(cid: str) -> Response:
    """Other collections are read-only."""
    return ogc_error(
        405, f"图层 {cid[:100]} 只读；核查请写入 {docs.VERIFICATION}", Allow="GET, HEAD, OPTIONS"
    )


@router.api_route(
    "/collections/{cid}/items/{fid}", methods=["PUT", "PATCH", "DELETE"], include_in_schema=False
)
def change_elsewhere(cid: str, fid: str) -> Response:
    """Other collections are read-only."""
    return ogc_error(
        405, f"图层 {cid[:100]} 只读；核查请写入 {docs.VERIFICATION}", Allow="GET, HEAD, OPTIONS"
    )
