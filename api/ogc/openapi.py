"""The OpenAPI document of /ogc (the landing page's ``service-desc``), written out: the /ogc
routes stay out of the main API's schema, whose fuzzing and checks are about /api."""

from __future__ import annotations

from typing import Any

from api.ogc.params import DEFAULT_LIMIT, FILTER_LANGS, MAX_LIMIT


def _param(name: str, description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema,
        "style": "form",
        "explode": False,
    }


COLLECTION_ID = {
    "name": "collectionId",
    "in": "path",
    "required": True,
    "schema": {"type": "string"},
    "description": "batch-<批次号>、reference-<参考图层号>、cases 或 verification",
}
FEATURE_ID = {"name": "featureId", "in": "path", "required": True, "schema": {"type": "string"}}
KEY = _param("api_key", "API 密钥（也可用 X-API-Key 请求头）", {"type": "string"})
CRS = _param("crs", "输出坐标系 URI", {"type": "string", "format": "uri"})
ITEM_PARAMS = [
    _param(
        "limit",
        "每页要素数",
        {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT},
    ),
    _param("offset", "跳过的要素数", {"type": "integer", "minimum": 0, "default": 0}),
    _param(
        "bbox",
        "minx,miny,maxx,maxy（bbox-crs 的轴序）",
        {"type": "array", "minItems": 4, "maxItems": 6, "items": {"type": "number"}},
    ),
    _param("bbox-crs", "bbox 的坐标系 URI", {"type": "string", "format": "uri"}),
    _param("datetime", "下发日期：日期、时间或区间 a/b（.. 为开放端）", {"type": "string"}),
    _param("filter", "CQL2 文本过滤（见 queryables）", {"type": "string"}),
    _param("filter-lang", "只支持 cql2-text", {"type": "string", "enum": list(FILTER_LANGS)}),
    CRS,
    KEY,
    # One per queryable (batches and cases; reference layers: ident, label): ?state=verified
    # is ``state = 'verified'``. GDAL 3.6 sends its -where to the server only for properties
    # listed here.
    *(
        _param(name, f"{name} 等于该值（同 filter 的 =）", {"type": "string"})
        for name in (
            "code",
            "state",
            "judgment",
            "township",
            "programme",
            "period",
            "overdue",
            "ident",
            "label",
        )
    ),
]


def _get(summary: str, kind: str, params: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "get": {
            "summary": summary,
            "parameters": params,
            "responses": {
                "200": {"description": "OK", "content": {kind: {"schema": {"type": "object"}}}},
                "400": {"description": "参数有误"},
                "401": {"description": "未登录或 API 密钥无效"},
                "404": {"description": "没有该图层或要素"},
            },
        }
    }


_EDIT_ANSWERS = {
    "200": {"description": "已记录；返回要素及新的 ETag"},
    "400": {"description": "请求体有误（指明属性）"},
    "401": {"description": "未登录或 API 密钥无效"},
    "403": {"description": "角色或分派不允许，或密钥只读"},
    "404": {"description": "没有该要素或不可见"},
    "409": {"description": "状态不允许核查，或 version 已过期"},
    "412": {"description": "If-Match 与当前版本不符"},
    "413": {"description": "请求体过大"},
    "415": {"description": "请求体不是 GeoJSON"},
}
_FEATURE_BODY = {
    "required": True,
    "content": {"application/geo+json": {"schema": {"type": "object"}}},
}
IF_MATCH = {
    "name": "If-Match",
    "in": "header",
    "required": False,
    "schema": {"type": "string"},
    "description": "读取要素时的 ETag",
}
CONTENT_CRS = {
    "name": "Content-Crs",
    "in": "header",
    "required": False,
    "schema": {"type": "string"},
    "description": "请求体坐标的坐标系 URI（尖括号内）",
}


def _edits() -> dict[str, Any]:
    """Part 4 operations of the verification collection."""
    one = [FEATURE_ID, IF_MATCH, CONTENT_CRS, KEY]
    patch_body = {
        "required": True,
        "content": {"application/merge-patch+json": {"schema": {"type": "object"}}},
    }
    return {
        "put": {
            "summary": "记录核查（整个要素）",
            "parameters": one,
            "requestBody": _FEATURE_BODY,
            "responses": _EDIT_ANSWERS,
        },
        "patch": {
            "summary": "记录核查（JSON Merge Patch）",
            "parameters": one,
            "requestBody": patch_body,
            "responses": _EDIT_ANSWERS,
        },
    }


def document(server: str) -> dict[str, Any]:
    """The OpenAPI 3.0 document of /ogc served at ``server``."""
    json_, geo = "application/json", "application/geo+json"
    return {
        "openapi": "3.0.3",
        "info": {"title": "Tuban 图斑 OGC API - Features", "version": "1.0.0"},
        "servers": [{"url": server}],
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "apiKeyHeader": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
                "apiKeyQuery": {"type": "apiKey", "in": "query", "name": "api_key"},
            }
        },
        "security": [{"bearer": []}, {"apiKeyHeader": []}, {"apiKeyQuery": []}],
        "paths": {
            "/": _get("首页", json_, [KEY]),
            "/conformance": _get("符合的标准", json_, [KEY]),
            "/collections": _get("图层列表", json_, [KEY]),
            "/collections/{collectionId}": _get("图层", json_, [COLLECTION_ID, KEY]),
            "/collections/{collectionId}/queryables": _get(
                "可过滤属性", "application/schema+json", [COLLECTION_ID, KEY]
            ),
            "/collections/{collectionId}/items": _get("要素", geo, [COLLECTION_ID, *ITEM_PARAMS]),
            "/collections/{collectionId}/items/{featureId}": _get(
                "单个要素", geo, [COLLECTION_ID, FEATURE_ID, CRS, KEY]
            ),
            "/collections/verification/items/{featureId}": _edits(),
            "/collections/verification/items": {
                "post": {
                    "summary": "记录核查（properties.code 指明图斑）",
                    "parameters": [CONTENT_CRS, KEY],
                    "requestBody": _FEATURE_BODY,
                    "responses": {**_EDIT_ANSWERS, "201": {"description": "已记录；Location"}},
                }
            },
        },
    }
