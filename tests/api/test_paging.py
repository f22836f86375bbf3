"""A typed, paged API: every JSON route declares a model, and every list pages the same way."""

from __future__ import annotations

import typing

import geopandas as gpd
import pytest
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from shapely import box

from api.deps import MAX_LIMIT
from api.schemas import Page
from tests import factories
from tests.api.conftest import token_for, upload


def _routes(app) -> list[APIRoute]:
    """Every API route of the app, looking into included routers (newer FastAPI keeps them
    as one entry of app.routes each)."""
    out, todo = [], list(app.routes)
    while todo:
        r = todo.pop(0)
        if isinstance(r, APIRoute) and not r.include_in_schema:
            continue  # /docs and its script: pages of the API's own documentation
        if isinstance(r, APIRoute):
            out.append(r)
        inner = getattr(r, "original_router", None) or r
        todo += [x for x in getattr(inner, "routes", []) if x is not r]
    return out


def _json(route: APIRoute) -> bool:
    """Whether the route answers JSON (not a file, a page, GeoJSON or an empty 204)."""
    cls = route.response_class
    default = getattr(cls, "value", cls)  # FastAPI wraps the default in DefaultPlaceholder
    return default is JSONResponse and route.status_code != 204


def _untyped(model) -> bool:
    origin = typing.get_origin(model) or model
    return model is None or model is typing.Any or origin in (dict, list)


def test_every_json_route_declares_a_response_model(app):
    routes = [r for r in _routes(app) if _json(r)]
    assert len(routes) > 40
    untyped = sorted(f"{sorted(r.methods)} {r.path}" for r in routes if _untyped(r.response_model))
    assert untyped == []


def test_the_others_say_what_they_answer(app):
    """Routes outside the JSON models are files, pages, GeoJSON pages, vector tiles, the offline
    task pack (one gzip-friendly document, not a page) or an empty 204."""
    others = {r.operation_id for r in _routes(app) if not _json(r)}
    assert others == {
        "auth-logout",
        "basemap-tile",
        "batches-export",
        "batches-features",
        "batches-report-html",
        "cases-dossier",
        "evidence-get",
        "goals-export",
        "jobs-events",
        "jobs-file",
        "offline-pack",
        "patrol-sites",
        "photos-get",
        "photos-thumb",
        "references-features",
        "report-file",
        "tiles-get",
        "webmap-case-sheet",
        "webmap-chip",
        "webmap-tile",
    }


def _lists(app) -> dict[str, APIRoute]:
    out = {}
    for r in _routes(app):
        model = r.response_model
        if isinstance(model, type) and issubclass(model, Page):
            out[r.operation_id] = r
    return out


def test_every_list_takes_limit_and_offset(app):
    lists = _lists(app)
    assert len(lists) >= 14
    for op, route in lists.items():
        names = {p.name for p in route.dependant.query_params}
        for dep in route.dependant.dependencies:
            names |= {p.name for p in dep.query_params}
        assert {"limit", "offset"} <= names, op


