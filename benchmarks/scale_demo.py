"""Whole-delivery hints on a dask cluster, compared with Tuban's own one-process result.

The path to a nation (docs/scaling.md) runs the overlays of a province-sized delivery on an
existing distributed engine. This is the small runnable demonstration of the one recommended
there, dask-geopandas on ``distributed``: the same GeoPandas/Shapely stack as Tuban, so each
partition's hints are computed by Tuban's own pure function ``geo.hints.compute_hints``; there
is no second implementation to reconcile.

Steps on the cluster (a ``LocalCluster`` of ``--workers`` processes, one thread each: GEOS
prepared geometries must not be shared between threads, see ``geo/prejudge.py``):

1. ``dask_geopandas.read_file`` reads the delivery in ``--partitions`` slices, each worker its
   own; each slice is reprojected to EPSG:4490 and measured (``geo.area.ellipsoidal_area_m2``).
2. ``spatial_shuffle(by="hilbert")`` regroups the 图斑 so each partition covers a compact part
   of the county.
3. The reference layers (read by ``geo.references.read_reference``, as ``tuban ref import``
   reads them) are broadcast once to every worker; each partition keeps only the features whose
   box meets its own extent, townships whole, as ``storage.refs.RefStore.reference_set(bbox)``
   gives an import, and calls ``compute_hints``.

The baseline is Tuban's own result for the same delivery in one process: read, reproject,
measure, ``compute_hints`` over the whole layer. Both are compared 图斑 by 图斑 (township and
village codes equal, ``farmland_m2`` within 0.01 m², shares within 1e-9, every other hint
column equal); the script exits 1 on any mismatch. It prints wall and CPU time of both (the
cluster's CPU is its workers' plus this process's, which runs the scheduler), partitions,
workers, each worker's peak RSS and the load average. Figures, never a test: see
benchmarks/README.md, "Scale demo".

    .venv/bin/python benchmarks/scale_demo.py --n 100000
    .venv/bin/python benchmarks/scale_demo.py --n 1000000 --partitions 16

Needs the ``scale`` extra (``pip install -e '.[scale]'``).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
for p in (ROOT, HERE):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))

import make_data  # noqa: E402

from geo.area import CGCS2000, ellipsoidal_area_m2  # noqa: E402
from geo.hints import HINT_COLUMNS, ReferenceSet, compute_hints  # noqa: E402
from geo.model import Programme  # noqa: E402
from geo.references import RefKind, read_reference  # noqa: E402

CODE = "TBBH"  # the delivery's 图斑编号, unique in make_data's files
PROGRAMME = Programme.LAND.value  # as import_bench imports it; no 采矿权 layer is loaded
FARMLAND_TOL_M2 = 0.01
SHARE_TOL = 1e-9
NUMERIC = {
    "farmland_m2": FARMLAND_TOL_M2,
    "approval_share": SHARE_TOL,
    "facility_share": SHARE_TOL,
    "outside_share": SHARE_TOL,
}
# Layers always used whole, as RefStore.reference_set gives them (the county's boundary is their
# union, and the outside share needs all of it).
WHOLE = (RefKind.TOWNSHIP,)


def load_references(paths: Mapping[str, Path]) -> ReferenceSet:
    """The reference layers as Tuban reads them (ident, label, geometry in EPSG:4490)."""
    layers = {}
    for kind, path in paths.items():
        frame = read_reference(path, kind).frame
        # The attributes are not used by the hints; dropping them keeps the broadcast small.
        layers[RefKind(kind)] = frame[["ident", "label", "geometry"]]
    versions = {k.value: {"name": Path(paths[k.value]).name} for k in layers}
    return ReferenceSet(layers=layers, versions=versions)


def reference_subset(refs: ReferenceSet, bbox: tuple[float, float, float, float]) -> ReferenceSet:
    """The features whose box meets ``bbox``, in their order; ``WHOLE`` kinds entire."""
    minx, miny, maxx, maxy = bbox
    layers = {}
    for kind, frame in refs.layers.items():
        if kind in WHOLE:
            layers[kind] = frame
            continue
        b = shapely.bounds(frame.geometry.to_numpy())
        meets = (b[:, 0] <= maxx) & (b[:, 2] >= minx) & (b[:, 1] <= maxy) & (b[:, 3] >= miny)
        layers[kind] = frame[meets]
    return ReferenceSet(layers=layers, versions=refs.versions)


def _hints(
    codes: np.ndarray, geoms: np.ndarray, area: np.ndarray, refs: ReferenceSet
) -> pd.DataFrame:
    if len(geoms) == 0:
        out = pd.DataFrame({c: pd.Series([], dtype=object) for c in HINT_COLUMNS})
    else:
        sub = reference_subset(refs, tuple(shapely.total_bounds(geoms)))
        out = compute_hints(geoms, area, PROGRAMME, sub)
    out.insert(0, "code", codes)
    return out


def one_process(path: Path, refs: ReferenceSet) -> pd.DataFrame:
    """Tuban's result: read, reproject, measure and ``compute_hints`` over the whole layer."""
    frame = pyogrio.read_dataframe(path, columns=[CODE], use_arrow=True)
    geoms = frame.geometry.to_crs(CGCS2000).to_numpy()
    return _hints(frame[CODE].to_numpy(), geoms, ellipsoidal_area_m2(geoms), refs)


