"""Role × endpoint × visibility: every operation of the API, called by every role, naming a 图斑
the role may see and one it may not.

The verifier sees only ``mine`` (assigned to them); every other role sees every 图斑, so for
them ``theirs`` is visible too. Each call's status is asserted, and no body a verifier gets may
carry ``theirs``' code, id, offender or fine. A new operation without an entry in ``PROBES``
fails ``test_every_operation_has_a_probe``. Writes are probed without changing the data set:
with a body that fails validation (422 shows the role got past the role check, 403 that it did
not) or with an action the 图斑's state refuses (409).
"""

from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass
from typing import Any

import mapbox_vector_tile
import pytest

from geo import testing as photos
from geo.model import Action
from geo.patrol import REPORT_DESK
from geo.roles import ACTION_ROLES
from tests.api.conftest import ROLES, token_for
from tests.security.visibility_world import World, world_on

EVERYONE = frozenset(ROLES)
TILE = "13/6783/3106.mvt"
BOOKKEEPERS = frozenset({"admin", "viewer"})
ADMIN = frozenset({"admin"})
FINDERS = ADMIN | {r.value for r in ACTION_ROLES[Action.FIND]}
DESK = ADMIN | {r.value for r in REPORT_DESK}


@dataclass(frozen=True)
class Probe:
    """How to call one operation and what each role gets.

    ``path`` may name ``{case}``, ``{enf}``, ``{photo}``, ``{batch}``, ``{verifier_id}``,
    ``{job}``; each is filled with the visible 图斑's (or its 立案's, photo's) and then with the
    invisible one's.
    ``allowed`` roles get ``ok``, the others ``refused``; a verifier naming an invisible 图斑
    gets ``hidden``: 404, it does not exist for them, whatever their role would allow; 403 only
    where a role check refuses everyone of the role alike, whichever 图斑 is named.
    ``fresh_session``: the call signs the role in anew and uses that session (logout ends it).
    """

    method: str
    path: str
    allowed: frozenset[str] = EVERYONE
    ok: int = 200
    refused: int = 403
    hidden: int = 404
    json: Any = None
    files: dict[str, Any] | None = None
    fresh_session: bool = False

    @property
    def names_a_case(self) -> bool:
        """Whether the call names one 图斑 (directly or through its 立案 or photo)."""
        return any(k in self.path for k in ("{case}", "{enf}", "{photo}"))

    def status(self, role: str, *, visible: bool) -> int:
        """The status ``role`` must get, naming a visible 图斑 or not."""
        if role == "verifier" and not visible:
            return self.hidden
        return self.ok if role in self.allowed else self.refused


def _photo_file() -> dict[str, Any]:
    return {"file": ("p.jpg", io.BytesIO(photos.jpeg()), "image/jpeg")}


ACT_CLOSE = {"action": "close", "payload": {}}  # allowed to reviewers; a penalised 图斑 refuses it

