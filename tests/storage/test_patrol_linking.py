"""One site, one story, on both backends: a 卫片 batch imported over patrol sites takes their
sites (point within 30 m, outline overlapping by 30 %), a patrol finding at a 图斑 takes its
site, a 图斑 judged ``already_handled`` joins the open case at its site and its 立案, and
nothing is counted twice."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import pytest
from pyproj import Transformer
from shapely.geometry import box

from geo.batch import BatchMeta
from geo.errors import InvalidPayload
from geo.indicators import aggregate
from geo.model import Programme
from geo.patrol import parse_finding
from geo.province_table import result_row
from storage import daily_counts, facts
from storage.exports import ExportRows
from storage.imports import import_file
from storage.patrol import PatrolStore
from storage.patrol_sites import PatrolSites
from storage.tables import case_events
from tests import factories
from tests.conftest import NOW

DAY = timedelta(days=1)
_to_lonlat = Transformer.from_crs(4527, 4490, always_xy=True)
X, Y = factories.FENGRUN_X, factories.FENGRUN_Y


def lonlat(x: float, y: float) -> list[float]:
    return list(_to_lonlat.transform(x, y))


def point(x: float, y: float) -> dict:
    return {"type": "Point", "coordinates": lonlat(x, y)}


def outline(minx: float, miny: float, maxx: float, maxy: float) -> dict:
    ring = [lonlat(*xy) for xy in box(minx, miny, maxx, maxy).exterior.coords]
    return {"type": "Polygon", "coordinates": [ring]}


def found(store, geometry: dict, *, at=NOW, violation: str = "illegal_mining") -> dict:
    finding = parse_finding({"violation": violation, "geometry": geometry}, now=at)
    return PatrolStore(store.engine).create(finding, actor="hecha", now=at)


def act(store, cid: int, action: str, at, **payload):
    return store.apply_action(
        cid, action, actor="tester", payload=payload, expected_version=None, now=at
    )


def row(store, cid: int) -> dict:
    return store.get_case_row(cid)


def events(store, cid: int) -> list:
    return store.events(cid)


def import_squares(store, tmp_path, *, chunk_rows=None, at=NOW + DAY):
    """Four 100 m squares 500 m apart (square i from X + 500 i), as a 2019Q3 mining batch."""
    path = factories.write(factories.squares(4), tmp_path / "ks.gpkg")
    meta = BatchMeta(
        Programme.MINING, "2019Q3", "河北省自然资源厅", date(2019, 10, 15), date(2019, 11, 30)
    )
    batch, created = import_file(store, path, meta, actor="t", now=at, chunk_rows=chunk_rows)
    assert created
    ids = [r["id"] for r in sorted(store.features(batch["id"]), key=lambda r: r["code"])]
    return batch, ids


@pytest.fixture
def patrol_first(store):
    """Patrol cases found before the batch: a point inside square 0, an outline over 60 % of
    square 1, a point 20 m west of square 2, a point 45 m west of square 3."""
    return {
        "inside": found(store, point(X + 50, Y + 50)),
        "overlap": found(store, outline(X + 540, Y, X + 640, Y + 100)),
        "near": found(store, point(X + 980, Y + 50)),
        "far": found(store, point(X + 1455, Y + 50)),
    }


@pytest.mark.parametrize("chunk_rows", [None, 2], ids=["whole", "chunked"])
def test_a_batch_over_patrol_sites_takes_their_sites_and_lists_them(
    store, tmp_path, patrol_first, chunk_rows
):
    batch, ids = import_squares(store, tmp_path, chunk_rows=chunk_rows)
    p = {k: v["case_id"] for k, v in patrol_first.items()}
    sites = [row(store, cid)["site_id"] for cid in ids]
    assert sites == [p["inside"], p["overlap"], p["near"], None]
    # The patrol cases are left as they were: no event, no link of theirs.
    for cid in p.values():
        assert row(store, cid)["site_id"] is None and len(events(store, cid)) == 1
    report = store.get_batch(batch["id"])["report"]
    assert report["link_reasons"] == {"site_patrol": 3}
    assert [(k["row"], k["linked_case_id"], k["reason"]) for k in report["links"]] == [
        (1, p["inside"], "site_patrol"),
        (2, p["overlap"], "site_patrol"),
        (3, p["near"], "site_patrol"),
    ]
    assert report["links"][0]["linked_code"] == "XC2019-0001"
    # The map draws one site where a patrol case and a 图斑 lie, once the 图斑 is judged
    # already handled; until then the 图斑 is not illegal and draws nothing.
    drawn = PatrolSites(store.engine).sites(today=date(2019, 10, 22))
    assert sorted(s["id"] for s in drawn) == sorted(p.values())


def test_a_finding_at_a_tuban_takes_its_site_and_joins_it_while_it_is_open(store, tmp_path):
    _, (open_, issued, closed, _) = import_squares(store, tmp_path, at=NOW - 3 * DAY)
    t = NOW - 2 * DAY
    act(store, open_, "verify", t, judgment="illegal", reason="unlicensed_mining")
    act(store, closed, "verify", t, judgment="illegal", reason="unlicensed_mining")
    act(store, closed, "approve", t)
    act(store, closed, "file", t, case_no="丰罚〔2019〕2号", filed_on="2019-10-18")
    act(store, closed, "penalise", t, fine_yuan=1000, receipt_no="R2", paid_on="2019-10-18")
    act(store, closed, "rectify", t, rectified_on="2019-10-18")
    act(store, closed, "close", t)
    act(store, closed, "watch", t, interval_days=30)
    at_open = found(store, point(X + 50, Y + 50))
    assert (at_open["site_id"], at_open["linked_case_id"]) == (open_, open_)
    at_issued = found(store, point(X + 550, Y + 50))
    assert (at_issued["site_id"], at_issued["linked_case_id"]) == (issued, None)
    # A closed site under watch found active again by a patrol: the finding carries the site
    # (its own story, a new case), linked to the watched case by site_id only.
    at_closed = found(store, point(X + 1050, Y + 50))
    assert (at_closed["site_id"], at_closed["linked_case_id"]) == (closed, None)
    # On the map: the open 图斑 (the finding joined to it is its story), the finding at the
    # issued 图斑, and at the watched site the new finding, drawn before the watched case.
    drawn = {s["id"]: s["status"] for s in PatrolSites(store.engine).sites(today=NOW.date())}
    assert drawn == {
        open_: "active",
        at_issued["case_id"]: "active",
        at_closed["case_id"]: "active",
    }


FILE = {"case_no": "丰国土资罚〔2019〕40号", "filed_on": "2019-10-21", "offender": "某石料厂"}


def test_already_handled_joins_the_open_case_and_takes_its_filing_when_it_comes(
    store, tmp_path, patrol_first
):
    batch, ids = import_squares(store, tmp_path)
    head = patrol_first["inside"]["case_id"]
    t = NOW + 2 * DAY
    act(store, ids[0], "verify", t, judgment="illegal", reason="already_handled")
    got = row(store, ids[0])
    assert got["linked_case_id"] == head and got["enforcement_id"] is None
    assert events(store, ids[0])[-1].after["linked_case_id"] == head
    act(store, head, "file", t, **FILE)
    filed = row(store, head)
    got = row(store, ids[0])
    assert (got["case_no"], got["filed_on"], got["enforcement_id"]) == (
        FILE["case_no"], date(2019, 10, 21), filed["enforcement_id"],
    )  # fmt: skip
    assert got["state"] == "verified"  # its own review goes on
    last = events(store, ids[0])[-1]
    assert (last.action, last.actor, last.payload["joined_case_id"]) == (
        "file", "tester", head,
    )  # fmt: skip
    # The province's table says 立案 with the case number of the patrol case's 立案.
    (rows,) = list(ExportRows(store.engine).chunks(batch["id"]))
    mine = next(r for r in rows if r["code"] == got["code"])
    table = result_row(1, mine)
    assert table[8:10] == ["是", FILE["case_no"]] and "已查处" in table[7]
    # Filed once more by the enforcer, it stays under the one 立案.
    act(store, ids[0], "approve", t)
    act(store, ids[0], "file", t, **FILE)
    assert row(store, ids[0])["enforcement_id"] == filed["enforcement_id"]


def test_already_handled_at_a_site_whose_case_is_filed_is_filed_under_it_at_once(
    store, tmp_path, patrol_first
):
    head = patrol_first["overlap"]["case_id"]
    act(store, head, "file", NOW + DAY, **FILE)
    _, ids = import_squares(store, tmp_path, at=NOW + DAY)
    before = row(store, ids[1])["version"]
    act(store, ids[1], "verify", NOW + 2 * DAY, judgment="illegal", reason="already_handled")
    got = row(store, ids[1])
    assert [e.action for e in events(store, ids[1])] == ["verify", "file"]
    assert got["version"] == before + 2 and got["case_no"] == FILE["case_no"]
    assert got["enforcement_id"] == row(store, head)["enforcement_id"]


def test_already_handled_is_refused_where_no_open_case_is_at_the_site(
    store, tmp_path, patrol_first
):
    t = NOW + 2 * DAY
    near = patrol_first["near"]["case_id"]
    act(store, near, "dismiss", t, reason="核实为合法取土")  # the site's case is not a violation
    _, ids = import_squares(store, tmp_path)
    for cid in (ids[2], ids[3]):  # a dismissed patrol case; no case at all
        version = row(store, cid)["version"]
        with pytest.raises(InvalidPayload) as err:
            act(store, cid, "verify", t, judgment="illegal", reason="already_handled")
        assert err.value.details["field"] == "reason"
        assert err.value.message_id == "patrol.no_open_case"
        assert row(store, cid)["version"] == version and events(store, cid) == []
    # The same 图斑 judged on what was found goes through.
    act(store, ids[3], "verify", t, judgment="illegal", reason="unlicensed_mining")


def test_a_joined_site_is_counted_once(store, tmp_path, patrol_first):
    _, ids = import_squares(store, tmp_path)
    head = patrol_first["inside"]["case_id"]
    t = NOW + 2 * DAY
    act(store, ids[0], "verify", t, judgment="illegal", reason="already_handled")
    act(store, head, "file", t, **FILE)
    pay = {"decision_no": "决40", "fine_yuan": 80000, "receipt_no": "R40", "paid_on": "2019-10-22"}
    act(store, head, "penalise", t, **pay)
    frame = store.cases_frame().set_index("case_id")
    pair = frame.loc[[ids[0], head]]
    assert list(pair["programme"]) == ["mining", "patrol"]
    assert pair["enforcement_id"].nunique() == 1  # one 立案 for the site
    paid = store.payments_frame()
    assert paid.drop_duplicates("payment_id")["amount_yuan"].sum() == 80000
    assert set(paid["programme"]) == {"mining", "patrol"}  # found from either programme
    sites = PatrolSites(store.engine).sites(today=date(2019, 10, 22))
    at_site = [s for s in sites if s["id"] in (ids[0], head)]
    assert [s["id"] for s in at_site] == [head]
    # The joins were booked as they happened: a rebuild from the event log agrees, and so does
    # the per-case replay. (Not ``issued``: the live path books no patrol case as issued, the
    # rebuild does — storage/daily_counts.py's business, not the joins'.)
    kept = daily_counts.counts(store.engine)
    daily_counts.rebuild(store.engine)
    flags = [c for c in kept.columns if c != "issued"]
    pd.testing.assert_frame_equal(
        daily_counts.counts(store.engine)[flags], kept[flags], check_dtype=False
    )
    replay = facts.facts_as_of(store.engine, date(2019, 10, 25))
    assert int(aggregate(replay)["illegal_filed"].sum()) == int(kept["illegal_filed"].sum())
    with store.engine.connect() as conn:
        actions = [
            a
            for (a,) in conn.execute(
                case_events.select()
                .with_only_columns(case_events.c.action)
                .where(case_events.c.case_id == ids[0])
                .order_by(case_events.c.seq)
            )
        ]
    assert actions == ["verify", "file"]
