"""GET /api/tiles/{layer}/{z}/{x}/{y}.mvt: the tile, its ETag and 304, visibility, bad input."""

from __future__ import annotations

import mapbox_vector_tile
import pytest
from shapely.geometry import shape

from storage.imports import import_reference
from tests import factories
from tests.api.conftest import upload
from tests.conftest import NOW
from tests.storage.test_tiles import tile_of

MVT = "application/vnd.mapbox-vector-tile"


def ids_in(blob: bytes, layer: str = "cases") -> list[int]:
    layers = mapbox_vector_tile.decode(blob) if blob else {}
    return sorted(f["id"] for f in layers.get(layer, {"features": []})["features"])


@pytest.fixture
def world(client, squares_gpkg):
    """A batch of three squares; returns (batch id, features, path of a tile holding all)."""
    batch = upload(client, squares_gpkg).json()["id"]
    feats = client.get(f"/api/batches/{batch}/features").json()["features"]
    centres = [shape(f["geometry"]).centroid for f in feats]
    for z in range(16, 11, -1):
        found = {tile_of(c.x, c.y, z) for c in centres}
        if len(found) == 1:
            t = found.pop()
            return batch, feats, f"/api/tiles/batch-{batch}/{t.z}/{t.x}/{t.y}.mvt"
    raise AssertionError("no common tile")


def test_a_tile_carries_the_batch_and_revalidates_until_a_case_changes(client, world):
    batch, feats, path = world
    r = client.get(path)
    assert r.status_code == 200 and r.headers["content-type"] == MVT
    assert "private" in r.headers["cache-control"]
    assert ids_in(r.content) == sorted(f["id"] for f in feats)
    etag = r.headers["etag"]
    again = client.get(path, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    cid = feats[0]["id"]
    body = {"action": "verify", "payload": {"judgment": "illegal", "reason": "unlicensed_mining"}}
    assert client.post(f"/api/cases/{cid}/actions", json=body).status_code == 200
    changed = client.get(path, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["etag"] != etag
    layer = mapbox_vector_tile.decode(changed.content)["cases"]["features"]
    states = {f["id"]: f["properties"]["state"] for f in layer}
    assert states[cid] == "verified" and states[feats[1]["id"]] == "issued"


def test_a_verifier_tile_holds_only_their_assigned_图斑(client, as_role, world):
    batch, feats, path = world
    verifier = as_role("verifier")
    assert verifier.get(path).status_code == 204  # nothing assigned yet: nothing to draw
    users = {u["username"]: u["id"] for u in client.get("/api/users").json()["data"]}
    mine = feats[2]["id"]
    r = client.post("/api/assignments", json={"user_id": users["verifier"], "case_ids": [mine]})
    assert r.status_code < 300, r.text
    got = verifier.get(path)
    assert got.status_code == 200 and ids_in(got.content) == [mine]
    assert got.headers["etag"] != client.get(path).headers["etag"]  # scopes never share a tag


def test_zoomed_out_or_empty_tiles_are_204_and_off_grid_or_unknown_404(client, world):
    batch, _, path = world
    assert client.get(f"/api/tiles/batch-{batch}/3/6/3.mvt").status_code == 204
    assert client.get(f"/api/tiles/batch-{batch}/16/0/0.mvt").status_code == 204
    assert client.get(f"/api/tiles/batch-{batch}/3/8/0.mvt").status_code == 404
    assert client.get("/api/tiles/batch-999/12/0/0.mvt").status_code == 404
    assert client.get("/api/tiles/ref-999/12/0/0.mvt").status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "/api/tiles/batch-1/23/0/0.mvt",
        "/api/tiles/batch-1/-1/0/0.mvt",
        "/api/tiles/batch-1/12/abc/0.mvt",
        "/api/tiles/batch-1/12/0/99999999999999999999.mvt",
        "/api/tiles/cases-1/12/0/0.mvt",
        "/api/tiles/batch-01/12/0/0.mvt",
        "/api/tiles/batch-1%00/12/0/0.mvt",
        "/api/tiles/batch-" + "9" * 30 + "/12/0/0.mvt",
    ],
)
def test_hostile_addresses_are_422(client, path):
    assert client.get(path).status_code == 422