PROBES: dict[str, Probe] = {
    # public, or about the caller only
    "GET /healthz": Probe("GET", "/healthz"),
    "GET /readyz": Probe("GET", "/readyz"),
    "POST /api/auth/login": Probe("POST", "/api/auth/login", ok=422, json={}),
    "POST /api/auth/logout": Probe("POST", "/api/auth/logout", ok=204, fresh_session=True),
    "GET /api/auth/me": Probe("GET", "/api/auth/me"),
    "GET /api/meta": Probe("GET", "/api/meta"),
    "GET /api/config": Probe("GET", "/api/config"),
    # batches and the map
    "GET /api/batches": Probe("GET", "/api/batches"),
    "POST /api/batches": Probe("POST", "/api/batches", allowed=frozenset({"admin"}), ok=422),
    "GET /api/batches/{batch_id}": Probe("GET", "/api/batches/{batch}"),
    "GET /api/batches/{batch_id}/report": Probe(
        "GET", "/api/batches/{batch}/report", allowed=EVERYONE - {"verifier"}
    ),
    "GET /api/batches/{batch_id}/report.html": Probe(
        "GET", "/api/batches/{batch}/report.html", allowed=EVERYONE - {"verifier"}
    ),
    "GET /api/batches/{batch_id}/features": Probe("GET", "/api/batches/{batch}/features"),
    "GET /api/batches/{batch_id}/summary": Probe("GET", "/api/batches/{batch}/summary"),
    # GeoJSON, so that the check below reads the file: a verifier's holds only their 图斑
    "GET /api/batches/{batch_id}/export": Probe(
        "GET", "/api/batches/{batch}/export?format=geojson"
    ),
    "GET /api/search": Probe("GET", "/api/search?q=130208KS"),
    "GET /api/chips/{path}": Probe("GET", "/api/chips/none.png", ok=404),
    "GET /api/tiles/{z}/{x}/{y}.{ext}": Probe("GET", "/api/tiles/1/1/1.png", ok=404),
    "GET /api/basemap/{z}/{x}/{y}": Probe("GET", "/api/basemap/1/1/1", ok=404),
    # the z13 vector tile holding the world's three squares (a verifier's holds only ``mine``)
    "GET /api/tiles/{layer}/{z}/{x}/{y}.mvt": Probe("GET", "/api/tiles/batch-{batch}/" + TILE),
    # one 图斑
    "GET /api/cases/{case_id}": Probe("GET", "/api/cases/{case}"),
    "GET /api/cases/{case_id}/extent": Probe("GET", "/api/cases/{case}/extent"),
    "GET /api/cases/{case_id}/sheet": Probe("GET", "/api/cases/{case}/sheet"),
    "GET /api/cases/{case_id}/dossier.pdf": Probe("GET", "/api/cases/{case}/dossier.pdf"),
    "POST /api/cases/{case_id}/actions": Probe(
        "POST",
        "/api/cases/{case}/actions",
        allowed=frozenset({"admin", "reviewer"}),
        ok=409,
        json=ACT_CLOSE,
    ),
    "POST /api/cases/{case_id}/photos": Probe(
        "POST",
        "/api/cases/{case}/photos",
        allowed=frozenset({"admin", "reviewer", "verifier", "enforcer"}),
        ok=409,
        files={},
    ),
    "GET /api/photos/{sha256}": Probe("GET", "/api/photos/{photo}"),
    "GET /api/photos/{sha256}/thumb": Probe("GET", "/api/photos/{photo}/thumb"),
    # 立案 cases
    "POST /api/enforcements": Probe(
        "POST", "/api/enforcements", allowed=frozenset({"admin", "enforcer"}), ok=422, json={}
    ),
    "GET /api/enforcements/{enforcement_id}": Probe("GET", "/api/enforcements/{enf}"),
    "POST /api/enforcements/{enforcement_id}/payments": Probe(
        "POST",
        "/api/enforcements/{enf}/payments",
        allowed=frozenset({"admin", "enforcer"}),
        ok=422,
        hidden=403,
        json={},
    ),
    "POST /api/enforcements/{enforcement_id}/penalty": Probe(
        "POST",
        "/api/enforcements/{enf}/penalty",
        allowed=frozenset({"admin", "enforcer"}),
        ok=422,
        hidden=403,
        json={},
    ),
    # work lists
    "GET /api/tasks": Probe("GET", "/api/tasks"),
    # The offline task pack: the caller's own open work, so a verifier's must not carry theirs.
    "GET /api/offline/pack": Probe("GET", "/api/offline/pack"),
    "GET /api/overdue": Probe("GET", "/api/overdue"),
    "POST /api/province-checks": Probe(
        "POST", "/api/province-checks", allowed=frozenset({"admin", "reviewer"}), ok=422
    ),
    # indicators, snapshots, reports: bureau-level values, case ids only of the visible
    "GET /api/projects": Probe("GET", "/api/projects"),
    "GET /api/indicators": Probe(
        "GET", "/api/indicators?project=mining_enforcement&year=2019&drill=true"
    ),
    "GET /api/projects/{project}/rows/{row_no}/cases": Probe(
        "GET", "/api/projects/mining_enforcement/rows/2/cases?metric=verified_of_issued&year=2019"
    ),
    "GET /api/indicators/trend": Probe(
        "GET", "/api/indicators/trend?project=mining_enforcement&year=2019"
    ),
    "GET /api/snapshots": Probe("GET", "/api/snapshots"),
    "POST /api/snapshots": Probe("POST", "/api/snapshots", allowed=BOOKKEEPERS, ok=422, json={}),
    "GET /api/snapshots/{snapshot_id}": Probe("GET", "/api/snapshots/{snapshot}"),
    "GET /api/report": Probe("GET", "/api/report?year=2019&maps=true"),
    "GET /api/reports/{year}.{fmt}": Probe("GET", "/api/reports/2019.html"),
    # goal tables, spending, notes: the bureau's, no 图斑 in them
    "GET /api/goals": Probe("GET", "/api/goals"),
    "GET /api/goals/{year}": Probe("GET", "/api/goals/2019"),
    "PUT /api/goals/{year}": Probe(
        "PUT", "/api/goals/2019", allowed=frozenset({"admin"}), ok=422, json={}
    ),
    "GET /api/goals/{year}/versions": Probe("GET", "/api/goals/2019/versions"),
    "GET /api/goals/{year}/export.yaml": Probe("GET", "/api/goals/2019/export.yaml"),
    "GET /api/expenditures": Probe("GET", "/api/expenditures?year=2019"),
    "POST /api/expenditures": Probe(
        "POST", "/api/expenditures", allowed=BOOKKEEPERS, ok=422, json={}
    ),
    "GET /api/budget": Probe("GET", "/api/budget?year=2019"),
    "GET /api/indicator-notes": Probe(
        "GET", "/api/indicator-notes?project=mining_enforcement&year=2019"
    ),
    "GET /api/indicator-notes/{year}/{project}/{row_no}/history": Probe(
        "GET", "/api/indicator-notes/2019/mining_enforcement/1/history"
    ),
    "PUT /api/indicator-notes/{year}/{project}/{row_no}": Probe(
        "PUT",
        "/api/indicator-notes/2019/mining_enforcement/1",
        allowed=BOOKKEEPERS,
        ok=422,
        json={},
    ),
    "POST /api/indicator-notes/{year}/{project}/{row_no}/evidence": Probe(
        "POST",
        "/api/indicator-notes/2019/mining_enforcement/1/evidence",
        allowed=BOOKKEEPERS,
        ok=422,
    ),
    "GET /api/evidence/{sha256}": Probe("GET", "/api/evidence/" + "0" * 64, ok=404),
    # reference layers: the county's geography, not personal (see docs/roles.md)
    "GET /api/references": Probe("GET", "/api/references"),
    "POST /api/references": Probe("POST", "/api/references", allowed=frozenset({"admin"}), ok=422),
    "GET /api/references/{layer_id}/features": Probe("GET", "/api/references/999/features", ok=404),
    # background jobs: each user's own (the admin's ``{job}``, a finished report file job); the
    # admin sees everyone's, anyone else gets 404 for a job not theirs
    "GET /api/jobs": Probe("GET", "/api/jobs"),
    "POST /api/jobs/import": Probe(
        "POST", "/api/jobs/import", allowed=frozenset({"admin"}), ok=422
    ),
    "POST /api/jobs/report": Probe("POST", "/api/jobs/report", ok=422, json={}),
    "POST /api/jobs/rebuild-counts": Probe(
        "POST", "/api/jobs/rebuild-counts", allowed=frozenset({"admin"}), ok=202
    ),
    "GET /api/jobs/{job_id}": Probe("GET", "/api/jobs/{job}", allowed=ADMIN, refused=404),
    "GET /api/jobs/{job_id}/events": Probe(
        "GET", "/api/jobs/{job}/events", allowed=ADMIN, refused=404
    ),
    "GET /api/jobs/{job_id}/file": Probe("GET", "/api/jobs/{job}/file", allowed=ADMIN, refused=404),
    "POST /api/jobs/{job_id}/cancel": Probe(
        "POST", "/api/jobs/{job}/cancel", allowed=ADMIN, ok=409, refused=404
    ),
    # 动态巡查: findings by field roles, reports by the office, the reporter's details only to
    # the office (404: the named 图斑 was not reported; a verifier is refused by role first)
    "POST /api/patrol/findings": Probe(
        "POST", "/api/patrol/findings", allowed=FINDERS, ok=422, json={}
    ),
    "POST /api/patrol/reports": Probe("POST", "/api/patrol/reports", allowed=DESK, ok=422, json={}),
    "GET /api/patrol/reports/{case_id}": Probe(
        "GET", "/api/patrol/reports/{case}", allowed=DESK, ok=404, hidden=403
    ),
    "GET /api/patrol/deadlines": Probe("GET", "/api/patrol/deadlines"),
    "PUT /api/patrol/deadlines": Probe(
        "PUT", "/api/patrol/deadlines", allowed=ADMIN, ok=422, json={"nope": 1}
    ),
    # the illegal sites (``mine`` and ``theirs`` are filed and penalised: active) and the watch
    # list; a verifier's hold only ``mine``
    "GET /api/patrol/sites": Probe("GET", "/api/patrol/sites"),
    "GET /api/patrol/watch": Probe("GET", "/api/patrol/watch"),
    # accounts: only the admin lists or changes them
    "GET /api/users": Probe("GET", "/api/users", allowed=frozenset({"admin"})),
    "POST /api/users": Probe("POST", "/api/users", allowed=frozenset({"admin"}), ok=422, json={}),
    "PATCH /api/users/{user_id}": Probe(
        "PATCH",
        "/api/users/{verifier_id}",
        allowed=frozenset({"admin"}),
        ok=422,
        json={"roles": "nope"},
    ),
    "POST /api/assignments": Probe(
        "POST", "/api/assignments", allowed=frozenset({"admin", "reviewer"}), ok=422, json={}
    ),
}


