"""Reference layers of the synthetic Fengrun sample: what a county bureau overlays on 卫片.

``generate.py`` imports this module after it has written the 卫片. The layers are built
around the 卫片 *as written*: ``read_weipian`` reads the shapefiles back from disk. The
planted relations are measured on the final files, also read back from disk.

* ``reference/yjjbnt.shp``: 永久基本农田 (permanent basic farmland). Field blocks, mostly
  in the southern plains. About 30 % of the land 卫片 lie partly or wholly on farmland.
* ``reference/ckq.gpkg`` (layer ``ckq``): 采矿权 矿区范围 (mining permit areas). About half
  of the mining 卫片 lie inside a permit, a quarter stick out of one (越界) and a quarter
  are far from any permit (无证).
* ``reference/ydsp.geojson``: 用地审批 (农转用, 征收 and 供地 approvals). About 35 % of the
  land 卫片 are fully covered and 15 % are partly covered (批少占多).
* ``reference/ssnyd.gpkg`` (layer ``ssnyd``): 设施农用地备案 (facility farmland filings).
  A few of them lie under greenhouse-type land 卫片.

All geometry is built in the metric working CRS (EPSG:4548), like the 卫片.

Random numbers come from their own streams, ``default_rng([seed, 2, k])``, one per
layer. The admin units and 卫片 come from ``default_rng(seed)`` and stay byte-identical
whatever this module does.

Like the rest of the sample, everything here is SYNTHETIC: no real farmland, permit,
approval or filing is shown.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyogrio
import shapely
from pyproj import Geod
from shapely import affinity
from shapely.geometry import Point, Polygon, box
from shapely.geometry.base import BaseGeometry

# Hilly northern townships where the quarries and iron mines are, with relative weights: the
# mining 图斑, the permits and the patrol sample's mining finds are laid there.
MINING_TOWNSHIPS = {
    "左家坞镇": 0.28,
    "火石营镇": 0.28,
    "泉河头镇": 0.20,
    "岔河镇": 0.10,
    "杨官林镇": 0.08,
    "银城铺镇": 0.06,
}
STREAM = 2  # rng = default_rng([seed, STREAM, layer]); generate.py uses default_rng(seed)
WORK_CRS = "EPSG:4548"
FARMLAND_CRS = "EPSG:4548"  # like the land 卫片: CGCS2000 3° GK CM 117°E, no zone prefix
REF_CRS = "EPSG:4490"  # CGCS2000 geographic: the system's storage CRS
GEOD = Geod(a=6378137.0, rf=298.257222101)  # CGCS2000 ellipsoid
LONLAT_GRID = 1e-8  # degrees, about 1 mm: coordinates of the EPSG:4490 files are rounded to it
VERSION = "2019"
STAMP = dt.date(2019, 12, 31)  # DBF last-update date of yjjbnt.dbf

# --- 永久基本农田 ------------------------------------------------------------------------
FARMLAND_SHARE = 0.30  # share of land 卫片 planted (partly) on farmland
DITCH_M = 3.0  # every block is inset by this much, so neighbouring patches are 6 m apart
FARMLAND_M2 = (10_000.0, 300_000.0)
PLAINS_DL = {"0102": 0.52, "0103": 0.40, "0101": 0.06, "0201K": 0.01, "0307K": 0.01}
HILLS_DL = {"0103": 0.70, "0102": 0.26, "0201K": 0.02, "0307K": 0.02}
DL_NAMES = {
    "0101": "水田",
    "0102": "水浇地",
    "0103": "旱地",
    "0201K": "可调整果园",
    "0307K": "可调整其他林地",
}

# --- 采矿权 ------------------------------------------------------------------------------
# planned shares; 'outside' is planned a little low because a few pits that cannot be
# fitted into any licence end up outside too
PERMIT_SHARES = {"inside": 0.50, "partly_outside": 0.27, "outside": 0.21}
EMPTY_PERMITS = (1, 4)  # licences with no 卫片 at all (mines that did not change)
MAX_PERMITS = 40
MINE_SUFFIX = {
    "铁矿": "铁矿",
    "建筑石料用灰岩": "石料厂",
    "建筑用砂": "砂石场",
    "水泥用灰岩": "石灰岩矿",
    "白云岩": "白云岩矿",
}
# Issuing authority in the licence number: the province for iron, the city for cement
# limestone and dolomite, the district for building stone and sand (a loose imitation).
LICENCE_AUTHORITY = {
    "铁矿": "130000",
    "水泥用灰岩": "130200",
    "白云岩": "130200",
    "建筑石料用灰岩": "130208",
    "建筑用砂": "130208",
}
BRANDS = ["鑫达", "宏远", "冀东", "金丰", "恒通", "瑞丰", "德润", "泰和", "丰华", "润泽", "华强"]

# --- 用地审批 ----------------------------------------------------------------------------
APPROVAL_FULL, APPROVAL_PARTLY = 0.35, 0.15  # shares of land 卫片
# how likely a land 卫片 of this BHLX is picked for an approval (construction needs one)
APPROVAL_LIKELIHOOD = {
    "新增建设用地": 1.0,
    "新增道路": 1.0,
    "大棚房": 0.25,
    "推填土": 0.15,
    "新增坑塘": 0.15,
}
APPROVAL_USE = {"0601": 0.30, "0701": 0.20, "0702": 0.20, "0508": 0.10, "1003": 0.20}
INDUSTRIES = [
    ("机械制造", "年产3000台农机配件"),
    ("钢结构", "年产2万吨钢结构件"),
    ("新型建材", "年产10万立方米加气混凝土砌块"),
    ("装备制造", "年产500套输送设备"),
    ("铸造", "年产5000吨铸件"),
    ("食品", "年产1万吨速冻食品"),
    ("包装材料", "年产3000万平方米纸箱"),
]
ROAD_PROJECTS = ["道路工程", "公路改建工程", "乡村道路硬化工程"]

# --- 设施农用地备案 ----------------------------------------------------------------------
FACILITY_USE = {
    "大棚": 0.45,
    "畜禽养殖": 0.30,
    "水产养殖": 0.10,
    "粮食晾晒": 0.10,
    "农机具存放": 0.05,
}
FACILITY_TOTAL = (50, 71)

# --- files ---------------------------------------------------------------------------------
LAYERS = [  # kind, name, path under the dataset directory, layer
    ("township", "乡镇级行政区", "admin/townships.gpkg", "townships"),
    ("village", "村级行政区（坐落单位）", "admin/villages.gpkg", "villages"),
    ("farmland", "永久基本农田", "reference/yjjbnt.shp", None),
    ("mining_permit", "采矿权（矿区范围）", "reference/ckq.gpkg", "ckq"),
    ("approval", "用地审批（农转用、征收、供地）", "reference/ydsp.geojson", None),
    ("facility_farmland", "设施农用地备案", "reference/ssnyd.gpkg", "ssnyd"),
]
FARMLAND_FIELDS = ["BSM", "JBNTTBBH", "ZLDWDM", "ZLDWMC", "DLBM", "DLMC", "JBNTMJ"]
PERMIT_FIELDS = ["XKZH", "KSMC", "KZ", "KCFS", "YXQQ", "YXQZ"]
APPROVAL_FIELDS = ["PZWH", "PZRQ", "XMMC", "LX", "PZMJ"]
FACILITY_FIELDS = ["BABH", "BARQ", "YT"]


# ============================================================================================
# small helpers
# ============================================================================================


def pick(rng: np.random.Generator, weights: dict[str, float]) -> str:
    keys = list(weights)
    p = np.array([weights[k] for k in keys], dtype=float)
    return keys[rng.choice(len(keys), p=p / p.sum())]


def log_uniform(rng: np.random.Generator, lo: float, hi: float) -> float:
    return float(np.exp(rng.uniform(np.log(lo), np.log(hi))))


def date_between(rng: np.random.Generator, a: dt.date, b: dt.date) -> dt.date:
    return a + dt.timedelta(days=int(rng.integers(0, max(1, (b - a).days + 1))))


def random_point(rng: np.random.Generator, region: BaseGeometry) -> tuple[float, float]:
    minx, miny, maxx, maxy = region.bounds
    while True:
        x, y = rng.uniform((minx, miny), (maxx, maxy))
        if region.contains(Point(x, y)):
            return float(x), float(y)


def xy(geom: BaseGeometry) -> np.ndarray:
    return np.asarray(geom.centroid.coords[0])


def rect(cx: float, cy: float, w: float, h: float, angle: float) -> Polygon:
    """A w × h rectangle centred on (cx, cy), its w side turned ``angle`` degrees from east."""
    r = box(cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)
    return affinity.rotate(r, angle, origin=(cx, cy))


def half_plane(c: np.ndarray, angle: float, t: float, big: float = 50_000.0) -> Polygon:
    """{p : u·(p - c) <= t}, u the unit vector at ``angle`` degrees, clipped to a big square."""
    hp = affinity.rotate(box(-big, -big, t, big), angle, origin=(0, 0))
    return affinity.translate(hp, c[0], c[1])


def projection_range(geom: BaseGeometry, c: np.ndarray, angle: float) -> tuple[float, float]:
    a = np.radians(angle)
    p = (shapely.get_coordinates(geom) - c) @ np.array([np.cos(a), np.sin(a)])
    return float(p.min()), float(p.max())


def offset_for_share(
    geom: BaseGeometry, keep: BaseGeometry, c: np.ndarray, angle: float, share: float
) -> float:
    """``t`` such that ``keep ∩ half_plane(c, angle, t)`` covers ``share`` of ``geom``."""
    lo, hi = projection_range(geom, c, angle)
    for _ in range(40):
        mid = (lo + hi) / 2
        got = geom.intersection(keep.intersection(half_plane(c, angle, mid))).area / geom.area
        lo, hi = (mid, hi) if got < share else (lo, mid)
    return (lo + hi) / 2


def long_axis(geom: BaseGeometry) -> float:
    """Direction in degrees of the long side of the minimum rotated rectangle."""
    c = shapely.get_coordinates(shapely.oriented_envelope(geom))
    e1, e2 = c[1] - c[0], c[2] - c[1]
    e = e1 if np.hypot(*e1) >= np.hypot(*e2) else e2
    return float(np.degrees(np.arctan2(e[1], e[0])))


def grow_along(rng: np.random.Generator, poly: Polygon, angle: float, max_frac: float) -> Polygon:
    """The rectangle ``poly`` (long side at ``angle``) lengthened on one end by up to
    ``max_frac`` of its length: a licence or an approved lot is often larger than what has
    been dug or built so far."""
    c = poly.centroid
    minx, miny, maxx, maxy = affinity.rotate(poly, -angle, origin=c).bounds
    ext = rng.uniform(0, max_frac) * (maxx - minx)
    if rng.random() < 0.5:
        maxx += ext
    else:
        minx -= ext
    return affinity.rotate(box(minx, miny, maxx, maxy), angle, origin=c)


def chamfer(rng: np.random.Generator, poly: Polygon, keep: BaseGeometry, k: int) -> Polygon:
    """Cut ``k`` corners off a convex polygon. Each cut is a straight line that stays clear
    of ``keep``, so the result is still convex and still contains ``keep``."""
    c = xy(poly)
    corners = shapely.get_coordinates(poly.exterior)[:-1]
    pts = shapely.get_coordinates(keep)
    for i in rng.choice(len(corners), size=min(k, len(corners)), replace=False):
        v = corners[i] - c
        u = v / np.hypot(*v)
        support, tip = float(((pts - c) @ u).max()), float(v @ u)
        if tip - support > 5:
            t = support + rng.uniform(0.3, 0.7) * (tip - support)
            poly = poly.intersection(half_plane(c, np.degrees(np.arctan2(u[1], u[0])), t))
    return poly


def n_corners(poly: BaseGeometry) -> int:
    return len(shapely.get_coordinates(poly.exterior)) - 1


def clean(poly: BaseGeometry, grid: float) -> BaseGeometry:
    """Drop collinear and near-duplicate vertices, then snap to ``grid``."""
    return shapely.set_precision(shapely.simplify(poly, grid), grid)


class Keepout:
    """Geometries a new polygon must stay ``dist`` metres away from (an STRtree, rebuilt
    lazily when something is added)."""

    def __init__(self, geoms: list[BaseGeometry] | None = None) -> None:
        self.geoms: list[BaseGeometry] = list(geoms or [])
        self._tree: shapely.STRtree | None = None

    def add(self, geom: BaseGeometry) -> None:
        self.geoms.append(geom)
        self._tree = None

    def hits(self, geom: BaseGeometry, dist: float) -> set[int]:
        if not self.geoms:
            return set()
        if self._tree is None:
            self._tree = shapely.STRtree(self.geoms)
        return {int(i) for i in self._tree.query(geom, predicate="dwithin", distance=dist)}

    def clear(self, geom: BaseGeometry, dist: float, ignore: set[int] | frozenset = frozenset()):
        return self.hits(geom, dist) <= set(ignore)


def linked_groups(geoms: list[BaseGeometry]) -> list[list[int]]:
    """Indices of intersecting geometries, grouped (re-issued sites come back as one group)."""
    parent = list(range(len(geoms)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    left, right = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    for a, b in zip(left, right, strict=True):
        parent[root(int(a))] = root(int(b))
    groups: dict[int, list[int]] = {}
    for i in range(len(geoms)):
        groups.setdefault(root(i), []).append(i)
    return list(groups.values())


# ============================================================================================
# inputs
# ============================================================================================


@dataclass
class Weipian:
    """The 卫片 as written, read back from disk, in the working CRS."""

    mining: gpd.GeoDataFrame  # TBBH, KCZL, geometry
    land: gpd.GeoDataFrame  # TBBH, BHLX, QSXDL, HSXDL, HSX, geometry


def read_weipian(root: Path, manifest: list[dict]) -> Weipian:
    frames: dict[str, list[gpd.GeoDataFrame]] = {"mining": [], "land": []}
    for b in manifest:
        if b["programme"] in frames:
            # the mining DBFs are GBK without a .cpg (see generate.py)
            enc = "GBK" if b["programme"] == "mining" else None
            g = gpd.read_file(root / b["path"], engine="pyogrio", encoding=enc)
            frames[b["programme"]].append(g.to_crs(WORK_CRS))
    mining, land = (
        gpd.GeoDataFrame(pd.concat(frames[k], ignore_index=True), crs=WORK_CRS)
        for k in ("mining", "land")
    )
    return Weipian(mining=mining, land=land)


@dataclass
class References:
    """The four reference layers in the working CRS, with their attributes."""

    farmland: gpd.GeoDataFrame
    permits: gpd.GeoDataFrame
    approvals: gpd.GeoDataFrame
    facilities: gpd.GeoDataFrame


def build(seed: int, admin: Any, wp: Weipian, hill_townships: set[str]) -> References:
    """Build all four layers. ``admin`` is generate.Admin: ``outline``, ``townships`` and
    ``villages`` (with seed_x/seed_y) in the working CRS."""
    rngs = [np.random.default_rng([seed, STREAM, k]) for k in range(4)]
    permits = build_permits(rngs[0], admin, wp.mining, sorted(hill_townships))
    land_units = linked_groups(list(wp.land.geometry))
    approvals = build_approvals(rngs[1], admin, wp.land, land_units)
    facilities = build_facilities(rngs[2], admin, wp.land, land_units, approvals)
    farmland = build_farmland(
        rngs[3], admin, wp, land_units, hill_townships, permits, approvals, facilities
    )
    return References(farmland, permits, approvals, facilities)


def village_at(admin: Any, geom: BaseGeometry) -> pd.Series:
    """The village holding the largest part of ``geom``."""
    v = admin.villages
    hit = v[v.intersects(geom)]
    return hit.iloc[int(np.argmax(hit.intersection(geom).area.to_numpy()))]


# ============================================================================================
# 采矿权 (mining permits)
# ============================================================================================


def proximity_groups(
    rng: np.random.Generator, geoms: list[BaseGeometry], max_dist: float, max_size: int
) -> list[list[int]]:
    """Nearby pits grouped greedily into candidate mines (one licence each) of 3 to
    ``max_size`` pits within ``max_dist`` of the first. An isolated pit stays alone."""
    tree = shapely.STRtree(geoms)
    free = np.ones(len(geoms), dtype=bool)
    groups = []
    for i in rng.permutation(len(geoms)):
        if not free[i]:
            continue
        size = int(rng.integers(3, max_size + 1))
        near = [int(j) for j in tree.query(geoms[i], "dwithin", max_dist) if free[j] and j != i]
        near.sort(key=lambda j: geoms[i].distance(geoms[j]))
        group = sorted([int(i), *near[: size - 1]])
        free[group] = False
        groups.append(group)
    return groups


def plan_permits(
    rng: np.random.Generator, groups: list[list[int]], geoms: list[BaseGeometry], outline: Polygon
) -> list[tuple[list[int], list[int]]]:
    """Decide which groups get a licence and which of their pits stick out of it.
    Returns (members, partly-outside members) per licensed group.

    Licence-less (无证) sites are drawn mostly from the small, isolated groups. Pits sticking
    out (越界) are spread over the licensed groups, at most two per licence. A pit that
    crosses the county line always sticks out of its licence."""
    n = len(geoms)
    want_out = round(PERMIT_SHARES["outside"] * n)
    want_part = round(PERMIT_SHARES["partly_outside"] * n)
    crossing = {i for g in groups for i in g if not outline.contains(geoms[i])}
    w = np.array([0.0 if crossing & set(g) else 1 / len(g) ** 3 for g in groups])
    unlicensed, got = set(), 0
    for k in rng.choice(len(groups), size=int((w > 0).sum()), replace=False, p=w / w.sum()):
        if got + len(groups[k]) <= want_out:
            unlicensed.add(int(k))
            got += len(groups[k])
    licensed = [g for k, g in enumerate(groups) if k not in unlicensed]
    partly = {k: [i for i in g if i in crossing] for k, g in enumerate(licensed)}
    left = want_part - len(crossing)
    cands = [(k, i) for k, g in enumerate(licensed) for i in g if i not in crossing]
    for cap in (1, 2):
        for j in rng.permutation(len(cands)):
            k, i = cands[j]
            if left > 0 and len(partly[k]) < cap and i not in partly[k]:
                partly[k].append(i)
                left -= 1
    return [(g, sorted(partly[k])) for k, g in enumerate(licensed)]


@dataclass
class PermitSite:
    pits: list[BaseGeometry]  # all mining 卫片
    pit_tree: Keepout
    placed: Keepout  # licences placed so far
    inner: BaseGeometry  # district shrunk by 10 m
    outline: Polygon


def try_permit(
    rng: np.random.Generator, site: PermitSite, members: list[int], partly: list[int]
) -> Polygon | None:
    """A convex licence area of 4-8 corners around ``members``: fully around each member,
    except the ``partly`` ones, which stick out of it by 10-60 %."""
    core = shapely.union_all([site.pits[i] for i in members])
    c0 = xy(core)
    for _ in range(80):
        hull = shapely.convex_hull(core.buffer(rng.uniform(15, 80), quad_segs=4))
        poly = grow_along(rng, shapely.oriented_envelope(hull), long_axis(hull), 0.4)
        poly = chamfer(rng, poly, hull, int(rng.integers(0, 5 - len(partly))))
        for i in partly:
            pit = site.pits[i]
            c = xy(pit)
            if not site.outline.contains(pit):  # cut roughly along the county line
                ring = site.outline.exterior
                near = np.asarray(ring.interpolate(ring.project(Point(c))).coords[0])
                angle = np.degrees(np.arctan2(*(near - c)[::-1])) + rng.uniform(-25, 25)
                share_out = rng.uniform(0.45, 0.58)
            else:  # cut off the far side of the pit, seen from the rest of the mine
                d = c - c0
                base = np.degrees(np.arctan2(d[1], d[0])) if np.hypot(*d) > 1 else 0.0
                angle = base + rng.uniform(-30, 30) if len(members) > 1 else rng.uniform(0, 360)
                share_out = rng.uniform(0.15, 0.5)
            t = offset_for_share(pit, poly, c, angle, 1 - share_out)
            poly = poly.intersection(half_plane(c, angle, t))
        poly = clean(poly, 0.01)  # 拐点坐标 are given to the centimetre
        if permit_ok(site, poly, members, partly):
            site.placed.add(poly)
            return poly
    return None


def licences_for(
    rng: np.random.Generator,
    site: PermitSite,
    members: list[int],
    partly: list[int],
    split: bool = True,
) -> list[tuple[Polygon, list[int]]]:
    """One licence for the group if possible; else split it once in two along its long
    axis and try each half. The pits of a half that cannot be licensed end up 无证."""
    poly = try_permit(rng, site, members, partly)
    if poly is not None:
        return [(poly, members)]
    if len(members) == 1 or not split:
        return []
    c = shapely.get_coordinates(shapely.centroid([site.pits[i] for i in members]))
    a = np.radians(long_axis(shapely.multipoints(c))) if len(members) > 2 else 0.0
    if len(members) == 2:
        order = [0, 1]
    else:
        order = list(np.argsort(c @ np.array([np.cos(a), np.sin(a)])))
    half = len(members) // 2
    out = []
    for part in ([members[k] for k in order[:half]], [members[k] for k in order[half:]]):
        out += licences_for(rng, site, part, [i for i in part if i in partly], split=False)
    return out


def permit_ok(site: PermitSite, poly: BaseGeometry, members: list[int], partly: list[int]) -> bool:
    if poly.geom_type != "Polygon" or not poly.is_valid or not 4 <= n_corners(poly) <= 8:
        return False
    if not site.inner.contains(poly):
        return False
    for i in members:
        pit = site.pits[i]
        if i in partly:
            share_out = 1 - pit.intersection(poly).area / pit.area
            if not 0.12 <= share_out <= 0.58:
                return False
        elif not poly.contains(pit.buffer(5)):
            return False
    return site.pit_tree.clear(poly, 25, set(members)) and site.placed.clear(poly, 50)


def empty_permit(
    rng: np.random.Generator, site: PermitSite, admin: Any, hills: list[str]
) -> Polygon | None:
    """A licence with no 卫片 in or near it: a mine that did not change this year."""
    for _ in range(300):
        region = admin.township_of(hills[int(rng.integers(len(hills)))]).buffer(-300)
        x, y = random_point(rng, region)
        poly = rect(x, y, rng.uniform(250, 900), rng.uniform(200, 700), rng.uniform(0, 180))
        poly = chamfer(rng, poly, affinity.scale(poly, 0.6, 0.6), int(rng.integers(0, 5)))
        poly = clean(poly, 0.01)
        if (
            poly.is_valid
            and 4 <= n_corners(poly) <= 8
            and site.inner.contains(poly)
            and site.pit_tree.clear(poly, 100)
            and site.placed.clear(poly, 50)
        ):
            site.placed.add(poly)
            return poly
    return None


def build_permits(
    rng: np.random.Generator, admin: Any, mining: gpd.GeoDataFrame, hills: list[str]
) -> gpd.GeoDataFrame:
    pits = list(mining.geometry)
    site = PermitSite(
        pits=pits,
        pit_tree=Keepout(pits),
        placed=Keepout(),
        inner=admin.outline.buffer(-10, join_style="mitre"),
        outline=admin.outline,
    )
    shapely.prepare(site.inner)
    plans = plan_permits(rng, proximity_groups(rng, pits, 1_500, 6), pits, admin.outline)
    built: list[tuple[Polygon, list[int]]] = []
    for members, partly in plans:
        built += licences_for(rng, site, members, partly)
    for _ in range(min(int(rng.integers(*EMPTY_PERMITS)), MAX_PERMITS - len(built))):
        poly = empty_permit(rng, site, admin, hills)
        if poly is not None:
            built.append((poly, []))
    return permit_attributes(rng, admin, mining, built)


def licence_dates(rng: np.random.Generator, expired: bool) -> tuple[dt.date, dt.date]:
    """(YXQQ, YXQZ) for a term of 3-10 years. A valid licence covers all of 2019; an
    expired one ended in 2018."""
    years = int(rng.choice([3, 5, 6, 8, 10]))
    if expired:
        end = date_between(rng, dt.date(2018, 1, 31), dt.date(2018, 11, 28))
        end = end.replace(day=min(end.day, 28))
        return dt.date(end.year - years, end.month, end.day) + dt.timedelta(days=1), end
    lo = max(dt.date(2009, 1, 1), dt.date(2020 - years, 1, 2))
    start = date_between(rng, lo, dt.date(2018, 12, 28))
    start = start.replace(day=min(start.day, 28))
    return start, dt.date(start.year + years, start.month, start.day) - dt.timedelta(days=1)


def permit_attributes(
    rng: np.random.Generator,
    admin: Any,
    mining: gpd.GeoDataFrame,
    built: list[tuple[Polygon, list[int]]],
) -> gpd.GeoDataFrame:
    """XKZH, KSMC, KZ, KCFS, YXQQ, YXQZ; sorted north to south. Two licences that contain
    pits have expired (YXQZ in 2018), so an 'inside' pit is not automatically legal."""
    built = sorted(built, key=lambda b: (-round(b[0].centroid.y, -2), b[0].centroid.x))
    minerals = sorted(mining.KCZL)
    with_pits = [i for i, (_, m) in enumerate(built) if m]
    expired = set(rng.choice(with_pits, size=min(2, len(with_pits)), replace=False).tolist())
    serials = rng.choice(np.arange(10_000, 100_000), size=len(built), replace=False)
    rows, names = [], set()
    for i, (poly, members) in enumerate(built):
        if members:  # the mineral of the largest pit
            kz = mining.KCZL.iloc[max(members, key=lambda j: mining.geometry.iloc[j].area)]
        else:
            kz = minerals[int(rng.integers(len(minerals)))]
        p_underground = 0.5 if not members else 0.15
        kcfs = "地下" if kz == "铁矿" and rng.random() < p_underground else "露天"
        start, end = licence_dates(rng, i in expired)
        auth = LICENCE_AUTHORITY[kz]
        xkzh = f"C{auth}{start.year}{start.month:02d}71300{serials[i]:05d}"
        rows.append(
            {
                "XKZH": xkzh,
                "KSMC": mine_name(rng, admin, poly, kz, names),
                "KZ": kz,
                "KCFS": kcfs,
                "YXQQ": start,
                "YXQZ": end,
                "geometry": poly,
            }
        )
    return gpd.GeoDataFrame(rows, crs=WORK_CRS)


def mine_name(rng: np.random.Generator, admin: Any, poly: Polygon, kz: str, used: set[str]):
    stem = village_at(admin, poly).ZLDWMC.removesuffix("村")
    if rng.random() < 0.35:
        brand = BRANDS[int(rng.integers(len(BRANDS)))]
        name = f"唐山市丰润区{brand}矿业有限公司{stem}{MINE_SUFFIX[kz]}"
    else:
        name = f"丰润区{stem}{MINE_SUFFIX[kz]}"
    for extra in ["", "东", "西", "南", "北", "二号"]:
        cand = name.replace(stem, stem + extra, 1)
        if cand not in used:
            used.add(cand)
            return cand
    raise RuntimeError(f"no unique mine name for {name}")


# ============================================================================================
# 用地审批 (approvals)
# ============================================================================================


@dataclass
class Approval:
    geom: Polygon
    lx: str  # 农转用 / 征收 / 供地
    date: dt.date
    use: str  # 后时相-like land use it was approved for (chooses the project name)
    village: pd.Series
    chain: int | None = None  # a 供地 record's 农转用/征收 record (same project)


@dataclass
class ApprovalSite:
    land: list[BaseGeometry]
    land_tree: Keepout
    placed: Keepout
    inner: BaseGeometry


def parcel_around(rng: np.random.Generator, geom: BaseGeometry) -> Polygon:
    """An approved lot around a built-up 图斑: a (sometimes longer) rectangle for compact
    shapes, a corridor for roads and other elongated ones."""
    margin = rng.uniform(3, 20)
    env = shapely.oriented_envelope(geom)
    if geom.area / env.area > 0.55:
        lot = shapely.oriented_envelope(geom.buffer(margin, join_style="mitre"))
        if rng.random() < 0.5:
            lot = grow_along(rng, lot, long_axis(lot), 0.4)
        return lot
    return clean(geom.buffer(margin, join_style="mitre"), 0.5)


def enclosing_lot(rng: np.random.Generator, parcel: Polygon) -> Polygon:
    """The 农转用/征收 lot a 供地 parcel was carved from: longer, and 10-40 m wider."""
    grown = grow_along(rng, parcel, long_axis(parcel), 0.8)
    return clean(grown.buffer(rng.uniform(10, 40), join_style="mitre"), 0.01)


def approval_ok(site: ApprovalSite, poly: BaseGeometry, unit: list[int]) -> bool:
    return (
        poly.geom_type == "Polygon"
        and poly.is_valid
        and site.inner.contains(poly)
        and site.land_tree.clear(poly, 10, set(unit))
        and site.placed.clear(poly, 5)
    )


def cover_unit(
    rng: np.random.Generator, site: ApprovalSite, unit: list[int], share: float | None
) -> tuple[Polygon, Polygon | None] | None:
    """Approval geometry for a land 卫片 (or a re-issued pair): covering all of it
    (``share`` None), or only ``share`` of it (批少占多). Sometimes a chain: a larger 农转用
    lot plus the 供地 parcel inside it. Returns (lot, parcel or None)."""
    g = shapely.union_all([site.land[i] for i in unit])
    for _ in range(30):
        lot = parcel_around(rng, g)
        if share is not None:
            angle = long_axis(lot) + 180 * int(rng.integers(2))
            c = xy(g)
            lot = lot.intersection(half_plane(c, angle, offset_for_share(g, lot, c, angle, share)))
        lot = clean(lot, 0.01)
        parcel = None
        if share is None and rng.random() < 0.25 and lot.geom_type == "Polygon":
            parcel, lot = lot, enclosing_lot(rng, lot)
        if approval_ok(site, lot, unit):
            site.placed.add(lot)
            return lot, parcel
    return None


def plan_approvals(
    rng: np.random.Generator, land: gpd.GeoDataFrame, units: list[list[int]]
) -> dict[int, str]:
    """unit index -> 'full' / 'partly'; construction 卫片 are the likeliest to be approved."""
    n = len(land)
    w = np.array([APPROVAL_LIKELIHOOD[land.BHLX.iloc[u[0]]] for u in units])
    order = rng.choice(len(units), size=len(units), replace=False, p=w / w.sum())
    plan, got = {}, {"full": 0, "partly": 0}
    want = {"full": round(APPROVAL_FULL * n), "partly": round(APPROVAL_PARTLY * n)}
    for k in order:
        kind = next((c for c in ("full", "partly") if got[c] < want[c]), None)
        if kind is None:
            break
        plan[int(k)] = kind
        got[kind] += len(units[k])
    return plan


def build_approvals(
    rng: np.random.Generator, admin: Any, land: gpd.GeoDataFrame, units: list[list[int]]
) -> gpd.GeoDataFrame:
    geoms = list(land.geometry)
    site = ApprovalSite(
        geoms, Keepout(geoms), Keepout(), admin.outline.buffer(-5, join_style="mitre")
    )
    shapely.prepare(site.inner)
    recs: list[Approval] = []
    for k, kind in sorted(plan_approvals(rng, land, units).items()):
        unit = units[k]
        got = cover_unit(rng, site, unit, None if kind == "full" else rng.uniform(0.3, 0.85))
        if got is None:
            continue
        lot, parcel = got
        hsx = min(dt.datetime.strptime(land.HSX.iloc[i], "%Y%m%d").date() for i in unit)
        use = land.HSXDL.iloc[unit[0]]
        village = village_at(admin, lot)
        add_approval(rng, recs, lot, parcel, use, village, hsx - dt.timedelta(45))
    n_bg = int(rng.integers(90, 131))
    for _ in range(n_bg):
        background_approval(rng, admin, site, recs)
    return approval_attributes(rng, recs)


def add_approval(
    rng: np.random.Generator,
    recs: list[Approval],
    lot: Polygon,
    parcel: Polygon | None,
    use: str,
    village: pd.Series,
    latest: dt.date,
) -> None:
    """Append one record, or a 农转用/征收 lot plus the 供地 parcel in it, approved between
    2015 and ``latest``: the end of 2019, or well before the 后时相 of the 卫片 it covers."""
    first = dt.date(2015, 1, 1)
    if parcel is None:
        lx = pick(rng, approval_kinds(use))
        recs.append(Approval(lot, lx, date_between(rng, first, latest), use, village))
        return
    d1 = date_between(rng, first, latest - dt.timedelta(195))
    d2 = date_between(rng, d1 + dt.timedelta(60), min(latest, d1 + dt.timedelta(365)))
    recs.append(Approval(lot, pick(rng, {"农转用": 0.6, "征收": 0.4}), d1, use, village))
    recs.append(Approval(parcel, "供地", d2, use, village, chain=len(recs) - 1))


def approval_kinds(use: str) -> dict[str, float]:
    if use == "0702":  # village housing: converted, not expropriated or sold
        return {"农转用": 0.8, "征收": 0.2}
    if use in ("0601", "0508", "0701"):
        return {"供地": 0.45, "农转用": 0.35, "征收": 0.20}
    if use in ("1003", "1006"):
        return {"农转用": 0.6, "征收": 0.4}
    return {"农转用": 1.0}


def background_approval(
    rng: np.random.Generator, admin: Any, site: ApprovalSite, recs: list[Approval]
) -> None:
    """An approval with no 卫片 on it, next to a village."""
    v = admin.villages
    for _ in range(200):
        row = v.iloc[int(rng.integers(len(v)))]
        ang, d = rng.uniform(0, 2 * np.pi), rng.uniform(150, 1500)
        x, y = row.seed_x + d * np.cos(ang), row.seed_y + d * np.sin(ang)
        use = pick(rng, APPROVAL_USE)
        if use == "1003":  # a road: long and narrow
            lot = rect(x, y, rng.uniform(300, 1500), rng.uniform(12, 30), rng.uniform(0, 180))
        else:
            area = log_uniform(rng, 2_000, 60_000)
            aspect = rng.uniform(1, 2.5)
            lot = rect(x, y, np.sqrt(area * aspect), np.sqrt(area / aspect), rng.uniform(0, 180))
        lot = clean(lot, 0.01)
        if not (
            site.inner.contains(lot) and site.land_tree.clear(lot, 20) and site.placed.clear(lot, 5)
        ):
            continue
        site.placed.add(lot)
        parcel = None
        if use != "1003" and rng.random() < 0.2:  # the 供地 parcel: part of the lot
            c, a = lot.centroid, long_axis(lot)
            minx, miny, maxx, maxy = affinity.rotate(lot, -a, origin=c).bounds
            cut = minx + rng.uniform(0.4, 0.8) * (maxx - minx)
            parcel = clean(affinity.rotate(box(minx, miny, cut, maxy), a, origin=c), 0.01)
        village = village_at(admin, lot)
        add_approval(rng, recs, lot, parcel, use, village, dt.date(2019, 12, 31))
        return


def project_name(rng: np.random.Generator, rec: Approval, batch_name: str) -> str:
    """XMMC: a 批次 name for 农转用/征收 of housing and mixed uses, a project otherwise."""
    stem = rec.village.ZLDWMC.removesuffix("村")
    brand = BRANDS[int(rng.integers(len(BRANDS)))]
    if rec.use == "0601":
        industry, product = INDUSTRIES[int(rng.integers(len(INDUSTRIES)))]
        return f"唐山{brand}{industry}有限公司{product}项目"
    if rec.use == "0508":
        return f"唐山{brand}物流有限公司仓储物流项目"
    if rec.use in ("1003", "1006"):
        return f"丰润区{stem}{ROAD_PROJECTS[int(rng.integers(len(ROAD_PROJECTS)))]}"
    if rec.use == "0701" and rec.lx == "供地":
        return f"丰润区{brand}家园住宅小区项目"
    if rec.use == "0702":
        return f"丰润区{stem}村村民住宅建设项目"
    return batch_name


def approval_attributes(rng: np.random.Generator, recs: list[Approval]) -> gpd.GeoDataFrame:
    """PZWH, PZRQ, XMMC, LX. 农转用/征收 records of one township and year are approved in
    批次 of 1-3 lots sharing a 文号 and date (the earliest of the lots); each 供地 has its
    own 文号."""
    order = sorted(range(len(recs)), key=lambda i: (recs[i].date, recs[i].lx, i))
    wh: dict[int, str] = {}
    batch_names: dict[int, str] = {}
    for lx, pattern, top in (("农转用", "冀政转征函", 400), ("征收", "冀政征函", 200)):
        idx = [i for i in order if recs[i].lx == lx]
        idx.sort(key=lambda i: (recs[i].date.year, recs[i].village.XZQDM, recs[i].date, i))
        chunks: list[list[int]] = []
        for i in idx:
            head = recs[chunks[-1][0]] if chunks else None
            if (
                head is not None
                and (head.date.year, head.village.XZQDM)
                == (recs[i].date.year, recs[i].village.XZQDM)
                and len(chunks[-1]) < int(rng.integers(1, 4))
            ):
                chunks[-1].append(i)
            else:
                chunks.append([i])
        chunks.sort(key=lambda ch: recs[ch[0]].date)
        by_year: dict[int, list[list[int]]] = {}
        for ch in chunks:
            by_year.setdefault(recs[ch[0]].date.year, []).append(ch)
        for year, year_chunks in by_year.items():
            nums = np.sort(rng.choice(np.arange(1, top), size=len(year_chunks), replace=False))
            for k, (ch, num) in enumerate(zip(year_chunks, nums, strict=True), start=1):
                day = min(recs[i].date for i in ch)
                kind = "城镇" if any(recs[i].use == "0701" for i in ch) else "村庄"
                for i in ch:
                    recs[i].date = day
                    wh[i] = f"{pattern}〔{year}〕{num}号"
                    batch_names[i] = f"丰润区{year}年度第{k}批次{kind}建设用地"
    supply = [i for i in order if recs[i].lx == "供地"]
    for year in sorted({recs[i].date.year for i in supply}):
        idx = sorted(
            (i for i in supply if recs[i].date.year == year), key=lambda i: (recs[i].date, i)
        )
        nums = np.sort(rng.choice(np.arange(1, 150), size=len(idx), replace=False))
        for i, num in zip(idx, nums, strict=True):
            wh[i] = f"丰政地〔{year}〕{num}号"
    rows = []
    for i in sorted(range(len(recs)), key=lambda i: (recs[i].date, wh[i], i)):
        r = recs[i]
        if r.chain is not None:  # the 供地 of a 批次 lot carries the project's name
            name = project_name(rng, r, batch_names.get(r.chain, ""))
        else:
            name = project_name(rng, r, batch_names.get(i, ""))
        if not name:
            name = f"丰润区{r.date.year}年度建设项目"
        rows.append({"PZWH": wh[i], "PZRQ": r.date, "XMMC": name, "LX": r.lx, "geometry": r.geom})
    return gpd.GeoDataFrame(rows, crs=WORK_CRS)


# ============================================================================================
# 设施农用地备案 (facility farmland filings)
# ============================================================================================


def build_facilities(
    rng: np.random.Generator,
    admin: Any,
    land: gpd.GeoDataFrame,
    units: list[list[int]],
    approvals: gpd.GeoDataFrame,
) -> gpd.GeoDataFrame:
    geoms = list(land.geometry)
    land_tree, appr = Keepout(geoms), Keepout(list(approvals.geometry))
    placed = Keepout()
    inner = admin.outline.buffer(-5, join_style="mitre")
    shapely.prepare(inner)
    rows: list[dict] = []

    def ok(poly: BaseGeometry, unit: list[int]) -> bool:
        return (
            poly.geom_type == "Polygon"
            and poly.is_valid
            and inner.contains(poly)
            and land_tree.clear(poly, 10 if unit else 20, set(unit))
            and appr.clear(poly, 5)
            and placed.clear(poly, 5)
        )

    # filings under greenhouse-type 卫片 that have no approval on them
    cands = [
        u
        for u in units
        if (land.BHLX.iloc[u[0]] == "大棚房" or land.HSXDL.iloc[u[0]] == "1202")
        and not appr.hits(shapely.union_all([geoms[i] for i in u]), 0)
    ]
    n_under = min(len(cands), int(rng.integers(4, 8)))
    for k in rng.choice(len(cands), size=n_under, replace=False):
        unit = cands[int(k)]
        g = shapely.union_all([geoms[i] for i in unit])
        hsx = min(dt.datetime.strptime(land.HSX.iloc[i], "%Y%m%d").date() for i in unit)
        for _ in range(30):
            poly = shapely.oriented_envelope(g.buffer(rng.uniform(2, 8), join_style="mitre"))
            if rng.random() < 1 / 3:  # filed for less than was built
                c, angle = xy(g), long_axis(poly) + 180 * int(rng.integers(2))
                t = offset_for_share(g, poly, c, angle, rng.uniform(0.5, 0.9))
                poly = poly.intersection(half_plane(c, angle, t))
            poly = clean(poly, 0.01)
            if ok(poly, unit):
                placed.add(poly)
                date = date_between(rng, dt.date(2016, 1, 1), hsx - dt.timedelta(30))
                rows.append({"YT": "大棚", "BARQ": date, "geometry": poly})
                break

    v = admin.villages
    for _ in range(int(rng.integers(*FACILITY_TOTAL)) - len(rows)):
        for _ in range(200):
            row = v.iloc[int(rng.integers(len(v)))]
            ang, d = rng.uniform(0, 2 * np.pi), rng.uniform(200, 1200)
            x, y = row.seed_x + d * np.cos(ang), row.seed_y + d * np.sin(ang)
            yt = pick(rng, FACILITY_USE)
            area = log_uniform(rng, 1_000, 20_000)
            aspect = rng.uniform(3, 8) if yt == "大棚" else rng.uniform(1, 2)
            poly = rect(x, y, np.sqrt(area * aspect), np.sqrt(area / aspect), rng.uniform(0, 180))
            poly = clean(poly, 0.01)
            if ok(poly, []):
                placed.add(poly)
                date = date_between(rng, dt.date(2016, 1, 1), dt.date(2019, 12, 31))
                rows.append({"YT": yt, "BARQ": date, "geometry": poly})
                break

    rows.sort(key=lambda r: (r["BARQ"], -r["geometry"].centroid.y))
    count: dict[int, int] = {}
    for r in rows:
        count[r["BARQ"].year] = count.get(r["BARQ"].year, 0) + 1
        r["BABH"] = f"丰设农备〔{r['BARQ'].year}〕{count[r['BARQ'].year]:03d}号"
    return gpd.GeoDataFrame(rows, crs=WORK_CRS)[["BABH", "BARQ", "YT", "geometry"]]


# ============================================================================================
# 永久基本农田 (permanent basic farmland)
# ============================================================================================


def township_weights(admin: Any, hills: set[str]) -> dict[str, float]:
    """How much of a township is farmland: most in the southern plains, little in the hills."""
    t = admin.townships
    miny, maxy = admin.outline.bounds[1], admin.outline.bounds[3]
    south = (maxy - t.geometry.centroid.y) / (maxy - miny)
    return {
        code: 0.04 if name in hills else 0.08 + 0.30 * s
        for code, name, s in zip(t.XZQDM, t.XZQMC, south, strict=True)
    }


def zoning(rng: np.random.Generator, centre: np.ndarray):
    """A smooth random field in [0, 1] (wavelengths 3-9 km): farmland comes in zones."""
    comps = [
        (rng.uniform(3_000, 9_000), np.radians(rng.uniform(0, 180)), rng.uniform(0, 2 * np.pi))
        for _ in range(6)
    ]

    def z(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        s = sum(
            np.cos(
                2 * np.pi * ((x - centre[0]) * np.cos(a) + (y - centre[1]) * np.sin(a)) / lam + ph
            )
            for lam, a, ph in comps
        )
        return 0.5 + 0.5 * np.tanh(s / np.sqrt(len(comps) / 2))

    return z


def cuts(rng: np.random.Generator, lo: float, hi: float, step: tuple[float, float]) -> np.ndarray:
    out = [lo - rng.uniform(0, step[1])]
    while out[-1] < hi:
        out.append(out[-1] + rng.uniform(*step))
    return np.array(out)


def farmland_grid(
    rng: np.random.Generator, admin: Any, hills: set[str], angles: dict[str, float]
) -> list[tuple[Polygon, int]]:
    """Field blocks on a rotated grid per township (100-450 m × 120-650 m), kept where the
    zoning field allows, split by village boundaries and inset by DITCH_M. Blocks touching a
    village's built-up core are left out. Returns (patch, village row index)."""
    weights = township_weights(admin, hills)
    z = zoning(rng, xy(admin.outline))
    v = admin.villages
    core_r = rng.uniform(250, 400, len(v))
    vtree = shapely.STRtree(list(v.geometry))
    out = []
    for code, town in zip(admin.townships.XZQDM, admin.townships.geometry, strict=True):
        angle, c = angles[code], town.centroid
        minx, miny, maxx, maxy = affinity.rotate(town, -angle, origin=c).bounds
        xs, ys = cuts(rng, minx, maxx, (100, 450)), cuts(rng, miny, maxy, (120, 650))
        cells = [
            affinity.rotate(box(x0, y0, x1, y1), angle, origin=c)
            for x0, x1 in zip(xs[:-1], xs[1:], strict=True)
            for y0, y1 in zip(ys[:-1], ys[1:], strict=True)
        ]
        cxy = shapely.get_coordinates(shapely.centroid(cells))
        keep = (z(cxy[:, 0], cxy[:, 1]) < weights[code]) & (rng.random(len(cells)) < 0.9)
        for cell in np.asarray(cells)[keep]:
            for j in vtree.query(cell, predicate="intersects"):
                if v.XZQDM.iloc[j] != code:
                    continue
                piece = cell.intersection(v.geometry.iloc[j])
                for part in getattr(piece, "geoms", [piece]):
                    if part.geom_type != "Polygon":
                        continue
                    p = part.buffer(-DITCH_M, join_style="mitre")
                    seed = Point(v.seed_x.iloc[j], v.seed_y.iloc[j])
                    if (
                        p.geom_type == "Polygon"
                        and FARMLAND_M2[0] <= p.area <= FARMLAND_M2[1]
                        and p.distance(seed) > core_r[j]
                    ):
                        out.append((clean(p, 0.001), int(j)))
    return out


