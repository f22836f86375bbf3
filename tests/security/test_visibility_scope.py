"""The visibility rule itself (storage.visibility.Scope), on both backends: who sees everything,
and a verifier's 图斑 by hand-assignment and by township."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher
from sqlalchemy import update

from geo.errors import NotFound
from storage.imports import import_file
from storage.map_queries import FeatureFilter, MapView
from storage.tables import cases
from storage.users import UserStore
from storage.visibility import EVERYTHING, Scope, Visibility
from tests.conftest import NOW
from tests.storage.test_linking_and_hints import layer, meta

PARCELS = [("A", (0, 0, 100, 100)), ("B", (500, 0, 600, 100)), ("C", (1000, 0, 1100, 100))]


@pytest.fixture
def world(store, tmp_path):
    """Three 图斑: A assigned by hand to ``v``, B in township 130208101 (``v``'s), C in another."""
    batch, _ = import_file(store, layer(tmp_path, "s.gpkg", PARCELS), meta(), actor="t", now=NOW)
    ids = {r["code"]: r["id"] for r in store.features(batch["id"])}
    with store.engine.begin() as conn:
        for code, town in (("B", "130208101"), ("C", "130208102")):
            conn.execute(update(cases).where(cases.c.id == ids[code]).values(township_code=town))
    users = UserStore(store.engine, PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    add = dict(password="long enough pw", by="t", now=NOW)
    v = users.add(
        username="v", display_name="v", roles=["verifier"], townships=["130208101"], **add
    )
    nobody = users.add(username="n", display_name="n", roles=["verifier"], **add)
    both = users.add(username="b", display_name="b", roles=["verifier", "viewer"], **add)
    users.assign([ids["A"]], v.id, by="t", now=NOW)
    return {"ids": ids, "batch": batch["id"], "v": v, "nobody": nobody, "both": both}


def test_only_a_pure_verifier_is_limited(world):
    assert Scope.of(world["both"]) == EVERYTHING and EVERYTHING.clause() is None
    assert not Scope.of(world["v"]).everything
    assert Scope.of(world["v"]) == Scope(user_id=world["v"].id, townships=("130208101",))


def test_a_verifier_sees_the_assigned_and_the_townships_own(store, world):
    ids, vis = world["ids"], Visibility(store.engine)
    scope = Scope.of(world["v"])
    assert vis.case_ids(scope) == {ids["A"], ids["B"]}
    assert vis.case_ids(EVERYTHING) is None
    assert vis.sees(scope, ids["B"]) and not vis.sees(scope, ids["C"])
    with pytest.raises(NotFound):
        vis.require(scope, ids["C"])
    with pytest.raises(NotFound):
        vis.require(scope, 10_000)  # the same answer as for a 图斑 that does not exist
    rows, n = MapView(store.engine).page(batch_id=world["batch"], where=FeatureFilter(scope=scope))
    assert sorted(r["code"] for r in rows) == ["A", "B"] and n == 2


def test_nothing_assigned_and_no_township_sees_nothing(store, world):
    scope = Scope.of(world["nobody"])
    assert Visibility(store.engine).case_ids(scope) == set()
    view = MapView(store.engine)
    assert view.summary(batch_id=world["batch"], scope=scope)["total"] == 0
    assert view.summary(batch_id=world["batch"])["total"] == 3
