"""Synthetic 动态巡查 (patrol) sample of 丰润区: a year of findings and reports, with what
the bureau did about each of them.

``generate.py`` calls ``write`` after the 卫片 and the reference layers are on disk;
``python sample_data/patrol.py`` rewrites only this sample (``--seed``, ``--out`` as there).
It writes ``fengrun/patrol/patrol_2019.geojson``: one Feature per violation, in EPSG:4490
(lon/lat, with a ``"crs"`` member like ``ydsp.geojson``), whose properties are the finding
as the phone or the desk records it and ``steps``, the actions taken on it afterwards with
their instants, actors and payloads. ``tuban demo`` (tuban_cli/demo.py) plays the file through
the store's own code (PatrolStore.create, CaseStore.apply_action, PhotoStore.add).

What the sample holds (default seed; README.md):

* 80 violations from 2019-01-02 to 2019-11-19, the day before the demo clock: 盗采矿产 and
  越界开采 40 %, 非法占地 and 违法建设 40 %, 破坏耕地, 其他; 24 (30 %) came as reports
  (举报: 12336, letters, visits, online, referrals) with fake reporters marked 示例.
* Each lands in a real township and village of the sample (a point inside a village, or a
  drawn polygon inside one); mining in the hill townships, 越界 just outside a 采矿权,
  破坏耕地 on 永久基本农田, the rest near villages. Those not at a 卫片 site keep 80 m from
  every 卫片 图斑 (all four quarters) and 100 m from each other, so no site matches by chance.
* 15 lie inside mining 图斑 of the batches the demo loads (2019Q1–Q3): 11 found after the
  图斑 was issued (the site is linked, or joins the open case there), 4 found on patrol in the
  months before the 2019Q3 batch showed the same pit.
* Night patrols find 盗采 between 01:00 and 04:00; 12336 and online reports come at any hour.
* The quick response: 制止 within hours (about 1 in 8 beyond the 24 h), 立案 within days
  (about 1 in 8 beyond the 7 days), penalties with receipts (some unpaid), rectification,
  a monthly 报告 to the city on the month's last working day (cases found after it, and a
  few missed, go into the next month's: late), closure after both; some dismissed
  (核实不违法); the recent ones still open.
* Closed mining sites go on the watch list (the bureau's default interval, 90 days) and are
  re-inspected with a photo (about 1 in 4 late); one watched site is never re-inspected by the
  demo clock (overdue) and one is found active again (reinspect_active), its quick response
  starting over.

Random numbers come from their own stream, ``default_rng([seed, STREAM])``: the rest of the
sample stays byte-identical whatever this module does, and the same seed writes the same file.
Like the rest of the sample, everything here is SYNTHETIC: no real site, person or case.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import shapely.geometry
from pyproj import Transformer
from shapely import affinity
from shapely.geometry import Point, Polygon, mapping
from shapely.geometry.base import BaseGeometry

try:  # imported as sample_data.patrol
    from .reference_layers import MINING_TOWNSHIPS
except ImportError:  # run as a script: sample_data/ is on sys.path
    from reference_layers import MINING_TOWNSHIPS

STREAM = 3  # rng = default_rng([seed, STREAM]); generate.py uses default_rng(seed)
SEED = 130208  # generate.py's default
HERE = Path(__file__).resolve().parent
DATASET = "fengrun"
PATH = "patrol/patrol_2019.geojson"  # under fengrun/
WORK_CRS = "EPSG:4548"  # metric, as generate.py
OUT_CRS = "EPSG:4490"
LONLAT_DECIMALS = 7  # about 1 cm
TZ = dt.timezone(dt.timedelta(hours=8), "+08:00")  # the bureau's local time (Beijing)

FIRST_DAY = dt.date(2019, 1, 2)
# The day before the demo clock (tuban_cli/demo.py DEMO_CLOCK, 2019-11-20 10:00): nothing in
# the sample happens after it, so the demo opens on a history that has just stopped.
LAST_DAY = dt.date(2019, 11, 19)
CUTOFF = dt.datetime.combine(LAST_DAY + dt.timedelta(days=1), dt.time(0), TZ)
RECENT_FROM = dt.date(2019, 10, 21)  # a share of the findings is recent, so work is open
CAMPAIGN = (dt.date(2019, 1, 7), dt.date(2019, 4, 30))  # 打击盗采专项行动 (spring)

# The demo's people (tuban_cli/demo.py): actors of the history, all marked 示例.
VERIFIERS = ["王磊（示例）", "李娜（示例）", "张伟（示例）"]
OFFICERS = ["赵强（示例）", "陈静（示例）"]
REVIEWER = "孙丽（示例）"
REPORTED_TO = "唐山市自然资源和规划局"

# How many violations of each kind (违法类型 codes of geo/patrol.py VIOLATIONS).
VIOLATION_COUNTS = {
    "illegal_mining": 22,
    "beyond_boundary_mining": 10,
    "illegal_occupation": 16,
    "illegal_building": 16,
    "farmland_damage": 9,
    "other": 7,
}
MINING = ("illegal_mining", "beyond_boundary_mining")
# How many came as reports, by channel (geo/patrol.py SOURCES); the rest were found on patrol.
REPORT_COUNTS = {"hotline_12336": 10, "online": 5, "letter": 3, "visit": 3, "referral": 3}
SITES_AFTER = 11  # found at a loaded mining 图斑's site after it was issued
SITES_BEFORE = 4  # found before the 2019Q3 batch showed the same pit
LOADED_MINING = ("2019Q1", "2019Q2", "2019Q3")  # the mining batches the demo clock loads
CLEAR_OF_WEIPIAN_M = 80.0
CLEAR_OF_EACH_OTHER_M = 100.0
POLYGON_SHARE = 0.22  # of the findings away from 卫片 sites, drawn as a polygon on the phone

# Shares of the quick response's outcomes.
DISMISSED = {"patrol": 2, "report": 4}  # 核实不违法
NO_STOP_SHARE = 0.10  # nobody on site: filed without a stop order
LATE_STOP_SHARE = 0.12
LATE_FILE_SHARE = 0.12
MISSED_REPORT_SHARE = 0.07
RECEIPT_SHARE = 0.85
LATE_REINSPECTION_SHARE = 0.25
FIND_PHOTO_SHARE = 0.3  # of patrol finds sent with a photo (every re-inspection has one)
STOP_PHOTO_SHARE = 0.15
WATCH_DAYS = 90  # the bureau's default (geo/deadlines.py): the sample relies on it

FINE_RANGE = {  # 元, in thousands
    "illegal_mining": (50, 500),
    "beyond_boundary_mining": (30, 300),
    "illegal_occupation": (10, 200),
    "illegal_building": (20, 300),
    "farmland_damage": (10, 100),
    "other": (2, 30),
}
OFFENDERS = {
    "mining": ["某石料厂", "某砂石场", "王某某", "李某某等三人", "某矿业有限公司"],
    "land": ["某村民委员会", "张某某", "某养殖专业合作社", "某建材有限公司", "刘某某"],
}
FIND_NOTES = {
    "illegal_mining": ["巡查发现挖掘机正在作业，现场有运输车辆", "发现新开挖矿坑，现场堆有碎石"],
    "beyond_boundary_mining": ["发现采场超出矿区范围开采", "矿区范围外新增采坑，疑似越界"],
    "illegal_occupation": ["发现未经批准硬化场地、堆放建材", "发现占用土地搭建临时设施"],
    "illegal_building": ["发现在建厂房，未见用地审批手续", "发现新建房屋，正在砌墙"],
    "farmland_damage": ["发现耕地内取土，耕作层被破坏", "发现在耕地上堆放废渣"],
    "other": ["发现违法倾倒建筑垃圾", "发现擅自改变土地用途"],
}
REPORT_TEXTS = {
    "illegal_mining": "反映{village}附近山上有人用挖掘机盗采石料，夜间有大车拉运",
    "beyond_boundary_mining": "反映{village}附近的采石场超出范围开采",
    "illegal_occupation": "反映{village}有人占地堆放建材",
    "illegal_building": "反映{village}有人未经审批盖房",
    "farmland_damage": "反映{village}有人在耕地里取土卖土",
    "other": "反映{village}附近有人倾倒垃圾",
}
DISMISS_REASONS = {
    "mining": ["经核查为持证矿山在矿区范围内正常开采", "经核查为地质灾害治理工程施工"],
    "land": ["核实为已批准的临时用地", "经核查为设施农用地备案范围内的大棚", "核实为已批宅基地"],
}
RECTIFY_NOTES = {
    "mining": "已拆除设备、回填矿坑并复绿",
    "illegal_occupation": "已退还土地、恢复原状",
    "illegal_building": "违法建筑已拆除",
    "farmland_damage": "已清除堆放物、恢复耕作层",
    "other": "已整改到位",
}
REPORT_NOTE = "据举报登记，待现场核查"
LATE_STOP_NOTE = "现场无人，次日约谈当事人后送达"
REINSPECT_NOTE = "矿坑仍处于关停状态，未见新开采痕迹"
ACTIVE_NOTE = "复查发现新的开采痕迹和运输车辆，矿坑复采"


# --- what the sample is laid on --------------------------------------------------------------


@dataclass
class Ground:
    """The written sample the findings are placed on, in the working CRS."""

    townships: gpd.GeoDataFrame  # XZQDM, XZQMC
    villages: gpd.GeoDataFrame  # ZLDWDM, ZLDWMC, XZQDM
    weipian: gpd.GeoDataFrame  # code, programme, period, issued_on, hsx: every 卫片 图斑
    permits: gpd.GeoDataFrame
    farmland: gpd.GeoDataFrame
    permit_relation: dict[str, str]  # mining 图斑 code -> inside / partly_outside / outside
    planted: set[str]  # 图斑 codes of planted edge cases a patrol finding should not sit in


def _read_weipian(root: Path, manifest: list[dict]) -> gpd.GeoDataFrame:
    frames = []
    for b in manifest:
        if b["programme"] not in ("mining", "land"):
            continue
        enc = "GBK" if b["programme"] == "mining" else None  # no .cpg (generate.py)
        g = gpd.read_file(root / b["path"], engine="pyogrio", encoding=enc).to_crs(WORK_CRS)
        frames.append(
            gpd.GeoDataFrame(
                {
                    "code": g["TBBH"],
                    "programme": b["programme"],
                    "period": b["period"],
                    "issued_on": dt.date.fromisoformat(b["issued_on"]),
                    "hsx": [dt.datetime.strptime(s, "%Y%m%d").date() for s in g["HSX"]],
                },
                geometry=g.geometry,
                crs=WORK_CRS,
            )
        )
    return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=WORK_CRS)


def read_ground(root: Path = HERE) -> Ground:
    """The admin units, 卫片 and reference layers of ``root``/fengrun/, as written."""
    out = root / DATASET
    manifest = json.loads((out / "batches.json").read_text(encoding="utf-8"))
    refs = {m["kind"]: m for m in json.loads((out / "reference_layers.json").read_text("utf-8"))}

    def layer(kind: str) -> gpd.GeoDataFrame:
        m = refs[kind]
        return gpd.read_file(root / m["path"], layer=m["layer"], engine="pyogrio").to_crs(WORK_CRS)

    edge = json.loads((out / "edge_cases.json").read_text(encoding="utf-8"))
    planted = {c["code"] for k in ("cross_township", "partly_outside", "sliver") for c in edge[k]}
    planted |= {c["mining_code"] for c in edge["mining_land_same_pit"]}
    return Ground(
        townships=layer("township"),
        villages=layer("village"),
        weipian=_read_weipian(root, manifest),
        permits=layer("mining_permit"),
        farmland=layer("farmland"),
        permit_relation=edge["mining_permit_relation"],
        planted=planted,
    )


# --- time ------------------------------------------------------------------------------------


def _at(day: dt.date, hour: float) -> dt.datetime:
    """``day`` at ``hour`` (fractional, may pass 24) local time, to the minute."""
    return dt.datetime.combine(day, dt.time(0), TZ) + dt.timedelta(minutes=round(hour * 60))


def _working_day(day: dt.date) -> dt.date:
    """``day``, or the Monday after when it falls on a weekend."""
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return day


def _office(
    rng: np.random.Generator, day: dt.date, after: dt.datetime | None = None
) -> dt.datetime:
    """An office-hours moment on the working day ``day`` (or later), after ``after``."""
    day = _working_day(day)
    t = _at(day, float(rng.uniform(8.5, 17.0)))
    if after is not None and t <= after:
        t = after + dt.timedelta(minutes=int(rng.integers(20, 150)))
        if t.hour >= 18 or t.date() != day:
            t = _at(_working_day(t.date() + dt.timedelta(days=1)), float(rng.uniform(8.5, 11)))
    return t


def month_report_day(year: int, month: int) -> dt.date:
    """The day of a month's 报告 to the city: the month's last working day."""
    day = (dt.date(year + month // 12, month % 12 + 1, 1)) - dt.timedelta(days=1)
    while day.weekday() >= 5:
        day -= dt.timedelta(days=1)
    return day


def _month_end(day: dt.date) -> dt.date:
    return dt.date(day.year + day.month // 12, day.month % 12 + 1, 1) - dt.timedelta(days=1)


def _report_slot(since: dt.datetime, missed: bool) -> dt.datetime:
    """The monthly report a case found (or found active again) at ``since`` goes into: the
    first one from the next half day on, one later when it was ``missed``."""
    day = since.date()
    report = month_report_day(day.year, day.month)
    at = _at(report, 15.5)
    if at < since + dt.timedelta(hours=12):
        nxt = _month_end(day) + dt.timedelta(days=1)
        at = _at(month_report_day(nxt.year, nxt.month), 15.5)
    if missed:
        nxt = at.date().replace(day=1) + dt.timedelta(days=32)
        at = _at(month_report_day(nxt.year, nxt.month), 15.5)
    return at


# --- where --------------------------------------------------------------------------------


@dataclass
class Placed:
    """Where a violation is: its shape, its village and township, a 卫片 site if any."""

    geometry: BaseGeometry  # working CRS
    village: str
    township: str
    site: dict[str, Any] | None = None


def _point_in(rng: np.random.Generator, poly: BaseGeometry, tries: int = 200) -> Point | None:
    minx, miny, maxx, maxy = poly.bounds
    for _ in range(tries):
        p = Point(rng.uniform(minx, maxx), rng.uniform(miny, maxy))
        if poly.contains(p):
            return p
    return None


def _drawn_polygon(rng: np.random.Generator, centre: Point, area_m2: float) -> Polygon:
    """An outline walked on a phone: 7–11 corners around ``centre``, about ``area_m2``."""
    n = int(rng.integers(7, 12))
    angles = np.sort(rng.uniform(0, 2 * math.pi, n))
    radii = rng.uniform(0.75, 1.25, n)
    ring = [
        (centre.x + r * math.cos(a), centre.y + r * math.sin(a))
        for a, r in zip(angles, radii, strict=True)
    ]
    poly = Polygon(ring).convex_hull
    return affinity.scale(poly, *(2 * [math.sqrt(area_m2 / poly.area)]), origin=centre)


class Placer:
    """Places findings on the ground: in a village, clear of the 卫片 and of each other."""

    def __init__(self, ground: Ground) -> None:
        self.g = ground
        self.weipian_tree = shapely.STRtree(list(ground.weipian.geometry))
        self.permit_tree = shapely.STRtree(list(ground.permits.geometry))
        self.village_tree = shapely.STRtree(list(ground.villages.geometry))
        self.taken: list[BaseGeometry] = []
        names = dict(zip(ground.townships["XZQMC"], ground.townships["XZQDM"], strict=True))
        self.hills = {names[n]: w for n, w in MINING_TOWNSHIPS.items()}

    def village_of(self, geom: BaseGeometry) -> pd.Series | None:
        """The village wholly holding ``geom`` (5 m inside its edge), if one does."""
        for i in self.village_tree.query(geom, predicate="intersects"):
            v = self.g.villages.iloc[int(i)]
            if v.geometry.buffer(-5).contains(geom):
                return v
        return None

    def clear(self, geom: BaseGeometry) -> bool:
        """Far enough from every 卫片 图斑 and every finding placed so far."""
        near = self.weipian_tree.query(geom, predicate="dwithin", distance=CLEAR_OF_WEIPIAN_M)
        if len(near):
            return False
        return all(geom.distance(t) >= CLEAR_OF_EACH_OTHER_M for t in self.taken)

    def _keep(self, geom: BaseGeometry, site: dict[str, Any] | None = None) -> Placed | None:
        v = self.village_of(geom)
        if v is None or (site is None and not self.clear(geom)):
            return None
        self.taken.append(geom)
        return Placed(geom, str(v["ZLDWDM"]), str(v["XZQDM"]), site)

    def _candidate(self, rng: np.random.Generator, violation: str) -> Point | None:
        g = self.g
        if violation == "beyond_boundary_mining":
            permit = g.permits.geometry.iloc[int(rng.integers(len(g.permits)))]
            edge = permit.exterior.interpolate(float(rng.uniform(0, permit.exterior.length)))
            c = permit.centroid
            d = math.hypot(edge.x - c.x, edge.y - c.y) or 1.0
            out = float(rng.uniform(20, 90))
            return Point(edge.x + (edge.x - c.x) / d * out, edge.y + (edge.y - c.y) / d * out)
        if violation == "farmland_damage":
            block = g.farmland.geometry.iloc[int(rng.integers(len(g.farmland)))]
            return _point_in(rng, block.buffer(-10))
        if violation == "illegal_mining":
            codes = list(self.hills)
            w = np.array([self.hills[c] for c in codes])
            town = codes[int(rng.choice(len(codes), p=w / w.sum()))]
            villages = g.villages[g.villages["XZQDM"] == town]
        else:
            villages = g.villages
        v = villages.iloc[int(rng.integers(len(villages)))].geometry
        if violation in ("illegal_occupation", "illegal_building"):
            core = v.representative_point().buffer(400).intersection(v)
            return _point_in(rng, core)
        return _point_in(rng, v)

    def away(self, rng: np.random.Generator, violation: str, polygon: bool) -> Placed:
        """A finding of ``violation`` away from any 卫片 site (a drawn outline if ``polygon``)."""
        for _ in range(5000):
            p = self._candidate(rng, violation)
            if p is None:
                continue
            near_permit = self.permit_tree.query(p, predicate="dwithin", distance=50).size
            inside = self.permit_tree.query(p, predicate="within").size
            if inside or (violation == "illegal_mining" and near_permit):
                continue  # 盗采 keeps away from any licence; next to one it would be 越界
            geom = _drawn_polygon(rng, p, float(rng.uniform(1500, 15000))) if polygon else p
            placed = self._keep(geom)
            if placed is not None:
                return placed
        raise RuntimeError(f"no place found for {violation}")

    def at_site(self, rng: np.random.Generator, row: pd.Series, when: str) -> Placed:
        """A point inside the 卫片 图斑 ``row`` (10 m inside its edge where it is wide enough)."""
        inner = row.geometry.buffer(-10)
        for _ in range(50):
            p = _point_in(rng, inner if not inner.is_empty else row.geometry)
            if p is not None and (placed := self._keep(p, {"code": row["code"], "found": when})):
                return placed
        raise RuntimeError(f"no place inside {row['code']}")


def site_targets(rng: np.random.Generator, ground: Ground) -> list[tuple[pd.Series, str]]:
    """The mining 图斑 whose sites patrol findings lie at: ``after`` (found once the 图斑 was
    issued) from every loaded quarter, ``before`` (found first, shown by 2019Q3's imagery)."""
    w = ground.weipian
    ok = (
        (w["programme"] == "mining")
        & w["period"].isin(LOADED_MINING)
        & ~w["code"].isin(ground.planted)
        & w["code"].map(lambda c: ground.permit_relation.get(c) != "inside")
    )
    pool = w[ok]
    q3 = pool[pool["period"] == "2019Q3"]
    before = q3.iloc[rng.choice(len(q3), SITES_BEFORE, replace=False)]
    rest = pool.drop(index=before.index)
    after = rest.iloc[rng.choice(len(rest), SITES_AFTER, replace=False)]
    return [(r, "after") for _, r in after.iterrows()] + [
        (r, "before") for _, r in before.iterrows()
    ]


# --- what and when ------------------------------------------------------------------------------


@dataclass
class Finding:
    """One violation as planned: what, where, when found, who recorded it, and its steps."""

    violation: str
    source: str
    place: Placed
    found_at: dt.datetime
    recorded_at: dt.datetime
    recorded_by: str
    note: str
    report: dict[str, str] | None = None
    steps: list[dict[str, Any]] = field(default_factory=list)

    @property
    def mining(self) -> bool:
        """A mining violation (its site goes on the watch list once closed)."""
        return self.violation in MINING

    @property
    def last(self) -> dt.datetime:
        """The instant of the latest step so far."""
        return self.steps[-1]["at"] if self.steps else self.recorded_at


def _found_day(rng: np.random.Generator, i: int, n: int) -> dt.date:
    """Spread over the year, the last eighth of them in the month before the demo clock."""
    lo, hi = (RECENT_FROM, LAST_DAY) if i >= n - n // 8 else (FIRST_DAY, RECENT_FROM)
    return lo + dt.timedelta(days=int(rng.integers(0, (hi - lo).days)))


def _found_hour(rng: np.random.Generator, source: str, violation: str) -> float:
    if source == "patrol" and violation in MINING and rng.random() < 0.6:
        return float(rng.uniform(1, 4))  # the night patrol against 盗采
    if source in ("hotline_12336", "online") and rng.random() < 0.3:
        return float(rng.uniform(20, 29)) % 24  # calls and posts in the evening and night
    return float(rng.uniform(8.3, 17.5))


def _recorded(rng: np.random.Generator, source: str, found: dt.datetime) -> dt.datetime:
    minutes = {"patrol": (5, 40), "hotline_12336": (3, 15), "online": (30, 600)}
    lo, hi = minutes.get(source, (10, 120))
    return found + dt.timedelta(minutes=int(rng.integers(lo, hi)))


def _reporter(rng: np.random.Generator, k: int, source: str, village: str, violation: str):
    name = "匿名" if rng.random() < 0.3 else f"{'张王李赵刘'[k % 5]}先生（示例）"
    if source == "letter":
        contact = f"{village}（示例地址）"
    elif source == "referral":
        name, contact = (
            "唐山市自然资源和规划局（转办，示例）",
            "转办单号 ZB2019-" + f"{k:03d}（示例）",
        )
    else:
        contact = f"1380000{k:04d}（示例号码）"
    content = REPORT_TEXTS[violation].format(village=village) + "（示例）"
    return {"reporter_name": name, "reporter_contact": contact, "content": content}


def _when(rng: np.random.Generator, source: str, violation: str, day: dt.date) -> dt.datetime:
    if source in ("letter", "visit", "referral"):
        return _office(rng, day)
    return _at(day, _found_hour(rng, source, violation))


def _kinds(ground: Ground, sites: list[tuple[pd.Series, str]]) -> list[str]:
    """The violation of each finding, those at the 卫片 sites first: 越界 at a pit partly
    outside its licence, 盗采 at one outside any; the rest of ``VIOLATION_COUNTS`` after."""
    partly = {c for c, r in ground.permit_relation.items() if r == "partly_outside"}
    at_sites = [
        "beyond_boundary_mining" if row["code"] in partly else "illegal_mining" for row, _ in sites
    ]
    left = {v: n - at_sites.count(v) for v, n in VIOLATION_COUNTS.items()}
    return at_sites + [v for v, n in left.items() for _ in range(max(n, 0))]


def _day(rng: np.random.Generator, violation: str, slot: int, n: int) -> dt.date:
    """Most 盗采/越界 finds fall in the spring campaign against illegal mining (专项行动,
    January to April); the rest spread over the year."""
    if violation in MINING and slot < n - n // 8 and rng.random() < 0.55:
        return CAMPAIGN[0] + dt.timedelta(
            days=int(rng.integers(0, (CAMPAIGN[1] - CAMPAIGN[0]).days))
        )
    return _found_day(rng, slot, n)


def _fresh(order: np.ndarray, first: int, sources: list[str]) -> set[int]:
    """The two findings of the last evening before the demo clock (a 12336 call and a patrol
    find, so the demo opens with a stop order due today), their sources swapped in place."""
    fresh = sorted(range(first, len(order)), key=lambda i: order[i])[-2:]
    for i, want in zip(fresh, ("hotline_12336", "patrol"), strict=True):
        j = next(j for j in range(first, len(sources)) if sources[j] == want and j not in fresh)
        sources[i], sources[j] = sources[j], sources[i]
    return set(fresh)


def plan_findings(rng: np.random.Generator, ground: Ground) -> list[Finding]:
    """The 80 violations: kind, source, place and discovery, in no particular order."""
    placer = Placer(ground)
    villages = dict(zip(ground.villages["ZLDWDM"], ground.villages["ZLDWMC"], strict=True))
    sites = site_targets(rng, ground)
    kinds = _kinds(ground, sites)
    n = len(kinds)
    sources = ["patrol"] * (n - sum(REPORT_COUNTS.values()))
    sources += [s for s, k in REPORT_COUNTS.items() for _ in range(k)]
    sources = [str(s) for s in rng.permutation(sources)]
    order = rng.permutation(n)  # which slot of the year each one gets
    fresh = _fresh(order, len(sites), sources)
    out = []
    for i, (violation, source) in enumerate(zip(kinds, sources, strict=True)):
        if i < len(sites):
            row, when = sites[i]
            place = placer.at_site(rng, row, when)
            day = _site_day(rng, row, when)
        else:
            place = placer.away(rng, violation, rng.random() < POLYGON_SHARE)
            day = _day(rng, violation, int(order[i]), n)
        found = _when(rng, source, violation, day)
        if i in fresh:
            found = _at(LAST_DAY, float(rng.uniform(19, 23.5)))
        recorded = _recorded(rng, source, found)
        if source == "patrol":
            by = str(rng.choice(OFFICERS if found.hour < 6 else VERIFIERS + OFFICERS))
        else:
            by = str(rng.choice([*OFFICERS, REVIEWER]))
        note = str(rng.choice(FIND_NOTES[violation])) if source == "patrol" else REPORT_NOTE
        village = villages[place.village]
        report = None if source == "patrol" else _reporter(rng, i, source, village, violation)
        out.append(Finding(violation, source, place, found, recorded, by, note, report))
    return out


def _site_day(rng: np.random.Generator, row: pd.Series, when: str) -> dt.date:
    """After: between a fortnight after the 图斑 was issued and the end. Before: in the weeks
    before the 后时相 image that shows the pit."""
    if when == "after":
        lo, hi = row["issued_on"] + dt.timedelta(days=14), LAST_DAY - dt.timedelta(days=3)
    else:
        lo, hi = row["hsx"] - dt.timedelta(days=50), row["hsx"] - dt.timedelta(days=5)
    return lo + dt.timedelta(days=int(rng.integers(0, (hi - lo).days)))


# --- the quick response ----------------------------------------------------------------------


def _step(f: Finding, action: str, at: dt.datetime, by: str, **payload: Any) -> None:
    assert at > f.last, (action, at, f.last)
    f.steps.append({"action": action, "at": at, "by": by, "payload": payload})


def _photo(rng: np.random.Generator, f: Finding, at: dt.datetime, by: str, taken: dt.datetime):
    """A photo from some 15 m west of the finding, facing it (as a careful officer takes it)."""
    c = f.place.geometry.centroid
    f.steps.append(
        {
            "action": "add_photo",
            "at": at,
            "by": by,
            "photo": {
                "x": c.x - float(rng.uniform(10, 25)),
                "y": c.y + float(rng.uniform(-5, 5)),
                "direction": 90,
                "taken": taken,
            },
        }
    )


def _stop(rng: np.random.Generator, f: Finding, since: dt.datetime) -> None:
    late = rng.random() < LATE_STOP_SHARE
    if late:
        hours = rng.uniform(26, 60)
    elif f.source == "patrol":
        hours = rng.uniform(0.2, 2.5) if since.hour < 6 else rng.uniform(0.5, 8)
    else:
        hours = rng.uniform(1.5, 20)
    served = max(since, f.last) + dt.timedelta(minutes=round(float(hours) * 60))
    officer = str(rng.choice(OFFICERS))
    at = served + dt.timedelta(minutes=int(rng.integers(10, 90)))
    extra = {"note": LATE_STOP_NOTE} if late else {}
    _step(f, "stop", at, officer, served_at=served, served_by=officer, **extra)
    if rng.random() < STOP_PHOTO_SHARE:
        _photo(rng, f, at + dt.timedelta(minutes=int(rng.integers(1, 6))), officer, served)


def _file(rng: np.random.Generator, f: Finding, since: dt.datetime) -> None:
    days = int(rng.integers(9, 26)) if rng.random() < LATE_FILE_SHARE else int(rng.integers(1, 8))
    at = _office(rng, since.date() + dt.timedelta(days=days), after=f.last)
    officer = str(rng.choice(OFFICERS))
    offender = str(rng.choice(OFFENDERS["mining" if f.mining else "land"]))
    _step(f, "file", at, officer, filed_on=at.date(), offender=offender)


def _penalise(rng: np.random.Generator, f: Finding) -> bool:
    """A decision 10–40 days after filing; paid with a receipt, or not (then it stays open)."""
    decided = _working_day(f.last.date() + dt.timedelta(days=int(rng.integers(10, 41))))
    lo, hi = FINE_RANGE[f.violation]
    fine = int(rng.integers(lo, hi + 1)) * 1000
    paid = rng.random() < RECEIPT_SHARE
    pay_day = decided + dt.timedelta(days=int(rng.integers(0, 16))) if paid else decided
    at = _office(rng, pay_day, after=f.last)
    payload: dict[str, Any] = {"decided_on": decided, "fine_yuan": fine}
    if f.mining and rng.random() < 0.3:
        payload["confiscation_yuan"] = int(rng.integers(10, 151)) * 1000  # 违法所得
    if paid:
        payload.update(paid_on=at.date(), receipt_no=None)  # numbered later
    _step(f, "penalise", at, str(rng.choice(OFFICERS)), **payload)
    return paid


def _rectify(rng: np.random.Generator, f: Finding) -> None:
    at = _office(rng, f.last.date() + dt.timedelta(days=int(rng.integers(15, 61))), after=f.last)
    note = RECTIFY_NOTES["mining" if f.mining else f.violation]
    _step(f, "rectify", at, str(rng.choice(OFFICERS)), rectified_on=at.date(), note=note)


def _report(rng: np.random.Generator, since: dt.datetime) -> dt.datetime:
    """The report instant for a case found at ``since`` (added to the steps in time order)."""
    at = _report_slot(since, rng.random() < MISSED_REPORT_SHARE)
    return at + dt.timedelta(minutes=int(rng.integers(0, 90)))


def _merge(f: Finding, action: str, at: dt.datetime, by: str, **payload: Any) -> None:
    """Add a step that may fall between steps already planned (a monthly report)."""
    f.steps.append({"action": action, "at": at, "by": by, "payload": payload})
    f.steps.sort(key=lambda s: s["at"])


def respond(rng: np.random.Generator, f: Finding, dismiss: bool) -> dt.datetime | None:
    """Plan the quick response to ``f`` from discovery to closure (or as far as it gets), or
    its dismissal (核实不违法) within days; returns the closure instant, if it was closed."""
    if f.source == "patrol" and rng.random() < FIND_PHOTO_SHARE:
        _photo(rng, f, f.recorded_at + dt.timedelta(minutes=2), f.recorded_by, f.found_at)
    if dismiss:
        at = _office(rng, f.found_at.date() + dt.timedelta(days=int(rng.integers(1, 5))), f.last)
        reason = str(rng.choice(DISMISS_REASONS["mining" if f.mining else "land"]))
        _step(f, "dismiss", at, REVIEWER, reason=reason)
        return None
    report_at = _report(rng, f.found_at)
    return _enforce(rng, f, f.found_at, report_at)


def _enforce(
    rng: np.random.Generator, f: Finding, since: dt.datetime, report_at: dt.datetime
) -> dt.datetime | None:
    """制止, 立案, 处罚, 整改 and 报告 from ``since``, and closure once both are done."""
    if rng.random() >= NO_STOP_SHARE:
        _stop(rng, f, since)
    _file(rng, f, since)
    done = rng.random() >= 0.12 and _penalise(rng, f) and rng.random() >= 0.15
    if done:
        _rectify(rng, f)
    _merge(f, "report_up", report_at, REVIEWER, reported_on=report_at.date())
    if not done or rng.random() >= 0.88:
        return None
    after = max(f.steps[-1]["at"], report_at)
    at = _office(rng, after.date() + dt.timedelta(days=int(rng.integers(3, 21))), after)
    _step(f, "close", at, REVIEWER)
    return at


def watch(rng: np.random.Generator, f: Finding, closed: dt.datetime) -> dt.date:
    """A closed mining site put on the watch list a few days after closure (the bureau's
    default interval); returns the day its first re-inspection is due."""
    at = _office(rng, closed.date() + dt.timedelta(days=int(rng.integers(1, 11))), after=closed)
    _step(f, "watch", at, str(rng.choice(OFFICERS)))
    return at.date() + dt.timedelta(days=WATCH_DAYS)


def reinspect(rng: np.random.Generator, f: Finding, due: dt.date, active: bool) -> None:
    """Re-inspections with a photo every 90 days from ``due`` until the demo clock (about 1
    in 4 late); ``active``: the first finds the pit worked again, and the quick response
    starts over."""
    while True:
        late = rng.random() < LATE_REINSPECTION_SHARE
        offset = int(rng.integers(3, 31)) if late else -int(rng.integers(0, 15))
        at = _office(rng, due + dt.timedelta(days=offset), after=f.last)
        if at >= CUTOFF:
            return
        who = str(rng.choice(VERIFIERS + OFFICERS))
        _photo(rng, f, at - dt.timedelta(minutes=30), who, at - dt.timedelta(minutes=40))
        if active:
            _step(f, "reinspect_active", at, who, note=ACTIVE_NOTE)
            _enforce(rng, f, at, _report(rng, at))
            return
        _step(f, "reinspect", at, who, note=REINSPECT_NOTE)
        due = at.date() + dt.timedelta(days=WATCH_DAYS)


def watch_list(rng: np.random.Generator, closed: list[tuple[Finding, dt.datetime]]) -> None:
    """Every closed mining site watched and re-inspected; of those due well before the demo
    clock, the earliest is never re-inspected (overdue) and the latest is found active again
    (so its new quick response is still under way)."""
    due = [watch(rng, f, at) for f, at in closed]
    early = sorted((d, i) for i, d in enumerate(due) if d <= LAST_DAY - dt.timedelta(days=30))
    overdue = early[0][1] if early else None
    active = early[-1][1] if len(early) > 1 else None
    for i, (f, _) in enumerate(closed):
        if i != overdue:
            reinspect(rng, f, due[i], active=i == active)


# --- numbering, output --------------------------------------------------------------------------


NUMBERED = {  # action -> (payload key, format of the n-th document of 2019, in time order)
    "stop": ("order_no", "丰国土资停〔2019〕{n:03d}号"),
    "file": ("case_no", "丰国土资巡罚〔2019〕{n:03d}号"),
    "penalise": ("decision_no", "丰国土资巡罚决〔2019〕{n:03d}号"),
}


def number_documents(findings: list[Finding]) -> None:
    """Stop orders, 立案 and decision numbers in the order they were issued; receipts likewise;
    one 报告 document number per monthly report."""
    steps = sorted(
        (s for f in findings for s in f.steps if s["action"] in NUMBERED), key=lambda s: s["at"]
    )
    counters: dict[str, int] = {}
    receipts = 0
    for s in steps:
        key, fmt = NUMBERED[s["action"]]
        counters[s["action"]] = n = counters.get(s["action"], 0) + 1
        s["payload"] = {key: fmt.format(n=n), **s["payload"]}
        if "receipt_no" in s["payload"]:
            receipts += 1
            s["payload"]["receipt_no"] = f"HBXC2019{receipts:04d}"
    for f in findings:
        for s in f.steps:
            if s["action"] == "report_up":
                month = s["payload"]["reported_on"].month
                s["payload"] = {
                    "doc_no": f"丰国土资报〔2019〕{month}号",
                    "reported_to": REPORTED_TO,
                    **s["payload"],
                }


def _json(v: Any) -> Any:
    if isinstance(v, dt.datetime):
        return v.isoformat(timespec="minutes")
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, dict):
        return {k: _json(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_json(x) for x in v]
    return v


def _lonlat(geom: BaseGeometry, to4490: Transformer) -> dict[str, Any]:
    g = shapely.transform(geom, lambda xy: np.column_stack(to4490.transform(xy[:, 0], xy[:, 1])))
    return mapping(shapely.set_precision(g, 10**-LONLAT_DECIMALS))


def _photo_lonlat(step: dict[str, Any], to4490: Transformer) -> dict[str, Any]:
    p = step["photo"]
    lon, lat = to4490.transform(p["x"], p["y"])
    taken = p["taken"].strftime("%Y:%m:%d %H:%M:%S")
    photo = {"lon": round(lon, LONLAT_DECIMALS), "lat": round(lat, LONLAT_DECIMALS)}
    return {**step, "photo": {**photo, "direction": p["direction"], "taken": taken}}


def feature(ref: str, f: Finding, to4490: Transformer) -> dict[str, Any]:
    """The finding as a GeoJSON Feature (steps before the demo clock only)."""
    steps = [s for s in f.steps if s["at"] < CUTOFF]
    steps = [_photo_lonlat(s, to4490) if s["action"] == "add_photo" else s for s in steps]
    props = {
        "ref": ref,
        "source": f.source,
        "violation": f.violation,
        "found_at": f.found_at,
        "recorded_at": f.recorded_at,
        "recorded_by": f.recorded_by,
        "note": f.note,
        "township": f.place.township,
        "village": f.place.village,
        "weipian_site": f.place.site,
        "report": f.report,
        "steps": steps,
    }
    return {
        "type": "Feature",
        "properties": _json(props),
        "geometry": _lonlat(f.place.geometry, to4490),
    }


def _dismissed(rng: np.random.Generator, findings: list[Finding]) -> set[int]:
    """Which findings turn out not to be violations (核实不违法): more of the reports than of
    the patrol finds, never one at a 卫片 site or of the last week."""
    out: set[int] = set()
    for kind, n in DISMISSED.items():
        pool = [
            i
            for i, f in enumerate(findings)
            if (f.source == "patrol") == (kind == "patrol")
            and f.place.site is None
            and f.found_at.date() < LAST_DAY - dt.timedelta(days=7)
        ]
        out |= {int(i) for i in rng.choice(pool, n, replace=False)}
    return out


def plan(seed: int, ground: Ground) -> dict[str, Any]:
    """The whole sample as a GeoJSON FeatureCollection (EPSG:4490), from ``seed``."""
    rng = np.random.default_rng([seed, STREAM])
    findings = plan_findings(rng, ground)
    findings.sort(key=lambda f: f.found_at)
    dismissed = _dismissed(rng, findings)
    closed = []
    for i, f in enumerate(findings):
        at = respond(rng, f, i in dismissed)
        if at is not None and f.mining and f.place.site is None:
            closed.append((f, at))
    watch_list(rng, closed)
    number_documents(findings)
    to4490 = Transformer.from_crs(WORK_CRS, OUT_CRS, always_xy=True)
    return {
        "type": "FeatureCollection",
        "name": "patrol_2019",
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::4490"}},
        "note": "动态巡查 2019 示例数据（全部为虚构）: sample_data/patrol.py, seed "
        f"{seed}; played by tuban demo",
        "features": [feature(f"P{i:03d}", f, to4490) for i, f in enumerate(findings, 1)],
    }


def dumps(doc: dict[str, Any]) -> str:
    """The file's text: one line per step, stable across runs."""
    return json.dumps(doc, ensure_ascii=False, indent=1) + "\n"


def write(seed: int = SEED, root: Path = HERE) -> Path:
    """Plan the sample from the files under ``root``/fengrun/ and write it there."""
    out = root / DATASET / PATH
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(dumps(plan(seed, read_ground(root))), encoding="utf-8")
    return out


def _check_place(ground: Ground, f: dict[str, Any], geom: BaseGeometry) -> None:
    p = f["properties"]
    village = ground.villages[ground.villages["ZLDWDM"] == p["village"]].iloc[0]
    assert village["XZQDM"] == p["township"] and village.geometry.contains(geom), p["ref"]
    site = p["weipian_site"]
    if site is None:
        gap = ground.weipian.distance(geom).min()
        assert gap >= CLEAR_OF_WEIPIAN_M - 0.5, (p["ref"], gap)
    else:
        pit = ground.weipian[ground.weipian["code"] == site["code"]].geometry.iloc[0]
        assert pit.contains(geom) and p["violation"] in MINING, p["ref"]


def _check_steps(f: dict[str, Any]) -> None:
    p = f["properties"]
    times = [dt.datetime.fromisoformat(p["recorded_at"])]
    times += [dt.datetime.fromisoformat(s["at"]) for s in p["steps"]]
    assert dt.datetime.fromisoformat(p["found_at"]) <= times[0], p["ref"]
    assert all(a < b for a, b in zip(times, times[1:], strict=False)) and times[-1] < CUTOFF, p[
        "ref"
    ]
    actors = [p["recorded_by"], *(s["by"] for s in p["steps"])]
    assert all(a.endswith("（示例）") for a in actors), p["ref"]
    if p["report"] is not None:
        assert all("示例" in v or v == "匿名" for v in p["report"].values()), p["ref"]


def verify(root: Path = HERE) -> list[str]:
    """Read the sample back and check it against the ground it was laid on: every finding in
    its village and township, at its 卫片 site or clear of all of them, steps in time order
    before the demo clock, actors and reporters marked 示例. Returns summary lines; raises
    AssertionError on any problem."""
    ground = read_ground(root)
    doc = json.loads((root / DATASET / PATH).read_text(encoding="utf-8"))
    feats = doc["features"]
    to_work = Transformer.from_crs(OUT_CRS, WORK_CRS, always_xy=True)
    geoms = [
        shapely.transform(
            shapely.geometry.shape(f["geometry"]),
            lambda xy: np.column_stack(to_work.transform(xy[:, 0], xy[:, 1])),
        )
        for f in feats
    ]
    for f, g in zip(feats, geoms, strict=True):
        assert g.is_valid and g.geom_type in ("Point", "Polygon"), f["properties"]["ref"]
        _check_place(ground, f, g)
        _check_steps(f)
    away = [g for f, g in zip(feats, geoms, strict=True) if not f["properties"]["weipian_site"]]
    gaps = [a.distance(b) for i, a in enumerate(away) for b in away[i + 1 :]]
    assert min(gaps) >= CLEAR_OF_EACH_OTHER_M - 0.5, min(gaps)
    props = [f["properties"] for f in feats]
    kinds = pd.Series([p["violation"] for p in props]).value_counts().to_dict()
    sources = pd.Series([p["source"] for p in props]).value_counts().to_dict()
    steps = pd.Series([s["action"] for p in props for s in p["steps"]]).value_counts().to_dict()
    sites = sum(1 for p in props if p["weipian_site"])
    return [
        f"{PATH}: {len(feats)} findings, {sites} at 卫片 sites, {len(steps)} kinds of step",
        f"  violations {kinds}",
        f"  sources {sources}",
        f"  steps {steps}",
    ]


def main(argv: list[str] | None = None) -> int:
    """``python sample_data/patrol.py [--seed N] [--out ROOT]``."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=SEED)
    ap.add_argument("--out", type=Path, default=HERE, help="root holding fengrun/")
    args = ap.parse_args(argv)
    print(f"wrote {write(args.seed, args.out)}")
    for line in verify(args.out):
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
