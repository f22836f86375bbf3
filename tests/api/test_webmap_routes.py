"""The web map's read-only helpers: capped viewport features with filters, search, batch
summary, config, chips and the single-case sheet."""

from __future__ import annotations

import re

from tests import factories
from tests.api.conftest import upload


def _batch(client, tmp_path, n=5):
    f = factories.squares(n)
    f["QSXYX"] = [f"2019Q3/{i}_before.png" for i in range(n)]
    r = upload(client, factories.write(f, tmp_path / "ks.gpkg"))
    assert r.status_code == 201, r.text
    return r.json()


def test_features_page_says_matched_and_links_the_next_page(client, tmp_path):
    b = _batch(client, tmp_path)
    url = f"/api/batches/{b['id']}/features"
    fc = client.get(url, params={"limit": 3}).json()
    # Above the limit: the first page, the total to ask the user to zoom in, and a next link.
    assert fc["numberMatched"] == 5 and fc["numberReturned"] == 3 and len(fc["features"]) == 3
    assert fc["next"] is not None and fc["links"] == [
        {"rel": "next", "type": "application/geo+json", "href": fc["next"]}
    ]
    rest = client.get(fc["next"]).json()
    assert rest["numberMatched"] == 5 and rest["numberReturned"] == 2 and rest["next"] is None
    assert len({f["id"] for f in fc["features"] + rest["features"]}) == 5
    fc = client.get(url, params={"limit": 5}).json()
    assert fc["next"] is None and fc["numberMatched"] == 5 and len(fc["features"]) == 5


def test_features_filter_by_state(client, tmp_path):
    b = _batch(client, tmp_path)
    ids = [f["id"] for f in client.get(f"/api/batches/{b['id']}/features").json()["features"]]
    r = client.post(
        f"/api/cases/{ids[0]}/actions",
        json={"action": "verify", "payload": {"judgment": "other", "reason": "unchanged"}},
    )
    assert r.status_code == 200, r.text
    url = f"/api/batches/{b['id']}/features"
    verified = client.get(url, params={"state": "verified"}).json()
    assert [f["id"] for f in verified["features"]] == [ids[0]]
    both = client.get(url, params={"state": "verified,issued"}).json()
    assert both["numberMatched"] == 5
    assert client.get(url, params={"township": "nowhere"}).json()["numberMatched"] == 0
    summary = client.get(f"/api/batches/{b['id']}/summary").json()
    assert summary["total"] == 5 and summary["states"] == {"issued": 4, "verified": 1}


def test_search_by_code_puts_exact_match_first_and_hides_others_from_verifiers(
    client, as_role, tmp_path
):
    b = _batch(client, tmp_path)
    hits = client.get("/api/search", params={"q": "130208KS2019Q3002"}).json()
    assert hits["data"][0]["code"] == "130208KS2019Q3002" and hits["count"] == 1
    assert hits["data"][0]["batch_id"] == b["id"] and hits["data"][0]["state_label"] == "已下发"
    assert client.get("/api/search", params={"q": "KS2019Q3"}).json()["count"] == 5
    two = client.get("/api/search", params={"q": "KS", "limit": 2}).json()
    assert two["next"] is not None and len(two["data"]) == 2 and two["count"] == 5
    # The test verifier has no townships and nothing assigned: finds nothing.
    assert as_role("verifier").get("/api/search", params={"q": "KS"}).json()["count"] == 0
    assert client.get("/api/search").status_code == 422


def test_config_defaults_to_no_basemap(client):
    cfg = client.get("/api/config").json()
    assert cfg["basemap"] is None and cfg["feature_limit"] > 0


def test_chip_is_served_only_from_inside_the_chips_dir(client, app, tmp_path):
    chips = tmp_path / "chips"
    (chips / "2019Q3").mkdir(parents=True)
    (chips / "2019Q3" / "0_before.png").write_bytes(b"\x89PNG\r\n\x1a\nfake")
    (tmp_path / "secret.txt").write_text("no")
    app.state.settings.chips_dir = chips
    assert client.get("/api/chips/2019Q3/0_before.png").content.startswith(b"\x89PNG")
    assert client.get("/api/chips/../secret.txt").status_code == 404
    assert client.get("/api/chips/2019Q3/missing.png").status_code == 404


def test_case_sheet_uses_the_vendored_leaflet_only(client, tmp_path):
    b = _batch(client, tmp_path)
    cid = client.get(f"/api/batches/{b['id']}/features").json()["features"][0]["id"]
    r = client.get(f"/api/cases/{cid}/sheet")
    assert r.status_code == 200 and "单案卡片" in r.text and "130208KS2019Q3" in r.text
    assert "../../../vendor/leaflet/leaflet.js" in r.text
    assert not re.findall(r"""(?:src|href)=["']?https?://""", r.text), "nothing from a CDN"


def test_case_sheet_shows_the_map_in_its_location_box_names_and_labels(client, as_role, tmp_path):
    b = _batch(client, tmp_path)
    cid = client.get(f"/api/batches/{b['id']}/features").json()["features"][0]["id"]
    users = {u["username"]: u["id"] for u in client.get("/api/users").json()["data"]}
    client.post("/api/assignments", json={"user_id": users["verifier"], "case_ids": [cid]})
    r = as_role("verifier").post(
        f"/api/cases/{cid}/actions",
        json={
            "action": "verify",
            "payload": {"judgment": "illegal", "reason": "unlicensed_mining"},
        },
    )
    assert r.status_code == 200, r.text
    html = client.get(f"/api/cases/{cid}/sheet").text
    box = html[html.index('data-testid="sheet-location"') : html.index("</section>")]
    assert re.search(r'<path d="M[\d.]+,[\d.]+L', box), "the outline is drawn in the box"
    data = re.search(r'<script type="application/json" id="sheet-data">(.*?)</script>', box, re.S)
    assert data and '"geometry"' in data.group(1) and '"Polygon"' in data.group(1)
    # the verifier by display name, in the facts and the history; never the account
    assert re.search(r"<th scope=\"row\">核查员</th><td>测试verifier</td>", html)
    assert "（verifier）" not in html
    # Chinese labels, not codes: programme, states
    assert "矿山卫片 · 批次" in html and ">mining" not in html
    assert "已下发 → 已核查" in html and "issued" not in html and "verified" not in html


def test_features_limit_zero_answers_the_count_alone(client, tmp_path):
    b = _batch(client, tmp_path)
    fc = client.get(f"/api/batches/{b['id']}/features", params={"limit": 0}).json()
    assert fc["numberMatched"] == 5 and fc["numberReturned"] == 0 and fc["features"] == []
    assert fc["next"] is None and fc["links"] == []
    assert client.get(f"/api/batches/{b['id']}/features", params={"limit": -1}).status_code == 422
