"""Hypothesis strategies for hostile province deliveries, and the checks every imported 图斑 must
pass. Shared by the pure importer properties (tests/geo) and the store's (tests/storage).

A delivery is drawn as data (``Delivery``: columns, rows, geometries, CRS hint, format,
encoding) and written to disk by hand or through pyogrio, so the bytes can hold what a real
province file holds: NUL and control characters, bidi overrides, decomposed accents, GBK without
a .cpg, a UTF-8 byte-order mark, coordinates that are NaN or far away, rings that cross
themselves or never close.
"""

from __future__ import annotations

import json
import math
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from hypothesis import strategies as st
from pyproj import Transformer

from geo.crs import Jurisdiction
from geo.errors import ImportError_, InvalidGeometry, InvalidValue, MissingField
from geo.inputs import text_problem
from geo.layers import ParcelLayer
from tests import factories

FENGRUN = Jurisdiction("130208", "丰润区", (117.89, 39.60, 118.29, 40.05))
X0, Y0 = factories.FENGRUN_X, factories.FENGRUN_Y
_TO_LONLAT = Transformer.from_crs(4527, 4490, always_xy=True)

# Characters a careless or hostile tool puts in a text field.
NASTY = (
    "\x00", "\x01", "\x07", "\x1b", "\x7f", "\x85", "\u202e", "\u202d", "\u2066", "\u2069",
    "\ufeff", "\u200b", "e\u0301", "\r\n", "\t", "\ufffd", "图斑", "违法", "😀", "'", '"', "<", "&",
    "\ud800", "\udfff",  # lone surrogates: only escaped JSON can carry them
)  # fmt: skip
PROVINCE_FIELDS = ("BHLX", "JCMJ", "QSXDL", "HSXDL", "QSX", "HSX", "TBMJ", "变化类型", "备注")


def _any_case(name: str) -> st.SearchStrategy[str]:
    return st.sampled_from([name, name.lower(), name.title(), name.upper()])


texts = st.lists(
    st.one_of(st.characters(exclude_categories=("Cs",)), st.sampled_from(NASTY)), max_size=12
).map("".join) | st.sampled_from(["", " ", "长" * 300, "x" * 5000])
cell = st.one_of(
    st.none(),
    texts,
    st.integers(min_value=-(2**40), max_value=2**40),
    st.floats(allow_nan=True, allow_infinity=True),
)
_good_code = st.from_regex(r"130208KS2019Q3[0-9]{3}", fullmatch=True)
codes = st.one_of(
    _good_code,
    _good_code,
    _good_code,
    st.integers(min_value=0, max_value=10**9),
    texts,
    st.just("9" * 120),
)
xzqdms = st.one_of(
    *[st.just("130208")] * 2, st.just(130208), st.just(130208.0), texts, st.just("1" * 40)
)


def geometry_spec() -> st.SearchStrategy[tuple[str, Any]]:
    """(kind, parameters) of one feature's geometry, in EPSG:4527 metres near 丰润区."""
    offset = st.tuples(
        st.floats(min_value=-3000, max_value=3000), st.floats(min_value=-3000, max_value=3000)
    )
    square = st.tuples(st.just("square"), st.tuples(offset, st.floats(min_value=1, max_value=400)))
    return st.one_of(
        *[square] * 20,
        st.tuples(st.just("bowtie"), offset),
        st.tuples(st.just("duplicate_points"), offset),
        st.tuples(st.just("holed"), offset),
        st.tuples(st.just("multi"), offset),
        st.tuples(st.just("degenerate"), offset),
        st.tuples(st.just("tiny"), offset),
        st.tuples(st.just("point"), offset),
        st.tuples(st.just("line"), offset),
        st.tuples(st.just("empty"), st.none()),
        st.tuples(st.just("null"), st.none()),
        st.tuples(st.just("far"), st.sampled_from([1e15, -1e9, 1e300])),
        st.tuples(st.just("nonfinite"), st.sampled_from(["nan", "inf", "-inf"])),
        st.tuples(st.just("unclosed"), offset),
    )