def operations(app: Any) -> set[str]:
    """Every operation of the app's OpenAPI schema as "METHOD /path"."""
    return {f"{m.upper()} {p}" for p, ops in app.openapi()["paths"].items() for m in ops}


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def world(request, tmp_path_factory):
    with world_on(request.param, tmp_path_factory.mktemp(request.param)) as w:
        admin = w.clients["admin"]
        snap = admin.post(
            "/api/snapshots", json={"year": 2019, "label": "2019年第四季度", "as_of": "2019-12-01"}
        )
        assert snap.status_code == 201, snap.text
        w.ids["snapshot"] = snap.json()["id"]
        job = admin.post("/api/jobs/report", json={"year": 2019, "fmt": "xlsx"})
        assert job.status_code == 202 and job.json()["state"] == "succeeded", job.text
        w.ids["job"] = job.json()["id"]
        yield w


def test_every_operation_has_a_probe(world):
    ops = operations(world.app)
    assert sorted(ops - PROBES.keys()) == [], "new operations need a row in PROBES"
    assert sorted(PROBES.keys() - ops) == [], "PROBES names operations the app no longer has"


def _fill(path: str, world: World, which: str) -> str:
    return path.format(
        case=world.ids[which],
        enf=world.enforcements[which],
        photo=world.photos[which],
        batch=world.batch,
        snapshot=world.ids["snapshot"],
        job=world.ids["job"],
        verifier_id=world.users["verifier"],
    )


