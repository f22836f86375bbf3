"""A batch with more 图斑 in view than the cap is drawn from vector tiles, and a click on a
图斑 drawn there opens its case, as on the GeoJSON layer."""

from __future__ import annotations

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
