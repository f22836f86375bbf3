"""One app and data set per backend for the visibility tests, built once per module.

Three 图斑 of one batch: ``mine`` is assigned to the verifier ``verifier``, ``theirs`` to
another verifier ``v2``, ``spare`` to nobody. ``mine`` and ``theirs`` are judged illegal, filed
under their own 立案 case (each with an offender and a fine) and carry a photo; the clock then
stands past the batch's due date, so every unfinished 图斑 is overdue.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from shapely.geometry import shape

from api.main import create_app
from geo import testing as photos
from runtime.settings import DEFAULT_GOALS_DIR, Settings
from storage.engine import sqlite_url
from tests import factories
from tests.api.conftest import PASSWORD, ROLES, Clock, token_for, upload
from tests.conftest import _drop_schema, _pg_schema_url

OFFENDERS = {"mine": "甲村砂石场", "theirs": "乙镇石料厂隐秘"}
FINES = {"mine": 12345, "theirs": 98765}


@dataclass
class World:
    """The app, a signed-in client per role, and what each 图斑 is called."""

    app: object
    clients: dict[str, TestClient]
    ids: dict[str, int]
    codes: dict[str, str]
    enforcements: dict[str, int]
    photos: dict[str, str]
    batch: int
    users: dict[str, int] = field(default_factory=dict)

    def secrets_of(self, which: str) -> list[str]:
        """What no body may carry for a user who may not see ``which``: code, offender, fine."""
        return [self.codes[which], OFFENDERS[which], str(FINES[which])]


def _ok(r):
    assert r.status_code in (200, 201), r.text
    return r.json()


def _act(c: TestClient, cid: int, action: str, **payload):
    return _ok(c.post(f"/api/cases/{cid}/actions", json={"action": action, "payload": payload}))


def _file(admin: TestClient, cid: int, which: str) -> int:
    _act(admin, cid, "verify", judgment="illegal", reason="unlicensed_mining")
    _act(admin, cid, "approve")
    enf = _ok(
        admin.post(
            "/api/enforcements",
            json={
                "case_no": f"丰国土资罚〔2019〕{cid}号",
                "filed_on": "2019-11-02",
                "offender": OFFENDERS[which],
                "case_ids": [cid],
            },
        )
    )
    _act(
        admin,
        cid,
        "penalise",
        decision_no=f"丰国土资罚决〔2019〕{cid}号",
        fine_yuan=FINES[which],
        receipt_no=f"R{cid}",
        paid_on="2019-11-20",
    )
    return enf["id"]


def _photo(admin: TestClient, cid: int, geom, tag: int) -> str:
    c = geom.centroid
    data = photos.jpeg(lon=c.x, lat=c.y, direction=0, comment=bytes([tag]))
    r = admin.post(
        f"/api/cases/{cid}/photos", files={"file": ("p.jpg", io.BytesIO(data), "image/jpeg")}
    )
    return _ok(r)["sha256"]


def build_world(database_url: str, tmp: Path) -> World:
    """Import, assign, file and photograph as the admin; then sign every role in."""
    clock = Clock()
    clock.advance(days=56)  # 2019-12-15: past the 2019-11-30 due date, after every date below
    app = create_app(
        Settings(database_url=database_url, goals_dir=DEFAULT_GOALS_DIR, job_queue="memory"),
        clock=clock,
    )
    app.state.users.hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    for name, role in [*((r, r) for r in ROLES), ("v2", "verifier")]:
        app.state.users.add(
            username=name, display_name=f"测试{name}", password=PASSWORD, roles=[role],
            by="test", now=clock(),
        )  # fmt: skip
    clients = {r: TestClient(app).__enter__() for r in ROLES}
    for role, c in clients.items():
        c.headers.update(token_for(c, role))
        c.cookies.clear()
    admin = clients["admin"]
    batch = _ok(upload(admin, factories.write(factories.squares(3), tmp / "ks.gpkg")))["id"]
    feats = _ok(admin.get(f"/api/batches/{batch}/features"))["features"]
    ids = dict(zip(("mine", "theirs", "spare"), (f["id"] for f in feats), strict=True))
    codes = {
        k: next(f["properties"]["code"] for f in feats if f["id"] == v) for k, v in ids.items()
    }
    geoms = {f["id"]: shape(f["geometry"]) for f in feats}
    users = {u["username"]: u["id"] for u in _ok(admin.get("/api/users"))["data"]}
    for who, which in (("verifier", "mine"), ("v2", "theirs")):
        _ok(admin.post("/api/assignments", json={"user_id": users[who], "case_ids": [ids[which]]}))
    shas = {w: _photo(admin, ids[w], geoms[ids[w]], n) for n, w in enumerate(("mine", "theirs"))}
    enforcements = {w: _file(admin, ids[w], w) for w in ("mine", "theirs")}
    return World(app, clients, ids, codes, enforcements, shas, batch, users)


def close_world(world: World) -> None:
    """Close every client (and with them the app's lifespan)."""
    for c in world.clients.values():
        c.__exit__(None, None, None)


@contextmanager
def world_on(backend: str, tmp: Path) -> Iterator[World]:
    """A world on ``backend`` ("sqlite" or "postgresql": a throw-away schema), closed after."""
    if backend == "sqlite":
        world = build_world(sqlite_url(tmp / "t.sqlite"), tmp)
        yield world
        close_world(world)
        return
    url, schema = _pg_schema_url()
    world = build_world(url, tmp)
    try:
        yield world
    finally:
        close_world(world)
        _drop_schema(schema)
