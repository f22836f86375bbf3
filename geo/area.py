"""Ellipsoidal (椭球) area on the CGCS2000 ellipsoid, the area official statistics use."""

from __future__ import annotations

import numpy as np
import shapely
from pyproj import CRS, Geod

CGCS2000 = CRS.from_epsg(4490)
# CGCS2000's ellipsoid (a=6378137, 1/f=298.257222101); the Gauss projection is conformal, not
# equal-area, so plane areas from delivery files are only informative.
GEOD: Geod = CGCS2000.get_geod()  # type: ignore[assignment]

M2_PER_MU = 10000 / 15  # 1 亩 = 666.67 m²; round only when presenting


def ellipsoidal_area_m2(geometries: np.ndarray | list) -> np.ndarray:
    """Geodesic area in m² of lon/lat geometries on the CGCS2000 ellipsoid.

    Parameters
    ----------
    geometries : array of shapely geometries in EPSG:4490 (x = longitude, y = latitude).

    Returns
    -------
    numpy.ndarray of float, one area per geometry (holes subtracted, multiparts summed).

    Examples
    --------
    >>> from shapely import box
    >>> a = ellipsoidal_area_m2([box(118.0, 39.8, 118.01, 39.81)])
    >>> bool(950_000 < a[0] < 960_000)
    True
    """
    # pyproj sums signed ring areas, so a hole wound like its shell would be *added*; orient
    # every shell counter-clockwise and every hole clockwise first.
    geoms = shapely.orient_polygons(np.asarray(geometries, dtype=object), exterior_cw=False)
    out = np.empty(len(geoms), dtype=float)
    for i, g in enumerate(geoms):
        if g is None or shapely.is_empty(g):
            out[i] = 0.0
            continue
        area, _ = GEOD.geometry_area_perimeter(g)
        out[i] = area
    return out


def to_mu(area_m2: np.ndarray | float) -> np.ndarray | float:
    """Convert m² to 亩."""
    return (
        np.asarray(area_m2) / M2_PER_MU if isinstance(area_m2, np.ndarray) else area_m2 / M2_PER_MU
    )
