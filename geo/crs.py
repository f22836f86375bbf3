"""Coordinate reference systems of Chinese deliveries: lookup by name, and guessing a missing one.

EPSG codes of the Gauss-Krüger zones are looked up in PROJ's database by their official names,
never hand-coded: public code mislabels them often enough (see docs/domain.md).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache

import numpy as np
from pyproj import CRS, Transformer
from pyproj.database import query_crs_info
from pyproj.enums import PJType

from geo.errors import MissingCRS
from geo.messages import msg

DATUMS = {"CGCS2000": "CGCS2000", "Xian80": "Xian 1980", "Beijing54": "Beijing 1954"}


@cache
def _projected_by_name() -> dict[str, str]:
    infos = query_crs_info(auth_name="EPSG", pj_types=[PJType.PROJECTED_CRS])
    return {i.name: f"EPSG:{i.code}" for i in infos}


def gk_crs(
    *,
    zone: int | None = None,
    cm: int | None = None,
    three_degree: bool = True,
    datum: str = "CGCS2000",
) -> CRS:
    """The Gauss-Krüger CRS for a zone number (zone-prefixed eastings) or a central meridian.

    Examples
    --------
    >>> gk_crs(zone=39).to_epsg(), gk_crs(cm=117).to_epsg()
    (4527, 4548)
    >>> gk_crs(zone=20, three_degree=False).to_epsg()
    4498
    """
    d = DATUMS.get(datum, datum)
    kind = "3-degree Gauss-Kruger" if three_degree else "Gauss-Kruger"
    name = f"{d} / {kind} zone {zone}" if zone is not None else f"{d} / {kind} CM {cm}E"
    try:
        return CRS.from_user_input(_projected_by_name()[name])
    except KeyError:
        raise MissingCRS(f"PROJ 数据库中没有坐标系 {name}", crs=name) from None


@dataclass(frozen=True)
class Jurisdiction:
    """The county the bureau is responsible for: guessed CRSs must put data inside it."""

    code: str
    name: str
    bounds: tuple[float, float, float, float]  # lon/lat in CGCS2000

    @property
    def center(self) -> tuple[float, float]:
        """Centre of the county's bounding box, lon/lat."""
        minx, miny, maxx, maxy = self.bounds
        return (minx + maxx) / 2, (miny + maxy) / 2

    def contains_bounds(self, b: tuple[float, float, float, float], margin_deg: float) -> bool:
        """Whether lon/lat bounds ``b`` lie inside the county's, widened by ``margin_deg``."""
        minx, miny, maxx, maxy = self.bounds
        return (
            b[0] >= minx - margin_deg
            and b[2] <= maxx + margin_deg
            and b[1] >= miny - margin_deg
            and b[3] <= maxy + margin_deg
        )


@dataclass(frozen=True)
class CrsGuess:
    """A guessed CRS, whether X and Y are swapped, and the reason shown to the user (zh)."""

    crs: CRS
    swap_xy: bool
    reason: str


def _between(lo: float, hi: float, *vals: float) -> bool:
    return all(lo <= v <= hi for v in vals)


def guess_crs(bounds: tuple[float, float, float, float], where: Jurisdiction) -> CrsGuess:
    """Guess a CRS from coordinate magnitudes and the county's location.

    Recognises geographic degrees, zone-prefixed 8-digit GK eastings (3° zones 25–45, 6° zones
    13–23), 6-digit eastings (central meridian taken from the county), and X/Y swapped (northing
    in X). Xian 80 cannot be told from CGCS2000 by magnitude: CGCS2000 is assumed and the report
    says so, so a user can override it.
    """
    minx, miny, maxx, maxy = bounds
    if _between(73, 136, minx, maxx) and _between(3, 54, miny, maxy):
        return CrsGuess(
            CRS.from_epsg(4490), False, "坐标为经纬度，按 CGCS2000 地理坐标（EPSG:4490）"
        )
    if _between(3, 54, minx, maxx) and _between(73, 136, miny, maxy):
        return CrsGuess(
            CRS.from_epsg(4490), True, "坐标为纬度在前的经纬度，已交换 X/Y，按 EPSG:4490"
        )
    for swap, (ex0, ex1, n0, n1) in (
        (False, (minx, maxx, miny, maxy)),
        (True, (miny, maxy, minx, maxx)),
    ):
        if not _between(0, 6_500_000, n0, n1):
            continue
        how = "（X/Y 互换：X 为北坐标）" if swap else ""
        if _between(1e7, 1e8 - 1, ex0, ex1) and math.floor(ex0 / 1e6) == math.floor(ex1 / 1e6):
            zone = math.floor(ex0 / 1e6)
            if 25 <= zone <= 45:
                return CrsGuess(
                    gk_crs(zone=zone),
                    swap,
                    f"东坐标带 {zone} 带号前缀，按 CGCS2000 3 度带第 {zone} 带{how}",
                )
            if 13 <= zone <= 23:
                return CrsGuess(
                    gk_crs(zone=zone, three_degree=False),
                    swap,
                    f"东坐标带 {zone} 带号前缀，按 CGCS2000 6 度带第 {zone} 带{how}",
                )
        if _between(100_000, 900_000, ex0, ex1):
            cm = int(round(where.center[0] / 3) * 3)
            return CrsGuess(
                gk_crs(cm=cm),
                swap,
                f"东坐标无带号，按辖区所在的 CGCS2000 3 度带中央经线 {cm}°E{how}",
            )
    raise MissingCRS(
        msg("import.no_crs_guess"),
        option="crs",
        bounds=[round(v, 3) for v in bounds],
    )


