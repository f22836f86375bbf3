"""The map's reads of a batch: filtered and counted in SQL, paged in one stable order."""

from __future__ import annotations

import pytest

from geo.errors import NotFound
from storage.imports import import_file
from storage.map_queries import FeatureFilter, MapView
from tests.conftest import NOW
from tests.storage.test_linking_and_hints import X, Y, layer, meta

# Q4 issues A (own case in Q3) twice (same code, then an in-file duplicate), a new C and D.
Q3 = [("A", (0, 0, 100, 100)), ("B", (500, 0, 600, 100))]
Q4 = [
    ("C", (2000, 0, 2100, 100)),
    ("A", (0, 0, 100, 100)),
    ("A", (0, 0, 100, 100)),
    ("D", (4000, 0, 4100, 100)),
]


@pytest.fixture
def q4(store, tmp_path):
    import_file(store, layer(tmp_path, "q3.gpkg", Q3), meta(), actor="t", now=NOW)
    b4, _ = import_file(
        store, layer(tmp_path, "q4.gpkg", Q4), meta(period="2019Q4"), actor="t", now=NOW
    )
    return b4["id"]


def test_a_case_issued_twice_in_a_batch_is_one_feature_and_counted_once(store, q4):
    view = MapView(store.engine)
    rows = view.features(batch_id=q4)
    assert [r["code"] for r in rows] == ["C", "D", "A"]  # own first, then re-issued
    assert view.count(batch_id=q4, where=FeatureFilter()) == len(rows) == 3
    assert rows == store.features(q4)


def test_pages_put_together_are_the_whole_list(store, q4):
    view = MapView(store.engine)
    whole = view.features(batch_id=q4)
    for size in (1, 2, 3, 5):
        pages = [
            r
            for off in range(0, 4, size)
            for r in view.features(batch_id=q4, limit=size, offset=off)
        ]
        assert [r["id"] for r in pages] == [r["id"] for r in whole], size


def test_the_box_and_filters_count_what_they_return(store, q4):
    view = MapView(store.engine)
    import pyproj

    to_lonlat = pyproj.Transformer.from_crs("EPSG:4527", "EPSG:4490", always_xy=True)
    x0, y0 = to_lonlat.transform(X - 10, Y - 10)
    x1, y1 = to_lonlat.transform(X + 2200, Y + 110)
    for where in (
        FeatureFilter(bbox=(x0, y0, x1, y1)),
        FeatureFilter(states=["issued"]),
        FeatureFilter(states=["verified"]),
        FeatureFilter(townships=["nowhere"]),
    ):
        rows = view.features(batch_id=q4, where=where)
        assert view.count(batch_id=q4, where=where) == len(rows)
    boxed = view.features(batch_id=q4, where=FeatureFilter(bbox=(x0, y0, x1, y1)))
    assert sorted(r["code"] for r in boxed) == ["A", "C"]


def test_an_unknown_batch_is_not_found(store):
    view = MapView(store.engine)
    for call in (
        lambda: view.count(batch_id=99, where=FeatureFilter()),
        lambda: view.features(batch_id=99),
        lambda: view.summary(batch_id=99),
    ):
        with pytest.raises(NotFound):
            call()


def test_search_pages_and_counts(store, q4):
    view = MapView(store.engine)
    rows, n = view.search(text="A", programme=None, batch_id=None, limit=1)
    assert n == 1 and rows[0]["code"] == "A"
    rows, n = view.search(text="", programme="mining", batch_id=q4, limit=2)
    assert n == 2 and [r["code"] for r in rows] == ["C", "D"]  # the batch's own cases


def test_named_columns_read_only_those_and_the_geometry_as_geojson_text(store, q4):
    import json

    import shapely

    from storage.map_queries import GEOJSON

    view = MapView(store.engine)
    whole = view.features(batch_id=q4)
    rows, n = view.page(batch_id=q4, columns=("id", "code", GEOJSON))
    assert n == 3 and [r["id"] for r in rows] == [r["id"] for r in whole]
    assert [set(r) for r in rows[:2]] == [{"id", "code", GEOJSON}] * 2
    # The re-issued one says where its case began (and which re-issue it is), asked or not.
    assert set(rows[2]) == {"id", "code", GEOJSON, "reissue_of_batch", "reissue_reason"}
    assert rows[2]["reissue_of_batch"] == whole[2]["reissue_of_batch"] != q4
    for r, w in zip(rows, whole, strict=True):
        assert r["code"] == w["code"]
        got = shapely.from_geojson(r[GEOJSON])
        assert json.loads(r[GEOJSON])["type"] == got.geom_type
        assert shapely.hausdorff_distance(got, shapely.from_wkb(w["geom"])) < 1e-7
    with_batch, _ = view.page(batch_id=q4, columns=("id", "batch_id"))
    assert [r["batch_id"] for r in with_batch] == [r["batch_id"] for r in whole]
    with pytest.raises(ValueError):
        view.page(batch_id=q4, columns=("id", "no_such_column"))


def test_a_first_page_that_holds_the_whole_view_counts_without_a_count_statement(store, q4):
    """numberMatched of a view smaller than the page is the page's length, with no count
    statement; every limit and offset still gives the numbers the counts give."""
    from sqlalchemy import event

    view = MapView(store.engine)
    statements: list[str] = []

    def keep(conn, cursor, statement, params, context, many):  # noqa: ANN001
        statements.append(statement.lower())

    event.listen(store.engine, "before_cursor_execute", keep)
    try:
        rows, matched = view.page(batch_id=q4, limit=10, count_upto=10)
        assert not any("count(" in s for s in statements)
        assert matched == len(rows) == 3
        for limit in (1, 2, 3, 4):
            for offset in (0, 1, 2, 3):
                statements.clear()
                page, n = view.page(batch_id=q4, limit=limit, offset=offset)
                assert n == 3, (limit, offset)
                assert [r["code"] for r in page] == ["C", "D", "A"][offset : offset + limit]
                # Counted only when the first page is full, or for a later page.
                counted = any("count(" in s for s in statements)
                assert counted == (offset > 0 or limit <= 3), (limit, offset)
        _, capped = view.page(batch_id=q4, limit=1, count_upto=1)
        assert capped is None  # more than counted
    finally:
        event.remove(store.engine, "before_cursor_execute", keep)