@dataclass
class Delivery:
    """One drawn delivery: attribute columns and rows, geometries, how it is written."""

    columns: list[str]
    rows: list[dict[str, Any]]
    geoms: list[tuple[str, Any]]
    fmt: str  # geojson | gpkg | shp | csv
    crs: str  # gk (EPSG:4527) | lonlat (EPSG:4490) | wrong (metres declared as degrees) | none
    encoding: str  # utf-8 | utf-8-sig | gbk
    cpg: bool  # a Shapefile keeps its .cpg


@st.composite
def deliveries(draw: st.DrawFn, max_rows: int = 4) -> Delivery:
    """A province file: the required fields in random case and order (sometimes missing or
    under an alias), province and random extra columns, hostile values, broken geometries."""
    code_col = draw(st.sampled_from(["TBBH", "图斑编号", "JCBH"]).flatmap(_any_case))
    xzq_col = draw(st.sampled_from(["XZQDM", "行政区代码"]).flatmap(_any_case))
    extras = draw(
        st.lists(
            st.one_of(st.sampled_from(PROVINCE_FIELDS).flatmap(_any_case), texts),
            max_size=4,
        )
    )
    columns = [code_col, xzq_col, *extras]
    columns = [c for c in columns if draw(st.integers(0, 39)) > 0]  # now and then one is lost
    columns = list(dict.fromkeys(c for c in columns if c and c.strip()))
    columns = draw(st.permutations(columns))
    n = draw(st.integers(min_value=1, max_value=max_rows))
    rows = []
    for _ in range(n):
        row = {}
        for c in columns:
            strategy = codes if c == code_col else xzqdms if c == xzq_col else cell
            row[c] = draw(strategy)
        rows.append(row)
    geoms = draw(st.lists(geometry_spec(), min_size=n, max_size=n))
    fmt = draw(st.sampled_from(["geojson", "gpkg", "shp", "csv"]))
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "gbk"]))
    crs = draw(st.sampled_from(["gk", "gk", "lonlat", "wrong", "none"]))
    return Delivery(columns, rows, geoms, fmt, crs, encoding, draw(st.booleans()))


# --- geometry -----------------------------------------------------------------------------------


def _ring(x: float, y: float, s: float) -> list[tuple[float, float]]:
    return [(x, y), (x + s, y), (x + s, y + s), (x, y + s), (x, y)]


def make_geometry(kind: str, p: Any) -> shapely.Geometry | str | None:
    """The shapely geometry of a spec (WKT text for what shapely cannot build)."""
    if kind in ("null",):
        return None
    if kind == "empty":
        return shapely.Polygon()
    if kind == "far":
        return shapely.box(p, p, p + 100, p + 100)
    if kind == "nonfinite":
        return f"POLYGON (({p} {p}, {X0} {Y0}, {X0 + 50} {Y0}, {p} {p}))"
    (dx, dy), size = (p, 100.0) if kind != "square" else p
    x, y = X0 + dx, Y0 + dy
    match kind:
        case "square":
            return shapely.Polygon(_ring(x, y, size))
        case "bowtie":
            return shapely.Polygon([(x, y), (x + 90, y + 90), (x + 90, y), (x, y + 90), (x, y)])
        case "duplicate_points":
            ring = _ring(x, y, 60)
            return shapely.Polygon([ring[0], ring[0], ring[1], ring[1], *ring[2:]])
        case "holed":
            return shapely.Polygon(_ring(x, y, 100), [_ring(x + 20, y + 20, 30)])
        case "multi":
            return shapely.MultiPolygon(
                [shapely.Polygon(_ring(x, y, 40)), shapely.Polygon(_ring(x + 60, y, 40))]
            )
        case "degenerate":
            return shapely.Polygon([(x, y), (x + 100, y), (x + 200, y), (x, y)])
        case "tiny":  # a valid polygon of a few square millimetres
            return shapely.Polygon(_ring(x, y, 0.05))
        case "point":
            return shapely.Point(x, y)
        case "line":
            return shapely.LineString([(x, y), (x + 100, y + 50)])
        case "unclosed":
            return f"POLYGON (({x} {y}, {x + 80} {y}, {x + 80} {y + 80}))"
    raise AssertionError(kind)


