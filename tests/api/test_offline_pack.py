"""GET /api/offline/pack: a verifier's own open 图斑 for offline work, with geometry, detail and
the reference features near them clipped to a buffer; the web map's hashed file names."""

from __future__ import annotations

import shapely
from shapely.geometry import box, shape

from tests import factories
from tests.api.conftest import upload, upload_farmland
from tests.factories import FENGRUN_X, FENGRUN_Y


def _world(client, tmp_path):
    """Three issued 图斑, the first two assigned to the verifier, and a large farmland polygon
    under all of them (reference context that must be clipped)."""
    upload_farmland(
        client,
        tmp_path / "farm.gpkg",
        box(FENGRUN_X - 20_000, FENGRUN_Y - 20_000, FENGRUN_X + 20_000, FENGRUN_Y + 20_000),
    )
    b = upload(client, factories.write(factories.squares(3), tmp_path / "ks.gpkg")).json()
    ids = [f["id"] for f in client.get(f"/api/batches/{b['id']}/features").json()["features"]]
    users = {u["username"]: u["id"] for u in client.get("/api/users").json()["data"]}
    r = client.post("/api/assignments", json={"user_id": users["verifier"], "case_ids": ids[:2]})
    assert r.status_code < 300, r.text
    return b["id"], ids


def test_pack_holds_the_verifiers_own_tasks_with_geometry_detail_and_clipped_context(
    client, as_role, tmp_path
):
    batch, ids = _world(client, tmp_path)
    verifier = as_role("verifier")
    r = verifier.get("/api/offline/pack")
    assert r.status_code == 200, r.text
    pack = r.json()
    assert int(r.headers["X-Pack-Bytes"]) == len(r.content)
    assert r.headers["Cache-Control"] == "no-store"
    tasks = {t["case_id"] for t in verifier.get("/api/tasks").json()["data"]}
    assert {c["id"] for c in pack["cases"]} == tasks == set(ids[:2])
    assert pack["user"] == "verifier" and pack["truncated"] is False
    assert [b["id"] for b in pack["batches"]] == [batch]
    for case in pack["cases"]:
        same = verifier.get(f"/api/cases/{case['id']}").json()
        assert case["version"] == same["version"] and case["code"] == same["code"]
        assert case["allowed_actions"] == same["allowed_actions"]
        extent = verifier.get(f"/api/cases/{case['id']}/extent").json()
        assert shape(case["geometry"]).equals_exact(shape(extent["geometry"]), 1e-9)
        assert case["bbox"] == extent["bbox"]
    # The farmland polygon is 40 km wide; the pack keeps only what lies near the two 图斑.
    (layer,) = pack["references"]
    assert layer["kind"] == "farmland" and len(layer["features"]) == 1
    kept = shape(layer["features"][0]["geometry"])
    whole = client.get(f"/api/references/{layer['id']}/features").json()["features"][0]
    assert kept.area < shape(whole["geometry"]).area / 100
    near = shapely.union_all(
        [box(*c["bbox"]).buffer(0.0031, join_style="mitre") for c in pack["cases"]]
    )
    assert near.contains(kept)
    assert layer["features"][0]["properties"] == {"ident": "JB1", "label": "0101"}


def test_pack_of_someone_without_tasks_is_empty_and_needs_a_session(
    as_role, anon, client, tmp_path
):
    _world(client, tmp_path)
    assert anon.get("/api/offline/pack").status_code == 401
    pack = as_role("viewer").get("/api/offline/pack").json()
    assert pack["cases"] == [] and pack["references"] == [] and pack["count"] == 0


def test_pack_lists_image_chips_that_exist_under_the_chips_dir(client, app, as_role, tmp_path):
    chips = tmp_path / "chips"
    (chips / "q3").mkdir(parents=True)
    (chips / "q3" / "a.png").write_bytes(b"\x89PNG\r\n\x1a\nfake")
    app.state.settings.chips_dir = chips
    frame = factories.squares(2)
    frame["前时相影像"] = ["q3/a.png", "../outside.png"]
    frame["后时相影像"] = ["q3/missing.png", "https://img.example/x.png"]
    b = upload(client, factories.write(frame, tmp_path / "chips.gpkg")).json()
    ids = [f["id"] for f in client.get(f"/api/batches/{b['id']}/features").json()["features"]]
    pack = client.get("/api/offline/pack").json()  # the admin's tasks hold every open 图斑
    chips_of = {c["id"]: c["chips"] for c in pack["cases"]}
    assert chips_of[ids[0]] == {"before": "api/chips/q3/a.png"}
    assert chips_of[ids[1]] == {}
    assert client.get("/" + chips_of[ids[0]]["before"]).status_code == 200
