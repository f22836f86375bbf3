"""OGC API - Features under /ogc (Parts 1-3): landing page, collections, items with paging,
CRSs, CQL2 filters, visibility and errors, on both backends."""

from __future__ import annotations

import math

import geopandas as gpd
import mapbox_vector_tile
import pytest
from pyproj import Transformer
from shapely import box

from storage.tiles import Tile
from tests import factories
from tests.api.conftest import token_for, upload

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
EPSG = "http://www.opengis.net/def/crs/EPSG/0/{}"


def _ids(client, batch_id: int) -> list[int]:
    fc = client.get(f"/api/batches/{batch_id}/features").json()
    return [f["id"] for f in fc["features"]]


@pytest.fixture
def world(client, as_role, tmp_path):
    """Five 图斑 in one batch, the first two assigned to the verifier, the first one verified
    as illegal; one carries hostile attribute text."""
    frame = factories.squares(5)
    frame.loc[4, "BHLX"] = '"}]</script><script>alert(1)</script>\\'
    b = upload(client, factories.write(frame, tmp_path / "ks.gpkg")).json()
    ids = _ids(client, b["id"])
    users = {u["username"]: u["id"] for u in client.get("/api/users").json()["data"]}
    r = client.post("/api/assignments", json={"user_id": users["verifier"], "case_ids": ids[:2]})
    assert r.status_code < 300, r.text
    body = {
        "action": "verify",
        "expected_version": 0,
        "payload": {"judgment": "illegal", "reason": "unlicensed_mining"},
    }
    assert client.post(f"/api/cases/{ids[0]}/actions", json=body).status_code == 200
    return {"batch": b["id"], "ids": ids, "verifier": as_role("verifier")}


def _items(client, cid: str, **params):
    r = client.get(f"/ogc/collections/{cid}/items", params=params)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/geo+json")
    return r.json()


def _codes(fc) -> list[str]:
    return [f["properties"]["code"] for f in fc["features"]]


# --- Part 1: core -------------------------------------------------------------------------


