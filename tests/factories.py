"""Tiny hand-built 图斑 layers written with pyogrio, so tests need no shipped fixtures."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
from pyproj import Transformer
from shapely import Polygon, box

# A point in 丰润区 (lon, lat) and its CGCS2000 zone-39 GK coordinates (EPSG:4527).
FENGRUN_LONLAT = (118.10, 39.83)
_to_4527 = Transformer.from_crs(4490, 4527, always_xy=True)
FENGRUN_X, FENGRUN_Y = _to_4527.transform(*FENGRUN_LONLAT)


def squares(n: int = 3, size: float = 100.0, step: float = 500.0) -> gpd.GeoDataFrame:
    """``n`` squares of ``size`` m sides in EPSG:4527 near Fengrun, with TBBH and XZQDM."""
    geoms = [
        box(FENGRUN_X + i * step, FENGRUN_Y, FENGRUN_X + i * step + size, FENGRUN_Y + size)
        for i in range(n)
    ]
    return gpd.GeoDataFrame(
        {
            "TBBH": [f"130208KS2019Q3{i + 1:03d}" for i in range(n)],
            "XZQDM": ["130208"] * n,
            "BHLX": ["新增开采"] * n,
            "JCMJ": [size * size] * n,
        },
        geometry=geoms,
        crs="EPSG:4527",
    )


def bowtie(dx: float = 0.0) -> Polygon:
    """A self-intersecting ring (invalid), ``dx`` m east of the anchor."""
    x, y = FENGRUN_X + dx, FENGRUN_Y
    return Polygon([(x, y), (x + 100, y + 100), (x + 100, y), (x, y + 100), (x, y)])


def write(frame: gpd.GeoDataFrame, path: Path, **kwargs) -> Path:
    frame.to_file(path, engine="pyogrio", **kwargs)
    return path


def degenerate() -> Polygon:
    """A ring whose points are collinear: no area, and nothing make_valid can turn into a face."""
    x, y = FENGRUN_X, FENGRUN_Y
    return Polygon([(x, y), (x + 100, y), (x + 200, y), (x, y)])


def grid(n: int, size: float = 50.0, step: float = 80.0) -> gpd.GeoDataFrame:
    """``n`` squares on a grid around Fengrun (stays inside the county up to ~50 000)."""
    import numpy as np
    import shapely

    side = int(np.ceil(np.sqrt(n)))
    i = np.arange(n)
    x0 = FENGRUN_X - side * step / 2 + (i % side) * step
    y0 = FENGRUN_Y - side * step / 2 + (i // side) * step
    return gpd.GeoDataFrame(
        {"TBBH": [f"130208KS2019Q3{k:06d}" for k in range(n)], "XZQDM": ["130208"] * n},
        geometry=shapely.box(x0, y0, x0 + size, y0 + size),
        crs="EPSG:4527",
    )
