"""Re-issued and shared-site 图斑, and automatic hints from reference layers, through the store."""

from __future__ import annotations

from datetime import date

import geopandas as gpd
import pytest
from shapely import box

from geo.batch import BatchMeta
from geo.model import Programme
from storage.imports import import_file, import_reference
from storage.refs import RefStore
from tests import factories
from tests.conftest import NOW

X, Y = factories.FENGRUN_X, factories.FENGRUN_Y


def meta(programme=Programme.MINING, period="2019Q3"):
    return BatchMeta(programme, period, "河北省自然资源厅", date(2019, 10, 15), date(2019, 11, 30))


def layer(tmp_path, name, rows, crs="EPSG:4527"):
    """rows: (code, (dx0, dy0, dx1, dy1)) offsets in metres from the Fengrun anchor."""
    f = gpd.GeoDataFrame(
        {"TBBH": [c for c, _ in rows], "XZQDM": ["130208"] * len(rows)},
        geometry=[box(X + a, Y + b, X + c, Y + d) for _, (a, b, c, d) in rows],
        crs=crs,
    )
    return factories.write(f, tmp_path / name)


def test_reissue_by_code_and_by_overlap_joins_the_earlier_case(store, tmp_path):
    q3 = layer(tmp_path, "q3.gpkg", [("A", (0, 0, 100, 100)), ("B", (500, 0, 600, 100))])
    b3, _ = import_file(store, q3, meta(), actor="t", now=NOW)
    q4 = layer(
        tmp_path,
        "q4.gpkg",
        [
            ("A", (0, 0, 100, 100)),  # same code again
            ("B2", (505, 0, 605, 100)),  # new code, same place (IoU 0.9)
            ("C", (2000, 0, 2100, 100)),  # new site
        ],
    )
    b4, _ = import_file(store, q4, meta(period="2019Q4"), actor="t", now=NOW)
    assert b4["feature_count"] == 3 and b4["new_cases"] == 1
    assert store.counts()["cases"] == 3  # A, B, C: nothing counted twice
    links = {k["code"]: k for k in b4["report"]["links"]}
    assert links["A"]["reason"] == "reissue_same_code"
    assert links["B2"]["reason"] == "reissue_overlap" and links["B2"]["iou"] > 0.8
    feats = {f["code"]: f for f in store.features(b4["id"])}
    assert set(feats) == {"A", "B2", "C"}
    assert feats["B2"]["reissue_of_batch"] == b3["id"]
    case_b = feats["B2"]["id"]
    assert [i["period"] for i in store.issuances(case_b)] == ["2019Q3", "2019Q4"]
    # indicators see three cases, not five
    assert len(store.cases_frame()) == 3


def test_other_programme_on_the_same_site_gets_its_own_case_and_a_shared_site(store, tmp_path):
    ks = layer(tmp_path, "ks.gpkg", [("KS1", (0, 0, 100, 100))])
    bk, _ = import_file(store, ks, meta(), actor="t", now=NOW)
    td = layer(tmp_path, "td.gpkg", [("TD1", (3, 3, 103, 103))])
    bt, _ = import_file(store, td, meta(Programme.LAND), actor="t", now=NOW)
    assert bt["new_cases"] == 1
    mine = store.features(bk["id"])[0]
    land = store.features(bt["id"])[0]
    assert land["site_id"] == mine["id"] and mine["site_id"] is None  # NULL: its own site
    assert [c["code"] for c in store.site_cases(land["id"])] == ["KS1"]


def test_in_file_duplicate_is_a_reissue_of_the_first(store, tmp_path):
    f = layer(
        tmp_path,
        "d.gpkg",
        [("A", (0, 0, 100, 100)), ("A", (0, 0, 100, 100)), ("Z", (1, 1, 99, 99))],
    )
    b, _ = import_file(store, f, meta(), actor="t", now=NOW)
    assert b["new_cases"] == 1 and store.counts()["cases"] == 1
    [case] = store.features(b["id"])
    assert len(store.issuances(case["id"])) == 3


@pytest.fixture
def refs(store, tmp_path):
    """Two townships side by side, a village in each, farmland, a permit and an approval."""

    def ref(name, kind, rows, cols):
        f = gpd.GeoDataFrame(
            {k: [r[i] for r in rows] for i, k in enumerate(cols)},
            geometry=[box(X + a, Y + b, X + c, Y + d) for *_, (a, b, c, d) in rows],
            crs="EPSG:4527",
        )
        import_reference(
            store,
            factories.write(f, tmp_path / f"{name}.gpkg"),
            kind,
            name=name,
            version="2019",
            actor="t",
            now=NOW,
        )

    ref(
        "towns",
        "township",
        [
            ("130208100", "丰润镇", (-1000, -1000, 1000, 1000)),
            ("130208101", "任各庄镇", (1000, -1000, 3000, 1000)),
        ],
        ["XZQDM", "XZQMC"],
    )
    ref(
        "villages",
        "village",
        [
            ("130208100200", "王家庄村", (-1000, -1000, 1000, 1000)),
            ("130208101200", "李家庄村", (1000, -1000, 3000, 1000)),
        ],
        ["ZLDWDM", "ZLDWMC"],
    )
    ref("farm", "farmland", [("JB1", "0101", (0, 0, 50, 100))], ["JBNTTBBH", "DLBM"])
    ref(
        "permits",
        "mining_permit",
        [
            ("C130200001", "某石料厂", (0, 0, 100, 100)),
            ("C130200002", "某铁矿", (480, 0, 560, 100)),
        ],
        ["XKZH", "KSMC"],
    )
    ref(
        "approvals",
        "approval",
        [("冀政转征函〔2019〕1号", "某项目", (0, 0, 100, 100))],
        ["PZWH", "XMMC"],
    )
    return RefStore(store.engine)


