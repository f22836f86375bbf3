"""A large batch is converted and written a slice at a time (to bound an import's memory): every
stored row must still carry exactly its own 图斑's values, whatever the slice boundaries."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from sqlalchemy import select

import storage.batch_writer as writer_module
from geo.hints import compute_hints
from geo.import_pipeline import read_parcels
from storage.imports import import_file
from storage.refs import RefStore
from storage.tables import cases, reissues
from tests import factories
from tests.conftest import NOW
from tests.storage.test_parallel_prejudge import load_references, meta, parcels_file


@pytest.mark.parametrize("chunk", [7, 1000])
def test_rows_written_in_slices_hold_their_own_values(store, tmp_path, monkeypatch, chunk):
    monkeypatch.setattr(writer_module, "WRITE_CHUNK", chunk)
    load_references(store, tmp_path)
    src = gpd.read_file(parcels_file(tmp_path, n=300))
    # A delivered 前时相地类 on some rows, missing on others, and a Chinese attribute.
    src["QSXDL"] = [("0103" if i % 3 else None) for i in range(len(src))]
    src["BZ"] = [f"备注{i}" for i in range(len(src))]
    path = factories.write(src, tmp_path / "with_attrs.gpkg")
    want = read_parcels(path).frame  # the one-process reading, duplicates included
    refs = RefStore(store.engine).reference_set(tuple(want.total_bounds))
    hints = compute_hints(want.geometry.to_numpy(), want["area_m2"].to_numpy(), "mining", refs)

    batch, created = import_file(store, path, meta(), actor="t", now=NOW, workers=1)
    assert created
    with store.engine.connect() as conn:
        stored = pd.DataFrame(
            [dict(r._mapping) for r in conn.execute(select(cases).order_by(cases.c.id))]
        )
        again = pd.DataFrame(
            [dict(r._mapping) for r in conn.execute(select(reissues).order_by(reissues.c.id))]
        )
    firsts = want[want["dup_of"] < 0]
    assert len(stored) == len(firsts) and len(again) == len(want) - len(firsts) > 5
    stored = stored.set_index("code").loc[firsts["code"]]
    assert stored["xzqdm"].tolist() == firsts["xzqdm"].tolist()
    assert [_parsed(a) for a in stored["attributes"]] == [
        json.loads(a) for a in firsts["attributes"]
    ]
    assert np.allclose(stored["area_m2"], firsts["area_m2"])
    assert shapely.equals_exact(
        shapely.from_wkb(stored["geom"].tolist()), firsts.geometry.to_numpy()
    ).all()
    assert _plain(stored["delivered_land_class"]) == _plain(firsts["delivered_land_class"])
    with store.engine.connect() as conn:
        nulls = conn.execute(select(cases.c.id).where(cases.c.delivered_land_class.is_(None))).all()
    assert 50 < len(nulls) < len(firsts) - 100  # stored as NULL, not as text
    h = hints.loc[firsts.index]
    for col in ("township_code", "village_code", "permit_relation", "approval_ids"):
        assert _plain(stored[col]) == _plain(h[col]), col
    assert [_parsed(v) for v in stored["villages"]] == [
        None if v is None else json.loads(json.dumps(v)) for v in h["villages"]
    ]
    # Each in-file duplicate joins the case of the row it repeats.
    case_of_code = dict(zip(stored.index, stored["id"], strict=True))
    dups = want[want["dup_of"] >= 0]
    root = dups["dup_of"].to_numpy()
    while (want["dup_of"].to_numpy()[root] >= 0).any():
        root = np.where(want["dup_of"].to_numpy()[root] >= 0, want["dup_of"].to_numpy()[root], root)
    expected = [case_of_code[c] for c in want["code"].to_numpy()[root]]
    assert again["case_id"].tolist() == expected
    assert again["code"].tolist() == dups["code"].tolist()


def _plain(col: pd.Series) -> list:
    """Values with every kind of missing (None, NaN, pd.NA) as None."""
    return [None if pd.isna(v) else v for v in col.astype(object)]


def _parsed(value):  # type: ignore[no-untyped-def]
    """A JSON column as the backend returns it: text on SQLite, parsed on PostgreSQL."""
    return json.loads(value) if isinstance(value, str) else value
