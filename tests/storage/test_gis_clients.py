"""GIS clients read the PostGIS store directly: GDAL's ``ogrinfo`` lists the cases and the
reference features as spatial layers of the right geometry type, in EPSG:4490, with their
feature counts (QGIS and ArcGIS read PostGIS through the same driver)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import geopandas as gpd
import pytest
import shapely

from storage.imports import import_file, import_reference
from tests import factories
from tests.conftest import NOW
from tests.storage.test_linking_and_hints import meta

OGRINFO = shutil.which("ogrinfo")


def _layers(schema: str) -> dict[str, str]:
    """``ogrinfo``'s summary of every layer in ``schema``, by layer name."""
    source = f"PG:host=127.0.0.1 dbname=test user=postgres active_schema={schema}"
    assert OGRINFO is not None
    out = subprocess.run(
        [OGRINFO, "-ro", "-so", "-al", source], capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    blocks = re.split(r"^Layer name: ", out.stdout, flags=re.MULTILINE)[1:]
    return {b.split("\n", 1)[0].strip(): b for b in blocks}


def test_ogrinfo_lists_the_cases_and_reference_features(store, tmp_path):
    if store.engine.dialect.name != "postgresql":
        pytest.skip("GIS clients read the PostGIS store; SQLite holds WKB blobs")
    if OGRINFO is None:
        if os.environ.get("CI"):
            pytest.fail("ogrinfo (Debian gdal-bin) is missing: .ci/run installs it")
        pytest.skip("ogrinfo not installed (Debian package gdal-bin)")
    squares = factories.squares(4)
    import_file(store, factories.write(squares, tmp_path / "k.gpkg"), meta(), actor="t", now=NOW)
    x, y = factories.FENGRUN_LONLAT
    farm = gpd.GeoDataFrame(
        {"DLBM": ["0101"] * 2},
        geometry=[
            shapely.box(x, y, x + 0.01, y + 0.01),
            shapely.box(x + 0.02, y, x + 0.03, y + 0.01),
        ],
        crs="EPSG:4490",
    )
    path = factories.write(farm, tmp_path / "farm.gpkg")
    import_reference(store, path, "farmland", name="永久基本农田", version="1", actor="t", now=NOW)
    with store.engine.connect() as conn:
        schema = conn.exec_driver_sql("SELECT current_schema()").scalar_one()
    layers = _layers(schema)
    cases, refs = layers["cases"], layers["ref_features"]
    assert "Geometry (geom): Multi Polygon" in cases and "Geometry (geom_point): Point" in cases
    assert "Feature Count: 4" in cases
    assert "Geometry: Multi Polygon" in refs and "Feature Count: 2" in refs
    for layer in (cases, refs):
        assert 'ID["EPSG",4490]' in layer and "China Geodetic Coordinate System 2000" in layer
    assert "reissues" not in layers  # WKB kept as delivered: not a spatial layer