def test_hints_from_reference_layers(store, tmp_path, refs):
    f = layer(
        tmp_path,
        "h.gpkg",
        [
            ("IN", (0, 0, 100, 100)),  # inside permit 1, half on farmland
            ("PART", (500, 0, 600, 100)),  # 60 % inside permit 2
            ("OUT", (1500, 0, 1600, 100)),  # no permit, township 2
            ("EDGE", (950, 500, 1050, 600)),  # across two villages
            ("FAR", (2950, 0, 3050, 100)),  # half outside the county
        ],
    )
    b, _ = import_file(store, f, meta(), actor="t", now=NOW)
    h = {r["code"]: r for r in store.features(b["id"])}
    assert h["IN"]["permit_relation"] == "inside" and h["IN"]["permit_ids"] == "C130200001"
    assert h["IN"]["farmland_m2"] == pytest.approx(5000, rel=5e-3)
    assert h["IN"]["township_name"] == "丰润镇" and h["IN"]["village_name"] == "王家庄村"
    assert h["PART"]["permit_relation"] == "partly_outside"
    assert h["OUT"]["permit_relation"] == "outside" and h["OUT"]["township_name"] == "任各庄镇"
    shares = sorted(v["share"] for v in h["EDGE"]["villages"])
    assert shares == pytest.approx([0.5, 0.5], abs=0.01)
    assert h["FAR"]["outside_share"] == pytest.approx(0.5, abs=0.01)
    assert h["IN"]["outside_share"] == 0
    assert b["report"]["hints"]["permit_partly_outside"] == 1
    assert [o["code"] for o in b["report"]["outside"]] == ["FAR"]
    assert set(b["hint_layers"]) == {"township", "village", "farmland", "mining_permit", "approval"}


def test_approval_hint_for_land(store, tmp_path, refs):
    f = layer(tmp_path, "l.gpkg", [("T1", (0, 0, 100, 100)), ("T2", (0, 0, 100, 200))])
    b, _ = import_file(store, f, meta(Programme.LAND), actor="t", now=NOW)
    h = {r["code"]: r for r in store.features(b["id"])}
    assert h["T1"]["approval_share"] == 1.0 and h["T1"]["permit_relation"] is None
    assert h["T2"]["approval_share"] == pytest.approx(0.5, abs=0.01)


def test_reference_versions(store, tmp_path, refs):
    f = gpd.GeoDataFrame(
        {"JBNTTBBH": ["JB9"]}, geometry=[box(X, Y, X + 10, Y + 10)], crs="EPSG:4527"
    )
    path = factories.write(f, tmp_path / "farm2020.gpkg")
    row, created, _ = import_reference(
        store, path, "farmland", name="farm", version="2020", actor="t", now=NOW
    )
    assert created and refs.current()[row["kind"]]["version"] == "2020"
    again = import_reference(
        store, path, "farmland", name="farm", version="2020", actor="t", now=NOW
    )
    assert again[1] is False
    from geo.errors import DuplicateBatch

    with pytest.raises(DuplicateBatch):
        import_reference(store, path, "farmland", name="farm", version="2019", actor="t", now=NOW)


@pytest.mark.parametrize("prj", [True, False])
def test_a_reference_layer_stores_its_source_crs(store, tmp_path, prj):
    """Given by its .prj or guessed without one (GDAL's writer), the layer row and its report
    name the CRS it was read in, and say how it was decided."""
    from geo.crs import Jurisdiction

    f = gpd.GeoDataFrame(
        {"XZQDM": ["130208100"], "XZQMC": ["丰润镇"]},
        geometry=[box(X - 1000, Y - 1000, X + 1000, Y + 1000)],
        crs="EPSG:4527",
    )
    path = factories.write(f, tmp_path / "towns.shp")
    if not prj:
        path.with_suffix(".prj").unlink()
    fengrun = Jurisdiction("130208", "丰润区", (117.89, 39.60, 118.29, 40.05))
    row, created, report = import_reference(
        store, path, "township", name="乡镇界", version="2019", actor="t", now=NOW,
        jurisdiction=fengrun,
    )  # fmt: skip
    assert created and row["source_crs"] == report.source_crs == "EPSG:4527"
    assert report.crs_how == ("file" if prj else "guessed")
    assert RefStore(store.engine).list_layers()[0]["source_crs"] == "EPSG:4527"
