"""The desk's own clients open the exports: Debian's GDAL 3.6 ``ogrinfo`` and QGIS 3.22 read the
GeoPackage without the "version 1.4 … partially supported" warning they give a newer GDAL's
file, and the province Shapefile's Chinese through its .cpg.

Without a client installed its test is skipped, naming the package; in CI (``CI`` set) it fails
instead (.ci/run installs gdal-bin and python3-qgis)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import geopandas as gpd
import pytest

from geo.export_formats import choose_format
from geo.export_writer import ExportOptions
from storage.exports import ExportRows
from storage.imports import import_file
from tests import factories
from tests.conftest import NOW

DEBIAN_PYTHON = Path("/usr/bin/python3")
WARNING = "may only be partially supported"
QGIS_SCRIPT = """
import json, os, sys
from qgis.core import QgsApplication, QgsVectorLayer
app = QgsApplication([], False)
app.initQgis()
out = {}
for path, field in zip(sys.argv[1::2], sys.argv[2::2]):
    layer = QgsVectorLayer(path, "t", "ogr")
    values = sorted(str(f[field]) for f in layer.getFeatures()) if layer.isValid() else []
    out[path] = {"valid": layer.isValid(), "values": values, "crs": layer.crs().authid()}
print(json.dumps(out, ensure_ascii=False), flush=True)
os._exit(0)  # 3.22 may crash tearing down its providers offscreen
"""


def _missing(tool: str, package: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{tool} is required in CI (Debian package {package})")
    pytest.skip(f"{tool} not installed (Debian package {package})")


@pytest.fixture
def files(store, mining_meta, tmp_path) -> dict[str, Path]:
    """This export's GeoPackage and province Shapefile, and a GeoPackage 1.4 as GDAL 3.12
    writes it by default (what the clients warn about)."""
    if store.engine.dialect.name != "sqlite":
        pytest.skip("the files are the same from either backend")
    frame = factories.squares(2)
    frame["备注"] = ["丰润区丰登坞镇", "左家坞镇"]
    import_file(store, factories.write(frame, tmp_path / "k.gpkg"), mining_meta, actor="t", now=NOW)
    rows = ExportRows(store.engine)
    gpkg, zipped = tmp_path / "out.gpkg", tmp_path / "p.zip"
    rows.export(1, choose_format(gpkg.name), gpkg, ExportOptions())
    rows.export(1, choose_format(zipped.name), zipped, ExportOptions())
    with zipfile.ZipFile(zipped) as z:
        z.extractall(tmp_path / "p")
    newer = tmp_path / "newer.gpkg"
    gpd.GeoDataFrame({"a": ["x"]}, geometry=frame.geometry, crs=frame.crs).to_file(newer)
    return {"gpkg": gpkg, "shp": next((tmp_path / "p").glob("*.shp")), "newer": newer}


def test_gdal_3_6_reads_the_geopackage_quietly_and_the_shapefile_in_chinese(files):
    ogrinfo = shutil.which("ogrinfo")
    if ogrinfo is None:
        _missing("ogrinfo", "gdal-bin")
    newer = subprocess.run(
        [ogrinfo, "-so", "-al", str(files["newer"])], capture_output=True, text=True
    )
    assert WARNING in newer.stdout + newer.stderr  # the check can tell
    ours = subprocess.run(
        [ogrinfo, "-so", "-al", str(files["gpkg"])], capture_output=True, text=True
    )
    assert ours.returncode == 0 and WARNING not in ours.stdout + ours.stderr
    assert "Feature Count: 2" in ours.stdout
    shp = subprocess.run([ogrinfo, "-al", "-q", str(files["shp"])], capture_output=True, text=True)
    assert "丰润区丰登坞镇" in shp.stdout and "已下发" in shp.stdout


def test_qgis_3_22_opens_both_without_the_version_warning(files):
    if not DEBIAN_PYTHON.exists():
        _missing("python3", "python3")
    if subprocess.run([DEBIAN_PYTHON, "-c", "import qgis.core"], capture_output=True).returncode:
        _missing("qgis.core", "python3-qgis")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    env.pop("PYTHONPATH", None)  # Debian's python3 with its own packages, not the venv's
    args = [str(files["newer"]), "a", str(files["gpkg"]), "图斑编号", str(files["shp"]), "备注"]
    out = subprocess.run(
        [DEBIAN_PYTHON, "-c", QGIS_SCRIPT, *args],
        capture_output=True,
        text=True,
        timeout=180,
        env=env,
    )
    assert out.returncode == 0, out.stderr
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert WARNING in out.stderr and "newer.gpkg" in out.stderr  # the check can tell
    assert "out.gpkg" not in out.stderr
    assert got[str(files["gpkg"])]["valid"] and len(got[str(files["gpkg"])]["values"]) == 2
    shp = got[str(files["shp"])]
    assert shp["valid"] and shp["crs"] == "EPSG:4527"
    assert shp["values"] == ["丰润区丰登坞镇", "左家坞镇"]
