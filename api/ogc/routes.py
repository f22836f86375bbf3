"""The /ogc routes: landing page, OpenAPI document, conformance, collections, queryables,
items and single items (GET and HEAD; OPTIONS for every path)."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from api.ogc import documents as docs
from api.ogc.auth import OgcUser
from api.ogc.errors import OgcRoute
from api.ogc.items import (
    case_properties,
    one_text,
    page_text,
    reference_properties,
    shown_shapes,
    verification_properties,
)
from api.ogc.openapi import document
from api.ogc.params import ItemParams, item_params
from geo.errors import NotFound
from geo.inputs import MAX_COUNT
from geo.localtime import local_today
from geo.model import Programme
from storage.cql2 import Queryable, case_queryables, reference_queryables
from storage.ogc_features import (
    Condition,
    ItemsQuery,
    OgcFeatures,
    ids_condition,
    item_conditions,
    nothing,
    programmes_condition,
)
from storage.users import User
from storage.visibility import Scope

router = APIRouter(prefix="/ogc", route_class=OgcRoute, tags=["ogc"])
READ = ["GET", "HEAD"]
ALLOW = "GET, HEAD, OPTIONS"
# The verification collection takes edits (api/ogc/edits.py): new ones on its items, changes
# on one item; DELETE is not offered.
ALLOW_CREATE = "GET, HEAD, POST, OPTIONS"
ALLOW_CHANGE = "GET, HEAD, PUT, PATCH, OPTIONS"
WEIPIAN = tuple(p.value for p in Programme if p.is_weipian)


def _json(doc: Any, kind: str = docs.JSON) -> JSONResponse:
    return JSONResponse(doc, media_type=kind)


def _reads(request: Request) -> OgcFeatures:
    return request.app.state.services.ogc_features()


def _today(request: Request) -> date:
    return local_today(request.app.state.clock())


def _collection_id(cid: str) -> tuple[str, int]:
    """("batch" | "reference", id) or ("cases" | "verification", 0); NotFound for anything
    else."""
    if cid in (docs.CASES, docs.VERIFICATION):
        return cid, 0
    kind, _, num = cid.partition("-")
    if kind in ("batch", "reference") and num.isdigit() and 0 < int(num) <= MAX_COUNT:
        return kind, int(num)
    raise NotFound(f"没有图层 {cid[:100]}", collection=cid[:100])


@router.api_route("", methods=READ, include_in_schema=False)
@router.api_route("/", methods=READ, include_in_schema=False)
def landing(request: Request, user: OgcUser) -> JSONResponse:
    """The landing page."""
    return _json(docs.landing(request))


@router.api_route("/api", methods=READ, include_in_schema=False)
def openapi(request: Request, user: OgcUser) -> JSONResponse:
    """The OpenAPI document of /ogc."""
    return _json(document(docs.base(request)), docs.OPENAPI)


@router.api_route("/conformance", methods=READ, include_in_schema=False)
def conformance(user: OgcUser) -> JSONResponse:
    """The conformance classes served."""
    return _json({"conformsTo": docs.CONFORMANCE})


def _describe(request: Request, reads: OgcFeatures, cid: str) -> dict[str, Any]:
    kind, ident = _collection_id(cid)
    if kind == "batch":
        return docs.batch_collection(request, reads.batch(ident))
    if kind == "reference":
        return docs.layer_collection(request, reads.layer(ident))
    if kind == docs.VERIFICATION:
        return docs.verification_collection(request, reads.batches())
    return docs.cases_collection(request, reads.batches())


@router.api_route("/collections", methods=READ, include_in_schema=False)
def collections(request: Request, user: OgcUser) -> JSONResponse:
    """Every collection: the cases, each batch, each reference layer version."""
    reads = _reads(request)
    batches = reads.batches()
    found = [docs.cases_collection(request, batches)]
    found += [docs.verification_collection(request, batches)]
    found += [docs.batch_collection(request, b) for b in batches]
    found += [docs.layer_collection(request, layer) for layer in reads.layers()]
    self_link = docs.link(docs.href(request, "/collections"), "self", docs.JSON)
    return _json({"links": [self_link], "collections": found})


@router.api_route("/collections/{cid}", methods=READ, include_in_schema=False)
def collection(cid: str, request: Request, user: OgcUser) -> JSONResponse:
    """One collection's description."""
    return _json(_describe(request, _reads(request), cid))


def _queryables(request: Request, kind: str) -> dict[str, Queryable]:
    return reference_queryables() if kind == "reference" else case_queryables(_today(request))


@router.api_route("/collections/{cid}/queryables", methods=READ, include_in_schema=False)
def queryables(cid: str, request: Request, user: OgcUser) -> JSONResponse:
    """The properties a filter on the collection may name, as a JSON Schema."""
    _describe(request, _reads(request), cid)  # 404 for an unknown one
    props = _queryables(request, _collection_id(cid)[0])
    return _json(docs.queryables(request, cid, props), docs.SCHEMA)


