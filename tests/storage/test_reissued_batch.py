"""A batch that re-issues earlier 图斑 counts them: its listed count and area, and its report."""

from __future__ import annotations

import pytest

from geo.model import Programme
from storage.engine import migrate
from storage.imports import import_file
from tests.conftest import NOW
from tests.storage.test_linking_and_hints import layer, meta
from tests.storage.test_migrations import _downgrade

SQUARES = [("A", (0, 0, 100, 100)), ("B", (500, 0, 600, 100)), ("C", (1000, 0, 1100, 100))]


def _area(store, batch_id):
    return sum(f["area_m2"] for f in store.features(batch_id))


def test_a_batch_of_only_reissued_tuban_lists_them_and_their_area(store, tmp_path):
    q3 = layer(tmp_path, "q3.gpkg", SQUARES)
    b3, _ = import_file(store, q3, meta(), actor="t", now=NOW)
    # The province sends the same three 图斑 again next quarter, under new codes.
    again = [(f"{code}-2", box) for code, box in SQUARES]
    b4, _ = import_file(store, layer(tmp_path, "q4.gpkg", again), meta(period="2019Q4"),
                        actor="t", now=NOW)  # fmt: skip
    [listed] = [b for b in store.list_batches() if b["id"] == b4["id"]]
    assert listed["feature_count"] == 3 and listed["new_cases"] == 0
    assert listed["area_m2"] == pytest.approx(_area(store, b4["id"]))
    assert listed["area_m2"] == pytest.approx(b3["area_m2"], rel=1e-3)  # about 3 × 1 公顷
    report = b4["report"]
    assert report["imported"] == 3 and report["reissued"] == 3
    assert store.counts()["cases"] == 3  # one case per 图斑, however often issued


def test_a_mixed_batch_counts_new_and_reissued_and_keeps_them_apart(store, tmp_path):
    import_file(store, layer(tmp_path, "q3.gpkg", SQUARES[:2]), meta(), actor="t", now=NOW)
    rows = [
        ("A", (0, 0, 100, 100)),  # re-issued by code
        ("D", (3000, 0, 3200, 100)),  # new, 2 公顷
        ("D", (3000, 0, 3200, 100)),  # the same row twice in the file: one 图斑
    ]
    b4, _ = import_file(store, layer(tmp_path, "q4.gpkg", rows), meta(period="2019Q4"),
                        actor="t", now=NOW)  # fmt: skip
    assert b4["feature_count"] == len(store.features(b4["id"])) == 2
    assert b4["new_cases"] == 1
    assert b4["area_m2"] == pytest.approx(_area(store, b4["id"]))
    assert (b4["report"]["imported"], b4["report"]["reissued"]) == (2, 1)


def test_the_report_page_shows_new_and_reissued(store, tmp_path):
    from geo.report import ImportReport

    import_file(store, layer(tmp_path, "q3.gpkg", SQUARES), meta(), actor="t", now=NOW)
    b4, _ = import_file(store, layer(tmp_path, "q4.gpkg", SQUARES), meta(period="2019Q4"),
                        actor="t", now=NOW)  # fmt: skip
    page = ImportReport.from_dict(b4["report"]).to_html()
    assert "<th>导入图斑</th><td>3</td>" in page
    assert "<th>其中重复下发（并入已有案件）</th><td>3</td>" in page
    assert "<th>新建图斑案件</th><td>0</td>" in page


def test_another_programme_on_the_same_site_is_new_to_its_batch(store, tmp_path):
    import_file(store, layer(tmp_path, "ks.gpkg", SQUARES[:1]), meta(), actor="t", now=NOW)
    bt, _ = import_file(store, layer(tmp_path, "td.gpkg", SQUARES[:1]), meta(Programme.LAND),
                        actor="t", now=NOW)  # fmt: skip
    assert (bt["feature_count"], bt["new_cases"], bt["report"]["reissued"]) == (1, 1, 0)


def test_migration_0013_recounts_batches_stored_before_it(store, tmp_path):
    import_file(store, layer(tmp_path, "q3.gpkg", SQUARES), meta(), actor="t", now=NOW)
    b4, _ = import_file(store, layer(tmp_path, "q4.gpkg", SQUARES), meta(period="2019Q4"),
                        actor="t", now=NOW)  # fmt: skip
    _downgrade(store.engine, "0012_api_key_edit")  # as the earlier importer left it
    old = store.get_batch(b4["id"])
    assert old["feature_count"] == 3 and old["area_m2"] == 0.0
    assert old["report"]["imported"] == 0 and "reissued" not in old["report"]
    migrate(store.engine)
    now = store.get_batch(b4["id"])
    assert now["feature_count"] == 3 and now["area_m2"] == pytest.approx(b4["area_m2"])
    assert (now["report"]["imported"], now["report"]["reissued"]) == (3, 3)
