"""OGC API - Features Part 4 on /ogc/collections/verification: a verification recorded by PUT,
PATCH or POST goes through the workflow (its checks, its events), with ETag / If-Match (412),
``version`` (409), roles, assignments and the write rights of API keys, on both backends."""

from __future__ import annotations

import json

import pytest
import shapely
import shapely.geometry
from pyproj import Transformer

from tests import factories
from tests.api.conftest import upload
from tests.conftest import NOW

ITEMS = "/ogc/collections/verification/items"
GK39 = "http://www.opengis.net/def/crs/EPSG/0/4527"


@pytest.fixture
def world(client, tmp_path):
    """Three 图斑 of a mining batch; the first two assigned to the verifier."""
    b = upload(client, factories.write(factories.squares(3), tmp_path / "ks.gpkg")).json()
    ids = [f["id"] for f in client.get(f"/api/batches/{b['id']}/features").json()["features"]]
    users = {u["username"]: u["id"] for u in client.get("/api/users").json()["data"]}
    r = client.post("/api/assignments", json={"user_id": users["verifier"], "case_ids": ids[:2]})
    assert r.status_code < 300, r.text
    return {"batch": b["id"], "ids": ids}


def _item(c, case_id: int, **params):
    r = c.get(f"{ITEMS}/{case_id}", params=params)
    assert r.status_code == 200, r.text
    return r.json(), r.headers["etag"]


def _events(client, case_id: int) -> list[dict]:
    return client.get(f"/api/cases/{case_id}").json()["events"]


def _verified(feature: dict, **props) -> dict:
    return {**feature, "properties": {**feature["properties"], **props}}