@pytest.fixture
def filled(client, app, clock, tmp_path):
    """Two or more of everything a list endpoint lists."""
    for i, period in enumerate(("2019Q3", "2019Q4")):
        f = factories.squares(3)
        f["TBBH"] = [f"130208KS{period}{k:03d}" for k in range(3)]
        path = factories.write(f, tmp_path / f"ks{i}.gpkg")
        r = upload(client, path, period=period)
        assert r.status_code == 201
    # two verified, so that the drill-down of 已核查 lists something
    feats = client.get(f"/api/batches/{r.json()['id']}/features").json()["features"]
    for f in feats[:2]:
        body = {"action": "verify", "payload": {"judgment": "legal", "reason": "approved"}}
        assert client.post(f"/api/cases/{f['id']}/actions", json=body).status_code == 200
    x, y = factories.FENGRUN_X, factories.FENGRUN_Y
    for k, version in enumerate(("2019", "2020")):
        farm = gpd.GeoDataFrame(
            {"JBNTTBBH": [f"JB{k}"], "DLBM": ["0101"]},
            geometry=[box(x, y, x + 50, y + 100)],
            crs="EPSG:4527",
        )
        path = factories.write(farm, tmp_path / f"farm{k}.gpkg")
        with path.open("rb") as fh:
            r = client.post(
                "/api/references",
                files={"file": (path.name, fh)},
                data={"kind": "farmland", "name": "永久基本农田", "version": version},
            )
        assert r.status_code == 201, r.text
    for label, day in (("一季度", "2019-03-31"), ("二季度", "2019-06-30")):
        body = {"year": 2019, "label": label, "as_of": day}
        assert client.post("/api/snapshots", json=body).status_code == 201
    for row_no, reason in ((5, "原因一"), (5, "原因二"), (6, "原因三")):
        r = client.put(
            f"/api/indicator-notes/2019/mining_enforcement/{row_no}", json={"reason": reason}
        )
        assert r.status_code == 200, r.text
    for amount in (100, 200):
        body = {
            "year": 2019,
            "project_id": "planning",
            "spent_on": "2019-03-20",
            "amount_yuan": amount,
            "purpose": "服务费",
        }
        assert client.post("/api/expenditures", json=body).status_code == 201
    for _ in range(2):
        assert client.post("/api/jobs/rebuild-counts").status_code == 202
    for k in range(2):  # two closed illegal sites under watch
        _watched_site(client, k)
    clock.advance(days=60)  # past the batches' due date: everything is overdue
    client.headers.update(token_for(client, "admin"))  # the old session expired meanwhile
    return client


def _watched_site(client, k: int) -> None:
    """A patrol finding taken through 立案 to closure and put under watch."""
    spot = {"type": "Point", "coordinates": [118.2 + k / 100, 39.9]}
    body = {"violation": "illegal_mining", "geometry": spot}
    cid = client.post("/api/patrol/findings", json=body).json()["case_id"]
    for action, payload in (
        ("file", {"case_no": f"丰罚〔2019〕9{k}号", "filed_on": "2019-10-20"}),
        ("penalise", {"fine_yuan": 1000, "receipt_no": f"R9{k}", "paid_on": "2019-10-20"}),
        ("rectify", {"rectified_on": "2019-10-20"}),
        ("report_up", {"reported_on": "2019-10-20", "doc_no": f"报9{k}"}),
        ("close", {}),
        ("watch", {"interval_days": 30}),
    ):
        r = client.post(f"/api/cases/{cid}/actions", json={"action": action, "payload": payload})
        assert r.status_code == 200, r.text


# Each list endpoint with its path and query filled in, and the fewest items it must hold.
LISTS = {
    "batches-list": ("/api/batches", 2),
    "references-list": ("/api/references", 2),
    "users-list": ("/api/users", 5),
    "work-tasks": ("/api/tasks", 3),
    "work-overdue": ("/api/overdue", 3),
    "webmap-search": ("/api/search?q=KS2019", 3),
    "projects-list": ("/api/projects?year=2019", 2),
    "snapshots-list": ("/api/snapshots?year=2019", 2),
    "goals-list": ("/api/goals", 1),
    "goals-versions": ("/api/goals/2019/versions", 1),
    "notes-list": ("/api/indicator-notes?year=2019&project=mining_enforcement", 2),
    "notes-history": ("/api/indicator-notes/2019/mining_enforcement/5/history", 2),
    "expenditures-list": ("/api/expenditures?year=2019", 2),
    "budget-get": ("/api/budget?year=2019", 2),
    "indicators-cases": (
        "/api/projects/mining_enforcement/rows/2/cases?metric=verified_of_issued&year=2019",
        2,
    ),
    "jobs-list": ("/api/jobs", 2),
    "patrol-watch": ("/api/patrol/watch", 2),
}


def test_the_table_covers_every_list(app):
    assert set(LISTS) == set(_lists(app))


