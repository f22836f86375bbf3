"""Generate Tuban's synthetic sample dataset for 丰润区 (Fengrun district, Tangshan, 130208).

Run from the repository root::

    python sample_data/generate.py            # default seed, writes sample_data/fengrun/
    python sample_data/generate.py --seed 7   # another, equally valid, synthetic district
    python sample_data/generate.py --out /tmp/x   # write /tmp/x/fengrun/ instead

The output is byte-identical for a given seed. After writing, the script reads everything
back and checks it (``--no-verify`` skips this).

Everything written here is SYNTHETIC. Only the names are real: 丰润区, its township names
and the admin code 130208. The rest is invented:

* the district outline is a smooth random shape of about 1,300 km² centred near
  118.10°E 39.83°N;
* the townships and villages are Voronoi cells, and the village names are built from
  syllable lists;
* every 图斑 is a random shape with plausible attributes.

Nothing should be read as the real boundary, a real village or a real violation.

Why the formats, CRSs and encodings differ between files: real deliveries differ, and the
importer has to cope with each of these variants.

* ``admin/*.gpkg``, EPSG:4490 (CGCS2000 geographic). The system stores everything in this
  CRS, so the reference layers use it too. GeoPackage text is UTF-8 by definition.
* Mining 卫片 (``weipian/2019Q*_mining``): ESRI Shapefile in EPSG:4527 (3-degree
  Gauss-Krüger zone 39, easting prefixed with the zone number, x_0 = 39 500 000). The DBF is
  GBK and has **no .cpg**. GDAL then falls back to ISO-8859-1 and returns mojibake, which
  is the classic pitfall of provincial deliveries (see docs/domain.md §4).
* Land 卫片 (``weipian/2019Q*_land``): ESRI Shapefile in EPSG:4548 (same projection,
  CM 117°E, no zone prefix). The DBF is GBK **with** a .cpg that says ``GBK``, as ArcGIS
  writes it.
* 变更调查 监测图斑 (``biangeng/2019_JCTB.gpkg``, layer ``JCTB``): GeoPackage in EPSG:4527
  with Chinese field names, the way newer ministry/province deliveries look.

All geometry is built in one metric working CRS (EPSG:4548). Each file is reprojected into
its delivery CRS and its coordinates are rounded to 1 mm. ``JCMJ``/``监测面积`` is the
*plane* area in the delivery CRS, rounded to 0.01 m², like real deliveries. It therefore
differs slightly from the ellipsoidal area the system must compute.

Reference layers (``reference/``: 永久基本农田, 采矿权, 用地审批, 设施农用地备案, listed in
``reference_layers.json``) are built by ``reference_layers.py`` around the 卫片 as written.
They use their own random streams, so everything above stays byte-identical, and their
planted relations to the 卫片 are recorded in ``edge_cases.json``.

The 动态巡查 sample (``patrol/patrol_2019.geojson``: a year of patrol findings and reports
with the bureau's quick response, played by ``tuban demo``) is written last by ``patrol.py``,
laid on everything above as written, from a stream of its own.

Deliberately planted edge cases include a re-issued site, polygons crossing a township
boundary, a polygon partly outside the district, a mining/land overlap on one pit and
slivers. See ``fengrun/edge_cases.json``, written by this script with the actual 图斑编号,
and README.md. Apart from the planted pairs, no two 图斑 in the whole dataset intersect.
All geometries are valid; tests that need invalid geometry build it themselves.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyproj import Transformer
from shapely import affinity
from shapely.geometry import MultiPolygon, Point, Polygon, box
from shapely.geometry.base import BaseGeometry

try:  # imported as sample_data.generate
    from . import patrol, reference_layers
    from .reference_layers import MINING_TOWNSHIPS
except ImportError:  # run as a script: sample_data/ is on sys.path
    import patrol
    import reference_layers
    from reference_layers import MINING_TOWNSHIPS

SEED = 130208  # default seed; the county code, for want of a better number

HERE = Path(__file__).resolve().parent  # sample_data/; batches.json paths are relative to it
DATASET = "fengrun"  # the dataset's directory under the output root

# --- coordinate reference systems -------------------------------------------------------
WORK_CRS = "EPSG:4548"  # metric working CRS: CGCS2000 3° GK CM 117°E, no zone prefix
ADMIN_CRS = "EPSG:4490"  # CGCS2000 geographic
MINING_CRS = "EPSG:4527"  # CGCS2000 3° GK zone 39, zone-prefixed easting
LAND_CRS = "EPSG:4548"
SURVEY_CRS = "EPSG:4527"

# --- district -----------------------------------------------------------------------------
COUNTY_CODE = "130208"
COUNTY_NAME = "丰润区"
CENTRE_LONLAT = (118.10, 39.83)
DISTRICT_AREA_M2 = 1_300e6
SEMI_AXES_M = (17_000.0, 24_000.0)  # east-west, north-south: the district is taller than wide
GRID = 0.01  # metres; admin linework is snap-rounded to this grid so cells share exact edges

# Townships: (name, kind, u, v). u/v place the seed point in the outline's frame, east and
# north in [-1, 1]. They follow the real layout only loosely: hills and quarries to the
# north, plains to the south. Codes follow GB/T 10114: 镇 are 100-199 and 乡 are 200-399,
# each numbered in list order.
TOWNSHIPS = [
    ("丰润镇", "镇", 0.00, 0.00),
    ("任各庄镇", "镇", 0.45, 0.15),
    ("左家坞镇", "镇", -0.45, 0.75),
    ("泉河头镇", "镇", 0.05, 0.85),
    ("王官营镇", "镇", -0.10, 0.40),
    ("火石营镇", "镇", 0.50, 0.75),
    ("新军屯镇", "镇", -0.60, 0.10),
    ("小张各庄镇", "镇", 0.45, -0.50),
    ("丰登坞镇", "镇", 0.60, -0.20),
    ("李钊庄镇", "镇", 0.10, -0.65),
    ("白官屯镇", "镇", -0.20, -0.30),
    ("石各庄镇", "镇", -0.50, -0.45),
    ("沙流河镇", "镇", -0.75, -0.10),
    ("七树庄镇", "镇", -0.20, -0.85),
    ("杨官林镇", "镇", -0.70, 0.45),
    ("银城铺镇", "镇", 0.35, 0.45),
    ("常庄镇", "镇", 0.70, 0.20),
    ("岔河镇", "镇", -0.15, 0.65),
    ("姜家营乡", "乡", -0.45, -0.75),
    ("欢喜庄乡", "乡", -0.75, -0.55),
    ("刘家营乡", "乡", 0.15, -0.25),
]


# --- village names ------------------------------------------------------------------------
SURNAMES = list(
    "王李张刘陈杨赵黄周吴徐孙胡朱高何郭马罗梁宋郑谢韩唐冯于董程曹袁邓许傅沈彭吕苏卢蒋"
    "蔡贾丁魏薛叶阎潘杜戴夏钟汪田任姜范方石姚谭邹金陆郝孔白崔康毛邱秦史顾侯邵孟段雷"
    "钱汤尹常武乔贺龚"
)
PLACE_STEMS = ["石", "泉", "柳", "杨树", "榆树", "双", "三", "新", "高", "鲁", "沙", "韩城", "河"]
SUFFIXES = [
    "庄",
    "家庄",
    "各庄",
    "官屯",
    "家营",
    "家坞",
    "庄子",
    "店",
    "坨",
    "铺",
    "屯",
    "营",
    "寨",
    "家峪",
    "家沟",
    "官庄",
    "楼",
    "台",
    "家套",
    "辛庄",
]
PREFIXES = ["东", "西", "南", "北", "前", "后", "大", "小", "上", "下"]

# --- batches: (programme, period, issued_on, due_on), in import order ----------------------
AUTHORITY = {
    "mining": "河北省自然资源厅",
    "land": "河北省自然资源厅",
    "change_survey": "自然资源部",
}
BATCHES = [
    ("mining", "2019Q1", "2019-04-11", "2019-05-20"),
    ("land", "2019Q1", "2019-04-15", "2019-05-27"),
    ("mining", "2019Q2", "2019-07-12", "2019-08-19"),
    ("land", "2019Q2", "2019-07-16", "2019-08-26"),
    ("mining", "2019Q3", "2019-10-11", "2019-11-18"),
    ("land", "2019Q3", "2019-10-14", "2019-11-25"),
    ("change_survey", "2019", "2019-10-15", "2020-01-15"),
    ("mining", "2019Q4", "2020-01-10", "2020-02-24"),  # later due date: 春节 2020-01-25
    ("land", "2019Q4", "2020-01-14", "2020-02-28"),
]

# --- attribute vocabularies (weights are relative) ----------------------------------------
MINING_CHANGE = {"新增开采": 0.40, "扩大开采": 0.35, "新增堆场": 0.15, "新增排土场": 0.10}
MINERALS = {
    "铁矿": 0.40,
    "建筑石料用灰岩": 0.30,
    "建筑用砂": 0.12,
    "水泥用灰岩": 0.10,
    "白云岩": 0.08,
}
MINING_REMARKS = {
    "": 0.55,
    "需实地核查": 0.15,
    "疑似越界开采": 0.10,
    "位于已关闭矿山范围": 0.10,
    "与历史图斑相邻": 0.10,
}
LAND_REMARKS = {"": 0.70, "需实地核查": 0.15, "疑似未批先建": 0.15}

ARABLE = {"0103": 0.5, "0102": 0.3, "0101": 0.05, "0201": 0.1, "0404": 0.05}
# 变化类型 -> (weight, shape kind, area range in ha, 后时相地类 choices)
LAND_CHANGE = {
    "新增建设用地": (
        0.50,
        "building",
        (0.05, 3.0),
        {"0601": 0.35, "0702": 0.40, "0508": 0.15, "0701": 0.10},
    ),
    "推填土": (0.20, "field", (0.20, 5.0), {"1206": 1.0}),
    "大棚房": (0.12, "greenhouse", (0.10, 2.0), {"1202": 0.7, "0702": 0.3}),
    "新增坑塘": (0.08, "field", (0.20, 3.0), {"1104": 1.0}),
    "新增道路": (0.10, "road", (0.10, 1.5), {"1006": 0.6, "1003": 0.4}),
}
# 图斑类型 of the change survey. Only the pattern ("1A": major class + letter) and the
# meaning of classes 1 (vegetation -> clear construction) and 2 (construction fill) come from
# docs/domain.md; the other codes are plausible placeholders with consistent land classes.
# 图斑类型 -> (weight, shape kind, 前时相地类 choices, 后时相地类 choices)
SURVEY_TYPES = {
    "1A": (
        0.28,
        "building",
        {"0103": 0.6, "0102": 0.35, "0101": 0.05},
        {"0601": 0.3, "0702": 0.4, "0508": 0.2, "1003": 0.1},
    ),
    "1B": (0.10, "building", {"0201": 0.5, "0301": 0.4, "0305": 0.1}, {"0601": 0.5, "0702": 0.5}),
    "1C": (0.08, "building", {"0404": 0.6, "1206": 0.4}, {"0601": 0.4, "0702": 0.3, "0508": 0.3}),
    "2A": (0.12, "field", {"0103": 0.7, "0102": 0.3}, {"1206": 1.0}),
    "2B": (0.05, "field", {"0301": 0.5, "0404": 0.5}, {"1206": 1.0}),
    "3A": (0.10, "field", {"0103": 1.0}, {"0201": 1.0}),
    "3B": (0.07, "field", {"0103": 0.7, "0102": 0.3}, {"0301": 1.0}),
    "4A": (0.06, "field", {"0103": 1.0}, {"1104": 1.0}),
    "5A": (0.08, "greenhouse", {"0103": 0.6, "0102": 0.4}, {"1202": 1.0}),
    "6A": (0.06, "building", {"0702": 0.6, "0601": 0.4}, {"0103": 1.0}),
}

QUARTERS = {  # quarter -> (前时相 window, 后时相 window)
    1: (("2018-10-01", "2018-12-31"), ("2019-01-01", "2019-03-31")),
    2: (("2019-01-01", "2019-03-31"), ("2019-04-01", "2019-06-30")),
    3: (("2019-04-01", "2019-06-30"), ("2019-07-01", "2019-09-30")),
    4: (("2019-07-01", "2019-09-30"), ("2019-10-01", "2019-12-31")),
}
SURVEY_WINDOWS = (("2018-10-01", "2018-12-31"), ("2019-08-01", "2019-10-10"))

GAP_M = 40.0  # minimum distance between unrelated 图斑
GPKG_TIMESTAMP = "2019-10-15T00:00:00.000Z"  # gpkg_contents.last_change of every GeoPackage


# ============================================================================================
# small helpers
# ============================================================================================


def pick(rng: np.random.Generator, weights: dict[str, float]) -> str:
    """One key of ``weights``, drawn with probability proportional to its value."""
    keys = list(weights)
    p = np.array([weights[k] for k in keys], dtype=float)
    return keys[rng.choice(len(keys), p=p / p.sum())]


def log_uniform(rng: np.random.Generator, lo: float, hi: float) -> float:
    return float(np.exp(rng.uniform(np.log(lo), np.log(hi))))


def scale_to_area(geom: BaseGeometry, area_m2: float) -> BaseGeometry:
    f = np.sqrt(area_m2 / geom.area)
    return affinity.scale(geom, f, f, origin="centroid")


def place_at(geom: BaseGeometry, x: float, y: float) -> BaseGeometry:
    c = geom.centroid
    return affinity.translate(geom, x - c.x, y - c.y)


def random_points_in(rng: np.random.Generator, poly: BaseGeometry, n: int) -> np.ndarray:
    """``n`` uniform random points inside ``poly`` (rejection sampling), shape (n, 2)."""
    minx, miny, maxx, maxy = poly.bounds
    shapely.prepare(poly)
    out: list[np.ndarray] = []
    got = 0
    while got < n:
        xy = rng.uniform((minx, miny), (maxx, maxy), size=(max(64, 2 * n), 2))
        xy = xy[shapely.contains_xy(poly, xy[:, 0], xy[:, 1])]
        out.append(xy)
        got += len(xy)
    return np.concatenate(out)[:n]


def date_in(rng: np.random.Generator, window: tuple[str, str]) -> dt.date:
    a, b = (dt.date.fromisoformat(s) for s in window)
    return a + dt.timedelta(days=int(rng.integers(0, (b - a).days + 1)))


# ============================================================================================
# administrative units
# ============================================================================================


@dataclass
class Admin:
    """District outline, townships and villages in the working CRS."""

    outline: Polygon
    townships: gpd.GeoDataFrame  # XZQDM, XZQMC, geometry
    villages: gpd.GeoDataFrame  # ZLDWDM, ZLDWMC, XZQDM, seed_x, seed_y, geometry

    def township_of(self, name: str) -> BaseGeometry:
        return self.townships.loc[self.townships.XZQMC == name, "geometry"].iloc[0]


def centre_xy() -> tuple[float, float]:
    t = Transformer.from_crs(ADMIN_CRS, WORK_CRS, always_xy=True)
    return t.transform(*CENTRE_LONLAT)


def district_outline(rng: np.random.Generator) -> Polygon:
    """A smooth, irregular, star-shaped outline of DISTRICT_AREA_M2 around the centre.

    r(θ) = 1 + Σ low-frequency harmonics + a little high-frequency wiggle; r stays within
    about [0.7, 1.3] and positive, so the ring can never self-intersect.
    """
    cx, cy = centre_xy()
    theta = np.linspace(0, 2 * np.pi, 720, endpoint=False)
    r = np.ones_like(theta)
    for k in range(2, 7):
        r += rng.uniform(0.03, 0.07) * 2 / k * np.cos(k * theta + rng.uniform(0, 2 * np.pi))
    for k in range(7, 25):
        r += rng.uniform(0.0, 0.006) * np.cos(k * theta + rng.uniform(0, 2 * np.pi))
    a, b = SEMI_AXES_M
    ring = np.column_stack([a * r * np.cos(theta), b * r * np.sin(theta)])
    poly = Polygon(ring)
    poly = scale_to_area(poly, DISTRICT_AREA_M2)
    poly = affinity.translate(poly, cx - poly.centroid.x, cy - poly.centroid.y)
    return shapely.set_precision(poly, GRID)


def township_seeds(rng: np.random.Generator, outline: Polygon) -> np.ndarray:
    """Seed points of the township layout, jittered and pulled inside the outline."""
    c = outline.centroid
    a, b = SEMI_AXES_M
    inner = outline.buffer(-2_000)
    pts = []
    for _, _, u, v in TOWNSHIPS:
        x = c.x + 0.85 * u * a + rng.normal(0, 800)
        y = c.y + 0.85 * v * b + rng.normal(0, 800)
        while not inner.contains(Point(x, y)):  # pull toward the centre until inside
            x, y = c.x + 0.9 * (x - c.x), c.y + 0.9 * (y - c.y)
        pts.append((x, y))
    return np.array(pts)


def village_seeds(rng: np.random.Generator, outline: Polygon, target: int = 430) -> np.ndarray:
    """Poisson-disc-like village centres, sparser in the northern hills than on the plains."""
    cy = outline.centroid.y
    b = SEMI_AXES_M[1]
    cand = random_points_in(rng, outline, 12 * target)
    keep: list[tuple[float, float]] = []
    arr = np.empty((0, 2))
    for x, y in cand:
        d_min = 1_150 + 550 * np.clip((y - cy) / b, 0, 1)
        if len(arr) and np.min(np.hypot(arr[:, 0] - x, arr[:, 1] - y)) < d_min:
            continue
        keep.append((x, y))
        arr = np.array(keep)
        if len(keep) == target:
            break
    return arr


def _merge_fragments(geoms: list[BaseGeometry]) -> list[BaseGeometry]:
    """Make every cell a single Polygon: a detached fragment of a cell joins the
    neighbouring cell it shares the longest border with. The coverage stays exact."""
    geoms = list(geoms)
    for i, g in enumerate(geoms):
        if g.geom_type != "MultiPolygon":
            continue
        parts = sorted(g.geoms, key=lambda p: p.area, reverse=True)
        geoms[i] = parts[0]
        for frag in parts[1:]:
            shared = [
                (frag.boundary.intersection(o.boundary).length, j)
                for j, o in enumerate(geoms)
                if j != i and frag.touches(o)
            ]
            j = max(shared)[1]
            geoms[j] = shapely.union(geoms[j], frag, grid_size=GRID)
    return geoms


def build_admin(rng: np.random.Generator) -> Admin:
    """Outline -> village Voronoi cells -> townships as unions of their villages.

    A village belongs to the township whose seed is nearest to the village seed. Township
    borders therefore follow village borders, as they do in reality, and the two layers
    nest exactly.
    """
    outline = district_outline(rng)
    t_seeds = township_seeds(rng, outline)
    v_seeds = village_seeds(rng, outline)

    cells = shapely.voronoi_polygons(
        shapely.multipoints(v_seeds), extend_to=outline.buffer(10_000), ordered=True
    )
    cells = shapely.intersection(np.asarray(cells.geoms), outline, grid_size=GRID)
    cells = _merge_fragments(list(cells))

    dist = np.hypot(
        v_seeds[:, None, 0] - t_seeds[None, :, 0], v_seeds[:, None, 1] - t_seeds[None, :, 1]
    )
    owner = dist.argmin(axis=1)
    owner = _reassign_detached_villages(cells, owner)

    codes = township_codes()
    towns = []
    for t, (name, _, _, _) in enumerate(TOWNSHIPS):
        members = np.flatnonzero(owner == t)
        if len(members) < 5:
            raise RuntimeError(f"{name} got only {len(members)} villages; try another seed")
        geom = shapely.union_all([cells[i] for i in members], grid_size=GRID)
        towns.append({"XZQDM": codes[t], "XZQMC": name, "geometry": geom})
    townships = gpd.GeoDataFrame(towns, crs=WORK_CRS)

    villages = name_villages(rng, cells, v_seeds, owner, codes)
    return Admin(outline=outline, townships=townships, villages=villages)


def _reassign_detached_villages(cells: list[BaseGeometry], owner: np.ndarray) -> np.ndarray:
    """Keep every township contiguous. A village whose cell does not touch the rest of its
    township moves to the touching township it shares the longest border with."""
    owner = owner.copy()
    for _ in range(5):
        changed = False
        for t in np.unique(owner):
            members = np.flatnonzero(owner == t)
            union = shapely.union_all([cells[i] for i in members], grid_size=GRID)
            if union.geom_type == "Polygon":
                continue
            main = max(union.geoms, key=lambda p: p.area)
            for i in members:
                if cells[i].intersection(main).area > 0:
                    continue
                best = max(
                    (cells[i].boundary.intersection(cells[j].boundary).length, owner[j])
                    for j in range(len(cells))
                    if owner[j] != t and cells[i].touches(cells[j])
                )
                owner[i] = best[1]
                changed = True
        if not changed:
            break
    return owner


def township_codes() -> list[str]:
    """9-digit township codes: 镇 numbered from 100 and 乡 from 200, in TOWNSHIPS order."""
    nxt = {"镇": 100, "乡": 200}
    out = []
    for _, kind, _, _ in TOWNSHIPS:
        out.append(f"{COUNTY_CODE}{nxt[kind]:03d}")
        nxt[kind] += 1
    return out


def village_name(rng: np.random.Generator) -> str:
    stem = rng.choice(SURNAMES) if rng.random() < 0.85 else rng.choice(PLACE_STEMS)
    name = f"{stem}{rng.choice(SUFFIXES)}"
    if rng.random() < 0.3:
        name = rng.choice(PREFIXES) + name
    return name + "村"


def name_villages(rng, cells, seeds, owner, town_codes) -> gpd.GeoDataFrame:
    """12-digit ZLDWDM = township code + 200, 201, … (村民委员会 range), numbered north to south.
    Names are unique within a township; repeats across townships happen, as in reality."""
    rows = []
    for t, code in enumerate(town_codes):
        members = np.flatnonzero(owner == t)
        members = members[np.lexsort((seeds[members, 0], -seeds[members, 1]))]
        used: set[str] = set()
        for k, i in enumerate(members):
            name = village_name(rng)
            while name in used:
                name = village_name(rng)
            used.add(name)
            rows.append(
                {
                    "ZLDWDM": f"{code}{200 + k:03d}",
                    "ZLDWMC": name,
                    "XZQDM": code,
                    "seed_x": seeds[i, 0],
                    "seed_y": seeds[i, 1],
                    "geometry": cells[i],
                }
            )
    return gpd.GeoDataFrame(rows, crs=WORK_CRS)


# ============================================================================================
# 图斑 shapes (all built around the origin; always valid by construction)
# ============================================================================================


def quarry_shape(rng: np.random.Generator, area_m2: float, hole: bool = False) -> Polygon:
    """An irregular pit: a star-shaped ring (so it is always simple), stretched and rotated.
    With ``hole`` it gets an unmined island well inside the ring."""
    n = int(rng.integers(18, 36))
    theta = np.linspace(0, 2 * np.pi, n, endpoint=False) + rng.uniform(0, 0.5 * 2 * np.pi / n, n)
    r = np.ones(n)
    for k in range(2, 6):
        r += rng.uniform(0, 0.25 / k) * np.cos(k * theta + rng.uniform(0, 2 * np.pi))
    r = np.clip(r + rng.normal(0, 0.04, n), 0.45, None)
    shell = np.column_stack([r * np.cos(theta), r * np.sin(theta)])
    holes = []
    if hole:
        m = 12
        t = np.linspace(0, 2 * np.pi, m, endpoint=False)
        rh = 0.35 * r.min() * (1 + rng.uniform(-0.2, 0.2, m))
        cxy = rng.uniform(-0.1, 0.1, 2) * r.min()
        holes.append(np.column_stack([cxy[0] + rh * np.cos(t), cxy[1] + rh * np.sin(t)]))
    poly = Polygon(shell, holes)
    poly = affinity.scale(poly, rng.uniform(1.0, 2.2), 1.0)
    poly = affinity.rotate(poly, rng.uniform(0, 180))
    return scale_to_area(poly, area_m2)


def multipart_quarry(rng: np.random.Generator, area_m2: float) -> MultiPolygon:
    """Two pits of one site, 60-200 m apart: delivered as one multipart 图斑."""
    share = rng.uniform(0.2, 0.45)
    a = place_at(quarry_shape(rng, area_m2 * (1 - share)), 0, 0)
    b = quarry_shape(rng, area_m2 * share)
    gap = rng.uniform(60, 200)
    ang = rng.uniform(0, 2 * np.pi)
    d = gap
    while True:  # push the second pit out until the gap between the two is reached
        b = place_at(b, d * np.cos(ang), d * np.sin(ang))
        if a.distance(b) >= gap:
            return MultiPolygon([a, b])
        d += gap - a.distance(b) + 1.0


def building_shape(rng: np.random.Generator, area_m2: float) -> Polygon:
    """A rectangle (sometimes L-shaped) yard or factory block."""
    w, h = 1.0, rng.uniform(1.0, 3.0)
    poly = box(0, 0, w, h)
    if rng.random() < 0.35:
        poly = poly.difference(box(w * rng.uniform(0.4, 0.7), h * rng.uniform(0.4, 0.7), w, h))
    return scale_to_area(affinity.rotate(poly, rng.uniform(0, 90)), area_m2)


def field_shape(rng: np.random.Generator, area_m2: float) -> Polygon:
    """A field-like quadrilateral: a rectangle whose corners are nudged by < 12 % of the short
    side (never enough to make the ring cross itself)."""
    w, h = 1.0, rng.uniform(1.5, 5.0)
    corners = np.array([(0, 0), (w, 0), (w, h), (0, h)]) + rng.uniform(-0.12, 0.12, (4, 2)) * w
    return scale_to_area(affinity.rotate(Polygon(corners), rng.uniform(0, 180)), area_m2)


def greenhouse_shape(rng: np.random.Generator, area_m2: float) -> Polygon:
    """A long, narrow greenhouse strip (大棚)."""
    poly = box(0, 0, 1.0, rng.uniform(5.0, 10.0))
    return scale_to_area(affinity.rotate(poly, rng.uniform(-10, 10)), area_m2)


def road_shape(rng: np.random.Generator, area_m2: float) -> Polygon:
    """A new road: 6-12 m wide, as long as the area requires, with one gentle bend."""
    width = rng.uniform(6, 12)
    length = area_m2 / width
    bend = rng.uniform(-0.25, 0.25)
    line = shapely.LineString([(0, 0), (length / 2, 0), (length, length / 2 * np.tan(bend))])
    poly = line.buffer(width / 2, cap_style="flat", join_style="mitre")
    return scale_to_area(affinity.rotate(poly, rng.uniform(0, 180)), area_m2)


def sliver_shape(rng: np.random.Generator, area_m2: float) -> Polygon:
    """A thin parallelogram 4-5 m wide: the typical sliver left along a digitising edge."""
    width = rng.uniform(4.0, 5.0)
    length = area_m2 / width
    skew = rng.uniform(-3, 3)
    poly = Polygon([(0, 0), (length, 0), (length + skew, width), (skew, width)])
    return scale_to_area(affinity.rotate(poly, rng.uniform(0, 180)), area_m2)


SHAPES: dict[str, Callable[[np.random.Generator, float], BaseGeometry]] = {
    "building": building_shape,
    "field": field_shape,
    "greenhouse": greenhouse_shape,
    "road": road_shape,
}


# ============================================================================================
# placement
# ============================================================================================


class Occupancy:
    """Everything placed so far. Unrelated 图斑 keep GAP_M apart, so the only intersections in
    the dataset are the planted ones."""

    def __init__(self) -> None:
        self.geoms: list[BaseGeometry] = []
        self.bounds = np.empty((0, 4))

    def is_free(self, geom: BaseGeometry, ignore: BaseGeometry | None = None) -> bool:
        if not self.geoms:
            return True
        minx, miny, maxx, maxy = geom.bounds
        b = self.bounds
        near = np.flatnonzero(
            (b[:, 0] < maxx + GAP_M)
            & (b[:, 2] > minx - GAP_M)
            & (b[:, 1] < maxy + GAP_M)
            & (b[:, 3] > miny - GAP_M)
        )
        for i in near:
            if self.geoms[i] is ignore:
                continue
            if shapely.dwithin(self.geoms[i], geom, GAP_M):
                return False
        return True

    def add(self, geom: BaseGeometry) -> None:
        self.geoms.append(geom)
        self.bounds = np.vstack([self.bounds, geom.bounds])


@dataclass
class Feature:
    """One 图斑 before writing: geometry in WORK_CRS, attributes, planted-case tags."""

    geom: BaseGeometry
    attrs: dict
    tags: list[str] = field(default_factory=list)
    code: str = ""  # 图斑编号, assigned when the batch is numbered
    source: Feature | None = None  # for a re-issue: the earlier 图斑 of the same site


@dataclass
class Context:
    rng: np.random.Generator
    admin: Admin
    occupied: Occupancy = field(default_factory=Occupancy)
    batches: dict[str, list[Feature]] = field(default_factory=dict)  # key e.g. "land/2019Q1"


def inner_region(ctx: Context, township: str, margin: float) -> BaseGeometry:
    """A township minus a margin along its borders (so ordinary 图斑 stay inside one township)."""
    g = ctx.admin.township_of(township).buffer(-margin)
    shapely.prepare(g)
    return g


def place_in(
    ctx: Context,
    make: Callable[[], BaseGeometry],
    region: BaseGeometry,
    centres: Callable[[], tuple[float, float]],
    tries: int = 400,
) -> BaseGeometry | None:
    """Build shapes with ``make`` at points from ``centres`` until one lies inside ``region``
    and clear of everything placed. Returns it (already registered), or None."""
    for _ in range(tries):
        x, y = centres()
        geom = place_at(make(), x, y)
        if region.contains(geom) and ctx.occupied.is_free(geom):
            ctx.occupied.add(geom)
            return geom
    return None


def must(geom: BaseGeometry | None, what: str) -> BaseGeometry:
    if geom is None:
        raise RuntimeError(f"could not place {what}; try another --seed")
    return geom


def uniform_centres(ctx: Context, region: BaseGeometry) -> Callable[[], tuple[float, float]]:
    def f() -> tuple[float, float]:
        x, y = random_points_in(ctx.rng, region, 1)[0]
        return float(x), float(y)

    return f


def near_village_centres(ctx: Context, township_code: str) -> Callable[[], tuple[float, float]]:
    """Construction happens next to villages: a village centre plus 100-900 m."""
    v = ctx.admin.villages
    v = v[v.XZQDM == township_code]

    def f() -> tuple[float, float]:
        row = v.iloc[int(ctx.rng.integers(len(v)))]
        ang, d = ctx.rng.uniform(0, 2 * np.pi), ctx.rng.uniform(100, 900)
        return row.seed_x + d * np.cos(ang), row.seed_y + d * np.sin(ang)

    return f


def random_township(ctx: Context) -> tuple[str, str]:
    """(code, name) of a township drawn with probability proportional to its area."""
    t = ctx.admin.townships
    p = t.geometry.area.to_numpy()
    i = int(ctx.rng.choice(len(t), p=p / p.sum()))
    return t.XZQDM.iloc[i], t.XZQMC.iloc[i]


# ============================================================================================
# attributes
# ============================================================================================


class SceneDates:
    """Imagery dates of one batch: two scenes per time phase, split at the district's
    centre easting (west scene / east scene), as a quarterly mosaic typically is."""

    def __init__(
        self,
        rng: np.random.Generator,
        before: tuple[str, str],
        after: tuple[str, str],
        split_x: float,
    ):
        self.before = sorted(date_in(rng, before) for _ in range(2))
        self.after = sorted(date_in(rng, after) for _ in range(2))
        self.split_x = split_x

    def for_geom(self, geom: BaseGeometry) -> tuple[str, str]:
        i = int(geom.centroid.x > self.split_x)
        return self.before[i].strftime("%Y%m%d"), self.after[i].strftime("%Y%m%d")


def weipian_attrs(scenes: SceneDates, geom: BaseGeometry, **extra) -> dict:
    qsx, hsx = scenes.for_geom(geom)
    return {"XZQDM": COUNTY_CODE, "XZQMC": COUNTY_NAME, "QSX": qsx, "HSX": hsx, **extra}


def mining_attrs(
    ctx: Context, scenes: SceneDates, geom: BaseGeometry, bhlx: str | None = None
) -> dict:
    rng = ctx.rng
    return weipian_attrs(
        scenes,
        geom,
        BHLX=bhlx or pick(rng, MINING_CHANGE),
        KCZL=pick(rng, MINERALS),
        BZ=pick(rng, MINING_REMARKS),
    )


def land_attrs(
    ctx: Context, scenes: SceneDates, geom: BaseGeometry, bhlx: str, hsxdl: str | None = None
) -> dict:
    rng = ctx.rng
    hsx_choices = LAND_CHANGE[bhlx][3]
    return weipian_attrs(
        scenes,
        geom,
        BHLX=bhlx,
        QSXDL=pick(rng, ARABLE),
        HSXDL=hsxdl or pick(rng, hsx_choices),
        BZ=pick(rng, LAND_REMARKS),
    )


# ============================================================================================
# planted edge cases
# ============================================================================================


def shared_border_points(admin: Admin, name_a: str, name_b: str) -> list[tuple[float, float]]:
    """Points along the common border of two townships, well inside the district."""
    a, b = admin.township_of(name_a), admin.township_of(name_b)
    line = shapely.line_merge(shapely.intersection(a.boundary, b.boundary))
    if line.is_empty:
        return []
    parts = list(getattr(line, "geoms", [line]))
    longest = max(parts, key=lambda g: g.length)
    pts = [longest.interpolate(f, normalized=True) for f in np.linspace(0.2, 0.8, 13)]
    return [(p.x, p.y) for p in pts if p.distance(admin.outline.boundary) > 1_500]


def plant_cross_township(
    ctx: Context, make: Callable[[], BaseGeometry], pairs: list[tuple[str, str]]
) -> BaseGeometry:
    """A 图斑 straddling the border of two townships, each holding 25-75 % of it."""
    admin = ctx.admin
    for a, b in pairs:
        ta, tb = admin.township_of(a), admin.township_of(b)
        for x, y in shared_border_points(admin, a, b):
            for _ in range(20):
                geom = place_at(make(), x + ctx.rng.normal(0, 15), y + ctx.rng.normal(0, 15))
                share = geom.intersection(ta).area / geom.area
                others = admin.townships[~admin.townships.XZQMC.isin([a, b])]
                if (
                    0.25 < share < 0.75
                    and geom.intersection(tb).area / geom.area > 0.25
                    and not others.intersects(geom).any()
                    and admin.outline.buffer(-50).contains(geom)
                    and ctx.occupied.is_free(geom)
                ):
                    ctx.occupied.add(geom)
                    return geom
    raise RuntimeError("could not plant a township-crossing 图斑")


def plant_partly_outside(ctx: Context, area_m2: float) -> BaseGeometry:
    """A quarry straddling the northern district border (the neighbouring county's side is
    mined too): 20-45 % of it lies outside, and the inside part is in one township."""
    admin = ctx.admin
    ring = admin.outline.exterior
    mining = admin.townships[admin.townships.XZQMC.isin(MINING_TOWNSHIPS)]
    cy = admin.outline.centroid.y
    for f in ctx.rng.permutation(np.linspace(0, 1, 97)):
        p = ring.interpolate(f, normalized=True)
        if p.y < cy + 0.6 * SEMI_AXES_M[1]:
            continue
        c = admin.outline.centroid
        ux, uy = (c.x - p.x, c.y - p.y) / np.hypot(c.x - p.x, c.y - p.y)
        for _ in range(10):
            d = ctx.rng.uniform(0.1, 0.3) * np.sqrt(area_m2)  # shift the centre inward
            geom = place_at(quarry_shape(ctx.rng, area_m2), p.x + d * ux, p.y + d * uy)
            inside = geom.intersection(admin.outline)
            share_out = 1 - inside.area / geom.area
            hit = mining[mining.intersects(inside.buffer(-1))]
            if (
                0.2 < share_out < 0.45
                and len(hit) == 1
                and admin.townships.intersects(geom).sum() == 1
            ):
                if ctx.occupied.is_free(geom):
                    ctx.occupied.add(geom)
                    return geom
    raise RuntimeError("could not plant a partly-outside 图斑")


def reissued_geometry(ctx: Context, original: BaseGeometry) -> BaseGeometry:
    """The same site drawn again next quarter: slightly grown, shifted and re-digitised.
    The result overlaps the original heavily (IoU well above 0.5)."""
    rng = ctx.rng
    for _ in range(200):
        g = affinity.scale(
            original, rng.uniform(1.04, 1.15), rng.uniform(1.04, 1.15), origin="centroid"
        )
        g = affinity.rotate(g, rng.uniform(-3, 3), origin="centroid")
        g = affinity.translate(g, *rng.normal(0, 4, 2))
        # the site grew on one side: add a small annex that touches the old footprint
        c = g.centroid
        ang = rng.uniform(0, 2 * np.pi)
        r = np.sqrt(g.area) * 0.5
        annex = building_shape(rng, g.area * rng.uniform(0.05, 0.15))
        annex = place_at(annex, c.x + r * np.cos(ang), c.y + r * np.sin(ang))
        g = shapely.union(g, annex)
        if g.geom_type != "Polygon" or not g.is_valid:
            continue
        iou = g.intersection(original).area / g.union(original).area
        region = ctx.admin.outline.buffer(-50)
        towns = ctx.admin.townships.intersects(g).sum()
        if (
            0.6 < iou < 0.9
            and region.contains(g)
            and towns == 1
            and ctx.occupied.is_free(g, ignore=original)
        ):
            ctx.occupied.add(g)
            return g
    raise RuntimeError("could not build a re-issued geometry")


def same_pit_land_geometry(ctx: Context, pit: BaseGeometry) -> BaseGeometry:
    """The land interpreter's outline of a pit the mining interpreter also drew: coarser,
    a little smaller and offset, overlapping most of the mining polygon."""
    rng = ctx.rng
    g = affinity.scale(pit, 0.92, 0.92, origin="centroid")
    g = affinity.translate(g, *rng.normal(0, 8, 2))
    g = shapely.simplify(g, 10.0, preserve_topology=True)
    ctx.occupied.add(g)
    return g


# ============================================================================================
# batches
# ============================================================================================


def split_x(ctx: Context) -> float:
    return ctx.admin.outline.centroid.x


def ordinary_mining(ctx: Context, scenes: SceneDates, kind: str = "plain") -> Feature:
    rng = ctx.rng
    name = pick(rng, MINING_TOWNSHIPS)
    region = inner_region(ctx, name, 60)
    area = log_uniform(rng, 3_000, 150_000)
    if kind == "multipart":
        make = lambda: multipart_quarry(rng, min(area, 80_000))  # noqa: E731
    else:
        make = lambda: quarry_shape(rng, area, hole=(kind == "hole"))  # noqa: E731
    geom = place_in(ctx, make, region, uniform_centres(ctx, region), tries=100)
    if geom is None:  # this township is crowded: draw another township and size
        return ordinary_mining(ctx, scenes, kind)
    tags = [kind] if kind != "plain" else []
    return Feature(geom, mining_attrs(ctx, scenes, geom), tags)


def mining_batch(ctx: Context, q: int) -> list[Feature]:
    rng = ctx.rng
    scenes = SceneDates(rng, *QUARTERS[q], split_x(ctx))
    n = int(rng.integers(25, 41))
    feats: list[Feature] = []

    if q == 2:  # a quarry on the border of two hill townships
        pairs = [
            ("泉河头镇", "火石营镇"),
            ("左家坞镇", "岔河镇"),
            ("泉河头镇", "岔河镇"),
            ("左家坞镇", "杨官林镇"),
            ("火石营镇", "银城铺镇"),
        ]
        area = rng.uniform(30_000, 60_000)
        geom = plant_cross_township(ctx, lambda: quarry_shape(rng, area), pairs)
        feats.append(Feature(geom, mining_attrs(ctx, scenes, geom, "扩大开采"), ["cross_township"]))
        # the same pit is also in this quarter's land batch (see land_batch)
        name = "左家坞镇"
        region = inner_region(ctx, name, 80)
        area = rng.uniform(20_000, 40_000)
        pit = place_in(ctx, lambda: quarry_shape(rng, area), region, uniform_centres(ctx, region))
        pit = must(pit, "the same-pit quarry")
        feats.append(Feature(pit, mining_attrs(ctx, scenes, pit, "新增开采"), ["same_pit_mining"]))
    if q == 3:
        geom = plant_partly_outside(ctx, rng.uniform(40_000, 80_000))
        feats.append(Feature(geom, mining_attrs(ctx, scenes, geom, "扩大开采"), ["partly_outside"]))
    if q == 4:
        name = "火石营镇"
        region = inner_region(ctx, name, 60)
        geom = place_in(
            ctx,
            lambda: sliver_shape(rng, rng.uniform(190, 215)),
            region,
            uniform_centres(ctx, region),
        )
        geom = must(geom, "the mining sliver")
        feats.append(Feature(geom, mining_attrs(ctx, scenes, geom, "扩大开采"), ["sliver"]))

    kinds = ["multipart"] * int(rng.integers(1, 3)) + ["hole"] * int(rng.integers(1, 3))
    kinds += ["plain"] * (n - len(feats) - len(kinds))
    for kind in kinds:
        feats.append(ordinary_mining(ctx, scenes, kind))
    return feats


def ordinary_land(ctx: Context, scenes: SceneDates) -> Feature:
    rng = ctx.rng
    while True:
        bhlx = pick(rng, {k: v[0] for k, v in LAND_CHANGE.items()})
        _, kind, (lo, hi), _ = LAND_CHANGE[bhlx]
        code, name = random_township(ctx)
        region = inner_region(ctx, name, 30)
        area = log_uniform(rng, lo * 1e4, hi * 1e4)
        geom = place_in(
            ctx, partial(SHAPES[kind], rng, area), region, near_village_centres(ctx, code), tries=60
        )
        if geom is not None:
            return Feature(geom, land_attrs(ctx, scenes, geom, bhlx))


def land_batch(ctx: Context, q: int) -> list[Feature]:
    rng = ctx.rng
    scenes = SceneDates(rng, *QUARTERS[q], split_x(ctx))
    n = int(rng.integers(40, 71))
    feats: list[Feature] = []

    if q == 1:  # a factory yard on a township border, in the plains
        pairs = [
            ("白官屯镇", "石各庄镇"),
            ("丰润镇", "白官屯镇"),
            ("李钊庄镇", "小张各庄镇"),
            ("丰润镇", "任各庄镇"),
            ("刘家营乡", "白官屯镇"),
        ]
        area = rng.uniform(12_000, 25_000)
        geom = plant_cross_township(ctx, lambda: building_shape(rng, area), pairs)
        feats.append(
            Feature(geom, land_attrs(ctx, scenes, geom, "新增建设用地", "0601"), ["cross_township"])
        )
    if q == 2:
        pit = next(f for f in ctx.batches["mining/2019Q2"] if "same_pit_mining" in f.tags)
        geom = same_pit_land_geometry(ctx, pit.geom)
        attrs = land_attrs(ctx, scenes, geom, "新增建设用地", "0602")  # 采矿用地
        attrs["QSXDL"] = "0301"  # a wooded hillside before the pit was opened
        feats.append(Feature(geom, attrs, ["same_pit_land"]))
        code, name = random_township(ctx)
        region = inner_region(ctx, name, 30)
        geom = place_in(
            ctx,
            lambda: sliver_shape(rng, rng.uniform(190, 215)),
            region,
            near_village_centres(ctx, code),
        )
        geom = must(geom, "the land sliver")
        feats.append(Feature(geom, land_attrs(ctx, scenes, geom, "新增建设用地"), ["sliver"]))
    if q in (3, 4):  # re-issues of earlier sites: new 图斑编号, overlapping geometry
        sources = ["land/2019Q1", "land/2019Q2"] if q == 3 else ["land/2019Q2"]
        for key in sources:
            cands = [
                f
                for f in ctx.batches[key]
                if not f.tags and f.attrs["BHLX"] == "新增建设用地" and f.geom.area > 3_000
            ]
            orig = cands[int(rng.integers(len(cands)))]
            orig.tags.append("reissued_original")
            geom = reissued_geometry(ctx, orig.geom)
            attrs = weipian_attrs(
                scenes,
                geom,
                BHLX=orig.attrs["BHLX"],
                QSXDL=orig.attrs["QSXDL"],
                HSXDL=orig.attrs["HSXDL"],
                BZ="",
            )
            feats.append(Feature(geom, attrs, [f"reissue_of:{key}"], source=orig))

    while len(feats) < n:
        feats.append(ordinary_land(ctx, scenes))
    return feats


def survey_batch(ctx: Context) -> list[Feature]:
    rng = ctx.rng
    before, after = SURVEY_WINDOWS
    scenes = SceneDates(rng, before, after, split_x(ctx))
    n = int(rng.integers(150, 201))
    feats = []
    while len(feats) < n:
        kind_code = pick(rng, {k: v[0] for k, v in SURVEY_TYPES.items()})
        _, shape, before_dl, after_dl = SURVEY_TYPES[kind_code]
        code, name = random_township(ctx)
        region = inner_region(ctx, name, 30)
        area = log_uniform(rng, 400, 80_000)
        geom = place_in(
            ctx,
            partial(SHAPES[shape], rng, area),
            region,
            near_village_centres(ctx, code),
            tries=60,
        )
        if geom is None:
            continue
        qsx, hsx = scenes.for_geom(geom)
        feats.append(
            Feature(
                geom,
                {
                    "行政区代码": COUNTY_CODE,
                    "图斑类型": kind_code,
                    "前时相地类": pick(rng, before_dl),
                    "后时相地类": pick(rng, after_dl),
                    "前时相": qsx,
                    "后时相": hsx,
                },
            )
        )
    return feats


def number_batch(feats: list[Feature], prefix: str, width: int) -> None:
    """Assign 图斑编号 north to south, then west to east, the way provinces number them."""
    order = sorted(feats, key=lambda f: (-round(f.geom.centroid.y, -2), f.geom.centroid.x))
    for i, f in enumerate(order, start=1):
        f.code = f"{prefix}{i:0{width}d}"
    feats.sort(key=lambda f: f.code)


# ============================================================================================
# writing
# ============================================================================================


def to_delivery(
    feats: list[Feature], code_field: str, area_field: str, crs: str, field_order: list[str]
) -> gpd.GeoDataFrame:
    """GeoDataFrame in the delivery CRS, coordinates rounded to 1 mm, area = plane area."""
    gdf = gpd.GeoDataFrame(
        [{code_field: f.code, **f.attrs} for f in feats],
        geometry=[f.geom for f in feats],
        crs=WORK_CRS,
    ).to_crs(crs)
    gdf["geometry"] = shapely.set_precision(gdf.geometry.values, 0.001)
    gdf[area_field] = np.round(gdf.geometry.area.to_numpy(), 2)
    return gdf[field_order + ["geometry"]]


def write_shapefile(
    gdf: gpd.GeoDataFrame, path: Path, keep_cpg: bool, stamp: dt.date, **options
) -> None:
    """GBK-encoded DBF. Without ``keep_cpg`` the .cpg GDAL writes is deleted, leaving a
    DBF with language driver id 0 and no code page: GDAL will then assume ISO-8859-1.
    The DBF's last-update date is set to ``stamp`` so that reruns are byte-identical.
    ``options`` go to pyogrio (e.g. ``layer_options={"RESIZE": "YES"}``)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    pyogrio.write_dataframe(gdf, path, driver="ESRI Shapefile", encoding="GBK", **options)
    with path.with_suffix(".dbf").open("r+b") as fh:  # dBASE header bytes 1-3: YY MM DD
        fh.seek(1)
        fh.write(bytes([stamp.year - 1900, stamp.month, stamp.day]))
    cpg = path.with_suffix(".cpg")
    if keep_cpg:
        cpg.write_text("GBK", encoding="ascii")
    else:
        cpg.unlink(missing_ok=True)