@dataclass
class FieldBlock:
    """A field block of ``length`` along direction ``angle`` ending at offset ``t`` past the
    centre ``c`` of the 卫片 ``g``, spanning [lo, hi] across, clipped to ``village`` and inset
    by DITCH_M. Moving ``t`` slides the block over ``g``."""

    g: BaseGeometry
    village: BaseGeometry
    c: tuple[float, float]
    angle: float
    lo: float
    hi: float
    length: float

    def patch(self, t: float) -> BaseGeometry:
        b = box(t - self.length, self.lo, t, self.hi)
        piece = affinity.rotate(b, self.angle, origin=self.c).intersection(self.village)
        parts = [p for p in getattr(piece, "geoms", [piece]) if p.geom_type == "Polygon"]
        if not parts:
            return Polygon()
        best = max(parts, key=lambda p: (p.intersection(self.g).area, p.area))
        return best.buffer(-DITCH_M, join_style="mitre")

    def share(self, t: float) -> float:
        return self.patch(t).intersection(self.g).area / self.g.area


def plant_farmland(
    rng: np.random.Generator,
    admin: Any,
    g: BaseGeometry,
    angle: float,
    ok: Callable[[BaseGeometry], bool],
) -> tuple[Polygon, int] | None:
    """A field block, aligned with the township's grid, lying under ``g``: 15 % of the
    time under all of it, otherwise under 15-90 % of it. Clipped to the village holding most
    of ``g`` and inset by DITCH_M like the grid blocks. Returns (patch, village row)."""
    vrow = village_at(admin, g)
    j = int(admin.villages.index.get_loc(vrow.name))
    for _ in range(30):
        d = angle + rng.uniform(-4, 4) + 90 * int(rng.integers(4))
        c = tuple(xy(g))
        x0, y0, x1, y1 = affinity.rotate(g, -d, origin=c).bounds
        lo, hi = y0 - rng.uniform(10, 150), y1 + rng.uniform(10, 150)
        area = log_uniform(rng, max(15_000, 1.5 * g.area), 250_000)
        block = FieldBlock(g, vrow.geometry, c, d, lo, hi, max(area / (hi - lo), x1 - x0 + 70))
        if rng.random() < 0.15:
            t = x1 + rng.uniform(10, 60)
        else:
            target, a, b = rng.uniform(0.15, 0.9), x0, x1
            for _ in range(30):
                mid = (a + b) / 2
                a, b = (mid, b) if block.share(mid) < target else (a, mid)
            t = (a + b) / 2
        p = block.patch(t)
        if p.is_empty or p.geom_type != "Polygon":
            continue
        p = clean(p, 0.001)
        if (
            p.is_valid
            and FARMLAND_M2[0] <= p.area <= FARMLAND_M2[1]
            and block.share(t) >= 0.1
            and ok(p)
        ):
            return p, j
    return None


