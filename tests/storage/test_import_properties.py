"""Properties of an import into the store, on SQLite and PostgreSQL.

Hostile deliveries (``tests.geo.layer_strategies``) go through ``storage.imports.import_file``
into a store that already holds a batch: either every stored 图斑 is fit to keep (a valid
polygon, finite positive area, keys and attributes free of control and bidi characters, NFC),
or the import raises one of geo's import errors and every table is exactly as it was. The same
file again changes nothing. PostgreSQL is the stricter judge: it refuses a NUL, an over-long
key or a non-finite JSON number that SQLite would store.
"""

from __future__ import annotations

import itertools
import json
import math
from datetime import UTC, datetime

import shapely
from hypothesis import HealthCheck, event, example, given, reject, settings
from sqlalchemy import select

from geo.errors import ImportError_
from storage.imports import import_file
from storage.tables import cases, reissues
from tests.geo import layer_strategies as ls
from tests.storage.digest import store_digest

NOW = datetime(2019, 10, 20, 9, 0, tzinfo=UTC)
_names = itertools.count()


def _check_stored(store, batch) -> None:
    """Each 图斑 of the batch, new (``cases``) or issued again (``reissues``), is fit to keep."""
    rows = []
    with store.engine.connect() as conn:
        for table in (cases, reissues):
            rows += conn.execute(select(table).where(table.c.batch_id == batch["id"])).all()
    assert len(rows) == batch["feature_count"] > 0
    for r in rows:
        g = shapely.from_wkb(r.geom)
        assert g.geom_type in ("Polygon", "MultiPolygon", "Point") and not g.is_empty
        assert g.geom_type == "Point" or g.is_valid
        assert math.isfinite(r.area_m2) and r.area_m2 > 0, r.area_m2
        ls.clean_text_ok(r.code)
        ls.clean_text_ok(r.xzqdm)
        attrs = r.attributes if isinstance(r.attributes, dict) else json.loads(r.attributes)
        for k, v in attrs.items():
            ls.clean_text_ok(k)
            if isinstance(v, str):
                ls.clean_text_ok(v)
            elif isinstance(v, float):
                assert math.isfinite(v)


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(delivery=ls.deliveries(max_rows=3), accept_partial=ls.st.booleans())
@example(  # PostgreSQL refuses a NUL in text: it must be gone before the INSERT
    delivery=ls.Delivery(
        ["TBBH", "XZQDM", "备注\u202e"],
        [{"TBBH": "K\x001", "XZQDM": "130208\x00", "备注\u202e": "a\x00b\u202ec"}],
        [("square", ((0.0, 0.0), 100.0))],
        "csv",
        "gk",
        "utf-8",
        False,
    ),
    accept_partial=False,
)
@example(  # longer than VARCHAR(100): refused by the importer, not by PostgreSQL mid-write
    delivery=ls.Delivery(
        ["TBBH", "XZQDM"],
        [{"TBBH": "K1", "XZQDM": "130208"}, {"TBBH": "9" * 120, "XZQDM": "130208"}],
        [("square", ((0.0, 0.0), 100.0)), ("square", ((500.0, 0.0), 100.0))],
        "geojson",
        "gk",
        "utf-8",
        False,
    ),
    accept_partial=True,
)
def test_an_import_stores_clean_parcels_or_leaves_the_store_as_it_was(
    store, mining_meta, squares_gpkg, tmp_path_factory, delivery, accept_partial
):
    if not store.list_batches():  # something to keep intact: an earlier, honest batch
        import_file(store, squares_gpkg, mining_meta, actor="t", now=NOW, workers=1)
    folder = tmp_path_factory.mktemp("delivery")
    try:
        path = ls.write_delivery(delivery, folder)
    except ls.CannotWrite:
        reject()
    before = store_digest(store.engine)
    name = f"{next(_names)}-{path.name}"  # a new name each time: no clash with earlier files
    options = {"actor": "t", "now": NOW, "workers": 1, "source_name": name}
    try:
        row, created = import_file(
            store,
            path,
            mining_meta,
            jurisdiction=ls.FENGRUN,
            accept_partial=accept_partial,
            **options,
        )
    except ImportError_ as exc:
        event(f"refused: {type(exc).__name__}")
        ls.check_refusal(exc, path.name)
        assert store_digest(store.engine) == before, "a refused import wrote something"
        return
    event("imported" if created else "same file as before")
    _check_stored(store, row)
    after = store_digest(store.engine)
    again, created_again = import_file(store, path, mining_meta, **options)
    assert not created_again and again["id"] == row["id"]
    assert store_digest(store.engine) == after, "the same file twice changed the store"
