"""The JSON documents of /ogc besides features: landing page, conformance, collections,
queryables, and the links between them.

Links never carry an ``api_key``: a client sends its key again with each request (QGIS repeats
the landing URL's query string, GDAL and OWSLib send a header), so the key does not spread into
answers, caches or proxies' logs.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import urlencode

from fastapi import Request

from geo.model import Programme
from geo.ogc_crs import CRS84, EPSG_URI, STORED_EPSG, crs_uris
from storage.cql2 import Queryable

JSON = "application/json"
GEOJSON = "application/geo+json"
OPENAPI = "application/vnd.oai.openapi+json;version=3.0"
QUERYABLES_REL = "http://www.opengis.net/def/rel/ogc/1.0/queryables"
TILESETS_REL = "http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector"
SCHEMA = "application/schema+json"
GREGORIAN = "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"
CASES = "cases"
VERIFICATION = "verification"

CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
    "http://www.opengis.net/spec/cql2/1.0/conf/advanced-comparison-operators",
    # Part 4 on the verification collection: POST, PUT and PATCH go through the workflow; DELETE
    # answers 405 (a verification is withdrawn by the reviewer returning it, never erased).
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/create-replace-delete",
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/update",
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/features",
    # Vector tiles of batches and reference layers (api/ogc/tiles.py).
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tileset",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tilesets-list",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/geodata-tilesets",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/mvt",
]


def base(request: Request) -> str:
    """The URL of /ogc on this server, as the client reached it."""
    return str(request.base_url).rstrip("/") + "/ogc"


def href(request: Request, path: str = "", **params: Any) -> str:
    """An absolute /ogc URL with ``params`` (None values left out), never an API key."""
    query = urlencode({k: v for k, v in params.items() if v is not None})
    return base(request) + path + (f"?{query}" if query else "")


def link(url: str, rel: str, kind: str, title: str | None = None) -> dict[str, str]:
    """One link object."""
    out = {"href": url, "rel": rel, "type": kind}
    if title:
        out["title"] = title
    return out


def landing(request: Request) -> dict[str, Any]:
    """The landing page: QGIS 3.22 refuses one without its ``service-desc`` link."""
    return {
        "title": "Tuban 图斑",
        "description": "卫片执法与土地变更调查图斑（OGC API - Features；卫片核查可编辑）",
        "links": [
            link(href(request), "self", JSON, "本页"),
            link(href(request, "/api"), "service-desc", OPENAPI, "OpenAPI 定义"),
            link(
                str(request.base_url).rstrip("/") + "/docs", "service-doc", "text/html", "接口文档"
            ),
            link(href(request, "/conformance"), "conformance", JSON, "符合的标准"),
            link(href(request, "/collections"), "data", JSON, "图层"),
        ],
    }


def _stamp(day: date | None) -> str | None:
    return None if day is None else f"{day.isoformat()}T00:00:00Z"


def collection(
    request: Request,
    cid: str,
    title: str,
    description: str,
    bbox: list[float],
    interval: tuple[date | None, date | None] | None,
    *,
    tiles: bool = False,
) -> dict[str, Any]:
    """A collection's description: extent (CRS84 box from the stored extent; issue to due
    date), item type, CRSs and links (to its vector tiles when it has them)."""
    extent: dict[str, Any] = {"spatial": {"bbox": [bbox], "crs": CRS84}}
    if interval is not None:
        extent["temporal"] = {
            "interval": [[_stamp(interval[0]), _stamp(interval[1])]],
            "trs": GREGORIAN,
        }
    path = f"/collections/{cid}"
    more = [link(href(request, f"{path}/tiles"), TILESETS_REL, JSON, "矢量瓦片")] if tiles else []
    return {
        "id": cid,
        "title": title,
        "description": description,
        "itemType": "feature",
        "extent": extent,
        "crs": crs_uris(),
        "storageCrs": EPSG_URI.format(code=STORED_EPSG),
        "links": [
            link(href(request, path), "self", JSON, title),
            link(href(request, f"{path}/items"), "items", GEOJSON, "要素"),
            link(href(request, f"{path}/queryables"), QUERYABLES_REL, SCHEMA, "可过滤属性"),
            *more,
        ],
    }


def batch_collection(request: Request, b: dict[str, Any]) -> dict[str, Any]:
    """The collection of one batch."""
    label = Programme(b["programme"]).label
    title = f"{label} {b['period']}（批次 {b['id']}）"
    desc = f"{b['authority']} {b['issued_on']} 下发，{b['due_on']} 前完成；来源 {b['source_name']}"
    box = [b["minx"], b["miny"], b["maxx"], b["maxy"]]
    days = (b["issued_on"], b["due_on"])
    return collection(request, f"batch-{b['id']}", title, desc, box, days, tiles=True)


def layer_collection(request: Request, layer: dict[str, Any]) -> dict[str, Any]:
    """The collection of one reference layer version."""
    title = f"{layer['name']} {layer['version']}（参考图层 {layer['id']}）"
    box = [layer["minx"], layer["miny"], layer["maxx"], layer["maxy"]]
    cid = f"reference-{layer['id']}"
    return collection(request, cid, title, layer["kind"], box, None, tiles=True)


def _span(batches: list[dict[str, Any]]) -> tuple[list[float], tuple[date, date] | None]:
    if batches:
        box = [
            min(b["minx"] for b in batches),
            min(b["miny"] for b in batches),
            max(b["maxx"] for b in batches),
            max(b["maxy"] for b in batches),
        ]
        interval = (min(b["issued_on"] for b in batches), max(b["due_on"] for b in batches))
        return box, interval
    return [-180.0, -90.0, 180.0, 90.0], None


def cases_collection(request: Request, batches: list[dict[str, Any]]) -> dict[str, Any]:
    """The collection of every case the user sees, with its live state and judgment."""
    desc = "当前用户可见的全部图斑，每个一次（按首次下发），含实时状态与核查结论"
    return collection(request, CASES, "全部图斑", desc, *_span(batches))


def verification_collection(request: Request, batches: list[dict[str, Any]]) -> dict[str, Any]:
    """The editable collection: the 卫片图斑 the user sees, with what a verification records."""
    weipian = [b for b in batches if Programme(b["programme"]).is_weipian]
    desc = (
        "卫片图斑的核查（OGC API - Features Part 4 可编辑）：填写 judgment、reason 等并可改画实测"
        "范围，经与网页相同的流程、权限与版本检查（If-Match 或 version）后记入事件"
    )
    return collection(request, VERIFICATION, "卫片核查（可编辑）", desc, *_span(weipian))


def queryables(request: Request, cid: str, props: dict[str, Queryable]) -> dict[str, Any]:
    """The queryables of a collection as a JSON Schema."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": href(request, f"/collections/{cid}/queryables"),
        "type": "object",
        "title": cid,
        "properties": {name: q.schema() for name, q in props.items()},
        "additionalProperties": False,
    }