def _measured(part: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    part = part.to_crs(CGCS2000)
    part["area_m2"] = ellipsoidal_area_m2(part.geometry.to_numpy())
    return part


def hints_of_partition(part: gpd.GeoDataFrame, refs: ReferenceSet) -> pd.DataFrame:
    """One partition's hints (its extent picks the reference features), with their codes."""
    return _hints(part[CODE].to_numpy(), part.geometry.to_numpy(), part["area_m2"].to_numpy(), refs)


@dataclass
class ClusterRun:
    """The partitioned hints and how they were computed."""

    hints: pd.DataFrame
    partitions: int
    rows_per_partition: list[int]
    stages: dict[str, tuple[float, float]]  # stage -> (wall s, workers' CPU s)


def partitioned(path: Path, refs: ReferenceSet, client, partitions: int) -> ClusterRun:
    """The same hints computed partition by partition on ``client``'s workers."""
    import dask
    import dask_geopandas
    from distributed import wait

    stages: dict[str, tuple[float, float]] = {}
    clock = [time.perf_counter(), _workers_cpu(client)]

    def lap(stage: str) -> None:
        now, cpu = time.perf_counter(), _workers_cpu(client)
        stages[stage] = (now - clock[0], cpu - clock[1])
        clock[:] = [now, cpu]

    # "geometry" named: with the code alone dask-geopandas infers a plain frame, no geometry.
    raw = dask_geopandas.read_file(path, npartitions=partitions, columns=[CODE, "geometry"])
    # The output's shape given, not inferred: dask would call _measured on made-up rows.
    measured = raw.map_partitions(_measured, meta=_measured(raw._meta)).persist()
    wait(measured)
    lap("read, reproject, area")
    # Hilbert order over the delivery's extent: each partition becomes a compact area, so it
    # meets a fraction of the villages and farmland instead of all of them.
    shuffled = measured.spatial_shuffle(by="hilbert", npartitions=partitions).persist()
    wait(shuffled)
    del measured
    lap("spatial shuffle")
    shared = client.scatter(refs, broadcast=True, hash=False)
    tasks = [dask.delayed(hints_of_partition)(p, shared) for p in shuffled.to_delayed()]
    parts = client.gather(client.compute(tasks))
    lap("references broadcast, hints, gather")
    return ClusterRun(
        hints=pd.concat(parts, ignore_index=True),
        partitions=len(parts),
        rows_per_partition=[len(p) for p in parts],
        stages=stages,
    )


def _numbers(s: pd.Series) -> np.ndarray:
    return pd.to_numeric(s, errors="raise").to_numpy(dtype=float, na_value=np.nan)


def _same_villages(a: object, b: object) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return len(a) == len(b) and all(
        x["code"] == y["code"] and abs(x["share"] - y["share"]) <= SHARE_TOL
        for x, y in zip(a, b, strict=True)
    )


def _differs(a: pd.DataFrame, b: pd.DataFrame, col: str) -> np.ndarray:
    """Where column ``col`` of two frames aligned by code differs beyond its tolerance."""
    if col in NUMERIC:
        x, y = _numbers(a[col]), _numbers(b[col])
        # Values are rounded (0.01 m², 1e-4 share) before they are compared, so two values one
        # rounding unit apart differ by that unit plus the float error of the subtraction.
        tol = NUMERIC[col] + 1e-12 * np.maximum(1.0, np.maximum(np.abs(x), np.abs(y)))
        return ~((np.isnan(x) & np.isnan(y)) | (np.abs(x - y) <= tol))
    pairs = zip(a[col].tolist(), b[col].tolist(), strict=True)
    if col == "villages":
        return np.array([not _same_villages(x, y) for x, y in pairs], dtype=bool)
    return np.array([x != y for x, y in pairs], dtype=bool)


def _aligned(ours: pd.DataFrame, reference: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    a, b = ours.set_index("code"), reference.set_index("code")
    common = b.index.intersection(a.index)
    return a.loc[common], b.loc[common]


def mismatches(ours: pd.DataFrame, reference: pd.DataFrame) -> dict[str, int]:
    """Per hint column, how many 图斑 differ from ``reference`` (matched by code); a 图斑 in
    only one of them counts under ``missing``."""
    out = {"missing": len(pd.Index(ours["code"]).symmetric_difference(reference["code"]))}
    a, b = _aligned(ours, reference)
    for col in HINT_COLUMNS:
        out[col] = int(_differs(a, b, col).sum()) if len(a) else 0
    return out


def examples(ours: pd.DataFrame, reference: pd.DataFrame, col: str, k: int = 3) -> list[str]:
    """Up to ``k`` differing 图斑 of ``col``: code, this value, the reference's value."""
    a, b = _aligned(ours, reference)
    rows = np.flatnonzero(_differs(a, b, col))[:k]
    return [f"{a.index[i]}: {a[col].iat[i]!r} vs {b[col].iat[i]!r}" for i in rows]


# --- measuring -----------------------------------------------------------------------------


def _reset_peak() -> None:
    """Reset this process's VmHWM (Linux), so the next reading is the peak from now on."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass


def _peak_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024 / 1e6
    return float("nan")


def _cpu_s() -> float:
    import psutil

    t = psutil.Process().cpu_times()
    return t.user + t.system


def _workers_cpu(client) -> float:
    return sum(client.run(_cpu_s).values())


def _warm(path: Path) -> None:
    """Read the file once, untimed, so neither run pays for a cold page cache."""
    with path.open("rb") as f:
        while f.read(1 << 24):
            pass


def _load() -> str:
    return " / ".join(f"{v:.2f}" for v in os.getloadavg())


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=100_000, help="图斑 in the delivery (make_data)")
    ap.add_argument("--workers", type=int, default=2, help="worker processes, one thread each")
    ap.add_argument(
        "--partitions", type=int, default=None, help="default: 4 per worker, 1 per 62 500 图斑 more"
    )
    ap.add_argument("--memory-limit", default="6GB", help="per worker (distributed's limit)")
    args = ap.parse_args()
    if not 1 <= args.workers <= 16:
        ap.error("--workers must be 1-16")
    # Several per worker, so the workers finish together (the Hilbert partitions differ in size).
    partitions = args.partitions or max(4 * args.workers, -(-args.n // 62_500))

    from distributed import Client, LocalCluster

    path = make_data.parcels_path(args.n)
    if not path.exists():
        sys.exit(f"{path} is missing: run benchmarks/make_data.py --n {args.n} first")
    refs = load_references({k: make_data.REF_PATHS[k] for k in ("township", "village", "farmland")})
    print(f"delivery {path.name}, {pyogrio.read_info(path)['features']} 图斑; load {_load()}")
    _warm(path)

    _reset_peak()
    w0, c0 = time.perf_counter(), time.process_time()
    tuban = one_process(path, refs)
    one_wall, one_cpu = time.perf_counter() - w0, time.process_time() - c0
    one_peak = _peak_mb()
    print(f"one process: {one_wall:.2f} s wall, {one_cpu:.2f} s CPU, peak RSS {one_peak:.0f} MB")
    print(f"load {_load()}")

    s0 = time.perf_counter()
    with (
        LocalCluster(
            n_workers=args.workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            memory_limit=args.memory_limit,
        ) as cluster,
        Client(cluster) as client,
    ):
        started = time.perf_counter() - s0
        client.run(_reset_peak)
        cpu_before = client.run(_cpu_s)
        w0, c0 = time.perf_counter(), time.process_time()
        run = partitioned(path, refs, client, partitions)
        wall, own_cpu = time.perf_counter() - w0, time.process_time() - c0
        cpu_after = client.run(_cpu_s)
        peaks = client.run(_peak_mb)
    workers_cpu = sum(cpu_after[w] - cpu_before[w] for w in cpu_after)
    cpu = workers_cpu + own_cpu
    print(f"cluster: {args.workers} workers x 1 thread, started in {started:.2f} s (not counted)")
    print(
        f"dask-geopandas: {wall:.2f} s wall, {cpu:.2f} s CPU ({workers_cpu:.2f} workers + "
        f"{own_cpu:.2f} client/scheduler), {run.partitions} partitions of "
        f"{min(run.rows_per_partition)}-{max(run.rows_per_partition)} 图斑"
    )
    for stage, (s, c) in run.stages.items():
        print(f"  {stage}: {s:.2f} s wall, {c:.2f} s workers' CPU")
    print("  peak RSS per worker: " + ", ".join(f"{v:.0f} MB" for v in peaks.values()))
    print(f"dask / one process: wall {wall / one_wall:.2f}, CPU {cpu / one_cpu:.2f}")
    print(f"load {_load()}")

    bad = mismatches(run.hints, tuban)
    total = sum(bad.values())
    print(f"mismatches: {total} " + str({k: v for k, v in bad.items() if v} or "(none)"))
    for col in (c for c, v in bad.items() if v and c != "missing"):
        for line in examples(run.hints, tuban, col):
            print(f"  {col} {line}")
    return 1 if total else 0


if __name__ == "__main__":
    sys.exit(main())
