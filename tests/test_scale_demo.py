"""The dask-geopandas demonstration (benchmarks/scale_demo.py) gives Tuban's hints exactly."""

from __future__ import annotations

import pyogrio
import pytest

dask_geopandas = pytest.importorskip(
    "dask_geopandas", reason="the scale extra (dask-geopandas, distributed) is not installed"
)
distributed = pytest.importorskip("distributed", reason="the scale extra is not installed")

from benchmarks import make_data, scale_demo  # noqa: E402


@pytest.fixture(scope="module")
def delivery(tmp_path_factory):
    out = tmp_path_factory.mktemp("scale")
    paths = {}
    for kind, frame in make_data.make_references().items():
        paths[kind] = out / f"{kind}.gpkg"
        pyogrio.write_dataframe(frame, paths[kind], layer=kind, driver="GPKG")
    parcels = out / "tuban-3000.gpkg"
    pyogrio.write_dataframe(make_data.make_parcels(3000), parcels, layer="tuban", driver="GPKG")
    return parcels, scale_demo.load_references(paths)


def test_partitioned_hints_match_one_process_compute_hints(delivery):
    path, refs = delivery
    tuban = scale_demo.one_process(path, refs)
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            memory_limit="1GB",
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        run = scale_demo.partitioned(path, refs, client, partitions=2)
    assert run.partitions == 2 and sum(run.rows_per_partition) == 3000
    # Not vacuous: the comparison covers real townships, villages, spans and farmland overlaps.
    assert tuban["village_code"].notna().all()
    assert (tuban["farmland_m2"] > 0).sum() > 100
    assert tuban["villages"].notna().sum() > 50
    assert scale_demo.mismatches(run.hints, tuban) == dict.fromkeys(
        ["missing", *scale_demo.HINT_COLUMNS], 0
    )


def test_a_changed_hint_is_counted_as_a_mismatch(delivery):
    path, refs = delivery
    tuban = scale_demo.one_process(path, refs)
    other = tuban.copy()
    other.loc[0, "village_code"] = "x"
    other.loc[1, "farmland_m2"] = other.loc[1, "farmland_m2"] + 0.02
    other.loc[2, "outside_share"] = 0.5
    other = other.drop(index=3)
    bad = scale_demo.mismatches(other, tuban)
    assert bad["village_code"] == 1 and bad["farmland_m2"] == 1 and bad["missing"] == 1
    assert bad["outside_share"] == (0 if tuban.loc[2, "outside_share"] == 0.5 else 1)