def test_landing_page_links_service_desc_conformance_and_data(client, world):
    r = client.get("/ogc")
    assert r.status_code == 200
    rels = {link["rel"]: link for link in r.json()["links"]}
    assert {"self", "service-desc", "service-doc", "conformance", "data"} <= set(rels)
    desc = client.get(rels["service-desc"]["href"])
    assert desc.status_code == 200 and "/collections/{collectionId}/items" in desc.json()["paths"]
    conf = client.get(rels["conformance"]["href"]).json()["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core" in conf
    assert "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs" in conf


def test_collections_list_cases_batches_with_extent_and_crs(client, world):
    doc = client.get("/ogc/collections").json()
    by_id = {c["id"]: c for c in doc["collections"]}
    assert {"cases", f"batch-{world['batch']}"} <= set(by_id)
    batch = by_id[f"batch-{world['batch']}"]
    stored = client.get(f"/api/batches/{world['batch']}").json()
    assert batch["extent"]["spatial"]["bbox"] == [stored["bbox"]]
    assert batch["extent"]["temporal"]["interval"] == [
        ["2019-10-15T00:00:00Z", "2019-11-30T00:00:00Z"]
    ]
    assert batch["itemType"] == "feature" and CRS84 in batch["crs"]
    assert EPSG.format(4527) in batch["crs"] and EPSG.format(4549) in batch["crs"]
    assert client.get(f"/ogc/collections/batch-{world['batch']}").json() == batch


def test_items_carry_live_state_judgment_and_delivered_attributes(client, world):
    fc = _items(client, f"batch-{world['batch']}")
    assert fc["numberMatched"] == 5 and fc["numberReturned"] == 5 and "timeStamp" in fc
    first = next(f for f in fc["features"] if f["id"] == world["ids"][0])
    p = first["properties"]
    assert (p["state"], p["state_label"], p["judgment"], p["judgment_label"]) == (
        "verified",
        "已核查",
        "illegal",
        "违法",
    )
    assert p["code"] == "130208KS2019Q3001" and p["BHLX"] == "新增开采"
    assert p["issued_on"] == "2019-10-15" and p["due_on"] == "2019-11-30"
    assert p["overdue"] is False and p["area_m2"] > 9000
    # The same 图斑 in the cases collection, and by id.
    one = client.get(f"/ogc/collections/cases/items/{world['ids'][0]}")
    assert one.status_code == 200 and one.json()["properties"]["state"] == "verified"


def test_hostile_attribute_text_stays_escaped_json(client, world):
    r = client.get(f"/ogc/collections/batch-{world['batch']}/items")
    p = next(f for f in r.json()["features"] if f["id"] == world["ids"][4])["properties"]
    assert p["BHLX"] == '"}]</script><script>alert(1)</script>\\'


def test_paging_links_walk_every_item_once(client, world):
    seen, url, pages = [], f"/ogc/collections/batch-{world['batch']}/items?limit=2", 0
    while url:
        fc = client.get(url).json()
        assert fc["numberMatched"] == 5
        seen += [f["id"] for f in fc["features"]]
        links = {link["rel"]: link["href"] for link in fc["links"]}
        assert ("prev" in links) == (pages > 0)
        url, pages = links.get("next"), pages + 1
    assert pages == 3 and sorted(seen) == sorted(world["ids"])


def test_bbox_selects_the_squares_inside(client, world):
    fc = _items(client, "cases")
    first = next(f for f in fc["features"] if f["id"] == world["ids"][0])
    xs = [x for x, _ in first["geometry"]["coordinates"][0]]
    ys = [y for _, y in first["geometry"]["coordinates"][0]]
    inside = _items(client, "cases", bbox=f"{min(xs)},{min(ys)},{max(xs)},{max(ys)}")
    assert [f["id"] for f in inside["features"]] == [world["ids"][0]]


def test_datetime_selects_by_issue_date(client, world):
    cid = f"batch-{world['batch']}"
    assert _items(client, cid, datetime="2019-10-15")["numberMatched"] == 5
    assert _items(client, cid, datetime="2019-10-01/2019-10-31")["numberMatched"] == 5
    assert _items(client, cid, datetime="../2019-10-14")["numberMatched"] == 0
    assert _items(client, "cases", datetime="2019-10-16/..")["numberMatched"] == 0
    assert _items(client, "cases", datetime="2019-10-15T08:00:00Z")["numberMatched"] == 5


@pytest.mark.parametrize(
    "params",
    [
        {"bbox": "1,2,3"},
        {"bbox": "a,b,c,d"},
        {"bbox": "3,2,1,4"},
        {"bbox": "nan,1,2,3"},
        {"limit": "0"},
        {"limit": "10001"},
        {"limit": "x"},
        {"offset": "-1"},
        {"datetime": "yesterday"},
        {"crs": "http://www.opengis.net/def/crs/EPSG/0/3857"},
        {"bbox-crs": "EPSG:4326", "bbox": "1,2,3,4"},
        {"filter-lang": "cql2-json", "filter": "state = 'issued'"},
    ],
)
def test_bad_parameters_are_400_ogc_exceptions(client, world, params):
    r = client.get(f"/ogc/collections/batch-{world['batch']}/items", params=params)
    assert r.status_code == 400, r.text
    assert r.json()["code"] == "InvalidParameterValue" and r.json()["description"]


@pytest.mark.parametrize(
    "path",
    [
        "/ogc/collections/batch-999",
        "/ogc/collections/nope/items",
        "/ogc/collections/cases/items/999999",
        "/ogc/collections/reference-7/items",
        "/ogc/collections/cases/items/abc",
        "/ogc/nothing/here",
    ],
)
def test_unknown_collection_or_item_is_404(client, world, path):
    r = client.get(path)
    assert r.status_code == 404 and r.json()["code"] == "NotFound"


def test_head_and_options_are_answered(client, world):
    url = f"/ogc/collections/batch-{world['batch']}/items"
    head = client.head(url)
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-type"].startswith("application/geo+json")
    assert client.head("/ogc/collections/batch-999").status_code == 404
    opt = client.options(url, headers={"Authorization": ""})
    assert opt.status_code == 204 and "HEAD" in opt.headers["allow"]


def test_without_login_it_is_401(anon, world):
    r = anon.get("/ogc/collections")
    assert r.status_code == 401 and r.json()["code"] == "Unauthorized"


# --- visibility -----------------------------------------------------------------------------


def test_a_verifier_sees_only_its_own(world):
    v, ids = world["verifier"], world["ids"]
    assert sorted(f["id"] for f in _items(v, f"batch-{world['batch']}")["features"]) == ids[:2]
    assert _items(v, "cases")["numberMatched"] == 2
    assert v.get(f"/ogc/collections/cases/items/{ids[0]}").status_code == 200
    for cid in ("cases", f"batch-{world['batch']}"):
        r = v.get(f"/ogc/collections/{cid}/items/{ids[3]}")
        assert r.status_code == 404, (cid, r.text)
    # A filter cannot widen the scope.
    fc = _items(v, "cases", filter="state = 'issued' OR state <> 'issued'")
    assert fc["numberMatched"] == 2


# --- Part 2: CRS ----------------------------------------------------------------------------


def test_a_point_agrees_across_crs84_4490_and_the_gauss_kruger_zones(client, world):
    cid, fid = f"batch-{world['batch']}", world["ids"][0]
    lon, lat = client.get(f"/ogc/collections/{cid}/items/{fid}").json()["geometry"]["coordinates"][
        0
    ][0]
    for code, prefixed in ((4490, None), (4527, True), (4548, False), (4528, True)):
        r = client.get(f"/ogc/collections/{cid}/items/{fid}", params={"crs": EPSG.format(code)})
        assert r.status_code == 200 and r.headers["content-crs"] == f"<{EPSG.format(code)}>"
        a, b = r.json()["geometry"]["coordinates"][0][0]
        if code == 4490:
            assert (a, b) == pytest.approx((lat, lon))  # lat/lon: the URI's axis order
            continue
        north, east = Transformer.from_crs(4490, code, always_xy=True).transform(lon, lat)[::-1]
        assert (a, b) == pytest.approx((north, east), abs=1e-3)
        assert (b >= 1e7) is prefixed  # a zone prefix makes an 8-digit easting
    default = client.get(f"/ogc/collections/{cid}/items")
    assert default.headers["content-crs"] == f"<{CRS84}>"


def test_bbox_crs_in_gauss_kruger(client, world):
    ids = world["ids"]
    x, y = factories.FENGRUN_X, factories.FENGRUN_Y  # the first square's corner, EPSG:4527
    # Northing first, as EPSG:4527 orders its axes.
    bbox = f"{y + 10},{x + 10},{y + 90},{x + 90}"
    fc = _items(client, "cases", bbox=bbox, **{"bbox-crs": EPSG.format(4527)})
    assert [f["id"] for f in fc["features"]] == [ids[0]]


# --- Part 3: filtering ----------------------------------------------------------------------


def test_queryables_is_a_json_schema(client, world):
    r = client.get(f"/ogc/collections/batch-{world['batch']}/queryables")
    assert r.status_code == 200
    props = r.json()["properties"]
    assert {"state", "judgment", "township", "programme", "period", "overdue", "code"} <= set(props)
    assert "verified" in props["state"]["enum"] and props["overdue"]["type"] == "boolean"


@pytest.mark.parametrize(
    ("text", "expect"),
    [
        ("state = 'verified'", [0]),
        ("state = '已核查'", [0]),
        ("state <> 'verified'", [1, 2, 3, 4]),
        ("judgment = 'illegal' AND state = 'verified'", [0]),
        ("judgment IS NULL", [1, 2, 3, 4]),
        ("NOT (judgment IS NULL)", [0]),
        ("code IN ('130208KS2019Q3002', '130208KS2019Q3004')", [1, 3]),
        ("code LIKE '%Q300_' AND NOT code LIKE '%1'", [1, 2, 3, 4]),
        ("code > '130208KS2019Q3003'", [3, 4]),
        ("programme = 'mining' AND period = '2019Q3'", [0, 1, 2, 3, 4]),
        ("period >= '2020Q1'", []),
        ("overdue = false", [0, 1, 2, 3, 4]),
        ("overdue = true", []),
        ("state = 'issued' OR judgment = 'illegal'", [0, 1, 2, 3, 4]),
    ],
)
def test_cql2_filters(client, world, text, expect):
    fc = _items(client, f"batch-{world['batch']}", filter=text, **{"filter-lang": "cql2-text"})
    assert sorted(f["id"] for f in fc["features"]) == [world["ids"][i] for i in expect]


def test_queryables_as_query_parameters_and_the_drafts_filter_lang(client, world):
    """``?state=verified`` means ``state = 'verified'``; GDAL 3.6 sends its -where so, or as
    ``filter-lang=cql-text`` (the draft's name), read by the same parser and whitelist."""
    cid = f"batch-{world['batch']}"
    assert [f["id"] for f in _items(client, cid, state="verified")["features"]] == world["ids"][:1]
    assert _items(client, cid, state="已下发", overdue="0")["numberMatched"] == 4
    fc = _items(client, cid, filter="(code = '130208KS2019Q3002')", **{"filter-lang": "cql-text"})
    assert [f["id"] for f in fc["features"]] == [world["ids"][1]]
    bad = client.get(f"/ogc/collections/{cid}/items", params={"state": "nonsense"})
    assert bad.status_code == 400 and "state" in bad.json()["description"]
    # Paging keeps them.
    page = _items(client, cid, state="issued", limit=2)
    nxt = next(link["href"] for link in page["links"] if link["rel"] == "next")
    assert "state=issued" in nxt


def test_overdue_follows_the_clock(client, world, clock):
    clock.advance(days=60)  # past the 2019-11-30 due date (and the session: sign in again)
    client.headers.update(token_for(client, "admin"))
    fc = _items(client, "cases", filter="overdue = true")
    assert fc["numberMatched"] == 5 and all(f["properties"]["overdue"] for f in fc["features"])


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("area_m2 > 5", "area_m2"),
        ("attributes = 'x'", "attributes"),
        ("state = 'nonsense'", "state"),
        ("overdue = 'yes'", "overdue"),
        ("state LIKE 'iss%'", "state"),
        ("S_INTERSECTS(geom, POINT(118 39))", "GeometryIntersects"),
        ("code = 'x'; DROP TABLE cases", "CQL2"),
        ("code = 'x' OR 1=1", "属性"),
        ("state = 'issued'' OR ''1''=''1'", "CQL2"),
    ],
)
def test_rejected_filters_name_what_is_refused(client, world, text, named):
    r = client.get(f"/ogc/collections/batch-{world['batch']}/items", params={"filter": text})
    assert r.status_code == 400, r.text
    assert named in r.json()["description"]