def _call(world: World, role: str, probe: Probe, which: str):
    files = _photo_file() if probe.files is not None else None
    client = world.clients[role]
    headers = token_for(client, role) if probe.fresh_session else None
    path = _fill(probe.path, world, which)
    return client.request(probe.method, path, json=probe.json, files=files, headers=headers)


def _names(text: str, case_id: int) -> bool:
    """Whether a body names the 图斑 ``case_id`` by id: as a case id, in an id list, or as a
    GeoJSON feature's id."""
    n = rf"(?<![\d.]){case_id}(?![\d.])"
    patterns = (rf'"case_id":\s*{n}', rf'"case_ids":\s*\[[^\]]*{n}', rf'"id":\s*{n}\s*,\s*"type"')
    return any(re.search(p, text) for p in patterns)


def _assert_hides_theirs(world: World, text: str, where: str, *, asked: bool = False) -> None:
    """No code, offender or fine of ``theirs``; nor its id, unless the caller ``asked`` for it
    by id (a 404 may echo the id it was given)."""
    for secret in world.secrets_of("theirs"):
        assert secret not in text, (where, secret)
    assert asked or not _names(text, world.ids["theirs"]), where


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("op", sorted(PROBES))
def test_role_endpoint_visibility(world, role, op):
    probe = PROBES[op]
    seen = _call(world, role, probe, "mine")
    assert seen.status_code == probe.status(role, visible=True), (role, op, seen.text[:300])
    if probe.names_a_case:
        other = _call(world, role, probe, "theirs")
        visible = role != "verifier"
        assert other.status_code == probe.status(role, visible=visible), (role, op, other.text)
        if not visible:
            _assert_hides_theirs(world, other.text, f"{op} naming theirs", asked=True)
    if role == "verifier":
        _assert_hides_theirs(world, seen.text, op)


def test_verifier_lists_hold_their_own(world):
    """The lists a verifier gets are cut to their 图斑, not emptied: ``mine`` is in each."""
    v = world.clients["verifier"]
    mine = world.ids["mine"]
    feats = v.get(f"/api/batches/{world.batch}/features").json()["features"]
    assert [f["id"] for f in feats] == [mine]
    assert [h["case_id"] for h in v.get("/api/search?q=130208KS").json()["data"]] == [mine]
    assert [t["case_id"] for t in v.get("/api/overdue").json()["data"]] == [mine]
    assert [f["id"] for f in v.get("/api/patrol/sites").json()["features"]] == [mine]
    assert v.get(f"/api/batches/{world.batch}/summary").json()["total"] == 1
    tile = mapbox_vector_tile.decode(v.get(f"/api/tiles/batch-{world.batch}/{TILE}").content)
    assert [f["id"] for f in tile["cases"]["features"]] == [mine]
    report = json.dumps(v.get("/api/report?year=2019&maps=true").json(), ensure_ascii=False)
    assert world.codes["mine"] in report