@pytest.mark.parametrize("op", sorted(LISTS))
def test_list_pages_follow_next_to_the_last(filled, op):
    path, fewest = LISTS[op]
    sep = "&" if "?" in path else "?"
    got = filled.get(path)
    assert got.status_code == 200, got.text
    whole = got.json()
    assert whole["count"] >= fewest and whole["next"] is None
    assert len(whole["data"]) == whole["count"]
    page = filled.get(f"{path}{sep}limit=1").json()
    seen = []
    while True:
        assert len(page["data"]) <= 1 and page["count"] == whole["count"]
        seen += page["data"]
        if page["next"] is None:
            break
        page = filled.get(page["next"]).json()
    assert seen == whole["data"]


@pytest.mark.parametrize(
    "query", ["limit=0", f"limit={MAX_LIMIT + 1}", "offset=-1", "limit=x"], ids=str
)
def test_paging_refuses_bad_values_clearly(client, query):
    r = client.get(f"/api/batches?{query}")
    assert r.status_code == 422
    assert r.json()["error"]["details"]


def test_an_offset_past_the_end_is_an_empty_last_page(client, squares_gpkg):
    assert upload(client, squares_gpkg).status_code == 201
    page = client.get("/api/batches?offset=5").json()
    assert page == {"data": [], "count": 1, "next": None}


def test_reference_features_page_like_batch_features(client, tmp_path):
    x, y = factories.FENGRUN_X, factories.FENGRUN_Y
    farm = gpd.GeoDataFrame(
        {"JBNTTBBH": ["A", "B", "C"], "DLBM": ["0101"] * 3},
        geometry=[box(x + 100 * k, y, x + 100 * k + 50, y + 100) for k in range(3)],
        crs="EPSG:4527",
    )
    path = factories.write(farm, tmp_path / "farm.gpkg")
    with path.open("rb") as fh:
        layer = client.post(
            "/api/references",
            files={"file": ("farm.gpkg", fh)},
            data={"kind": "farmland", "name": "农田", "version": "1"},
        ).json()
    url = f"/api/references/{layer['id']}/features"
    whole = client.get(url).json()
    assert whole["numberMatched"] == 3 and whole["next"] is None
    first = client.get(url, params={"limit": 2}).json()
    assert first["numberReturned"] == 2 and first["next"]
    rest = client.get(first["next"]).json()
    assert rest["next"] is None
    idents = [f["properties"]["ident"] for f in first["features"] + rest["features"]]
    assert idents == ["A", "B", "C"]


def test_a_verifier_pages_only_through_their_own(client, as_role, tmp_path, app):
    f = factories.squares(4)
    assert upload(client, factories.write(f, tmp_path / "ks.gpkg")).status_code == 201
    v = as_role("verifier")  # no townships, nothing assigned
    assert v.get("/api/tasks").json() == {"data": [], "count": 0, "next": None}
    assert client.get("/api/tasks?limit=3").json()["count"] == 4


def test_features_past_the_cap_are_counted_no_further_and_paged_to_the_end(client, app, tmp_path):
    r = upload(client, factories.write(factories.squares(7), tmp_path / "ks.gpkg"))
    assert r.status_code == 201, r.text
    url = f"/api/batches/{r.json()['id']}/features"
    app.state.settings.feature_limit = 3  # a county view: more 图斑 than the map draws
    hits = client.get(url, params={"limit": 0}).json()
    # More than the cap: the count stopped there, so no numberMatched, only the bound.
    assert "numberMatched" not in hits and hits["numberMatchedAbove"] == 3
    assert hits["features"] == [] and hits["next"] is None
    ids, pages, nxt = [], 0, url
    while nxt:  # the default page is the cap; next links lead through every feature
        page = client.get(nxt).json()
        ids += [f["id"] for f in page["features"]]
        nxt, pages = page["next"], pages + 1
        assert page["numberReturned"] == len(page["features"]) <= 3
    assert pages == 3 and len(ids) == len(set(ids)) == 7
    # The last page's count is exact: by then offset + limit covers all.
    assert page["numberMatched"] == 7
    app.state.settings.feature_limit = 7
    assert client.get(url, params={"limit": 0}).json()["numberMatched"] == 7
