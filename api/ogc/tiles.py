"""Vector tiles under /ogc, as OGC API - Tiles lays them out: each batch and reference layer
links its tileset list, one WebMercatorQuad tileset of Mapbox Vector Tiles, the tiling scheme's
definition, and the tiles themselves.

The bytes are the web map's own (``api.routes.tiles.answer_tile``: the same rendering, cache,
ETag and visibility), so a GIS client with an API key sees what a signed-in user of its account
sees on the map. Tile paths are z/row/col (OGC order); the web map's are z/x/y.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request, Response
from fastapi.responses import JSONResponse

from api.ogc import documents as docs
from api.ogc.auth import OgcUser
from api.ogc.errors import OgcRoute
from api.routes.tiles import MVT, answer_tile
from geo.errors import NotFound
from storage.tiles import BATCH_MIN_ZOOM, MAX_ZOOM, REF_MIN_ZOOM, Tile
from storage.visibility import Scope

router = APIRouter(prefix="/ogc", route_class=OgcRoute, tags=["ogc"])
READ = ["GET", "HEAD"]
TMS = "WebMercatorQuad"
TMS_URI = "http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad"
MERCATOR = "http://www.opengis.net/def/crs/EPSG/0/3857"

SCHEME_REL = "http://www.opengis.net/def/rel/ogc/1.0/tiling-scheme"
# The sphere of EPSG:3857: half its equator, and the scale of zoom 0 at 0.28 mm per pixel.
HALF_WORLD = 20037508.3427892
WKSS = "http://www.opengis.net/def/wkss/OGC/1.0/GoogleMapsCompatible"
CELL_0 = 2 * HALF_WORLD / 256
SCALE_0 = CELL_0 / 0.00028


def _layer(cid: str) -> tuple[str, str, int]:
    """(tile layer name, tile layer in the tile, minimum zoom) of a collection with tiles."""
    kind, _, num = cid.partition("-")
    if num.isdigit() and 0 < int(num) < 1 << 31:
        if kind == "batch":
            return f"batch-{num}", "cases", BATCH_MIN_ZOOM
        if kind == "reference":
            return f"ref-{num}", "refs", REF_MIN_ZOOM
    raise NotFound(f"图层 {cid[:100]} 没有瓦片", collection=cid[:100])


def _tileset(request: Request, cid: str) -> dict[str, Any]:
    _, inside, low = _layer(cid)
    path = f"/collections/{cid}/tiles/{TMS}"
    template = docs.href(request, path) + "/{tileMatrix}/{tileRow}/{tileCol}"
    return {
        "title": f"{cid} 矢量瓦片",
        "dataType": "vector",
        "crs": MERCATOR,
        "tileMatrixSetURI": TMS_URI,
        "layers": [{"id": inside, "dataType": "vector", "geometryDimension": 2}],
        "tileMatrixSetLimits": [
            {
                "tileMatrix": str(z),
                "minTileRow": 0,
                "maxTileRow": (1 << z) - 1,
                "minTileCol": 0,
                "maxTileCol": (1 << z) - 1,
            }
            for z in range(low, MAX_ZOOM + 1)
        ],
        "links": [
            docs.link(docs.href(request, path), "self", docs.JSON),
            docs.link(docs.href(request, f"/tileMatrixSets/{TMS}"), SCHEME_REL, docs.JSON),
            {**docs.link(template, "item", MVT, "瓦片"), "templated": True},
        ],
    }


@router.api_route("/collections/{cid}/tiles", methods=READ, include_in_schema=False)
def tilesets(cid: str, request: Request, user: OgcUser) -> JSONResponse:
    """The collection's tilesets: one, WebMercatorQuad."""
    one = _tileset(request, cid)
    listed = {k: one[k] for k in ("title", "dataType", "crs", "tileMatrixSetURI", "links")}
    self_link = docs.link(docs.href(request, f"/collections/{cid}/tiles"), "self", docs.JSON)
    return JSONResponse({"links": [self_link], "tilesets": [listed]})


@router.api_route(f"/collections/{{cid}}/tiles/{TMS}", methods=READ, include_in_schema=False)
def tileset(cid: str, request: Request, user: OgcUser) -> JSONResponse:
    """The WebMercatorQuad tileset of a collection."""
    return JSONResponse(_tileset(request, cid))


@router.api_route(f"/tileMatrixSets/{TMS}", methods=READ, include_in_schema=False)
def tiling_scheme(request: Request, user: OgcUser) -> JSONResponse:
    """The WebMercatorQuad tile matrix set, written out in the 2.0 encoding (OGC 17-083r4)
    with the 1.0 members beside it: GDAL 3.6 reads only 1.0's ``identifier``, ``boundingBox``
    and ``tileMatrix``."""
    corner = [-HALF_WORLD, HALF_WORLD]
    levels = [(z, SCALE_0 / (1 << z), 1 << z) for z in range(MAX_ZOOM + 1)]
    square = {"tileWidth": 256, "tileHeight": 256}
    v2 = [
        {
            "id": str(z),
            "scaleDenominator": scale,
            "cellSize": CELL_0 / n,
            "cornerOfOrigin": "topLeft",
            "pointOfOrigin": corner,
            **square,
            "matrixWidth": n,
            "matrixHeight": n,
        }
        for z, scale, n in levels
    ]
    v1 = [
        {
            "type": "TileMatrixType",
            "identifier": str(z),
            "scaleDenominator": scale,
            "topLeftCorner": corner,
            **square,
            "matrixWidth": n,
            "matrixHeight": n,
        }
        for z, scale, n in levels
    ]
    return JSONResponse(
        {
            "id": TMS,
            "title": "Google Maps Compatible for the World",
            "uri": TMS_URI,
            "crs": MERCATOR,
            "orderedAxes": ["X", "Y"],
            "wellKnownScaleSet": WKSS,
            "tileMatrices": v2,
            "type": "TileMatrixSetType",
            "identifier": TMS,
            "supportedCRS": MERCATOR,
            "boundingBox": {
                "type": "BoundingBoxType",
                "crs": MERCATOR,
                "lowerCorner": [-HALF_WORLD, -HALF_WORLD],
                "upperCorner": [HALF_WORLD, HALF_WORLD],
            },
            "tileMatrix": v1,
        }
    )


@router.api_route(
    f"/collections/{{cid}}/tiles/{TMS}/{{z}}/{{row}}/{{col}}",
    methods=READ,
    include_in_schema=False,
)
def tile(
    cid: str,
    request: Request,
    user: OgcUser,
    z: Annotated[int, Path(ge=0, le=MAX_ZOOM)],
    row: Annotated[int, Path(ge=0, lt=1 << MAX_ZOOM)],
    col: Annotated[int, Path(ge=0, lt=1 << MAX_ZOOM)],
) -> Response:
    """One tile (z/row/col): the web map's bytes for this user."""
    layer, _, _ = _layer(cid)
    state = request.app.state
    return answer_tile(
        request, state.services, state.clock(), Scope.of(user), layer, Tile(z, col, row)
    )