def test_collection_is_listed_with_its_edit_methods(client, world):
    ids = {c["id"] for c in client.get("/ogc/collections").json()["collections"]}
    assert "verification" in ids
    conf = client.get("/ogc/conformance").json()["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/create-replace-delete" in conf
    assert "POST" in client.options(ITEMS).headers["allow"]
    allow = client.options(f"{ITEMS}/{world['ids'][0]}").headers["allow"]
    assert {"PUT", "PATCH"} <= set(allow.replace(" ", "").split(","))
    assert (
        "PUT"
        not in client.options(f"/ogc/collections/batch-{world['batch']}/items/1").headers["allow"]
    )


def test_put_records_the_verification_as_the_web_map_does(app, client, as_role, world):
    verifier = as_role("verifier")
    case_id = world["ids"][0]
    feature, etag = _item(verifier, case_id)
    assert etag == '"0"' and feature["properties"]["version"] == 0
    sent = _verified(feature, judgment="illegal", reason="unlicensed_mining", note="现场有挖掘机")
    r = verifier.put(f"{ITEMS}/{case_id}", json=sent, headers={"If-Match": etag})
    assert r.status_code == 200, r.text
    assert r.headers["etag"] == '"1"'
    back = r.json()["properties"]
    assert (back["state"], back["judgment"], back["reason"]) == (
        "verified",
        "illegal",
        "unlicensed_mining",
    )
    last = _events(client, case_id)[-1]
    assert last["action"] == "verify" and last["actor"].endswith("（verifier）")
    assert last["payload"]["note"] == "现场有挖掘机"
    # Unchanged geometry: the 图斑 itself, so no measured extent is recorded.
    assert app.state.services.cases.get_case(case_id).illegal_geometry is None


def test_a_changed_geometry_is_the_measured_extent_in_the_crs_sent(app, as_role, world):
    verifier = as_role("verifier")
    case_id = world["ids"][0]
    feature, etag = _item(verifier, case_id, crs=GK39)
    # Half the square, drawn in Gauss-Krüger zone 39 (northing, easting as EPSG orders it).
    x0, y0 = factories.FENGRUN_X, factories.FENGRUN_Y
    half = shapely.box(y0, x0, y0 + 100, x0 + 50)  # (northing, easting) axes
    sent = {
        **_verified(feature, judgment="illegal", reason="unlicensed_mining"),
        "geometry": shapely.geometry.mapping(half),
    }
    r = verifier.put(
        f"{ITEMS}/{case_id}", json=sent, headers={"If-Match": etag, "Content-Crs": f"<{GK39}>"}
    )
    assert r.status_code == 200, r.text
    case = app.state.services.cases.get_case(case_id)
    assert case.illegal_area_m2 == pytest.approx(5000, rel=1e-3)
    lonlat = shapely.geometry.shape(case.illegal_geometry)
    to_gk = Transformer.from_crs(4490, 4527, always_xy=True)
    x, y = to_gk.transform(*lonlat.centroid.coords[0])
    assert (x, y) == pytest.approx((x0 + 25, y0 + 50), abs=0.01)
    # The item now shows the measured extent.
    shown = shapely.geometry.shape(r.json()["geometry"])
    assert shown.equals_exact(lonlat, 1e-9)


def test_stale_if_match_is_412_and_stale_version_409_nothing_written(client, as_role, world):
    verifier = as_role("verifier")
    case_id = world["ids"][0]
    feature, etag = _item(verifier, case_id)
    body = {"action": "verify", "payload": {"judgment": "legal", "reason": "approved"}}
    assert client.post(f"/api/cases/{case_id}/actions", json=body).status_code == 200
    sent = _verified(feature, judgment="illegal", reason="unlicensed_mining")
    r = verifier.put(f"{ITEMS}/{case_id}", json=sent, headers={"If-Match": etag})
    assert r.status_code == 412, r.text
    assert r.json()["code"] == "PreconditionFailed"
    r = verifier.put(f"{ITEMS}/{case_id}", json=sent)  # version 0 in the properties
    assert r.status_code == 409, r.text
    assert [e["action"] for e in _events(client, case_id)].count("verify") == 1
    assert client.get(f"/api/cases/{case_id}").json()["judgment"] == "legal"


def test_a_state_that_does_not_allow_verifying_is_409(client, as_role, world):
    verifier = as_role("verifier")
    case_id = world["ids"][1]
    feature, _ = _item(verifier, case_id)
    first = _verified(feature, judgment="legal", reason="approved")
    assert verifier.put(f"{ITEMS}/{case_id}", json=first).status_code == 200
    again, etag = _item(verifier, case_id)
    r = verifier.put(
        f"{ITEMS}/{case_id}",
        json=_verified(again, judgment="illegal", reason="unlicensed_mining"),
        headers={"If-Match": etag},
    )
    assert r.status_code == 409 and r.json()["code"] == "Conflict"


def test_patch_merges_into_the_item(client, as_role, world):
    verifier = as_role("verifier")
    case_id = world["ids"][0]
    patch = {"properties": {"judgment": "legal", "reason": "approved", "land_class": "0602"}}
    r = verifier.patch(
        f"{ITEMS}/{case_id}",
        content=json.dumps(patch),
        headers={"Content-Type": "application/merge-patch+json", "If-Match": '"0"'},
    )
    assert r.status_code == 200, r.text
    props = r.json()["properties"]
    assert (props["judgment"], props["reason"], props["land_class"]) == (
        "legal",
        "approved",
        "0602",
    )


def test_post_creates_a_verification_for_the_code_named(client, as_role, world):
    verifier = as_role("verifier")
    code = "130208KS2019Q3002"
    body = {
        "type": "Feature",
        "geometry": None,
        "properties": {"code": code, "judgment": "other", "reason": "unchanged"},
    }
    r = verifier.post(ITEMS, json=body)
    assert r.status_code == 201, r.text
    assert r.headers["location"].endswith(f"{ITEMS}/{world['ids'][1]}")
    assert r.json()["properties"]["state"] == "verified"
    # Not assigned to the verifier: not there for them.
    other = {**body, "properties": {**body["properties"], "code": "130208KS2019Q3003"}}
    assert verifier.post(ITEMS, json=other).status_code == 404


def test_bad_bodies_are_refused_naming_what(client, as_role, world):
    verifier = as_role("verifier")
    case_id = world["ids"][0]
    feature, etag = _item(verifier, case_id)
    url = f"{ITEMS}/{case_id}"
    changed_state = _verified(feature, state="closed", judgment="legal", reason="approved")
    r = verifier.put(url, json=changed_state)
    assert r.status_code == 400 and "state" in r.json()["description"]
    no_reason = _verified(feature, judgment="legal")
    r = verifier.put(url, json=no_reason)
    assert r.status_code == 400 and "reason" in r.json()["description"]
    r = verifier.put(url, content=b"{not json", headers={"Content-Type": "application/json"})
    assert r.status_code == 400
    r = verifier.put(url, content=b"<x/>", headers={"Content-Type": "application/xml"})
    assert r.status_code == 415
    line = {**_verified(feature, judgment="legal", reason="approved")}
    line["geometry"] = {"type": "LineString", "coordinates": [[118, 39.7], [118.1, 39.8]]}
    r = verifier.put(url, json=line)
    assert r.status_code == 400 and "geometry" in r.json()["description"]
    ring = ",".join(["[118.00001,39.70001]"] * 100_000)  # past 1 MB of coordinates
    huge = '{"type":"Feature","geometry":{"type":"Polygon","coordinates":[[' + ring + "]]}}"
    huge = huge.encode()
    r = verifier.put(url, content=huge, headers={"Content-Type": "application/geo+json"})
    assert r.status_code == 413
    assert _events(client, case_id) == [] and _item(verifier, case_id)[1] == etag == '"0"'


def test_who_may_edit(client, as_role, app, anon, world):
    case_id = world["ids"][0]
    url = f"{ITEMS}/{case_id}"
    feature, _ = _item(client, case_id)
    sent = _verified(feature, judgment="legal", reason="approved")
    assert anon.put(url, json=sent).status_code == 401
    # A viewer (统计) may read but not verify; a read-only key may not write at all.
    assert as_role("viewer").put(url, json=sent).status_code == 403
    keys = app.state.services.api_keys()
    read_only, _ = keys.create("verifier", label="QGIS", by="t", now=NOW)
    assert anon.put(url, json=sent, headers={"X-API-Key": read_only}).status_code == 403
    # The session cookie alone does not carry writes to /ogc.
    cookie = as_role("verifier")
    token = cookie.headers.pop("Authorization").removeprefix("Bearer ")
    cookie.cookies.set("tuban_token", token)
    assert cookie.put(url, json=sent).status_code == 403
    editing, record = keys.create("verifier", label="QGIS 3.34", by="t", now=NOW, can_edit=True)
    assert record.can_edit
    r = anon.put(url, json=sent, headers={"X-API-Key": editing})
    assert r.status_code == 200, r.text
    assert _events(client, case_id)[-1]["actor"].endswith("（verifier）")


def test_other_collections_and_delete_are_405(client, world):
    case_id = world["ids"][0]
    r = client.delete(f"{ITEMS}/{case_id}")
    assert r.status_code == 405 and "DELETE" not in r.headers["allow"]
    r = client.put(f"/ogc/collections/cases/items/{case_id}", json={"type": "Feature"})
    assert r.status_code == 405
    r = client.post(f"/ogc/collections/batch-{world['batch']}/items", json={})
    assert r.status_code == 405
