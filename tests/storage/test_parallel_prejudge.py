"""In-file duplicates and hints computed by worker processes match the one-process path, and a
failing or killed worker stops the import with nothing stored and no process left behind."""

from __future__ import annotations

import os
import signal
from datetime import date
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely import affinity, box

import geo.prejudge
from geo.batch import BatchMeta
from geo.hints import compute_hints
from geo.import_pipeline import read_parcels
from geo.linking import duplicates_in_file
from geo.model import Programme
from geo.prejudge import Prejudge, WorkerFailed, prejudge
from runtime.settings import Settings
from storage.imports import import_file, import_reference
from storage.refs import RefStore
from tests import factories
from tests.conftest import NOW

X, Y = factories.FENGRUN_X, factories.FENGRUN_Y
N = 1500  # the worker threshold is lowered below this, so the test stays quick


def meta(period: str = "2019Q3") -> BatchMeta:
    return BatchMeta(
        Programme.MINING, period, "河北省自然资源厅", date(2019, 10, 15), date(2019, 11, 30)
    )


def parcels_file(tmp_path: Path, n: int = N) -> Path:
    """Rotated rectangles packed into 3 × 3 km: many overlap, some nearly repeat an earlier one
    under a new code, some reuse an earlier code, many cross village boundaries."""
    rng = np.random.default_rng(7)
    cx, cy = X + rng.uniform(0, 3000, n), Y + rng.uniform(0, 3000, n)
    w, h, turn = rng.uniform(20, 150, n), rng.uniform(20, 150, n), rng.uniform(0, 90, n)
    geoms = [
        affinity.rotate(box(x - a / 2, y - b / 2, x + a / 2, y + b / 2), t)
        for x, y, a, b, t in zip(cx, cy, w, h, turn, strict=True)
    ]
    codes = [f"130208KS2019Q3{i:05d}" for i in range(n)]
    for i in range(10, n, 40):
        geoms[i] = affinity.translate(geoms[int(rng.integers(0, i))], 3.0, 2.0)
    for i in range(25, n, 97):
        codes[i] = codes[int(rng.integers(0, i))]
    f = gpd.GeoDataFrame({"TBBH": codes, "XZQDM": ["130208"] * n}, geometry=geoms, crs=4527)
    return factories.write(f, tmp_path / "parcels.gpkg")


def load_references(store, tmp_path: Path) -> None:
    """Three townships of three 1 km villages each, farmland squares, and round permits,
    approvals and facility areas, imported as reference layers."""
    rng = np.random.default_rng(11)

    def blobs(k: int, lo: float, hi: float) -> list:
        x, y, r = X + rng.uniform(0, 3000, k), Y + rng.uniform(0, 3000, k), rng.uniform(lo, hi, k)
        return [shapely.Point(a, b).buffer(c, 8) for a, b, c in zip(x, y, r, strict=True)]

    cells = [(i, j) for j in range(3) for i in range(3)]
    farm = [
        box(X + i * 100, Y + j * 100, X + i * 100 + 60, Y + j * 100 + 60)
        for i in range(0, 30, 2)
        for j in range(0, 30, 3)
    ]
    layers = {
        "township": (
            {"XZQDM": [f"130208{j:03d}" for j in range(3)], "XZQMC": ["甲镇", "乙镇", "丙镇"]},
            [box(X, Y + j * 1000, X + 3000, Y + j * 1000 + 1000) for j in range(3)],
        ),
        "village": (
            {
                "ZLDWDM": [f"130208{j:03d}{i:03d}0000000" for i, j in cells],
                "ZLDWMC": [f"村{k}" for k in range(len(cells))],
            },
            [box(X + i * 1e3, Y + j * 1e3, X + i * 1e3 + 1e3, Y + j * 1e3 + 1e3) for i, j in cells],
        ),
        "farmland": ({"JBNTTBBH": [f"JB{k}" for k in range(len(farm))]}, farm),
        "mining_permit": ({"XKZH": [f"C{k}" for k in range(40)]}, blobs(40, 50, 250)),
        "approval": ({"PZWH": [f"PZ{k}" for k in range(40)]}, blobs(40, 50, 200)),
        "facility_farmland": ({"BABH": [f"BA{k}" for k in range(30)]}, blobs(30, 30, 120)),
    }
    for kind, (fields, geoms) in layers.items():
        f = gpd.GeoDataFrame(fields, geometry=geoms, crs=4527)
        path = factories.write(f, tmp_path / f"{kind}.gpkg")
        import_reference(store, path, kind, name=kind, version="2019", actor="t", now=NOW)


@pytest.fixture
def few_rows(monkeypatch):
    """Let a small file go to the workers."""
    monkeypatch.setattr(geo.prejudge, "PARALLEL_MIN_ROWS", 100)


def children() -> list[int]:
    pids = []
    for task in os.listdir("/proc/self/task"):
        with open(f"/proc/self/task/{task}/children") as fh:
            pids += [int(p) for p in fh.read().split()]
    return pids


@pytest.fixture
def new_children():
    """Child processes started during the test and still there (other tests' servers, started
    before it, are not counted)."""
    before = set(children())
    return lambda: sorted(set(children()) - before)


