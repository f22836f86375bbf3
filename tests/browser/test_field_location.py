"""Issue 15, where am I: a verifier's phone (390×844, touch, geolocation granted and set a few
hundred metres from one of their 图斑) on a server with an offline basemap file.

The location marker and accuracy circle appear, the panel gives the distance and bearing pyproj
gives, the 导航 links carry each app's converted coordinates, 我的任务 sorts by distance,
township names are drawn by default, and the basemap's tiles come from the server itself:
no request leaves 127.0.0.1.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pyproj import Geod

from tests.basemap_files import area_tiles, vector_tile, write_mbtiles
from tests.browser.conftest import PHONE, open_page, run_demo
from tests.browser.support import PageProbe, get_json, shot, sign_in, wait_case

pytestmark = pytest.mark.browser

GEOD = Geod(ellps="GRS80")
COUNTY = (117.85, 39.55, 118.35, 40.10)
BASEMAP_ZOOMS = range(8, 14)
# The verifier stands this far north-east of the 图斑's centre (degrees): ~300 m.
OFFSET = (0.0025, 0.0015)
ACCURACY_M = 25


def _raster(path: Path) -> Path:
    meta = {
        "name": "丰润区测试底图", "format": "png", "attribution": "测试底图",
        "minzoom": str(BASEMAP_ZOOMS.start), "maxzoom": str(BASEMAP_ZOOMS.stop - 1),
        "bounds": ",".join(map(str, COUNTY)),
    }  # fmt: skip
    return write_mbtiles(path, area_tiles(COUNTY, BASEMAP_ZOOMS), meta)


@pytest.fixture(scope="module")
def field_basemap(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """TUBAN_BASEMAP_FILE: a small raster MBTiles over the county, made here."""
    return _raster(tmp_path_factory.mktemp("tuban-basemap") / "fengrun.mbtiles")


@pytest.fixture(scope="module")
def field_server(
    tmp_path_factory: pytest.TempPathFactory, browser: Any, field_basemap: Path
) -> Iterator[str]:
    """The demo with an offline basemap file."""
    tmp = tmp_path_factory.mktemp("tuban-field")
    with run_demo(tmp, {"TUBAN_BASEMAP_FILE": str(field_basemap)}, "field-server.log") as url:
        yield url


@pytest.fixture
def vector_basemap(field_server: str, field_basemap: Path) -> Iterator[None]:
    """The basemap file replaced by vector tiles (gzip pbf, Protomaps schema; the server
    re-opens a replaced file), and the raster one put back afterwards."""
    tiles = {}
    for z in BASEMAP_ZOOMS:
        for xy in area_tiles(COUNTY, range(z, z + 1)):
            tiles[xy] = gzip.compress(vector_tile())
    staged = field_basemap.with_suffix(".tmp")
    write_mbtiles(staged, tiles, {"format": "pbf", "minzoom": "8", "maxzoom": "13"}).replace(
        field_basemap
    )
    try:
        yield
    finally:
        _raster(staged).replace(field_basemap)


def _all(url: str, user: str) -> list[dict[str, Any]]:
    page = get_json(url, user=user)
    items = page["data"]
    while page["next"]:
        page = get_json(page["next"], user=user)
        items += page["data"]
    return items


@pytest.fixture(scope="module")
def hecha_tasks(field_server: str) -> list[dict[str, Any]]:
    tasks = _all(f"{field_server}/api/tasks", "hecha")
    assert len(tasks) >= 3, "the demo verifier has open work"
    return tasks


@pytest.fixture
def field_phone(
    browser: Any, field_server: str, hecha_tasks: list[dict[str, Any]]
) -> Iterator[tuple[Any, PageProbe, dict[str, Any], tuple[float, float]]]:
    """hecha's phone, standing ~300 m north-east of their first task's 图斑."""
    task = hecha_tasks[0]
    lon, lat = task["centre"][0] + OFFSET[0], task["centre"][1] + OFFSET[1]
    for page, probe in open_page(
        browser,
        field_server,
        **PHONE,
        permissions=["geolocation"],
        geolocation={"latitude": lat, "longitude": lon, "accuracy": ACCURACY_M},
    ):
        yield page, probe, task, (lon, lat)


def _signed_in(page: Any, server: str) -> None:
    """hecha signed in, with the first batch drawn (a case opened earlier could be closed by
    that first load)."""
    page.goto(server + "/")
    sign_in(page, "hecha")
    page.locator('[data-testid="map"][data-loaded-batch]').wait_for(state="attached")


def test_location_distance_and_navigation_in_the_panel(field_phone, field_server, artifacts):
    page, probe, task, (lon, lat) = field_phone
    basemap_requests: list[str] = []
    page.on("request", lambda r: "/api/basemap/" in r.url and basemap_requests.append(r.url))
    _signed_in(page, field_server)
    # The permission is already given, so the position is shown without asking or tapping.
    page.locator('[data-testid="locate-button"][data-state="on"]').wait_for(state="attached")
    dot = page.locator('[data-testid="locate-dot"]')
    dot.wait_for(state="attached")
    assert float(dot.get_attribute("data-lon")) == pytest.approx(lon, abs=1e-9)
    assert float(dot.get_attribute("data-lat")) == pytest.approx(lat, abs=1e-9)
    circle = page.locator('[data-testid="locate-accuracy"]')
    assert circle.get_attribute("data-radius") == str(ACCURACY_M)
    assert "±25 米" in page.get_by_test_id("locate-status").inner_text()
    # A compass reading turns the heading wedge (alpha counts anticlockwise: 90 → 270°).
    page.evaluate(
        "window.dispatchEvent(new DeviceOrientationEvent('deviceorientationabsolute',"
        " {alpha: 90, beta: 0, gamma: 0, absolute: true}))"
    )
    page.locator('[data-testid="locate-heading"][data-heading="270"]').wait_for(state="attached")

    page.evaluate(
        "([id, b]) => window.tubanMap.showCase(id, b)", [task["case_id"], task["batch_id"]]
    )
    wait_case(page, task["case_id"])
    line = page.locator('[data-testid="case-distance"][data-metres]')
    line.wait_for(state="visible")
    azimuth, _, metres = GEOD.inv(lon, lat, *task["centre"])
    assert float(line.get_attribute("data-metres")) == pytest.approx(metres, abs=1)
    assert float(line.get_attribute("data-bearing")) == pytest.approx(azimuth % 360, abs=1)
    assert "西南" in line.inner_text() and "米" in line.inner_text()

    links = {a.get_attribute("data-app"): a for a in page.get_by_test_id("nav-link").all()}
    assert set(links) == {"amap", "baidu", "qq", "geo"}
    centre = task["centre"]

    def point(app: str) -> tuple[float, float]:
        a = links[app]
        return float(a.get_attribute("data-lon")), float(a.get_attribute("data-lat"))

    # geo: takes WGS84 as it is; 高德/腾讯 the GCJ-02 point, 百度 the BD-09 point, each a few
    # hundred metres off the true place (as those apps' own maps are) and in its own href.
    assert point("geo") == pytest.approx(tuple(centre), abs=1e-6)
    assert point("amap") == point("qq")
    shift_gcj = GEOD.inv(*centre, *point("amap"))[2]
    shift_bd = GEOD.inv(*point("amap"), *point("baidu"))[2]
    assert 100 < shift_gcj < 800 and 100 < shift_bd < 1500, (shift_gcj, shift_bd)
    glon, glat = point("amap")
    assert f"dlat={glat}&dlon={glon}" in links["amap"].get_attribute("href")
    assert links["amap"].get_attribute("href").startswith("amapuri://route/plan/")
    blon, blat = point("baidu")
    assert f"latlng%3A{blat}%2C{blon}" in links["baidu"].get_attribute("href")
    assert f"tocoord={glat},{glon}" in links["qq"].get_attribute("href")
    clon, clat = point("geo")
    assert links["geo"].get_attribute("href").startswith(f"geo:{clat},{clon}?q=")
    shot(page, artifacts, "verifier-location", guide=True)

    # The offline basemap is the default and every tile came from this server.
    assert page.get_by_test_id("map").get_attribute("data-basemap") == "offline"
    page.evaluate("window.tubanMap.closePanel()")
    page.evaluate("window.tubanMap.map.setView([39.83, 118.1], 12, {animate: false})")
    page.locator("img.leaflet-tile-loaded[src*='/api/basemap/']").first.wait_for(state="attached")
    drawn = page.eval_on_selector_all(
        "img.leaflet-tile-loaded[src*='/api/basemap/']", "els => els.map(e => e.naturalWidth)"
    )
    assert drawn and all(w == 256 for w in drawn)
    assert basemap_requests and all(
        u.startswith(field_server + "/api/basemap/") for u in basemap_requests
    )
    probe.assert_clean()


def test_my_tasks_sorted_by_distance(field_phone, field_server, hecha_tasks, artifacts):
    page, probe, _, (lon, lat) = field_phone
    _signed_in(page, field_server)
    page.locator('[data-testid="locate-button"][data-state="on"]').wait_for(state="attached")
    page.get_by_test_id("tab-tasks").tap()
    page.get_by_test_id("tasks-sort").select_option("distance")
    page.locator('[data-testid="tasks-list"][data-order="distance"]').wait_for()
    page.get_by_test_id("task-distance").first.wait_for()
    shown = page.eval_on_selector_all(
        '[data-testid="task"]',
        """els => els.map(e => [e.dataset.caseId,
            Number(e.querySelector('[data-testid="task-distance"]')?.dataset.metres ?? NaN)])""",
    )
    metres = {str(t["case_id"]): GEOD.inv(lon, lat, *t["centre"])[2] for t in hecha_tasks}
    assert len(shown) == len(hecha_tasks)
    assert [m for _, m in shown] == sorted(m for _, m in shown), "nearest first"
    for case_id, m in shown:
        assert m == pytest.approx(metres[case_id], abs=1)
    nearest = min(metres.values())
    assert metres[shown[0][0]] == pytest.approx(nearest, abs=1)
    # The choice is kept; back to 期限 gives the server's order again.
    assert page.evaluate("localStorage.getItem('tuban.tasks.sort')") == "distance"
    page.get_by_test_id("tasks-sort").select_option("due")
    page.locator('[data-testid="tasks-list"][data-order="due"]').wait_for()
    order = page.eval_on_selector_all(
        '[data-testid="task"]', "els => els.map(e => e.dataset.caseId)"
    )
    assert order == [str(t["case_id"]) for t in hecha_tasks]
    probe.assert_clean()


def test_township_names_are_drawn_by_default(field_phone, field_server, artifacts):
    page, probe, _, _ = field_phone
    _signed_in(page, field_server)
    refs = get_json(f"{field_server}/api/references")["data"]
    township = next((r for r in refs if r["kind"] == "township"), None)
    if township is None:
        pytest.skip("the demo has no township layer (sample_data/fengrun/reference_layers.json)")
    page.get_by_test_id("ref-layer-township").wait_for(state="attached")
    page.evaluate("window.tubanMap.map.setView([39.83, 118.1], 11, {animate: false})")
    page.locator('[data-testid="ref-layer-township"][data-status="loaded"]').wait_for(
        state="attached"
    )
    labels = page.locator('[data-testid="ref-label"][data-ref-kind="township"]')
    labels.first.wait_for(state="attached")
    box = ",".join(map(str, COUNTY))
    features = get_json(f"{field_server}/api/references/{township['id']}/features?bbox={box}")
    names = {
        f["properties"].get("label") or f["properties"].get("ident") for f in features["features"]
    }
    shown = set(labels.all_inner_texts())
    assert shown and shown <= names, (shown, names)
    assert page.locator('path[data-ref-kind="township"]').count() >= len(shown)
    # Villages are on too (outlines from zoom 12); farmland and mining permits wait to be asked.
    assert page.get_by_test_id("ref-toggle-village").is_checked()
    for kind in ("farmland", "mining_permit"):
        row = page.get_by_test_id(f"ref-layer-{kind}")
        if row.count():
            assert row.get_attribute("data-status") == "off"
    shot(page, artifacts, "verifier-townships", guide=True)
    probe.assert_clean()


def test_a_vector_basemap_is_drawn_from_the_server(browser, field_server, vector_basemap):
    tiles: list[Any] = []
    for page, probe in open_page(browser, field_server, **PHONE):
        page.on("response", lambda r: "/api/basemap/" in r.url and tiles.append(r))
        _signed_in(page, field_server)
        page.locator('[data-testid="map"][data-basemap="offline"]').wait_for(state="attached")
        page.evaluate("window.tubanMap.map.setView([39.83, 118.1], 12, {animate: false})")
        # protomaps-leaflet paints each tile on a canvas: the land colour of its light flavour
        # (#e2dfda, not its background #cccccc) comes only from the tiles' "earth" polygons.
        page.wait_for_function(
            """() => [...document.querySelectorAll('.leaflet-tile-pane canvas')].some((c) => {
                const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                for (let i = 0; i < d.length; i += 4 * 97) {
                    if (d[i] === 0xe2 && d[i + 1] === 0xdf && d[i + 2] === 0xda) return true;
                }
                return false;
            })"""
        )
        assert tiles and all(r.url.startswith(field_server + "/api/basemap/") for r in tiles)
        drawn = [r for r in tiles if r.status == 200]
        assert drawn and {r.status for r in tiles} <= {200, 204}
        assert all(r.headers.get("content-encoding") == "gzip" for r in drawn)
        probe.assert_clean()