def test_injection_text_is_only_ever_a_value(client, world):
    # pygeofilter 0.4 does not take CQL2's '' inside a string: a quote cannot end one early.
    fc = _items(client, "cases", filter="code = 'x; DROP TABLE cases; --' OR code LIKE '%\\%'")
    assert fc["numberMatched"] == 0
    # As a query parameter the whole text is one value.
    assert _items(client, "cases", code="x' OR '1'='1")["numberMatched"] == 0
    assert _items(client, "cases", code="130208KS2019Q3001")["numberMatched"] == 1
    assert _items(client, "cases")["numberMatched"] == 5  # and the table is still there


def test_reference_layers_are_collections(client, world, tmp_path):
    frame = gpd.GeoDataFrame(
        {"XZQDM": ["130208100"], "XZQMC": ["丰润镇"]},
        geometry=[
            box(
                factories.FENGRUN_X,
                factories.FENGRUN_Y,
                factories.FENGRUN_X + 5000,
                factories.FENGRUN_Y + 5000,
            )
        ],
        crs="EPSG:4527",
    )
    path = factories.write(frame, tmp_path / "towns.gpkg")
    with path.open("rb") as fh:
        r = client.post(
            "/api/references",
            data={"kind": "township", "name": "乡镇界", "version": "2019"},
            files={"file": (path.name, fh)},
        )
    assert r.status_code == 201, r.text
    cid = f"reference-{r.json()['id']}"
    assert cid in {c["id"] for c in client.get("/ogc/collections").json()["collections"]}
    fc = _items(client, cid)
    assert fc["numberMatched"] == 1
    fid = fc["features"][0]["id"]
    assert client.get(f"/ogc/collections/{cid}/items/{fid}").status_code == 200
    assert _items(client, cid, filter="ident = 'nope'")["numberMatched"] == 0
    bad = client.get(f"/ogc/collections/{cid}/items", params={"filter": "state = 'issued'"})
    assert bad.status_code == 400


