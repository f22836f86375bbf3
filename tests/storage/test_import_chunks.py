"""A file imported a spatial chunk at a time stores exactly what the whole-file import stores:
the same cases, reissues, links, hints and report, and refuses a bad file the same way."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pytest
import shapely
from shapely import affinity, box
from sqlalchemy import select

import geo.prejudge
import geo.report
import storage.import_chunks
from geo.chunking import halo, spatial_chunks
from geo.errors import ImportError_
from geo.report import ImportReport
from storage.engine import make_engine, migrate, sqlite_url
from storage.imports import import_file
from storage.repository import CaseStore
from storage.tables import batches, cases, indicator_daily, reissues
from tests import factories
from tests.conftest import NOW, _drop_schema, _pg_schema_url
from tests.storage.test_parallel_prejudge import X, Y, load_references, meta, parcels_file

WHOLE = 10**9  # chunk size that keeps any test file whole
SMALL = 170  # rows per chunk: a 1 500-row file becomes 9+ chunks with long shared borders


@pytest.fixture(params=["sqlite", "postgresql"])
def two_stores(request, tmp_path: Path):
    """Two empty stores on one backend, each with the same reference layers."""
    made, schemas = [], []
    for k in range(2):
        if request.param == "sqlite":
            url = sqlite_url(tmp_path / f"s{k}.sqlite")
        else:
            url, schema = _pg_schema_url()
            schemas.append(schema)
        engine = make_engine(url)
        migrate(engine)
        store = CaseStore(engine)
        load_references(store, tmp_path / f"refs{k}")
        made.append(store)
    yield made
    for store in made:
        store.engine.dispose()
    for schema in schemas:
        _drop_schema(schema)


@pytest.fixture(autouse=True)
def _refs_dirs(tmp_path: Path) -> None:
    (tmp_path / "refs0").mkdir()
    (tmp_path / "refs1").mkdir()


def earlier_file(tmp_path: Path) -> Path:
    """An earlier quarter: some of the later file's sites (by code and by shape) again."""
    later = gpd.read_file(parcels_file(tmp_path / "refs0"))
    rng = np.random.default_rng(3)
    pick = np.sort(rng.choice(len(later), 120, replace=False))
    f = later.iloc[pick].reset_index(drop=True)
    # Half keep their code (a reissue by code), half get a new one (a reissue by overlap).
    f.loc[f.index % 2 == 1, "TBBH"] = [f"130208KS2019Q2X{i:04d}" for i in range(len(f) // 2)]
    f["geometry"] = [affinity.translate(g, 1.5, -1.0) for g in f.geometry]
    return factories.write(f, tmp_path / "earlier.gpkg")


def with_bad_rows(tmp_path: Path) -> Path:
    """The parcels file with rows no import can keep: an empty code, a sliver, a far-away one."""
    f = gpd.read_file(parcels_file(tmp_path / "refs1"))
    f.loc[200, "TBBH"] = ""
    f.loc[700, "geometry"] = box(X + 10, Y + 10, X + 10.001, Y + 10.001)
    f.loc[1100, "geometry"] = affinity.translate(f.geometry[1100], 0, 9e6)
    return factories.write(f, tmp_path / "bad.gpkg")


def stored(store: CaseStore, batch_id: int) -> dict[str, Any]:
    """Everything the batch stored, keyed by code (ids differ with the order of inserts)."""
    with store.engine.connect() as conn:
        b = dict(conn.execute(select(batches).where(batches.c.id == batch_id)).one()._mapping)
        code_of = dict(conn.execute(select(cases.c.id, cases.c.code)).all())
        rows = conn.execute(select(cases).where(cases.c.batch_id == batch_id)).all()
        again = conn.execute(select(reissues).where(reissues.c.batch_id == batch_id)).all()
    skip = {"id", "site_id", "geom", "updated_at"}
    case_rows = {}
    for r in rows:
        m = dict(r._mapping)
        v = {k: m[k] for k in m if k not in skip}
        v["site"] = code_of.get(m["site_id"])
        v["wkb"] = shapely.to_wkb(shapely.from_wkb(bytes(m["geom"])) if m["geom"] else None)
        case_rows[m["code"]] = v
    re_rows = {}
    for r in again:
        m = dict(r._mapping)
        v = {k: m[k] for k in m if k not in ("id", "case_id", "batch_id")}
        v["case"] = code_of[m["case_id"]]
        re_rows[m["row"]] = v
    with store.engine.connect() as conn:
        q = select(indicator_daily.c.township_code, indicator_daily.c.n).where(
            indicator_daily.c.flag == "issued", indicator_daily.c.period == b["period"]
        )
        issued = dict(conn.execute(q).all())
    report = dict(b.pop("report"))
    report.pop("seconds")
    report.pop("batch_id")
    for k in ("id", "imported_at"):
        b.pop(k)
    return {
        "batch": b,
        "report": report,
        "cases": case_rows,
        "reissues": re_rows,
        "issued": issued,
    }


def import_both(two_stores, path: Path, *, accept_partial: bool = False):
    out = []
    for store, rows in zip(two_stores, (WHOLE, SMALL), strict=True):
        row, created = import_file(
            store, path, meta(), actor="t", now=NOW, chunk_rows=rows, accept_partial=accept_partial
        )
        assert created
        out.append(stored(store, row["id"]))
    return out


def test_chunked_import_stores_what_the_whole_import_stores(two_stores, tmp_path, monkeypatch):
    monkeypatch.setattr(geo.prejudge, "PARALLEL_MIN_ROWS", 50)  # chunks fork workers too
    chunks_seen = []
    real = storage.import_chunks.prepare_chunked

    def counting(*a, **kw):
        chunks_seen.append(kw["chunk_rows"])
        return real(*a, **kw)

    monkeypatch.setattr(storage.import_chunks, "prepare_chunked", counting)
    monkeypatch.setattr("storage.imports.prepare_chunked", counting)
    for store in two_stores:
        import_file(store, earlier_file(tmp_path), meta("2019Q2"), actor="t", now=NOW)
    whole, chunked = import_both(two_stores, parcels_file(tmp_path))
    assert chunks_seen == [SMALL]  # only the second store's import went by chunks
    assert chunked["report"] == whole["report"]
    assert chunked["batch"] == whole["batch"]
    assert chunked["cases"].keys() == whole["cases"].keys()
    for code, row in whole["cases"].items():
        assert chunked["cases"][code] == row, code
    assert chunked["reissues"] == whole["reissues"]
    # The goal tables' issued counts, by township, are the new cases'.
    by_town: dict[str, int] = {}
    for row in whole["cases"].values():
        by_town[row["township_code"] or ""] = by_town.get(row["township_code"] or "", 0) + 1
    assert len(by_town) > 1
    assert chunked["issued"] == whole["issued"] == by_town
    # The data exercise what the chunks must get right across their borders.
    reasons = {r["reason"] for r in whole["reissues"].values()}
    assert {"in_file_duplicate", "reissue_same_code", "reissue_overlap"} <= reasons
    links = [k["reason"] for k in whole["report"]["links"]]
    assert {"in_file_same_code", "in_file_overlap"} <= set(links)
    assert whole["report"]["hints"]["on_farmland"] > 0


def test_partial_accept_lists_the_same_rows(two_stores, tmp_path):
    whole, chunked = import_both(two_stores, with_bad_rows(tmp_path), accept_partial=True)
    assert [r["row"] for r in whole["report"]["rejected"]] == [201, 701, 1101]
    assert chunked["report"] == whole["report"]
    assert chunked["cases"] == whole["cases"]


def test_a_bad_file_is_refused_the_same_way_with_nothing_stored(two_stores, tmp_path):
    path = with_bad_rows(tmp_path)
    errors = []
    for store, rows in zip(two_stores, (WHOLE, SMALL), strict=True):
        with pytest.raises(ImportError_) as caught:
            import_file(store, path, meta(), actor="t", now=NOW, chunk_rows=rows)
        errors.append((str(caught.value), caught.value.details))
        with store.engine.connect() as conn:
            assert conn.execute(select(batches.c.id)).first() is None
            assert conn.execute(select(cases.c.id)).first() is None
    assert errors[1] == errors[0]
    assert "共 3 行有问题" in errors[0][0]


def test_chunks_are_compact_and_their_halos_hold_every_overlap():
    rng = np.random.default_rng(5)
    n = 4000
    x, y = rng.uniform(0, 1000, n), rng.uniform(0, 1000, n)
    s = rng.uniform(1, 30, n)
    b = np.column_stack([x, y, x + s, y + s])
    b[17] = np.nan  # a row without a geometry goes with the first chunk
    chunks = spatial_chunks(b, 300)
    assert sorted(np.concatenate(chunks).tolist()) == list(range(n))
    assert max(len(c) for c in chunks) <= 301 and 17 in chunks[0]
    tree = shapely.STRtree(shapely.box(*np.nan_to_num(b).T))
    for c in chunks:
        near = set(halo(b, c).tolist())
        assert not near & set(c.tolist())
        left, right = tree.query(shapely.box(*np.nan_to_num(b[c]).T))
        outside = {int(j) for j in right if j not in set(c.tolist()) and j != 17}
        assert outside <= near
    # Compact: a chunk's halo is a border, not the county.
    assert np.mean([len(halo(b, c)) for c in chunks]) < 0.6 * 300


def test_only_large_files_of_random_access_formats_are_chunked(tmp_path):
    from storage.import_chunks import chunked_source

    gpkg = parcels_file(tmp_path, n=300)
    assert chunked_source(gpkg, "p.gpkg", None, 299) is not None
    assert chunked_source(gpkg, "p.gpkg", None, 300) is None
    geojson = factories.write(gpd.read_file(gpkg), tmp_path / "p.geojson")
    assert chunked_source(geojson, "p.geojson", None, 10) is None


def test_a_capped_report_lists_the_lowest_rows_of_each_list_with_exact_totals(
    two_stores, tmp_path, monkeypatch
):
    f = gpd.read_file(parcels_file(tmp_path / "refs1"))
    bad = list(range(1490, 0, -124))  # 12 rows, spread over the chunks
    f.loc[bad, "TBBH"] = ""
    path = factories.write(f, tmp_path / "many_bad.gpkg")
    whole_store, chunked_store = two_stores
    full, _ = import_file(whole_store, path, meta(), actor="t", now=NOW, accept_partial=True)
    monkeypatch.setattr(geo.report, "REPORT_ROWS", 5)
    capped, _ = import_file(
        chunked_store, path, meta(), actor="t", now=NOW, chunk_rows=SMALL, accept_partial=True
    )
    want, got = full["report"], capped["report"]
    assert [r["row"] for r in want["rejected"]] == sorted(b + 1 for b in bad)
    for kind in ("rejected", "links", "outside"):
        assert len(want[kind]) > 5, kind  # the data have more than the cap of each
        assert got[f"{kind}_count"] == want[f"{kind}_count"] == len(want[kind]), kind
        rows = sorted(e["row"] for e in want[kind])[:5]
        assert [e["row"] for e in got[kind]] == rows, kind
    assert got["link_reasons"] == want["link_reasons"]
    # Every kept row that is no new case is linked: re-issued, or a repeat within the file.
    kept = want["read"] - want["rejected_count"]
    assert sum(got["link_reasons"].values()) == kept - full["new_cases"]
    page = ImportReport.from_dict(got).to_html()
    assert f"<th>拒绝导入</th><td>{len(bad)}</td>" in page
    assert f"仅列出前 5 条，共 {len(bad)} 条" in page


def test_a_file_of_rejected_rows_only_is_refused_though_the_list_is_capped(
    two_stores, tmp_path, monkeypatch
):
    f = gpd.read_file(parcels_file(tmp_path / "refs1", n=400))
    f["TBBH"] = ""
    path = factories.write(f, tmp_path / "all_bad.gpkg")
    monkeypatch.setattr(geo.report, "REPORT_ROWS", 5)
    with pytest.raises(ImportError_) as caught:
        import_file(
            two_stores[0], path, meta(), actor="t", now=NOW, chunk_rows=SMALL, accept_partial=True
        )
    assert "没有可导入的行" in str(caught.value) and "共 400 行有问题" in str(caught.value)
    with two_stores[0].engine.connect() as conn:
        assert conn.execute(select(batches.c.id)).first() is None


def test_a_lying_cpg_is_found_out_whichever_chunk_holds_the_chinese(two_stores, tmp_path):
    """A .cpg that says UTF-8 over GBK bytes, the Chinese text only in the east: the west
    chunks decode as ASCII, so only the whole file can tell. Both imports report the encoding
    actually used and keep the same attributes, decoded the same."""
    f = gpd.read_file(parcels_file(tmp_path / "refs0"))
    east = f.geometry.centroid.x > f.geometry.centroid.x.quantile(0.8)
    f["BHLX"] = np.where(east, "新增开采", "other")
    path = factories.write(f, tmp_path / "lying.shp", encoding="GBK")
    (tmp_path / "lying.cpg").write_text("UTF-8")
    whole, chunked = import_both(two_stores, path)
    assert whole["report"]["encoding"] == "GBK（.cpg 写的 UTF-8 与 .dbf 内容不符，按内容读取）"
    assert chunked["report"] == whole["report"]
    assert whole["report"]["attributes_kept"] == ["BHLX"]
    assert chunked["cases"] == whole["cases"]
    kinds = {_attrs(r)["BHLX"] for r in chunked["cases"].values()}
    assert kinds == {"新增开采", "other"}


def _attrs(row: dict[str, Any]) -> dict[str, Any]:
    """A stored case's attributes (JSON on one backend, a JSON string on the other)."""
    value = row["attributes"]
    return value if isinstance(value, dict) else json.loads(value)


def test_code_repeats_from_hashes_are_exact_even_when_two_codes_collide():
    """Rows sharing a hash are decided on their codes: a collision of different codes is no
    repeat, and only those rows' codes are read back."""
    hashes = np.array([5, 5, 7, 5, 9, 7], dtype=np.uint64)
    codes = {0: "A", 1: "B", 2: "C", 3: "A", 5: "C"}
    asked = []

    def read(rows):
        asked.append(rows.tolist())
        return {r: codes[r] for r in rows.tolist()}

    rep = storage.import_chunks._code_repeats(hashes, read)
    assert rep.tolist() == [-1, -1, -1, 0, -1, 2]
    assert asked == [[0, 1, 2, 3, 5]]  # row 4's hash is its own: never read
    assert storage.import_chunks._code_repeats(np.array([1, 2], np.uint64), read).tolist() == [
        -1,
        -1,
    ]
    assert len(asked) == 1


def strays_without_prj(tmp_path: Path, name: str) -> Path:
    """The parcels file as a Shapefile without .prj (GDAL's writer), three 图斑 moved 100 km
    east: the guessed CRS must follow the others, in every chunk alike."""
    f = gpd.read_file(parcels_file(tmp_path / "refs1"))
    for i in (40, 600, 1300):
        f.loc[i, "geometry"] = affinity.translate(f.geometry[i], 100_000, 0)
    path = factories.write(f, tmp_path / f"{name}.shp")
    path.with_suffix(".prj").unlink()
    return path


@pytest.mark.parametrize("accept_partial", [False, True])
def test_a_guessed_crs_treats_the_strays_the_same_way(two_stores, tmp_path, accept_partial):
    path = strays_without_prj(tmp_path, f"strays{int(accept_partial)}")
    whole, chunked = import_both(two_stores, path, accept_partial=accept_partial)
    rep = whole["report"]
    assert rep["crs_how"] == "guessed" and rep["source_crs"] == "EPSG:4527"
    listed = rep["rejected"] if accept_partial else rep["crs_outliers"]
    assert [r["row"] for r in listed] == [41, 601, 1301]
    assert all("落在辖区之外" in r["reason"] for r in listed)
    assert len(whole["cases"]) == (1497 if accept_partial else 1500) - len(rep["links"])
    assert chunked["report"] == whole["report"]
    assert chunked["cases"] == whole["cases"]
