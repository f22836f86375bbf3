"""Properties of the importer under hostile province files (pure geo/, no store).

Whatever a delivery holds (random and Chinese column names, the province's fields in any case
and order or missing, NUL, control and bidi characters, very long strings, numbers where text
belongs, self-intersecting, unclosed, empty, zero-area or far-away geometries, wrong CRS hints,
GBK with or without a .cpg, a UTF-8 BOM), ``read_parcels`` either gives a layer whose every
图斑 is fit to store, or raises one of ``geo.errors``' import errors naming the file (and the row
and field when one row is to blame). Never any other exception.
"""

from __future__ import annotations

import json
import unicodedata

import pytest
import shapely
from hypothesis import HealthCheck, event, example, given, reject, settings

from geo.errors import ImportError_, InvalidValue
from geo.import_pipeline import read_parcels
from tests import factories
from tests.geo import layer_strategies as ls

PROPERTY = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


@PROPERTY
@given(delivery=ls.deliveries(), accept_partial=ls.st.booleans())
@example(
    delivery=ls.Delivery(
        ["TBBH", "XZQDM", "BHLX"],
        [{"TBBH": "K1\u202e", "XZQDM": "130208", "BHLX": "a\x00b"}],
        [("square", ((0.0, 0.0), 100.0))],
        "csv", "none", "utf-8-sig", False,
    ),
    accept_partial=False,
)  # fmt: skip
def test_an_import_gives_clean_parcels_or_names_what_is_wrong(
    tmp_path_factory, delivery, accept_partial
):
    folder = tmp_path_factory.mktemp("delivery")
    try:
        path = ls.write_delivery(delivery, folder)
    except ls.CannotWrite:
        reject()
    try:
        layer = read_parcels(path, jurisdiction=ls.FENGRUN, accept_partial=accept_partial)
    except ImportError_ as exc:
        event(f"refused: {type(exc).__name__}")
        ls.check_refusal(exc, path.name)
        return
    event("imported")
    ls.check_layer(layer)


# --- the text rule at the normalise stage -------------------------------------------------------


def _geojson(tmp_path, properties: list[dict]) -> object:
    """Squares near 丰润区 carrying ``properties``, written as escaped JSON (so a NUL survives)."""
    squares = factories.squares(len(properties)).geometry
    features = [
        {"type": "Feature", "properties": p, "geometry": json.loads(shapely.to_geojson(g))}
        for p, g in zip(properties, squares, strict=True)
    ]
    doc = {
        "type": "FeatureCollection",
        "crs": {"type": "name", "properties": {"name": "EPSG:4527"}},
        "features": features,
    }
    path = tmp_path / "hostile.geojson"
    path.write_text(json.dumps(doc, ensure_ascii=True), encoding="utf-8")
    return path


def _csv(tmp_path, header: list[str], rows: list[list[str]]) -> object:
    """A list of squares near 丰润区 as WKT; pandas keeps a NUL that GDAL would cut text at."""
    squares = factories.squares(len(rows)).geometry
    lines = [",".join([*header, "WKT"])]
    lines += [",".join([*r, f'"{g.wkt}"']) for r, g in zip(rows, squares, strict=True)]
    path = tmp_path / "hostile.csv"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def test_attributes_and_keys_lose_nul_control_and_bidi_characters_and_come_out_nfc(tmp_path):
    """The text rule of geo.inputs, applied when a file is normalised: what no field may hold is
    removed (never refused: a province file cannot be sent back for an invisible character) and
    the report says which fields were cleaned."""
    path = _csv(
        tmp_path,
        ["TBBH", "XZQDM", "BHLX", "备注", "说\u2066明"],
        [
            ["K1\u202e", "130208\x00", "新增\x00开采", "gpj\u202e.exe", ""],
            ["K2", "130208", "Cafe\u0301\x1b[31m", "", "ok"],
        ],
    )
    layer = read_parcels(path, crs="EPSG:4527")
    assert list(layer.frame["code"]) == ["K1", "K2"]
    assert list(layer.frame["xzqdm"]) == ["130208", "130208"]
    first, second = layer.attributes(0), layer.attributes(1)
    assert first["BHLX"] == "新增开采" and first["备注"] == "gpj.exe"
    assert second["BHLX"] == "Café[31m" and unicodedata.is_normalized("NFC", second["BHLX"])
    assert second["说明"] == "ok"
    for attrs in (first, second):
        for k, v in attrs.items():
            ls.clean_text_ok(k)
            if isinstance(v, str):
                ls.clean_text_ok(v)
    warned = " ".join(layer.report.warnings)
    assert "BHLX" in warned and "TBBH" in warned, layer.report.warnings