# --- vector tiles linked from the collections -------------------------------------------------


def test_batch_collections_link_vector_tiles_that_follow_to_the_map_tiles(client, world):
    cid = f"batch-{world['batch']}"
    described = client.get(f"/ogc/collections/{cid}").json()
    rel = "http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector"
    (tiles_link,) = [link for link in described["links"] if link["rel"] == rel]
    listed = client.get(tiles_link["href"]).json()["tilesets"]
    assert [t["dataType"] for t in listed] == ["vector"]
    self_href = next(link["href"] for link in listed[0]["links"] if link["rel"] == "self")
    tileset = client.get(self_href).json()
    links = {link["rel"]: link for link in tileset["links"]}
    scheme = client.get(links["http://www.opengis.net/def/rel/ogc/1.0/tiling-scheme"]["href"])
    levels = {m["id"]: m for m in scheme.json()["tileMatrices"]}
    assert levels["0"]["matrixWidth"] == 1 and levels["16"]["matrixWidth"] == 1 << 16
    # The tile of zoom 16 holding the first square, by the template (z/row/col).
    fc = client.get(f"/api/batches/{world['batch']}/features").json()
    lon, lat = fc["features"][0]["geometry"]["coordinates"][0][0]
    n = 1 << 16
    col = int((lon + 180) / 360 * n)
    row = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    Tile(16, col, row)  # on the grid
    template = links["item"]["href"]
    assert links["item"]["templated"] is True
    url = template.format(tileMatrix=16, tileRow=row, tileCol=col)
    r = client.get(url)
    assert (
        r.status_code == 200 and r.headers["content-type"] == "application/vnd.mapbox-vector-tile"
    )
    web = client.get(f"/api/tiles/{cid}/16/{col}/{row}.mvt")
    assert r.content == web.content
    ids = [f["id"] for f in mapbox_vector_tile.decode(r.content)["cases"]["features"]]
    assert world["ids"][0] in ids
    # A verifier's tiles hold only their 图斑, as on the map; the key works here too.
    mine = world["verifier"].get(url)
    seen = [f["id"] for f in mapbox_vector_tile.decode(mine.content)["cases"]["features"]]
    assert set(seen) <= set(world["ids"][:2])
    assert client.get("/ogc/collections/cases/tiles").status_code == 404
