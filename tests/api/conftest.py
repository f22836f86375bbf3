"""An app on a fresh store (SQLite and PostgreSQL), a fixed clock, and one user per role."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient

from api.main import create_app
from runtime.settings import DEFAULT_GOALS_DIR, Settings
from tests.conftest import NOW

ROLES = ("admin", "verifier", "enforcer", "reviewer", "viewer")
PASSWORD = "correct horse battery"


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self):
        return self.now

    def advance(self, **kw) -> None:
        self.now += timedelta(**kw)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def app(database_url: str, clock: Clock):
    settings = Settings(database_url=database_url, goals_dir=DEFAULT_GOALS_DIR, job_queue="memory")
    app = create_app(settings, clock=clock)
    # Cheap hashing keeps the suite fast; production uses argon2id's defaults.
    app.state.users.hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    for role in ROLES:
        app.state.users.add(
            username=role,
            display_name=f"测试{role}",
            password=PASSWORD,
            roles=[role],
            by="test",
            now=NOW,
        )
    return app


def token_for(client: TestClient, username: str) -> dict[str, str]:
    r = client.post("/api/auth/login", json={"username": username, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


@pytest.fixture
def anon(app) -> TestClient:
    with TestClient(app) as c:
        yield c


@pytest.fixture
def client(app) -> TestClient:
    """Signed in as the admin (who may do everything)."""
    with TestClient(app) as c:
        c.headers.update(token_for(c, "admin"))
        c.cookies.clear()
        yield c


@pytest.fixture
def as_role(app):
    """as_role("verifier") -> a client signed in as that role's test user."""
    clients = []

    def make(username: str) -> TestClient:
        c = TestClient(app)
        c.__enter__()
        c.headers.update(token_for(c, username))
        c.cookies.clear()
        clients.append(c)
        return c

    yield make
    for c in clients:
        c.__exit__(None, None, None)


# The import form of a 2019Q3 mining batch, as the web map posts it.
IMPORT_FORM = {
    "programme": "mining",
    "period": "2019Q3",
    "authority": "河北省自然资源厅",
    "issued_on": "2019-10-15",
    "due_on": "2019-11-30",
}


def upload(client: TestClient, path: Path, **form) -> object:
    fields = {**IMPORT_FORM, **form}
    with path.open("rb") as fh:
        return client.post("/api/batches", data=fields, files={"file": (path.name, fh)})


def upload_farmland(client: TestClient, path: Path, geometry: object) -> dict:
    """A one-polygon 永久基本农田 layer (JB1, 0101) in EPSG:4527 written to ``path`` and posted
    to /api/references; the created layer."""
    import geopandas as gpd

    from tests import factories

    farm = gpd.GeoDataFrame(
        {"JBNTTBBH": ["JB1"], "DLBM": ["0101"]}, geometry=[geometry], crs="EPSG:4527"
    )
    factories.write(farm, path)
    with path.open("rb") as fh:
        r = client.post(
            "/api/references",
            files={"file": (path.name, fh)},
            data={"kind": "farmland", "name": "永久基本农田", "version": "2019"},
        )
    assert r.status_code == 201, r.text
    return r.json()
