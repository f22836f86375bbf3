"""An app on a fresh embedded store, with a fixed clock, driven through TestClient."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from api.settings import DEFAULT_GOALS_DIR, Settings
from tests.conftest import NOW


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
def client(database_url: str, clock: Clock) -> TestClient:
    settings = Settings(database_url=database_url, goals_dir=DEFAULT_GOALS_DIR)
    with TestClient(create_app(settings, clock=clock)) as c:
        yield c


def upload(client: TestClient, path: Path, **form) -> object:
    fields = {
        "programme": "mining",
        "period": "2019Q3",
        "authority": "河北省自然资源厅",
        "issued_on": "2019-10-15",
        "due_on": "2019-11-30",
        **form,
    }
    with path.open("rb") as fh:
        return client.post("/api/batches", data=fields, files={"file": (path.name, fh)})