def write_gpkg(gdf: gpd.GeoDataFrame, path: Path, layer: str, **options) -> None:
    """GeoPackage with a fixed timestamp (OGR_CURRENT_DATE), so reruns are byte-identical.
    ``options`` go to pyogrio (e.g. ``use_arrow=True`` to write DATE fields)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": GPKG_TIMESTAMP})
    try:
        pyogrio.write_dataframe(gdf, path, layer=layer, driver="GPKG", **options)
    finally:
        pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": None})


MINING_FIELDS = ["TBBH", "XZQDM", "XZQMC", "QSX", "HSX", "BHLX", "JCMJ", "KCZL", "BZ"]
LAND_FIELDS = ["TBBH", "XZQDM", "XZQMC", "QSX", "HSX", "BHLX", "JCMJ", "QSXDL", "HSXDL", "BZ"]
SURVEY_FIELDS = [
    "监测图斑编号",
    "行政区代码",
    "图斑类型",
    "前时相地类",
    "后时相地类",
    "监测面积",
    "前时相",
    "后时相",
]


def batch_path(programme: str, period: str) -> tuple[str, str | None]:
    """(path relative to the output root, i.e. sample_data/, and layer) of a batch file."""
    if programme == "change_survey":
        return f"{DATASET}/biangeng/{period}_JCTB.gpkg", "JCTB"
    if programme == "mining":
        return f"{DATASET}/weipian/{period}_mining/KS{period}.shp", None
    return f"{DATASET}/weipian/{period}_land/TD{period}.shp", None


def write_admin(admin: Admin, out: Path) -> None:
    t = admin.townships.to_crs(ADMIN_CRS)
    v = admin.villages[["ZLDWDM", "ZLDWMC", "XZQDM", "geometry"]].to_crs(ADMIN_CRS)
    write_gpkg(t, out / "admin/townships.gpkg", "townships")
    write_gpkg(v, out / "admin/villages.gpkg", "villages")


def write_batches(ctx: Context, root: Path) -> list[dict]:
    manifest = []
    for programme, period, issued, due in BATCHES:
        feats = ctx.batches[f"{programme}/{period}"]
        rel, layer = batch_path(programme, period)
        path = root / rel
        if programme == "mining":
            gdf = to_delivery(feats, "TBBH", "JCMJ", MINING_CRS, MINING_FIELDS)
            write_shapefile(gdf, path, keep_cpg=False, stamp=dt.date.fromisoformat(issued))
        elif programme == "land":
            gdf = to_delivery(feats, "TBBH", "JCMJ", LAND_CRS, LAND_FIELDS)
            write_shapefile(gdf, path, keep_cpg=True, stamp=dt.date.fromisoformat(issued))
        else:
            write_gpkg(
                to_delivery(feats, "监测图斑编号", "监测面积", SURVEY_CRS, SURVEY_FIELDS),
                path,
                layer,
            )
        manifest.append(
            {
                "path": rel,
                "programme": programme,
                "period": period,
                "authority": AUTHORITY[programme],
                "issued_on": issued,
                "due_on": due,
                "layer": layer,
            }
        )
    (root / DATASET / "batches.json").write_text(
        json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    return manifest


def collect_edge_cases(ctx: Context) -> dict:
    """Planted cases with their actual 图斑编号, for README and for tests."""
    admin = ctx.admin
    out: dict[str, list] = {
        "reissued": [],
        "cross_township": [],
        "partly_outside": [],
        "mining_land_same_pit": [],
        "sliver": [],
        "multipart": [],
        "holes": [],
    }
    same_pit = {}
    for key, feats in ctx.batches.items():
        for f in feats:
            for tag in f.tags:
                if tag.startswith("reissue_of:"):
                    src = f.source
                    iou = f.geom.intersection(src.geom).area / f.geom.union(src.geom).area
                    out["reissued"].append(
                        {
                            "code": f.code,
                            "batch": key,
                            "reissue_of": src.code,
                            "original_batch": tag.split(":", 1)[1],
                            "iou": round(iou, 3),
                        }
                    )
                elif tag == "cross_township":
                    hit = admin.townships[admin.townships.intersects(f.geom)]
                    shares = {
                        r.XZQDM: round(f.geom.intersection(r.geometry).area / f.geom.area, 3)
                        for r in hit.itertuples()
                    }
                    out["cross_township"].append(
                        {"code": f.code, "batch": key, "township_shares": shares}
                    )
                elif tag == "partly_outside":
                    share = f.geom.intersection(admin.outline).area / f.geom.area
                    out["partly_outside"].append(
                        {"code": f.code, "batch": key, "inside_share": round(share, 3)}
                    )
                elif tag in ("same_pit_mining", "same_pit_land"):
                    same_pit[tag] = (f, key)
                elif tag == "sliver":
                    out["sliver"].append(
                        {"code": f.code, "batch": key, "plane_area_m2": round(f.geom.area, 1)}
                    )
                elif tag == "multipart":
                    out["multipart"].append(
                        {"code": f.code, "batch": key, "parts": len(f.geom.geoms)}
                    )
                elif tag == "hole":
                    out["holes"].append({"code": f.code, "batch": key})
    (m, mk), (lnd, lk) = same_pit["same_pit_mining"], same_pit["same_pit_land"]
    iou = m.geom.intersection(lnd.geom).area / m.geom.union(lnd.geom).area
    out["mining_land_same_pit"].append(
        {
            "mining_code": m.code,
            "mining_batch": mk,
            "land_code": lnd.code,
            "land_batch": lk,
            "iou": round(iou, 3),
        }
    )
    return out


# ============================================================================================
# self-check
# ============================================================================================


def verify(root: Path, manifest: list[dict], cases: dict) -> list[str]:
    """Read every output back and check CRS, encoding, validity, areas, nesting and overlaps.
    Returns summary lines; raises AssertionError on any problem."""
    lines = []
    out = root / DATASET
    t = gpd.read_file(out / "admin/townships.gpkg", engine="pyogrio")
    v = gpd.read_file(out / "admin/villages.gpkg", engine="pyogrio")
    assert t.crs.to_epsg() == 4490 and v.crs.to_epsg() == 4490
    assert t.is_valid.all() and v.is_valid.all()
    assert (t.geom_type == "Polygon").all() and (v.geom_type == "Polygon").all()
    assert shapely.coverage_is_valid(t.geometry.values) and shapely.coverage_is_valid(
        v.geometry.values
    )
    assert set(v.XZQDM) == set(t.XZQDM) and v.ZLDWDM.is_unique and t.XZQDM.is_unique
    for row in t.itertuples():
        vs = v[v.XZQDM == row.XZQDM]
        assert vs.ZLDWDM.str.startswith(row.XZQDM).all()
        diff = shapely.symmetric_difference(
            shapely.union_all(vs.geometry.values), row.geometry
        ).area
        assert diff < 1e-10 * row.geometry.area, (row.XZQMC, diff)
    area_km2 = t.to_crs(WORK_CRS).area.sum() / 1e6
    lines.append(
        f"admin: {len(t)} townships, {len(v)} villages, "
        f"district {area_km2:.1f} km² (plane, EPSG:4548)"
    )

    everything = []
    gbk = COUNTY_NAME.encode("gbk")
    for b in manifest:
        path = root / b["path"]
        expect = {"mining": 4527, "land": 4548, "change_survey": 4527}[b["programme"]]
        if b["programme"] == "change_survey":
            g = gpd.read_file(path, layer=b["layer"], engine="pyogrio")
            code, area = "监测图斑编号", "监测面积"
            enc = "UTF-8 (GeoPackage)"
        else:
            cpg = path.with_suffix(".cpg")
            raw = path.with_suffix(".dbf").read_bytes()
            assert gbk in raw and COUNTY_NAME.encode("utf-8") not in raw, "DBF is not GBK"
            if b["programme"] == "mining":
                assert not cpg.exists()
                naive = gpd.read_file(path, engine="pyogrio")
                assert COUNTY_NAME not in set(naive.XZQMC), "expected mojibake without .cpg"
                g = gpd.read_file(path, engine="pyogrio", encoding="GBK")
                enc = "GBK, no .cpg"
            else:
                assert cpg.read_text() == "GBK"
                g = gpd.read_file(path, engine="pyogrio")
                enc = "GBK, .cpg=GBK"
            assert (g.XZQMC == COUNTY_NAME).all() and (g.XZQDM == COUNTY_CODE).all()
            code, area = "TBBH", "JCMJ"
        assert g.crs.to_epsg() == expect, (path, g.crs)
        assert g.is_valid.all() and g[code].is_unique
        assert np.allclose(g[area], g.geometry.area.round(2), atol=0.006)
        everything.append(g[[code, "geometry"]].rename(columns={code: "code"}).to_crs(WORK_CRS))
        lines.append(
            f"{b['path']}: {len(g)} features, EPSG:{expect}, {enc}, "
            f"{g[area].min():.0f}-{g[area].max():.0f} m²"
        )

    allg = gpd.GeoDataFrame(pd.concat(everything, ignore_index=True), crs=WORK_CRS)
    left, right = allg.sindex.query(allg.geometry, predicate="intersects")
    pairs = {
        tuple(sorted((allg.code.iloc[i], allg.code.iloc[j])))
        for i, j in zip(left, right, strict=True)
        if i != j
    }
    planted = {tuple(sorted((c["code"], c["reissue_of"]))) for c in cases["reissued"]}
    planted |= {
        tuple(sorted((c["mining_code"], c["land_code"]))) for c in cases["mining_land_same_pit"]
    }
    assert pairs == planted, pairs ^ planted
    lines.append(f"intersecting pairs across all batches: {len(pairs)} (all planted)")

    layers = json.loads((out / "reference_layers.json").read_text(encoding="utf-8"))
    outline = shapely.union_all(t.to_crs(WORK_CRS).geometry.values)
    lines += reference_layers.verify(root, manifest, layers, cases, outline)
    lines += patrol.verify(root)
    return lines


# ============================================================================================
# main
# ============================================================================================


def generate(seed: int, root: Path = HERE) -> tuple[list[dict], dict]:
    """Build everything from ``seed`` and write it to ``root``/fengrun/."""
    rng = np.random.default_rng(seed)
    admin = build_admin(rng)
    ctx = Context(rng=rng, admin=admin)
    for q in (1, 2, 3, 4):
        ctx.batches[f"mining/2019Q{q}"] = mining_batch(ctx, q)
        ctx.batches[f"land/2019Q{q}"] = land_batch(ctx, q)
    ctx.batches["change_survey/2019"] = survey_batch(ctx)
    for q in (1, 2, 3, 4):
        number_batch(ctx.batches[f"mining/2019Q{q}"], f"{COUNTY_CODE}KS2019Q{q}", 3)
        number_batch(ctx.batches[f"land/2019Q{q}"], f"{COUNTY_CODE}TD2019Q{q}", 3)
    number_batch(ctx.batches["change_survey/2019"], f"{COUNTY_CODE}2019JC", 5)

    out = root / DATASET
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    write_admin(admin, out)
    manifest = write_batches(ctx, root)
    cases = collect_edge_cases(ctx)
    cases = {
        "seed": seed,
        "note": "planted edge cases of the synthetic Fengrun sample; codes are 图斑编号",
        **cases,
    }
    cases.update(write_reference_layers(seed, admin, root, manifest))
    (out / "edge_cases.json").write_text(
        json.dumps(cases, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    patrol.write(seed, root)  # laid on everything above, as written
    return manifest, cases


def write_reference_layers(seed: int, admin: Admin, root: Path, manifest: list[dict]) -> dict:
    """Farmland, mining permits, approvals and facility filings, built around the 卫片 as
    written (read back from disk) from their own random streams, so nothing above changes.
    Returns the planted relations, measured on the written files."""
    weipian = reference_layers.read_weipian(root, manifest)
    refs = reference_layers.build(seed, admin, weipian, set(MINING_TOWNSHIPS))
    layers = reference_layers.write(refs, root, DATASET, write_shapefile, write_gpkg)
    return reference_layers.relations(weipian, reference_layers.read_layers(root, layers))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=SEED, help=f"random seed (default {SEED})")
    ap.add_argument(
        "--out",
        type=Path,
        default=HERE,
        help="output root; the dataset goes to OUT/fengrun/ (default: sample_data/)",
    )
    ap.add_argument("--no-verify", action="store_true", help="skip reading the outputs back")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    manifest, cases = generate(args.seed, args.out)
    if not args.no_verify:
        for line in verify(args.out, manifest, cases):
            print(line)
    print(f"wrote {args.out / DATASET} (seed {args.seed}) in {time.perf_counter() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