def test_a_code_longer_than_the_store_keeps_is_refused_naming_row_and_field(tmp_path):
    f = factories.squares(2)
    f["TBBH"] = ["K1", "K" * 101]
    path = factories.write(f, tmp_path / "long.gpkg")
    with pytest.raises(ImportError_) as exc:
        read_parcels(path)
    assert exc.value.details["row"] == 2 and exc.value.details["field"] == "TBBH"
    assert "过长" in exc.value.message


def test_a_point_without_a_usable_declared_area_is_refused(tmp_path):
    """A 图斑 given by its centre takes its area from the area field: none, negative or not
    finite is no area to count."""
    path = tmp_path / "points.csv"
    path.write_text(
        "TBBH,XZQDM,X,Y,JCMJ\n"
        f"K1,130208,{ls.X0},{ls.Y0},120\n"
        f"K2,130208,{ls.X0 + 500},{ls.Y0},inf\n"
        f"K3,130208,{ls.X0 + 900},{ls.Y0},-5\n",
        encoding="utf-8",
    )
    with pytest.raises(ImportError_) as exc:
        read_parcels(path, crs="EPSG:4527")
    assert exc.value.details["row"] == 2 and exc.value.details["field"] == "JCMJ"
    layer = read_parcels(path, crs="EPSG:4527", accept_partial=True)
    assert list(layer.frame["code"]) == ["K1"] and list(layer.frame["area_m2"]) == [120.0]


def test_two_names_that_only_invisible_characters_told_apart_are_refused(tmp_path):
    path = _geojson(tmp_path, [{"TBBH": "K1", "XZQDM": "130208", "备注": "a", "备\u202e注": "b"}])
    with pytest.raises(InvalidValue) as exc:
        read_parcels(path)
    assert (
        exc.value.details
        == {
            "file": "hostile.geojson",
            "field": "备注",
            "columns": ["TBBH", "XZQDM", "备注", "备注"],
        }
        or exc.value.details["field"] == "备注"
    )


# --- encodings: what the user names and what a .cpg says ----------------------------------------


@pytest.mark.parametrize("suffix", [".shp", ".gpkg", ".csv"])
@pytest.mark.parametrize("encoding", ["x" * 300, "GBK\x00", "utf-8\u202e"])
def test_an_encoding_no_codec_knows_is_refused_naming_the_field(tmp_path, suffix, encoding):
    path = tmp_path / f"wp{suffix}"
    if suffix == ".csv":
        path.write_text(f'TBBH,XZQDM,WKT\nK1,130208,"{factories.squares(1).geometry[0].wkt}"\n')
    else:
        factories.write(factories.squares(1), path)
    with pytest.raises(InvalidValue) as exc:
        read_parcels(path, encoding=encoding, crs="EPSG:4527")
    assert exc.value.details["field"] == "encoding" and exc.value.details["file"] == path.name


def test_what_a_cpg_says_is_noted_short_and_clean(tmp_path):
    """The .cpg's text goes into the report and the batch row (at most 200 characters there)."""
    path = factories.write(factories.squares(1), tmp_path / "wp.shp", encoding="UTF-8")
    path.with_suffix(".cpg").write_text("UTF-8\u202e" + "x" * 300)
    layer = read_parcels(path)
    assert len(layer.encoding) <= 100 and layer.encoding.startswith("UTF-8")
    assert layer.encoding.endswith("…（取自 .cpg 文件）")
    ls.clean_text_ok(layer.encoding)
    assert layer.report.encoding == layer.encoding