def _to_lonlat(g: Any) -> Any:
    if isinstance(g, shapely.Geometry) and not g.is_empty:
        return shapely.transform(g, lambda c: np.column_stack(_TO_LONLAT.transform(*c.T)))
    return g


# --- writing --------------------------------------------------------------------------------


def _encodable(v: Any, encoding: str | None) -> Any:
    """The value as the file's encoding can carry it (GBK has no emoji, no encoding a lone
    surrogate; None: JSON escapes, which carry anything)."""
    if isinstance(v, str) and encoding is not None:
        return v.encode(encoding, "ignore").decode(encoding)
    return v


def _text_value(v: Any) -> str:
    if v is None:
        return ""
    return str(v)


def write_delivery(d: Delivery, folder: Path) -> Path:
    """Write ``d`` to ``folder`` in its format; raises ``CannotWrite`` when a writer (not Tuban)
    cannot take the drawn content, so the example is discarded rather than blamed."""
    geoms = [make_geometry(k, p) for k, p in d.geoms]
    if d.crs == "lonlat":
        geoms = [_to_lonlat(g) for g in geoms]
    enc = {"geojson": None, "gpkg": "utf-8"}.get(d.fmt, d.encoding)
    rows = [{c: _encodable(r[c], enc) for c in d.columns} for r in d.rows]
    columns = [_encodable(c, enc) for c in d.columns]
    if len(set(columns)) != len(columns) or not all(c.strip() for c in columns):
        raise CannotWrite("columns collide once encoded")
    rows = [dict(zip(columns, r.values(), strict=True)) for r in rows]
    if d.fmt == "geojson":
        return _write_geojson(rows, geoms, d, folder / "wp.geojson")
    if d.fmt == "csv":
        return _write_csv(columns, rows, geoms, d, folder / "wp.csv")
    return _write_ogr(columns, rows, geoms, d, folder)


class CannotWrite(Exception):
    """The test's writer (GDAL, a codec) cannot produce this drawn file."""


def _crs_name(d: Delivery) -> str | None:
    return {"gk": "EPSG:4527", "lonlat": "EPSG:4490", "wrong": "EPSG:4490", "none": None}[d.crs]


def _geojson_geometry(g: Any) -> Any:
    if g is None:
        return None
    if isinstance(g, str):  # non-finite or unclosed: written as raw coordinates
        inner = g[g.index("((") + 2 : g.rindex("))")]
        coords = [[float(v) for v in pair.split()] for pair in inner.split(",")]
        return {"type": "Polygon", "coordinates": [coords]}
    return json.loads(shapely.to_geojson(g))


def _write_geojson(rows, geoms, d: Delivery, path: Path) -> Path:
    doc: dict[str, Any] = {"type": "FeatureCollection", "features": []}
    if (name := _crs_name(d)) is not None:
        doc["crs"] = {"type": "name", "properties": {"name": name}}
    for r, g in zip(rows, geoms, strict=True):
        props = {
            k: (str(v) if isinstance(v, float) and not math.isfinite(v) else v)
            for k, v in r.items()
        }
        doc["features"].append(
            {"type": "Feature", "properties": props, "geometry": _geojson_geometry(g)}
        )
    # Escaped throughout: a lone surrogate can only travel as \udxxx.
    text = json.dumps(doc, ensure_ascii=True, allow_nan=True)
    path.write_bytes(text.encode("utf-8-sig" if d.encoding == "utf-8-sig" else "utf-8"))
    return path


