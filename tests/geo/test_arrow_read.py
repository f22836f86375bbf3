"""GeoPackage and FlatGeobuf are read through GDAL's Arrow stream: same frame as row by row."""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely

from geo import readers
from geo.import_pipeline import read_parcels
from geo.layers import json_lines
from tests import factories


def _mixed() -> gpd.GeoDataFrame:
    """Every field type a delivery carries, with nulls, Chinese text, a hole and a multipart."""
    f = factories.squares(4)
    f["BHLX"] = ["新增建设用地", None, "推填土", "其他"]
    f["JCMJ"] = [1.5, np.nan, 3.25, 1e9]
    f["SFBG"] = [True, False, True, False]
    f["BIG"] = [2**40, -1, 0, 7]
    f["QSX"] = pd.to_datetime(["2024-01-02", None, "2024-03-04", "2023-12-31"]).date
    f["JCSJ"] = pd.to_datetime(["2024-01-02 03:04:05", None, "2024-03-04 00:00:00", None])
    f["TZ"] = pd.to_datetime(["2024-01-02T03:04:05+08:00"] * 4)
    g = f.geometry.to_numpy()
    g[1] = g[1].difference(g[1].centroid.buffer(10))  # a hole
    g[2] = shapely.MultiPolygon([g[2], shapely.affinity.translate(g[2], 0, 300)])
    f = f.set_geometry(g)
    return f


@pytest.mark.parametrize(("driver", "suffix"), [("GPKG", ".gpkg"), ("FlatGeobuf", ".fgb")])
def test_arrow_read_gives_the_row_by_row_frame(tmp_path, driver, suffix):
    path = tmp_path / f"wp{suffix}"
    # use_arrow writes DATE fields as dates (the row writer would make them text).
    pyogrio.write_dataframe(_mixed(), path, driver=driver, use_arrow=True)
    raw = readers.read_raw(path, path.name)
    plain = pyogrio.read_dataframe(path)
    assert raw.driver == driver
    assert list(raw.frame.columns) == list(plain.columns)
    assert dict(raw.frame.dtypes.astype(str)) == dict(plain.dtypes.astype(str))
    cols = [c for c in plain.columns if c != "geometry"]
    assert json_lines(raw.frame, cols) == json_lines(plain, cols)
    # (FlatGeobuf returns features in its spatial index's order, both ways alike)
    assert any('"QSX":"2024-01-02T00:00:00.000"' in t for t in json_lines(raw.frame, cols))
    assert shapely.equals_exact(raw.frame.geometry.to_numpy(), plain.geometry.to_numpy()).all()
    assert raw.frame.crs == plain.crs


def test_arrow_reader_is_used_for_geopackage_and_falls_back_when_it_fails(tmp_path, monkeypatch):
    path = factories.write(factories.squares(3), tmp_path / "wp.gpkg")
    calls = []
    real = pyogrio.read_dataframe

    def failing_arrow(*args, **kw):
        calls.append(bool(kw.get("use_arrow")))
        if kw.get("use_arrow"):
            raise pyogrio.errors.DataSourceError("no Arrow stream for this layer")
        return real(*args, **kw)

    monkeypatch.setattr(readers.pyogrio, "read_dataframe", failing_arrow)
    layer = read_parcels(path)
    assert calls == [True, False]
    assert list(layer.frame["code"]) == list(factories.squares(3)["TBBH"])


def test_a_given_encoding_keeps_the_row_by_row_reader(tmp_path, monkeypatch):
    path = factories.write(factories.squares(2), tmp_path / "wp.gpkg")
    calls = []
    real = pyogrio.read_dataframe

    def spy(*args, **kw):
        calls.append(bool(kw.get("use_arrow")))
        return real(*args, **kw)

    monkeypatch.setattr(readers.pyogrio, "read_dataframe", spy)
    read_parcels(path, encoding="UTF-8")
    assert calls == [False]


def test_arrow_read_of_dates_in_attributes(tmp_path):
    f = factories.squares(1)
    f["QSX"] = [dt.date(2024, 5, 6)]
    path = tmp_path / "wp.gpkg"
    pyogrio.write_dataframe(f, path, use_arrow=True)
    layer = read_parcels(path)
    assert layer.attributes(0)["QSX"] == "2024-05-06T00:00:00.000"
