"""The write stage on its own: the batch's dates are checked before anything is written, and a
stored batch is found again by its file's hash."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest

from geo.errors import InvalidValue
from geo.import_pipeline import read_parcels
from storage.batch_writer import Prepared, find_batch, write_batch
from tests.conftest import NOW


def test_a_batch_due_before_it_is_issued_writes_nothing(store, mining_meta, squares_gpkg):
    bad = dataclasses.replace(mining_meta, due_on=date(2019, 10, 1))
    before = store.counts()
    with pytest.raises(InvalidValue) as exc:
        write_batch(
            store.engine, Prepared(read_parcels(squares_gpkg), bad, "abc", []), actor="t", now=NOW
        )
    assert exc.value.details["field"] == "due_on"
    assert store.counts() == before


def test_the_same_file_again_is_found_and_not_written_twice(store, mining_meta, squares_gpkg):
    assert find_batch(store.engine, "abc", mining_meta) is None
    prepared = Prepared(read_parcels(squares_gpkg), mining_meta, "abc", [])
    row, created = write_batch(store.engine, prepared, actor="t", now=NOW)
    assert created and row["source_sha256"] == "abc" and row["report"]["created"] is True
    assert find_batch(store.engine, "abc", mining_meta) == row
    again, created = write_batch(
        store.engine,
        Prepared(read_parcels(squares_gpkg), mining_meta, "abc", []),
        actor="t",
        now=NOW,
    )
    assert not created and again == row
    other_period = dataclasses.replace(mining_meta, period="2019Q4")
    assert find_batch(store.engine, "abc", other_period) is None