def to_lonlat_bounds(
    bounds: tuple[float, float, float, float], crs: CRS, swap_xy: bool
) -> tuple[float, float, float, float]:
    """Bounds in ``crs`` (X/Y swapped first if ``swap_xy``) as lon/lat bounds in EPSG:4490."""
    minx, miny, maxx, maxy = bounds
    if swap_xy:
        minx, miny, maxx, maxy = miny, minx, maxy, maxx
    t = Transformer.from_crs(crs, 4490, always_xy=True)
    xs, ys = t.transform(np.array([minx, maxx, minx, maxx]), np.array([miny, miny, maxy, maxy]))
    return float(np.min(xs)), float(np.min(ys)), float(np.max(xs)), float(np.max(ys))


@dataclass(frozen=True)
class Placement:
    """A CRS guessed from where most 图斑 fall, and which 图斑 it puts beyond the county."""

    guess: CrsGuess
    beyond: np.ndarray  # bool per box; a box without coordinates is never beyond
    # Of the box centres under the guess (infinite when none transforms to a finite place).
    lonlat_bounds: tuple[float, float, float, float]
    placed: int  # boxes with coordinates

    @property
    def majority_inside(self) -> bool:
        """Whether more than half of the placed boxes fall inside (the guess is believable)."""
        return int(self.beyond.sum()) * 2 < self.placed


def place_boxes(
    boxes: np.ndarray, where: Jurisdiction, margin_deg: float, step: int = 1 << 20
) -> Placement:
    """Guess the CRS of per-feature ``boxes`` ((n, 4), NaN where a feature has no geometry)
    from their median centre, then tell each box's centre inside or beyond the county widened
    by ``margin_deg``.

    The median, not the extent: a few 图斑 of a neighbouring county (or with a typo in their
    coordinates) must not decide the CRS of all the others.
    """
    cx = (boxes[:, 0] + boxes[:, 2]) / 2
    cy = (boxes[:, 1] + boxes[:, 3]) / 2
    ok = np.isfinite(cx) & np.isfinite(cy)
    if not ok.any():
        raise MissingCRS("文件没有坐标系，也没有可用于推断的坐标")
    mx, my = float(np.median(cx[ok])), float(np.median(cy[ok]))
    guess = guess_crs((mx, my, mx, my), where)
    t = Transformer.from_crs(guess.crs, 4490, always_xy=True)
    minx, miny, maxx, maxy = where.bounds
    beyond = np.zeros(len(cx), dtype=bool)
    seen = [math.inf, math.inf, -math.inf, -math.inf]
    for s in range(0, len(cx), step):  # a slice at a time: ten million centres at once is GBs
        xs, ys = cx[s : s + step], cy[s : s + step]
        lon, lat = t.transform(*((ys, xs) if guess.swap_xy else (xs, ys)))
        with np.errstate(invalid="ignore"):
            inside = (lon >= minx - margin_deg) & (lon <= maxx + margin_deg)
            inside &= (lat >= miny - margin_deg) & (lat <= maxy + margin_deg)
        beyond[s : s + step] = ok[s : s + step] & ~inside
        fin = np.isfinite(lon) & np.isfinite(lat)
        if fin.any():
            seen = [
                min(seen[0], float(lon[fin].min())),
                min(seen[1], float(lat[fin].min())),
                max(seen[2], float(lon[fin].max())),
                max(seen[3], float(lat[fin].max())),
            ]
    return Placement(guess, beyond, (seen[0], seen[1], seen[2], seen[3]), int(ok.sum()))