def _csv_field(v: str) -> str:
    return '"' + v.replace('"', '""') + '"'


def _write_csv(columns, rows, geoms, d: Delivery, path: Path) -> Path:
    lines = [",".join(_csv_field(c) for c in [*columns, "WKT"])]
    for r, g in zip(rows, geoms, strict=True):
        wkt = "" if g is None else (g if isinstance(g, str) else shapely.to_wkt(g))
        values = [_csv_field(_text_value(r[c])) for c in columns]
        lines.append(",".join([*values, _csv_field(wkt)]))
    path.write_bytes("\r\n".join(lines).encode(d.encoding, "ignore"))
    return path


def _write_ogr(columns, rows, geoms, d: Delivery, folder: Path) -> Path:
    if any(isinstance(g, str) for g in geoms):  # GDAL writes no ring it cannot parse
        geoms = [None if isinstance(g, str) else g for g in geoms]
    frame = gpd.GeoDataFrame(
        {c: [_text_value(r[c]) for r in rows] for c in columns},
        geometry=geoms,
        crs=_crs_name(d),
    )
    path = folder / ("wp.gpkg" if d.fmt == "gpkg" else "wp.shp")
    try:
        if d.fmt == "shp":
            frame.to_file(path, engine="pyogrio", encoding=d.encoding.replace("-sig", ""))
            if not d.cpg:
                path.with_suffix(".cpg").unlink(missing_ok=True)
        else:
            frame.to_file(path, engine="pyogrio")
    except Exception as exc:  # GDAL's writer refusing a name or a value is not Tuban's concern
        raise CannotWrite(str(exc)) from exc
    return path


# --- what must hold -----------------------------------------------------------------------------


def clean_text_ok(s: str) -> None:
    """Stored text: no control character but tab and line ends, no bidi control, no lone
    surrogate, NFC."""
    assert text_problem(s, max_len=10**9) is None, repr(s)
    assert unicodedata.is_normalized("NFC", s), repr(s)


def check_layer(layer: ParcelLayer) -> None:
    """Every 图斑 of an imported layer is fit to store."""
    frame = layer.frame
    assert len(frame) > 0
    geoms = frame.geometry.to_numpy()
    kinds = set(shapely.get_type_id(geoms).tolist())
    assert kinds <= {3, 6, 0}, kinds  # polygons (points only from centre-coordinate lists)
    polygonal = shapely.get_type_id(geoms) != 0
    assert shapely.is_valid(geoms[polygonal]).all()
    assert not shapely.is_empty(geoms).any()
    area = frame["area_m2"].to_numpy(dtype=float)
    assert np.isfinite(area).all() and (area > 0).all(), area
    minx, miny, maxx, maxy = shapely.total_bounds(geoms)
    assert 73 <= minx <= maxx <= 136 and 3 <= miny <= maxy <= 54
    for code, xzqdm in zip(frame["code"], frame["xzqdm"], strict=True):
        assert code and xzqdm
        assert len(code) <= 100 and len(xzqdm) <= 32
        clean_text_ok(code)
        clean_text_ok(xzqdm)
    for i in range(len(frame)):
        for k, v in layer.attributes(i).items():
            clean_text_ok(k)
            if isinstance(v, str):
                clean_text_ok(v)
            elif isinstance(v, float):
                assert math.isfinite(v)


def check_refusal(exc: ImportError_, file_name: str) -> None:
    """A refusal names the file, and the row and field when one row is to blame."""
    assert exc.details.get("file", "").startswith(file_name.split("!")[0]), exc.details
    assert exc.message
    if isinstance(exc, InvalidGeometry):
        assert exc.details["row"] >= 1 and exc.details["field"] == "geometry", exc.details
    elif isinstance(exc, InvalidValue) and "row" in exc.details:
        assert exc.details["row"] >= 1 and exc.details["field"], exc.details
    elif isinstance(exc, MissingField):
        assert exc.details["field"], exc.details
