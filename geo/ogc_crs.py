"""The coordinate reference systems OGC API - Features serves (Part 2, CRS by reference).

Stored coordinates are CGCS2000 (EPSG:4490) longitude/latitude. A client names a CRS by its
OGC URI; coordinates are then written in that CRS's own axis order, as its URI defines it:
CRS84 is lon/lat, but EPSG:4490 is lat/lon and the Gauss-Krüger CRSs are northing/easting
(EPSG's definitions, which GDAL and QGIS follow for these URIs). CGCS2000 and WGS 84 differ by
centimetres here, below what a 图斑 is measured to: CRS84 output is the stored lon/lat as is.

The Gauss-Krüger codes come from PROJ's database by name (``geo.crs.gk_crs``), never typed in:
the county's 3° zones 39 and 40, with the zone prefix on eastings (EPSG:4527, 4528) and without
(EPSG:4548, 4549).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
import shapely
from pyproj import CRS, Transformer
from shapely.geometry.base import BaseGeometry

from geo.crs import gk_crs
from geo.errors import InvalidValue

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
EPSG_URI = "http://www.opengis.net/def/crs/EPSG/0/{code}"
STORED_EPSG = 4490
# The county's 3° Gauss-Krüger zones (丰润区 lies across 117°E and 120°E's zones' border).
COUNTY_ZONES = ((39, 117), (40, 120))


@dataclass(frozen=True)
class OgcCrs:
    """One CRS a client may ask for: its URI, and how stored lon/lat become its coordinates."""

    uri: str
    epsg: int | None  # None: CRS84, the stored numbers unchanged

    @property
    def north_first(self) -> bool:
        """Whether the CRS's first axis points north (lat/lon, northing/easting)."""
        return self.epsg is not None and _north_first(self.epsg)

    def from_lonlat(self, geoms: np.ndarray) -> np.ndarray:
        """Stored geometries (lon/lat) in this CRS, in its axis order."""
        if self.epsg is None or not len(geoms):
            return geoms
        fwd = _to(self.epsg)
        swap = self.north_first

        def move(xy: np.ndarray) -> np.ndarray:
            x, y = fwd.transform(xy[:, 0], xy[:, 1])
            return np.column_stack([y, x] if swap else [x, y])

        return shapely.transform(geoms, move)

    def to_lonlat(self, geom: BaseGeometry) -> BaseGeometry:
        """A geometry sent in this CRS (its axis order) in stored lon/lat."""
        if self.epsg is None:
            return geom
        back = _from(self.epsg)
        swap = self.north_first

        def move(xy: np.ndarray) -> np.ndarray:
            a, b = (xy[:, 1], xy[:, 0]) if swap else (xy[:, 0], xy[:, 1])
            return np.column_stack(back.transform(a, b))

        return shapely.transform(geom, move)

    def box_to_lonlat(self, box: tuple[float, float, float, float]) -> tuple[float, ...]:
        """A bbox given in this CRS's axis order as (minlon, minlat, maxlon, maxlat), the edges
        densified so a projected box's curved sides are covered."""
        if self.epsg is None:
            return box
        a0, b0, a1, b1 = box
        x0, y0, x1, y1 = (b0, a0, b1, a1) if self.north_first else (a0, b0, a1, b1)
        back = _from(self.epsg)
        return tuple(float(v) for v in back.transform_bounds(x0, y0, x1, y1, densify_pts=21))


@cache
def _north_first(epsg: int) -> bool:
    return CRS.from_epsg(epsg).axis_info[0].direction in ("north", "south")


@cache
def _to(epsg: int) -> Transformer:
    return Transformer.from_crs(STORED_EPSG, epsg, always_xy=True)


@cache
def _from(epsg: int) -> Transformer:
    return Transformer.from_crs(epsg, STORED_EPSG, always_xy=True)


@cache
def supported() -> tuple[OgcCrs, ...]:
    """Every CRS served, CRS84 (the default) first."""
    codes = [STORED_EPSG]
    codes += [int(gk_crs(zone=z).to_epsg() or 0) for z, _ in COUNTY_ZONES]
    codes += [int(gk_crs(cm=cm).to_epsg() or 0) for _, cm in COUNTY_ZONES]
    return (OgcCrs(CRS84, None), *(OgcCrs(EPSG_URI.format(code=c), c) for c in codes))


def crs_uris() -> list[str]:
    """The URIs of the served CRSs, for a collection's ``crs`` list."""
    return [c.uri for c in supported()]


def by_uri(uri: str | None, *, param: str = "crs") -> OgcCrs:
    """The served CRS named by ``uri`` (CRS84 when None); InvalidValue naming the URIs served.

    The ``[EPSG:4490]`` safe-CURIE form is taken too, as some clients send it.
    """
    if uri is None or uri == "":
        return supported()[0]
    given = uri.strip()
    if given.startswith("[") and given.endswith("]") and ":" in given:
        auth, _, code = given[1:-1].partition(":")
        given = CRS84 if auth == "OGC" and code == "CRS84" else EPSG_URI.format(code=code)
    for c in supported():
        if c.uri == given or c.uri.replace("http://", "https://") == given:
            return c
    raise InvalidValue(
        f"不支持的坐标系 {uri[:200]}；可用：{', '.join(crs_uris())}", field=param, value=uri[:200]
    )
