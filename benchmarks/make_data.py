"""Seeded synthetic inputs for the import benchmark, written to ``benchmarks/out/``.

* ``tuban-<n>.gpkg`` (layer ``tuban``): ``n`` 图斑 in EPSG:4527 (CGCS2000 3-degree GK zone 39,
  zone-prefixed eastings) with TBBH (unique), XZQDM, BHLX (Chinese text) and JCMJ (plane area
  m²). Irregular star-shaped polygons of 8-16 vertices, 0.05-3 ha (log-uniform), centres
  uniform over a 40 x 40 km county around Fengrun (118.10E 39.83N). About 0.5 % straddle the
  county edge.
* ``townships.gpkg`` (~20, XZQDM/XZQMC), ``villages.gpkg`` (500, ZLDWDM/ZLDWMC) and
  ``farmland.gpkg`` (20 000 永久基本农田 patches, JBNTTBBH/DLBM), in EPSG:4490. Villages are a
  Voronoi tiling of the county box; each township is the union of the villages whose seed is
  nearest its own seed, so the two levels nest. Farmland patches are Voronoi cells of 40 000
  seeds (every other one kept), shrunk by 3 m so none overlap, with edges split every 25 m.

Note on density: 1 000 000 图斑 of 0.05-3 ha (mean ~0.72 ha) cover ~4.5 times the 1 600 km²
county, so at 1M they overlap each other heavily (at 100k they cover ~45 %). That is what the
specification asks for (layout ``scatter``, the default); ``--summary`` prints how much they
overlap. ``--layout tiled`` (``tuban-<n>-tiled.gpkg``) gives the same count with no overlaps,
one 图斑 per grid cell, which caps their size (all ~0.05 ha at 1M).

A province-like delivery (``--counties K``, for the 10M import): K counties of ``n`` 图斑 each,
laid on a grid five counties wide (each 1.05 county widths from the next), every county with
its own code (唐山市's real county codes, 丰润 130208 first), its own seeded 图斑 and its own
townships, villages and farmland, so hints do the same work per 图斑 as in one county and no
图斑 falls outside the reference layers. County 0 is the one-county data above, bit for bit.
Files ``province-<K>x<n>.gpkg`` and ``province-<K>-{townships,villages,farmland}.gpkg``; each
county is generated and appended in turn, so memory follows one county, not the province.

Everything is vectorised shapely; outputs are cached (a file that exists is not rebuilt).

    .venv/bin/python benchmarks/make_data.py --n 100000 [--n 1000000] [--layout tiled] [--summary]
    .venv/bin/python benchmarks/make_data.py --n 1000000 --counties 10     # 10M, ~4 min
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import shapely
from pyproj import Transformer

OUT = Path(__file__).resolve().parent / "out"
SEED = 20240801
CENTRE_LONLAT = (118.10, 39.83)  # 丰润区
HALF = 20_000.0  # county box half-side, metres
SRC_CRS = "EPSG:4527"  # CGCS2000 / 3-degree Gauss-Kruger zone 39 (zone-prefixed)
REF_CRS = "EPSG:4490"
COUNTY = "130208"
# 唐山市's counties, 丰润 first: the codes of a province-like delivery's counties, in order.
COUNTIES = (
    "130208", "130207", "130209", "130224", "130225", "130227", "130229",
    "130281", "130283", "130284", "130202", "130203", "130204", "130205",
)  # fmt: skip
GRID_COLUMNS = 5  # counties per row of the province grid
N_TOWNSHIPS = 20
N_VILLAGES = 500
N_FARMLAND = 20_000

TOWNSHIP_NAMES = [
    "丰润镇", "任各庄镇", "左家坞镇", "泉河头镇", "王官营镇", "火石营镇", "新军屯镇",
    "小张各庄镇", "丰登坞镇", "李钊庄镇", "白官屯镇", "石各庄镇", "沙流河镇", "七树庄镇",
    "杨官林镇", "银城铺镇", "常庄镇", "姜家营乡", "欢喜庄乡", "刘家营乡",
]  # fmt: skip
_VILLAGE_A = ["东", "西", "南", "北", "前", "后", "大", "小"]
_VILLAGE_B = ["王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "孙", "马"]
_VILLAGE_C = ["家庄", "各庄", "官营", "店", "屯", "坨", "铺", "寨"]
BHLX = ["新增建设用地", "新增推填土", "新增采矿用地", "新增设施农用地", "耕地变园林", "其他变化"]
DLBM = ["0101", "0102", "0103"]  # 水田, 水浇地, 旱地


def county_box(k: int = 0) -> tuple[float, float, float, float]:
    """County ``k``'s box in EPSG:4527 metres (0: 丰润; others on the province grid)."""
    x, y = Transformer.from_crs(REF_CRS, SRC_CRS, always_xy=True).transform(*CENTRE_LONLAT)
    step = 2 * HALF * 1.05
    x, y = x + (k % GRID_COLUMNS) * step, y + (k // GRID_COLUMNS) * step
    return x - HALF, y - HALF, x + HALF, y + HALF


def _seed(base: list[int], k: int) -> list[int]:
    """County 0 keeps the one-county seeds (so its data is the one-county file's)."""
    return base if k == 0 else [*base, 1000 + k]


LAYOUTS = ("scatter", "tiled")


def parcels_path(n: int, layout: str = "scatter") -> Path:
    return OUT / (f"tuban-{n}.gpkg" if layout == "scatter" else f"tuban-{n}-{layout}.gpkg")


REF_PATHS = {
    "township": OUT / "townships.gpkg",
    "village": OUT / "villages.gpkg",
    "farmland": OUT / "farmland.gpkg",
}


def _write(frame: gpd.GeoDataFrame, path: Path, layer: str) -> None:
    """Write atomically (temp name, then rename) so an interrupted run leaves no half file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.stem + ".tmp" + path.suffix)
    tmp.unlink(missing_ok=True)
    pyogrio.write_dataframe(frame, tmp, layer=layer, driver="GPKG", use_arrow=True)
    os.replace(tmp, path)


def _voronoi(seeds: np.ndarray, box: shapely.Geometry) -> np.ndarray:
    """Voronoi cells of ``seeds`` clipped to ``box``, in seed order."""
    cells = shapely.get_parts(
        shapely.voronoi_polygons(shapely.multipoints(seeds), extend_to=box, ordered=True)
    )
    return shapely.intersection(cells, box)


def _codes(n: int, county: str = COUNTY) -> np.ndarray:
    """Unique 图斑编号: county code, programme, period, 7-digit serial."""
    return np.char.add(f"{county}WP2024Q1", np.char.zfill(np.arange(1, n + 1).astype(str), 7))


def make_parcels(n: int, seed: int = SEED, layout: str = "scatter", k: int = 0) -> gpd.GeoDataFrame:
    """``n`` irregular, star-shaped 图斑 (always valid) in EPSG:4527.

    ``scatter`` (the specification): centres uniform over the county, 0.05-3 ha, so they
    overlap where dense. ``tiled``: no two overlap; each lies in its own cell of a grid over the
    county, so its size is capped by the cell (at 1M every one is ~0.05 ha, at 100k <= ~0.5 ha).
    """
    rng = np.random.default_rng(_seed([seed, n] if layout == "scatter" else [seed, n, 1], k))
    county = COUNTIES[k]
    minx, miny, maxx, maxy = county_box(k)
    vertices = rng.integers(8, 17, n)  # vertices per ring
    area = np.exp(rng.uniform(np.log(500.0), np.log(30_000.0), n))  # 0.05-3 ha, log-uniform
    if layout == "scatter":
        cx = rng.uniform(minx + 50, maxx - 50, n)
        cy = rng.uniform(miny + 50, maxy - 50, n)
        reach = np.full(n, np.inf)
    else:
        m = int(np.ceil(np.sqrt(n)))
        side = (maxx - minx) / m
        cell = rng.permutation(m * m)[:n]
        cx = minx + (cell % m + 0.5 + rng.uniform(-0.1, 0.1, n)) * side
        cy = miny + (cell // m + 0.5 + rng.uniform(-0.1, 0.1, n)) * side
        reach = np.full(n, 0.38 * side)  # jitter + reach < half a cell: no overlap
    geoms = np.empty(n, dtype=object)
    for kk in range(8, 17):
        idx = np.flatnonzero(vertices == kk)
        m = len(idx)
        step = 2 * np.pi / kk
        theta = (
            rng.uniform(0, 2 * np.pi, (m, 1))
            + np.arange(kk) * step
            + rng.uniform(-0.35, 0.35, (m, kk)) * step
        )  # strictly increasing: a star-shaped, hence simple, ring
        r = rng.uniform(0.55, 1.0, (m, kk))
        x, y = r * np.cos(theta), r * np.sin(theta)
        unit = 0.5 * np.abs(np.sum(x * np.roll(y, -1, 1) - np.roll(x, -1, 1) * y, axis=1))
        s = np.minimum(np.sqrt(area[idx] / unit), reach[idx] / r.max(axis=1))[:, None]
        coords = np.stack([cx[idx, None] + s * x, cy[idx, None] + s * y], axis=-1)
        geoms[idx] = shapely.polygons(np.round(coords, 3))
    jcmj = np.round(shapely.area(geoms), 2)
    return gpd.GeoDataFrame(
        {
            "TBBH": _codes(n, county),
            "XZQDM": np.full(n, county, dtype=object),
            "BHLX": np.asarray(BHLX, dtype=object)[rng.integers(0, len(BHLX), n)],
            "JCMJ": jcmj,
        },
        geometry=geoms,
        crs=SRC_CRS,
    )


def make_references(seed: int = SEED, k: int = 0) -> dict[str, gpd.GeoDataFrame]:
    """County ``k``'s townships, villages and farmland in EPSG:4490 (built in EPSG:4527
    metres)."""
    rng = np.random.default_rng(_seed([seed, 1], k))
    county = COUNTIES[k]
    minx, miny, maxx, maxy = county_box(k)
    box = shapely.box(minx, miny, maxx, maxy)
    lo, hi = np.array([minx, miny]), np.array([maxx, maxy])

    vseeds = rng.uniform(lo, hi, (N_VILLAGES, 2))
    villages = _voronoi(vseeds, box)
    tseeds = rng.uniform(lo + 2000, hi - 2000, (N_TOWNSHIPS, 2))
    town_of = np.argmin(((vseeds[:, None, :] - tseeds[None, :, :]) ** 2).sum(-1), axis=1)
    present = np.unique(town_of)  # a township seed nearest no village seed is dropped
    towns = np.array([shapely.union_all(villages[town_of == t]) for t in present], dtype=object)
    town_code = {t: f"{county}{i + 1:03d}" for i, t in enumerate(present)}
    vnames = [a + b + c for a in _VILLAGE_A for b in _VILLAGE_B for c in _VILLAGE_C]
    vnames = np.asarray(vnames, dtype=object)[rng.permutation(len(vnames))[:N_VILLAGES]] + "村"
    within = np.zeros(N_VILLAGES, int)
    vcode = []
    for t in town_of:
        within[t] += 1
        vcode.append(f"{town_code[t]}{within[t]:03d}0000000")  # 19-digit 坐落单位代码

    fseeds = rng.uniform(lo, hi, (2 * N_FARMLAND, 2))
    fcells = _voronoi(fseeds, box)[rng.permutation(2 * N_FARMLAND)[:N_FARMLAND]]
    farmland = shapely.segmentize(shapely.buffer(fcells, -3.0, join_style="mitre"), 25.0)

    def frame(data: dict, geoms: np.ndarray) -> gpd.GeoDataFrame:
        return gpd.GeoDataFrame(data, geometry=geoms, crs=SRC_CRS).to_crs(REF_CRS)

    return {
        "township": frame(
            {
                "XZQDM": [town_code[t] for t in present],
                "XZQMC": [TOWNSHIP_NAMES[i % len(TOWNSHIP_NAMES)] for i in range(len(present))],
            },
            towns,
        ),
        "village": frame({"ZLDWDM": vcode, "ZLDWMC": vnames}, villages),
        "farmland": frame(
            {
                "JBNTTBBH": [f"{county}{i:07d}" for i in range(1, N_FARMLAND + 1)],
                "DLBM": np.asarray(DLBM, dtype=object)[rng.integers(0, 3, N_FARMLAND)],
            },
            farmland,
        ),
    }


def ensure(n: int, *, quiet: bool = False, layout: str = "scatter") -> dict[str, Path]:
    """Build whatever is missing; return the paths (parcels under key "parcels")."""
    say = (lambda *a: None) if quiet else (lambda *a: print(*a, file=sys.stderr))
    if not all(p.exists() for p in REF_PATHS.values()):
        t0 = time.perf_counter()
        for kind, frame in make_references().items():
            _write(frame, REF_PATHS[kind], kind)
        say(f"reference layers written in {time.perf_counter() - t0:.1f} s")
    path = parcels_path(n, layout)
    if not path.exists():
        t0 = time.perf_counter()
        frame = make_parcels(n, layout=layout)
        t1 = time.perf_counter()
        _write(frame, path, "tuban")
        say(
            f"{n} 图斑 generated in {t1 - t0:.1f} s, written in {time.perf_counter() - t1:.1f} s"
            f" ({path.stat().st_size / 1e6:.0f} MB)"
        )
    return {**REF_PATHS, "parcels": path}


def province_paths(counties: int, n: int) -> dict[str, Path]:
    """The files of a province-like delivery: K counties of ``n`` 图斑 each."""
    refs = {k: OUT / f"province-{counties}-{p.name}" for k, p in REF_PATHS.items()}
    return {**refs, "parcels": OUT / f"province-{counties}x{n}.gpkg"}


def ensure_province(counties: int, n: int, *, quiet: bool = False) -> dict[str, Path]:
    """Build the province's files if missing, a county at a time (appended to a temporary
    file each, renamed when whole, so an interrupted run leaves no half file)."""
    if not 1 <= counties <= len(COUNTIES):
        raise SystemExit(f"--counties must be 1-{len(COUNTIES)} (唐山市's counties)")
    say = (lambda *a: None) if quiet else (lambda *a: print(*a, file=sys.stderr))
    paths = province_paths(counties, n)
    layers = {"township": "township", "village": "village", "farmland": "farmland"}
    todo = [kind for kind in (*layers, "parcels") if not paths[kind].exists()]
    if not todo:
        return paths
    tmp = {kind: paths[kind].with_name(paths[kind].stem + ".tmp.gpkg") for kind in todo}
    for t in tmp.values():
        t.parent.mkdir(parents=True, exist_ok=True)
        t.unlink(missing_ok=True)
    t0 = time.perf_counter()
    for k in range(counties):
        if any(kind in tmp for kind in layers):
            for kind, frame in make_references(k=k).items():
                if kind in tmp:
                    # A township (a union of villages) may be in parts: the layer is typed
                    # by the first county written, so make every county's multi.
                    pyogrio.write_dataframe(
                        frame,
                        tmp[kind],
                        layer=kind,
                        driver="GPKG",
                        append=k > 0,
                        promote_to_multi=True,
                    )
        if "parcels" in tmp:
            frame = make_parcels(n, k=k)
            pyogrio.write_dataframe(
                frame, tmp["parcels"], layer="tuban", driver="GPKG", append=k > 0
            )
            del frame
        say(f"county {k + 1}/{counties} ({COUNTIES[k]}) written, {time.perf_counter() - t0:.0f} s")
    for kind, t in tmp.items():
        os.replace(t, paths[kind])
    return paths


def summary(n: int, layout: str = "scatter") -> dict[str, float]:
    """Overlap statistics of the generated 图斑 (how hard in-file linking is on this data)."""
    frame = pyogrio.read_dataframe(parcels_path(n, layout), use_arrow=True)
    g = frame.geometry.to_numpy()
    li, ri = shapely.STRtree(g).query(g, predicate="intersects")
    other = li != ri
    return {
        "n": n,
        "layout": layout,
        "area_ha_mean": float(shapely.area(g).mean() / 1e4),
        "coverage_of_county": float(shapely.area(g).sum() / (2 * HALF) ** 2),
        "overlapping_pairs_per_parcel": float(other.sum() / 2 / n),
        "parcels_overlapping_another": float(np.unique(li[other]).size / n),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, action="append", help="number of 图斑 (repeatable)")
    ap.add_argument("--layout", choices=LAYOUTS, default="scatter", help="see make_parcels")
    ap.add_argument("--summary", action="store_true", help="print overlap statistics")
    ap.add_argument(
        "--counties", type=int, help="a province-like delivery of this many counties of n each"
    )
    args = ap.parse_args()
    if args.counties:
        for n in args.n or [100_000]:
            print({k: str(v) for k, v in ensure_province(args.counties, n).items()})
        return
    for n in args.n or [100_000]:
        paths = ensure(n, layout=args.layout)
        print({k: str(v) for k, v in paths.items()})
        if args.summary:
            print(summary(n, args.layout))


if __name__ == "__main__":
    main()
