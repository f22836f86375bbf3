"""A batch with more 图斑 in view than the cap is drawn from vector tiles, and a click on a
图斑 drawn there opens its case, as on the GeoJSON layer."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from shapely.geometry import shape

from tests.browser.support import PageProbe, get_json, open_app, shot, wait_case

TILE_ZOOM = 15


def _crowded_feature(server_url: str) -> tuple[dict, Any]:
    """The 图斑 of the largest batch with the most others within ~1 km, and its inner point."""
    big = max(get_json(f"{server_url}/api/batches")["data"], key=lambda b: b["feature_count"])
    feats = get_json(f"{server_url}/api/batches/{big['id']}/features?limit=100000")["features"]
    points = [shape(f["geometry"]).representative_point() for f in feats]
    near = [sum(p.distance(q) < 0.01 for q in points) for p in points]
    k = max(range(len(feats)), key=near.__getitem__)
    assert near[k] > 1, "the demo batch has a 图斑 with neighbours"
    return {"batch": big["id"], "case": feats[k]["id"]}, points[k]


def test_a_dense_view_is_drawn_from_tiles_and_a_click_opens_the_case(
    desktop: tuple[Any, PageProbe], server_url: str, artifacts: Path
) -> None:
    page, _ = desktop
    chosen, point = _crowded_feature(server_url)

    # The cap comes from GET /api/config: one 图斑 makes any view with two "dense".
    def one_feature_cap(route: Any) -> None:
        response = route.fetch()
        route.fulfill(response=response, json={**response.json(), "feature_limit": 1})

    page.route("**/api/config", one_feature_cap)
    statuses: list[int] = []
    page.on(
        "response", lambda r: statuses.append(r.status) if "/api/tiles/batch-" in r.url else None
    )
    open_app(page, server_url, "admin", path=f"/#batch={chosen['batch']}")
    page.locator(f'[data-testid="map"][data-loaded-batch="{chosen["batch"]}"]').wait_for(
        state="attached"
    )
    page.evaluate(
        "([lat, lon, z]) => window.tubanMap.map.setView([lat, lon], z, {animate: false})",
        [point.y, point.x, TILE_ZOOM],
    )
    page.locator('[data-testid="map"][data-tiles="true"]').wait_for(state="attached")
    assert page.locator("path[data-case-id]").count() == 0, "no GeoJSON polygons above the cap"
    page.wait_for_function("() => document.querySelectorAll('canvas.leaflet-tile').length > 0")
    page.wait_for_timeout(500)  # the renderer fetches and paints tiles a few ms apart
    assert {200, 304} & set(statuses), statuses
    assert set(statuses) <= {200, 204, 304}, statuses
    shot(page, artifacts, "tiles-1-dense-batch")

    xy = page.evaluate(
        """([lat, lon]) => {
            const m = window.tubanMap.map;
            const p = m.latLngToContainerPoint([lat, lon]);
            const r = m.getContainer().getBoundingClientRect();
            return [r.left + p.x, r.top + p.y];
        }""",
        [point.y, point.x],
    )
    page.mouse.click(*xy)
    panel = wait_case(page, chosen["case"])
    assert panel.is_visible()
    shot(page, artifacts, "tiles-2-case-opened")


def _overview_tile(feats: list[dict], z: int, x: int, y: int) -> tuple[bytes, dict[int, int]]:
    """The overview tile the server sends for a dense tile, encoded by storage/tiles.py from
    the demo 图斑 whose bbox centre lies in it (cells counted here, through pyproj)."""
    from pyproj import Transformer

    from storage import tiles

    to_3857 = Transformer.from_crs(4490, 3857, always_xy=True)
    half = math.pi * 6378137.0
    size = 2 * half / (1 << z) / tiles.OVERVIEW_GRID
    cells: dict[tuple[int, int], dict[str, int]] = {}
    for f in feats:
        minx, miny, maxx, maxy = shape(f["geometry"]).bounds
        mx, my = to_3857.transform((minx + maxx) / 2, (miny + maxy) / 2)
        col = math.floor((mx + half) / size) - x * tiles.OVERVIEW_GRID
        row = math.floor((half - my) / size) - y * tiles.OVERVIEW_GRID
        if 0 <= col < tiles.OVERVIEW_GRID and 0 <= row < tiles.OVERVIEW_GRID:
            cell = cells.setdefault((col, row), {"col": col, "row": row, "n": 0, "overdue": 0})
            cell["n"] += 1
            cell["rank"] = tiles.URGENCY.index(tiles.State(f["properties"]["state"]))
    rows, points = tiles.overview_features(list(cells.values()))
    counts = {r["fid"]: r["n"] for r in rows}
    return tiles.encode(tiles.OVERVIEW_LAYER, rows, points), counts


def test_a_dense_tile_draws_counted_cells_and_a_click_zooms_towards_the_polygons(
    desktop: tuple[Any, PageProbe], server_url: str, artifacts: Path
) -> None:
    """The demo has no tile over the server's overview threshold, so the tiles below zoom 15
    are answered with the overview the server would send for them (same encoder); zoom 15 and
    up come from the server as they are."""
    from storage.tiles import OVERVIEW_GRID, Tile

    page, _ = desktop
    chosen, point = _crowded_feature(server_url)
    feats = get_json(f"{server_url}/api/batches/{chosen['batch']}/features?limit=100000")[
        "features"
    ]

    def one_feature_cap(route: Any) -> None:
        response = route.fetch()
        route.fulfill(response=response, json={**response.json(), "feature_limit": 1})

    def dense(route: Any) -> None:
        z, x, y = (int(p) for p in route.request.url.rsplit(".mvt", 1)[0].split("/")[-3:])
        if z >= 15:
            route.continue_()
            return
        body, _ = _overview_tile(feats, z, x, y)
        if body:
            route.fulfill(status=200, body=body, content_type="application/vnd.mapbox-vector-tile")
        else:
            route.fulfill(status=204)

    page.route("**/api/config", one_feature_cap)
    page.route(f"**/api/tiles/batch-{chosen['batch']}/*/*/*.mvt", dense)
    open_app(page, server_url, "admin", path=f"/#batch={chosen['batch']}")
    page.locator(f'[data-testid="map"][data-loaded-batch="{chosen["batch"]}"]').wait_for(
        state="attached"
    )
    z = 13
    t = Tile(z, *[int(v) for v in _tile_xy(point.x, point.y, z)])
    lon, lat = t.cell_edges(OVERVIEW_GRID)
    col = max(k for k in range(OVERVIEW_GRID) if lon[k] <= point.x)
    row = max(k for k in range(OVERVIEW_GRID) if lat[k] >= point.y)
    _, counts = _overview_tile(feats, z, t.x, t.y)
    # the cell's centre on the Mercator grid, as the tile places its point
    c_lon = (lon[col] + lon[col + 1]) / 2
    c_lat = math.degrees(math.atan(math.sinh(
        (math.asinh(math.tan(math.radians(lat[row]))) +
         math.asinh(math.tan(math.radians(lat[row + 1])))) / 2)))  # fmt: skip
    page.evaluate(
        "([lat, lon, z]) => window.tubanMap.map.setView([lat, lon], z, {animate: false})",
        [c_lat, c_lon, z],
    )
    page.locator('[data-testid="map"][data-tiles="true"]').wait_for(state="attached")
    page.wait_for_function(
        "([lat, lon]) => window.tubanMap.tileCellAt(lat, lon) !== null", arg=[c_lat, c_lon]
    )
    cell = page.evaluate("([lat, lon]) => window.tubanMap.tileCellAt(lat, lon)", [c_lat, c_lon])
    assert cell["n"] == counts[row * OVERVIEW_GRID + col] >= 1
    assert page.locator("path[data-case-id]").count() == 0
    shot(page, artifacts, "tiles-3-overview-cells")

    xy = page.evaluate(
        """([lat, lon]) => {
            const m = window.tubanMap.map;
            const p = m.latLngToContainerPoint([lat, lon]);
            const r = m.getContainer().getBoundingClientRect();
            return [r.left + p.x, r.top + p.y];
        }""",
        [c_lat, c_lon],
    )
    page.mouse.click(*xy)
    page.wait_for_function(f"() => window.tubanMap.map.getZoom() === {z + 2}")
    shot(page, artifacts, "tiles-4-overview-zoomed")


def _tile_xy(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 1 << z
    return int((lon + 180) / 360 * n), int(
        (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n
    )