def farmland_targets(
    rng: np.random.Generator,
    land: gpd.GeoDataFrame,
    units: list[list[int]],
    approvals: gpd.GeoDataFrame,
) -> list[int]:
    """Units to plant farmland under: only 卫片 that were 耕地 before (QSXDL 01xx); unapproved
    ones are the likeliest, fully approved ones the least likely."""
    appr = shapely.union_all(list(approvals.geometry))
    cand, w = [], []
    for k, u in enumerate(units):
        if not land.QSXDL.iloc[u[0]].startswith("01"):
            continue
        g = shapely.union_all([land.geometry.iloc[i] for i in u])
        cover = g.intersection(appr).area / g.area
        cand.append(k)
        w.append(0.25 if cover > 0.99 else 0.9 if cover > 0 else 1.0)
    w = np.array(w)
    order = rng.choice(len(cand), size=len(cand), replace=False, p=w / w.sum())
    want, got, out = round(FARMLAND_SHARE * len(land)), 0, []
    for k in order:
        if got >= want:
            break
        out.append(cand[int(k)])
        got += len(units[cand[int(k)]])
    return sorted(out)


def build_farmland(
    rng: np.random.Generator,
    admin: Any,
    wp: Weipian,
    units: list[list[int]],
    hills: set[str],
    permits: gpd.GeoDataFrame,
    approvals: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
) -> gpd.GeoDataFrame:
    land = list(wp.land.geometry)
    land_tree, mining_tree = Keepout(land), Keepout(list(wp.mining.geometry))
    permit_tree = Keepout(list(permits.geometry))
    other = Keepout([*approvals.geometry, *facilities.geometry])
    t = admin.townships
    angles = {code: float(rng.uniform(-20, 20)) for code in t.XZQDM}
    planted = Keepout()
    patches: list[tuple[Polygon, int]] = []
    for k in farmland_targets(rng, wp.land, units, approvals):
        unit = units[k]
        g = shapely.union_all([land[i] for i in unit])
        code = t.XZQDM.iloc[int(np.argmax(t.intersection(g).area.to_numpy()))]

        def ok(p: BaseGeometry, unit: list[int] = unit) -> bool:
            return (
                land_tree.clear(p, 10, set(unit))
                and mining_tree.clear(p, 10)
                and permit_tree.clear(p, 10)
                and planted.clear(p, 2 * DITCH_M)
            )

        got = plant_farmland(rng, admin, g, angles[code], ok)
        if got is not None:
            planted.add(got[0])
            patches.append(got)
    for p, j in farmland_grid(rng, admin, hills, angles):
        if (
            land_tree.clear(p, 10)
            and mining_tree.clear(p, 10)
            and permit_tree.clear(p, 10)
            and other.clear(p, 5)
            and planted.clear(p, 2 * DITCH_M)
        ):
            patches.append((p, j))
    return farmland_attributes(rng, admin, patches, hills)