def test_tiles_need_a_session(anon, world):
    _, _, path = world
    assert anon.get(path).status_code == 401


def test_a_reference_layer_tile(client, app, tmp_path):
    frame = factories.squares(1, size=300)
    frame["NAME"], frame["CODE"] = ["甲村"], ["130208001"]
    path = factories.write(frame, tmp_path / "villages.gpkg")
    row, _, _ = import_reference(
        app.state.store, path, "village", name="村界", version="2019", actor="t", now=NOW
    )
    ref = client.get(f"/api/references/{row['id']}/features").json()["features"][0]
    c = shape(ref["geometry"]).centroid
    t = tile_of(c.x, c.y, 15)
    r = client.get(f"/api/tiles/ref-{row['id']}/{t.z}/{t.x}/{t.y}.mvt")
    assert r.status_code == 200
    feats = mapbox_vector_tile.decode(r.content)["refs"]["features"]
    assert len(feats) == 1
    props = feats[0]["properties"]
    assert (props["code"], props["name"]) == (
        ref["properties"]["ident"],
        ref["properties"]["label"],
    )
    assert client.get(r.url, headers={"If-None-Match": r.headers["etag"]}).status_code == 304


def test_users_who_see_everything_share_rendered_tiles_and_a_verifier_never_gets_them(
    client, as_role, app, world
):
    batch, feats, path = world
    first = client.get(path)
    assert first.status_code == 200 and first.headers["x-tile-cache"] == "miss"
    viewer = as_role("viewer")  # another person, the same scope: everything
    shared = viewer.get(path)
    assert shared.headers["x-tile-cache"] == "hit" and shared.content == first.content
    assert shared.headers["etag"] == first.headers["etag"]

    users = {u["username"]: u["id"] for u in client.get("/api/users").json()["data"]}
    mine = feats[0]["id"]
    r = client.post("/api/assignments", json={"user_id": users["verifier"], "case_ids": [mine]})
    assert r.status_code < 300, r.text
    verifier = as_role("verifier")
    theirs = verifier.get(path)
    assert theirs.headers["x-tile-cache"] == "miss", "another scope, another entry"
    assert ids_in(theirs.content) == [mine] and theirs.headers["etag"] != first.headers["etag"]
    assert verifier.get(path).headers["x-tile-cache"] == "hit"
    again = client.get(path)  # the assignment moved no case: the admin's entry still serves
    assert ids_in(again.content) == sorted(f["id"] for f in feats)
    assert again.headers["x-tile-cache"] == "hit"


def test_a_case_change_makes_the_old_tiles_unreachable_and_drops_them(client, app, world):
    batch, feats, path = world
    cache = app.state.services.tiles.cache
    before = client.get(path)
    assert client.get(path).headers["x-tile-cache"] == "hit"
    held = cache.stats().entries
    cid = feats[1]["id"]
    body = {"action": "verify", "payload": {"judgment": "legal", "reason": "approved"}}
    assert client.post(f"/api/cases/{cid}/actions", json=body).status_code == 200
    after = client.get(path)
    assert after.headers["x-tile-cache"] == "miss"
    assert after.headers["etag"] != before.headers["etag"]
    states = {f["id"]: f["properties"]["state"]
              for f in mapbox_vector_tile.decode(after.content)["cases"]["features"]}  # fmt: skip
    assert states[cid] == "verified"
    assert held >= 1 and cache.stats().entries == 1, "the old generation's tiles were dropped"


def test_a_dense_tile_comes_as_an_overview(client, app, world):
    batch, feats, path = world
    app.state.services.tiles.overview_rows = 2  # three 图斑 make this tile dense
    z = int(path.split("/")[-3])
    assert z < 15
    r = client.get(path)
    assert r.status_code == 200
    layers = mapbox_vector_tile.decode(r.content)
    assert set(layers) == {"overview"}
    cells = layers["overview"]["features"]
    assert sum(c["properties"]["n"] for c in cells) == len(feats)
    assert {c["properties"]["state"] for c in cells} == {"issued"}