def _conditions(request: Request, kind: str, p: ItemParams) -> list[Condition]:
    interval = None if p.interval is None else (p.interval.start, p.interval.end)
    return item_conditions(
        _queryables(request, kind),
        request.query_params.items(),
        p.filter,
        interval if kind in (docs.CASES, docs.VERIFICATION) else None,
    )


def _page(
    request: Request, cid: str, user: User, p: ItemParams, extra: list[Condition]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], int]:
    """(rows, their properties, numberMatched) of an items request."""
    if _collection_id(cid)[0] == docs.VERIFICATION:
        return verification_page(request, user, p, extra)
    kind, ident = _collection_id(cid)
    reads = _reads(request)
    conds = _conditions(request, kind, p) + extra
    q = ItemsQuery(p.bbox, Scope.of(user), tuple(conds), p.limit, p.offset)
    if kind == "reference":
        rows, matched = reads.reference_items(ident, q)
        return rows, [reference_properties(r) for r in rows], matched
    if kind == "batch":
        issued = reads.batch(ident)["issued_on"]  # 404 for an unknown batch
        if p.interval is not None and not p.interval.holds(issued):
            q = ItemsQuery(q.bbox, q.scope, (*q.conditions, nothing()), q.limit, q.offset)
        rows, matched = reads.batch_items(ident, q)
    else:
        rows, matched = reads.case_items(q)
    today = _today(request)
    return rows, [case_properties(r, today) for r in rows], matched


def verification_page(
    request: Request, user: User, p: ItemParams, extra: list[Condition]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], int]:
    """(rows, properties, numberMatched) of the verification collection: the 卫片 cases."""
    conds = [*_conditions(request, docs.VERIFICATION, p), programmes_condition(WEIPIAN), *extra]
    q = ItemsQuery(p.bbox, Scope.of(user), tuple(conds), p.limit, p.offset)
    rows, matched = _reads(request).case_items(q)
    today = _today(request)
    return rows, [verification_properties(r, today) for r in rows], matched


def _shapes(cid: str, rows: list[dict[str, Any]]) -> Any:
    return shown_shapes(rows) if cid == docs.VERIFICATION else None


def _geojson(text: bytes, p: ItemParams, **headers: str) -> Response:
    headers["Content-Crs"] = f"<{p.crs.uri}>"
    return Response(text, media_type=docs.GEOJSON, headers=headers)


@router.api_route("/collections/{cid}/items", methods=READ, include_in_schema=False)
def items(cid: str, request: Request, user: OgcUser) -> Response:
    """A page of the collection's features (bbox, datetime, filter, crs; limit/offset)."""
    p = item_params(request.query_params)
    rows, props, matched = _page(request, cid, user, p, [])
    path = f"/collections/{cid}/items"
    return _geojson(page_text(request, path, p, rows, props, matched, _shapes(cid, rows)), p)


@router.api_route("/collections/{cid}/items/{fid}", methods=READ, include_in_schema=False)
def item(cid: str, fid: str, request: Request, user: OgcUser) -> Response:
    """One feature by id; 404 when it is not in the collection or not visible to the user."""
    p = item_params(request.query_params)
    if not fid.isdigit() or not 0 < int(fid) <= MAX_COUNT:
        raise NotFound(f"没有要素 {fid[:40]}", feature=fid[:40])
    kind = _collection_id(cid)[0]
    one = ItemParams(1, 0, None, p.crs, None, None)
    pick = ids_condition([int(fid)], reference=kind == "reference")
    rows, props, _ = _page(request, cid, user, one, [pick])
    if not rows:
        raise NotFound(f"{cid[:100]} 中没有要素 {fid}", feature=fid)
    text = one_text(rows[0], props[0], p.crs, _shapes(cid, rows))
    # A case's version as its ETag, as /api/cases gives it: an edit sends it back in If-Match.
    version = None if kind == "reference" else rows[0].get("version")
    tag = {} if version is None else {"ETag": f'"{version}"'}
    return _geojson(text, p, **tag)


@router.options("", include_in_schema=False)
@router.options("/{rest:path}", include_in_schema=False)
def options(rest: str = "") -> Response:
    """What every /ogc path answers to (no login needed to ask)."""
    return Response(status_code=204, headers={"Allow": allowed(rest)})


def allowed(rest: str) -> str:
    """The methods a path under /ogc answers to."""
    parts = rest.strip("/").split("/")
    if parts[:3] == ["collections", docs.VERIFICATION, "items"]:
        return ALLOW_CREATE if len(parts) == 3 else ALLOW_CHANGE
    return ALLOW


@router.api_route("/{rest:path}", methods=READ, include_in_schema=False)
def unknown(rest: str) -> Response:
    """Any other /ogc path: an OGC 404, not the rest of the API's envelope."""
    raise NotFound(f"/ogc 下没有 {rest[:100]}", path=rest[:100])