def farmland_attributes(
    rng: np.random.Generator, admin: Any, patches: list[tuple[Polygon, int]], hills: set[str]
) -> gpd.GeoDataFrame:
    """BSM 1…N and JBNTTBBH (township's last 3 digits + 5-digit serial), numbered by
    township and then north to south; ZLDWDM/ZLDWMC of the village; DLBM/DLMC."""
    v = admin.villages
    hill_codes = set(admin.townships.XZQDM[admin.townships.XZQMC.isin(hills)])
    rows = []
    for p, j in patches:
        xzq = v.XZQDM.iloc[j]
        dl = pick(rng, HILLS_DL if xzq in hill_codes else PLAINS_DL)
        rows.append(
            {
                "XZQDM": xzq,
                "ZLDWDM": v.ZLDWDM.iloc[j],
                "ZLDWMC": v.ZLDWMC.iloc[j],
                "DLBM": dl,
                "DLMC": DL_NAMES[dl],
                "geometry": p,
            }
        )
    rows.sort(
        key=lambda r: (r["XZQDM"], -round(r["geometry"].centroid.y, -2), r["geometry"].centroid.x)
    )
    serial: dict[str, int] = {}
    for bsm, r in enumerate(rows, start=1):
        serial[r["XZQDM"]] = serial.get(r["XZQDM"], 0) + 1
        r["BSM"] = bsm
        r["JBNTTBBH"] = f"{r['XZQDM'][-3:]}{serial[r['XZQDM']]:05d}"
    gdf = gpd.GeoDataFrame(rows, crs=WORK_CRS)
    return gdf[["BSM", "JBNTTBBH", "ZLDWDM", "ZLDWMC", "DLBM", "DLMC", "geometry"]]