def test_workers_give_the_same_duplicates_and_hints(new_children, store, tmp_path, few_rows):
    load_references(store, tmp_path)
    layer = read_parcels(parcels_file(tmp_path))
    f = layer.frame
    refs = RefStore(store.engine).reference_set(layer.bounds)
    args = (f["code"].to_numpy(), f.geometry.to_numpy(), f["area_m2"].to_numpy(), "mining", refs)
    one = prejudge(*args, workers=1)
    two = prejudge(*args, workers=2)
    three = prejudge(*args, workers=3)
    assert (one.workers, two.workers, three.workers) == (0, 2, 3)
    # The one-process path is the plain functions.
    want_dup, want_why = duplicates_in_file(args[0], args[1])
    assert one.dup_of.tolist() == want_dup.tolist() and one.why == want_why
    pd.testing.assert_frame_equal(one.hints, compute_hints(*args[1:]))
    for other in (two, three):
        assert other.dup_of.tolist() == one.dup_of.tolist() and other.why == one.why
        pd.testing.assert_frame_equal(other.hints, one.hints)
    # The data exercise every kind of result, so equality means something.
    assert {"same_code", "overlap"} <= set(one.why)
    h = one.hints
    assert h["villages"].notna().sum() > 50  # 图斑 over several villages
    assert (h["farmland_m2"] > 0).sum() > 50
    assert {"inside", "partly_outside", "outside"} <= set(h["permit_relation"])
    assert (h["approval_share"] > 0).sum() > 20 and (h["facility_share"] > 0).sum() > 10
    assert (h["outside_share"] > 0).sum() > 10  # past the townships' north and east edges
    assert new_children() == []


def test_import_with_workers_stores_what_one_process_would(new_children, store, tmp_path, few_rows):
    load_references(store, tmp_path)
    path = parcels_file(tmp_path)
    serial = read_parcels(path)  # duplicates found inside, as before
    sf = serial.frame
    refs = RefStore(store.engine).reference_set(serial.bounds)
    want_hints = compute_hints(sf.geometry.to_numpy(), sf["area_m2"].to_numpy(), "mining", refs)
    batch, created = import_file(store, path, meta(), actor="t", now=NOW, workers=2)
    assert created and new_children() == []
    report = batch["report"]
    assert report["links"] == serial.report.links and len(report["links"]) > 30
    assert batch["new_cases"] == int((sf["dup_of"] < 0).sum())
    feats = {f["code"]: f for f in store.features(batch["id"])}
    firsts = sf[sf["dup_of"] < 0]
    for i in firsts.index[::37]:
        got = feats[sf.at[i, "code"]]
        for col in ("township_code", "village_code", "permit_relation", "approval_ids"):
            want = want_hints.at[i, col]
            assert got[col] == (None if pd.isna(want) else want), (i, col)


def test_a_failing_worker_stops_the_import_and_stores_nothing(
    new_children, store, tmp_path, few_rows, monkeypatch
):
    load_references(store, tmp_path)
    before = store.counts()

    def broken(*a, **k):
        raise ValueError("预判出错（测试）")

    monkeypatch.setattr(geo.prejudge, "compute_hints", broken)  # inherited by the forked workers
    with pytest.raises(ValueError, match="预判出错"):
        import_file(store, parcels_file(tmp_path), meta(), actor="t", now=NOW, workers=2)
    assert store.counts() == before
    assert new_children() == []


def test_a_killed_worker_is_a_clear_error_and_stores_nothing(
    new_children, store, tmp_path, few_rows, monkeypatch
):
    load_references(store, tmp_path)
    before = store.counts()

    def killed(*a, **k):
        os.kill(os.getpid(), signal.SIGKILL)

    monkeypatch.setattr(geo.prejudge, "compute_hints", killed)
    with pytest.raises(WorkerFailed, match="TUBAN_IMPORT_WORKERS=1"):
        import_file(store, parcels_file(tmp_path), meta(), actor="t", now=NOW, workers=2)
    assert store.counts() == before
    assert new_children() == []


def test_the_setting_turns_workers_off(store, tmp_path, few_rows, monkeypatch):
    monkeypatch.delenv("TUBAN_IMPORT_WORKERS", raising=False)
    assert Settings().import_workers is None
    assert Prejudge("mining", workers=None).workers == min(2, os.cpu_count() or 1)
    monkeypatch.setenv("TUBAN_IMPORT_WORKERS", "1")
    workers = Settings().import_workers
    assert workers == 1
    seen = []
    real = geo.prejudge.compute_hints

    def spy(*a, **k):
        seen.append(os.getpid())
        return real(*a, **k)

    monkeypatch.setattr(geo.prejudge, "compute_hints", spy)
    batch, _ = import_file(
        store, parcels_file(tmp_path), meta(), actor="t", now=NOW, workers=workers
    )
    assert seen == [os.getpid()]  # computed here, not in a worker
    assert batch["report"]["read"] == N
    monkeypatch.setenv("TUBAN_IMPORT_WORKERS", "two")
    with pytest.raises(ValueError, match="TUBAN_IMPORT_WORKERS"):
        Settings()


def test_small_files_stay_in_one_process():
    g = np.array([box(0, 0, 1, 1), box(0.05, 0, 1.05, 1)])
    from geo.hints import ReferenceSet

    r = prejudge(np.array(["A", "B"]), g, np.array([1.0, 1.0]), "land", ReferenceSet(), workers=2)
    assert r.workers == 0 and r.dup_of.tolist() == [-1, 0]
