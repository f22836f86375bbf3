"""inserted_id: the key of the row an INSERT created, or a loud error when there is none."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from storage.engine import make_engine
from storage.rows import inserted_id

_META = sa.MetaData()
_THINGS = sa.Table(
    "things",
    _META,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(20)),
)


@pytest.fixture
def engine(database_url: str):
    engine = make_engine(database_url)
    _META.create_all(engine)
    yield engine
    engine.dispose()


def test_inserted_id_is_the_new_rows_key(engine):
    with engine.begin() as conn:
        first = inserted_id(conn.execute(_THINGS.insert().values(name="a")))
        second = inserted_id(conn.execute(_THINGS.insert().values(name="b")))
        names = dict(conn.execute(sa.select(_THINGS.c.id, _THINGS.c.name)).all())
    assert (first, second) == (1, 2)
    assert names == {1: "a", 2: "b"}
    assert isinstance(first, int)


def test_inserted_id_refuses_an_insert_that_named_no_row(engine):
    nothing = sa.select(_THINGS.c.name).where(_THINGS.c.id < 0)
    with engine.begin() as conn:
        result = conn.execute(_THINGS.insert().from_select(["name"], nothing))
        with pytest.raises(RuntimeError, match="single-row INSERT"):
            inserted_id(result)