# ============================================================================================
# writing
# ============================================================================================


def ellipsoidal_area(geoms_lonlat: gpd.GeoSeries) -> np.ndarray:
    """Area on the CGCS2000 ellipsoid, m², rounded to 0.01 (the official area)."""
    return np.round([abs(GEOD.geometry_area_perimeter(g)[0]) for g in geoms_lonlat], 2)


def to_lonlat(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    out = gdf.to_crs(REF_CRS)
    out["geometry"] = shapely.set_precision(out.geometry.values, LONLAT_GRID)
    return out


def as_dates(gdf: gpd.GeoDataFrame, cols: list[str]) -> gpd.GeoDataFrame:
    """Arrow date32 columns: written as DATE fields (GeoPackage) and YYYY-MM-DD (GeoJSON)."""
    gdf = gdf.copy()
    for c in cols:
        gdf[c] = pd.array(list(gdf[c]), dtype=pd.ArrowDtype(pa.date32()))
    return gdf


def write(refs: References, root: Path, dataset: str, write_shapefile, write_gpkg) -> list[dict]:
    """Write the four layers and ``reference_layers.json``; return the manifest.
    ``write_shapefile``/``write_gpkg`` are generate.py's byte-stable writers."""
    out = root / dataset
    farmland = refs.farmland.to_crs(FARMLAND_CRS)
    farmland["geometry"] = shapely.set_precision(farmland.geometry.values, 0.001)
    farmland["JBNTMJ"] = ellipsoidal_area(farmland.geometry.to_crs(REF_CRS))
    write_shapefile(  # GBK with a .cpg; RESIZE: text fields as wide as needed, not 80
        farmland[FARMLAND_FIELDS + ["geometry"]],
        out / "reference/yjjbnt.shp",
        True,
        STAMP,
        layer_options={"RESIZE": "YES"},
    )

    permits = as_dates(to_lonlat(refs.permits), ["YXQQ", "YXQZ"])
    write_gpkg(
        permits[PERMIT_FIELDS + ["geometry"]], out / "reference/ckq.gpkg", "ckq", use_arrow=True
    )

    approvals = to_lonlat(refs.approvals)
    approvals["PZMJ"] = ellipsoidal_area(approvals.geometry)
    approvals = as_dates(approvals, ["PZRQ"])[APPROVAL_FIELDS + ["geometry"]]
    path = out / "reference/ydsp.geojson"
    path.unlink(missing_ok=True)
    pyogrio.write_dataframe(
        approvals,
        path,
        layer="ydsp",
        driver="GeoJSON",
        use_arrow=True,
        layer_options={"COORDINATE_PRECISION": 8},
    )

    facilities = as_dates(to_lonlat(refs.facilities), ["BARQ"])
    write_gpkg(
        facilities[FACILITY_FIELDS + ["geometry"]],
        out / "reference/ssnyd.gpkg",
        "ssnyd",
        use_arrow=True,
    )

    manifest = [
        {"kind": kind, "name": name, "version": VERSION, "path": f"{dataset}/{rel}", "layer": layer}
        for kind, name, rel, layer in LAYERS
    ]
    (out / "reference_layers.json").write_text(
        json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    return manifest


# ============================================================================================
# reading back: relations and checks
# ============================================================================================


def read_layers(root: Path, manifest: list[dict]) -> dict[str, gpd.GeoDataFrame]:
    """Every layer of ``reference_layers.json``, as stored (own CRS)."""
    return {
        m["kind"]: gpd.read_file(root / m["path"], layer=m["layer"], engine="pyogrio")
        for m in manifest
    }


def cover_shares(targets: gpd.GeoDataFrame, cover: gpd.GeoDataFrame) -> np.ndarray:
    """Share of each target's area that lies in the union of ``cover`` (both in WORK_CRS)."""
    tree = shapely.STRtree(list(cover.geometry))
    out = []
    for g in targets.geometry:
        hit = tree.query(g, predicate="intersects")
        if len(hit) == 0:
            out.append(0.0)
            continue
        u = shapely.union_all(cover.geometry.values[hit])
        out.append(g.intersection(u).area / g.area)
    return np.array(out)


def relations(wp: Weipian, layers: dict[str, gpd.GeoDataFrame]) -> dict:
    """The planted relations, measured on the files as written (in EPSG:4548)."""
    permits = layers["mining_permit"].to_crs(WORK_CRS)
    approvals = layers["approval"].to_crs(WORK_CRS)
    farmland = layers["farmland"].to_crs(WORK_CRS)
    facilities = layers["facility_farmland"].to_crs(WORK_CRS)
    mining = wp.mining.sort_values("TBBH")
    land = wp.land.sort_values("TBBH")

    pu = shapely.union_all(list(permits.geometry))
    rel, out_share = {}, {}
    for code, g in zip(mining.TBBH, mining.geometry, strict=True):
        rel[code] = (
            "inside" if pu.contains(g) else "partly_outside" if pu.intersects(g) else "outside"
        )
        out_share[code] = round(1 - g.intersection(pu).area / g.area, 3)
    expired = []
    for r in permits.itertuples():
        if pd.Timestamp(r.YXQZ) < pd.Timestamp("2019-01-01"):
            inside = sorted(
                c
                for c, g in zip(mining.TBBH, mining.geometry, strict=True)
                if r.geometry.contains(g)
            )
            expired.append(
                {"xkzh": r.XKZH, "yxqz": str(pd.Timestamp(r.YXQZ).date()), "codes_inside": inside}
            )
    codes = list(land.TBBH)
    appr = cover_shares(land, approvals).round(3)
    farm = cover_shares(land, farmland).round(3)
    fac = cover_shares(land, facilities).round(3)
    return {
        "mining_permit_relation": rel,
        "mining_permit_outside_share": out_share,
        "mining_permit_expired": sorted(expired, key=lambda e: e["xkzh"]),
        "approval_cover_share": dict(zip(codes, appr.tolist(), strict=True)),
        "farmland_overlap_share": dict(zip(codes, farm.tolist(), strict=True)),
        "facility_filing_cover_share": {
            c: s for c, s in zip(codes, fac.tolist(), strict=True) if s > 0
        },
    }


def verify(
    root: Path, batches: list[dict], manifest: list[dict], cases: dict, outline: Polygon
) -> list[str]:
    """Read every reference layer back and check CRS, encoding, counts, validity, text,
    areas, non-overlap, extent and the relations recorded in edge_cases.json."""
    layers = read_layers(root, manifest)
    lines = []
    expect_crs = {
        "farmland": 4548,
        "mining_permit": 4490,
        "approval": 4490,
        "facility_farmland": 4490,
    }
    # the wanted ranges, a little wider for permits (other seeds can have up to ~140 pits)
    counts = {
        "farmland": (1500, 3000),
        "mining_permit": (20, 45),
        "approval": (150, 300),
        "facility_farmland": (40, 80),
    }
    district = outline.buffer(0.5)
    for m in manifest:
        g = layers[m["kind"]]
        assert (root / m["path"]).exists()
        if m["kind"] not in expect_crs:
            continue
        assert g.crs.to_epsg() == expect_crs[m["kind"]], (m["path"], g.crs)
        lo, hi = counts[m["kind"]]
        assert lo <= len(g) <= hi, (m["path"], len(g))
        assert g.is_valid.all() and (g.geom_type == "Polygon").all(), m["path"]
        w = g.to_crs(WORK_CRS)
        assert district.contains(shapely.union_all(list(w.geometry))), m["path"]
        if m["kind"] != "approval":  # approvals may nest (a 供地 parcel in its 农转用 lot)
            left, right = w.sindex.query(w.geometry, predicate="intersects")
            assert (left == right).all(), f"{m['path']}: overlapping polygons"
        lines.append(f"{m['path']}: {len(g)} features, EPSG:{expect_crs[m['kind']]}")

    f = layers["farmland"]
    shp = root / manifest[[m["kind"] for m in manifest].index("farmland")]["path"]
    assert shp.with_suffix(".cpg").read_text() == "GBK"
    raw = shp.with_suffix(".dbf").read_bytes()
    assert "水浇地".encode("gbk") in raw and "水浇地".encode() not in raw
    assert set(f.DLMC) <= set(DL_NAMES.values()) and (f.DLMC == f.DLBM.map(DL_NAMES)).all()
    assert f.BSM.is_unique and f.JBNTTBBH.is_unique and f.ZLDWDM.str.fullmatch(r"\d{12}").all()
    fw = f.to_crs(WORK_CRS)
    fa = fw.area
    assert fa.between(*FARMLAND_M2).all()
    villages = layers["village"].to_crs(WORK_CRS).set_index("ZLDWDM").geometry
    home = villages.loc[fw.ZLDWDM].buffer(0.5).to_numpy()
    assert shapely.contains(home, fw.geometry.to_numpy()).all(), "farmland outside its village"
    assert np.allclose(f.JBNTMJ, ellipsoidal_area(f.geometry.to_crs(REF_CRS)), atol=0.011)
    p = layers["mining_permit"]
    assert p.XKZH.str.fullmatch(r"C\d{22}").all() and p.XKZH.is_unique and p.KSMC.is_unique
    assert p.KSMC.str.contains("丰润区").all() and (p.YXQQ < p.YXQZ).all()
    assert p.geometry.apply(lambda g: 4 <= n_corners(g) <= 8).all()
    a = layers["approval"]
    assert a.PZWH.str.fullmatch(r"(冀政转征函|冀政征函|丰政地)〔20\d\d〕\d+号").all()
    assert set(a.LX) <= {"农转用", "征收", "供地"}
    assert np.allclose(a.PZMJ, ellipsoidal_area(a.geometry), atol=0.011)
    s = layers["facility_farmland"]
    assert s.BABH.is_unique and s.BABH.str.match("丰设农备").all()
    sa = s.to_crs(WORK_CRS).area
    lines.append(
        f"farmland {fa.min() / 1e4:.1f}-{fa.max() / 1e4:.1f} ha; facilities "
        f"{sa.min() / 1e4:.2f}-{sa.max() / 1e4:.2f} ha; text checked (GBK .shp, UTF-8 gpkg/geojson)"
    )
    wp = read_weipian(root, batches)
    rel = relations(wp, layers)
    for key, value in rel.items():
        assert cases[key] == value, f"edge_cases.json[{key!r}] does not match the files"
    lines.extend(summary(rel))
    return lines


def summary(rel: dict) -> list[str]:
    """Human-readable statistics of the planted relations."""
    r = pd.Series(rel["mining_permit_relation"]).value_counts()
    out_share = pd.Series(rel["mining_permit_outside_share"])[
        pd.Series(rel["mining_permit_relation"]) == "partly_outside"
    ]
    appr = pd.Series(rel["approval_cover_share"])
    farm = pd.Series(rel["farmland_overlap_share"])
    n_fac = len(rel["facility_filing_cover_share"])
    return [
        "mining 卫片 vs permits: "
        + ", ".join(f"{k} {r.get(k, 0)}" for k in ("inside", "partly_outside", "outside"))
        + f" (partly: {out_share.min():.0%}-{out_share.max():.0%} outside)",
        f"land 卫片 vs approvals: full {(appr >= 1).sum()}, "
        f"partly {((appr > 0) & (appr < 1)).sum()}, none {(appr == 0).sum()} of {len(appr)}",
        f"land 卫片 on farmland: {(farm > 0).sum()} of {len(farm)} ({(farm >= 1).sum()} wholly); "
        f"under a facility filing: {n_fac}",
    ]
