"""动态巡查, pure: the quick-response path as a state machine, its deadlines, findings, sites."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from geo.deadlines import Deadlines
from geo.errors import InvalidPayload, InvalidTransition
from geo.localtime import LOCAL_TZ
from geo.model import Action, Case, Judgment, Programme, State
from geo.patrol import (
    SiteCase,
    case_code,
    handled_in,
    open_case,
    parse_finding,
    same_site,
)
from geo.workflow import allowed_actions, apply, replay
from geo.workflow.transitions import PATROL_TRANSITIONS

A = Action
FOUND = datetime(2019, 6, 3, 1, 30, tzinfo=UTC)  # 09:30 in Beijing
POINT = {"type": "Point", "coordinates": [118.12, 39.83]}


def found(**kw) -> Case:
    case, _ = open_case(
        5,
        violation="illegal_mining",
        found_at=FOUND,
        actor="巡查员",
        at=FOUND,
        rules=Deadlines(),
        **kw,
    )
    return case


def payload(action: Action, at: datetime) -> dict:
    """A valid payload for ``action`` taken at ``at`` (its dates and instants not after it)."""
    local = at.astimezone(LOCAL_TZ)
    return {
        A.STOP: {
            "order_no": "丰国土停〔2019〕1号",
            "served_at": at.isoformat(),
            "served_by": "李四",
        },
        A.FILE: {"case_no": f"丰国土罚〔2019〕{at.hour}号", "filed_on": local.date().isoformat()},
        A.PENALISE: {
            "fine_yuan": "20000",
            "receipt_no": "HB001",
            "paid_on": local.date().isoformat(),
        },
        A.RECTIFY: {"rectified_on": local.date().isoformat()},
        A.REPORT: {"reported_on": local.date().isoformat(), "doc_no": "丰国土报〔2019〕5号"},
        A.DISMISS: {"reason": "实为已批准的临时用地"},
        A.WATCH: {"interval_days": 30},
        A.REINSPECT: {},
        A.REINSPECT_ACTIVE: {"note": "夜间复采"},
        A.CLOSE: {},
        A.ADD_PHOTO: {"sha256": "cd" * 32},
    }.get(action, {})


def test_a_finding_opens_in_found_with_the_deadlines_of_its_day():
    case, ev = open_case(
        5,
        violation="illegal_mining",
        found_at=FOUND,
        actor=" 巡查员 ",
        at=FOUND + timedelta(hours=2),
        rules=Deadlines(),
    )
    assert case.programme is Programme.PATROL and case.state is State.FOUND
    assert case.judgment is Judgment.ILLEGAL and case.version == 1
    assert case.stop_due_at == FOUND + timedelta(hours=24)
    assert case.file_due_on == date(2019, 6, 10) and case.report_due_on == date(2019, 6, 30)
    assert ev.action is A.FIND and ev.seq == 1 and ev.actor == "巡查员"
    assert ev.before["state"] is None and ev.after["state"] is State.FOUND
    assert replay(Case(5, Programme.PATROL), [ev]) == case


def test_deadlines_are_data_the_bureau_sets():
    rules = Deadlines.from_doc(
        {
            "stop_within_hours": 48,
            "file_within_days": 3,
            "report_by_month_end": False,
            "report_within_days": 10,
        }
    )
    due = rules.due(FOUND)
    assert due["stop_due_at"] == FOUND + timedelta(hours=48)
    assert due["file_due_on"] == date(2019, 6, 6) and due["report_due_on"] == date(2019, 6, 13)
    # by the month's end, plus grace days, across a year's end
    late_dec = datetime(2019, 12, 31, 20, tzinfo=UTC)  # 2020-01-01 04:00 in Beijing
    assert Deadlines(report_within_days=5).due(late_dec)["report_due_on"] == date(2020, 2, 5)


@pytest.mark.parametrize(
    "doc, field",
    [
        ({"stop_within_hours": 0}, "stop_within_hours"),
        ({"stop_within_hours": "24"}, "stop_within_hours"),
        ({"file_within_days": 400}, "file_within_days"),
        ({"report_by_month_end": "yes"}, "report_by_month_end"),
        ({"report_within_days": -1}, "report_within_days"),
        ({"stop_in": 3}, "stop_in"),
        ({"file_within_days": True}, "file_within_days"),
    ],
)
def test_bad_deadline_settings_are_refused_naming_the_field(doc, field):
    with pytest.raises(InvalidPayload) as exc:
        Deadlines.from_doc(doc)
    assert exc.value.details["field"] == field


def test_the_quick_response_path_to_closure():
    c = found()
    t = FOUND
    for action in (A.STOP, A.FILE, A.PENALISE, A.RECTIFY, A.REPORT, A.CLOSE):
        t += timedelta(hours=5)
        c, _ = apply(c, action, actor="执法员", at=t, payload=payload(action, t))
    assert c.state is State.CLOSED and c.version == 7
    assert c.stopped_at == FOUND + timedelta(hours=5) and c.stop_order_no
    assert c.reported_on == date(2019, 6, 4) and c.closed_at == t


def test_a_patrol_case_closes_only_once_reported_and_reports_once():
    c = found()
    t = FOUND
    for action in (A.FILE, A.PENALISE, A.RECTIFY):
        t += timedelta(hours=1)
        c, _ = apply(c, action, actor="x", at=t, payload=payload(action, t))
    with pytest.raises(InvalidTransition) as exc:
        apply(c, A.CLOSE, actor="x", at=t, payload={})
    assert "报告" in str(exc.value)
    c, _ = apply(c, A.REPORT, actor="x", at=t, payload=payload(A.REPORT, t))
    with pytest.raises(InvalidTransition):
        apply(c, A.REPORT, actor="x", at=t, payload=payload(A.REPORT, t))
    assert A.REPORT not in allowed_actions(c)


def test_a_stop_order_is_served_between_discovery_and_recording():
    c = found()
    at = FOUND + timedelta(hours=3)
    early = {**payload(A.STOP, at), "served_at": (FOUND - timedelta(minutes=1)).isoformat()}
    with pytest.raises(InvalidPayload) as exc:
        apply(c, A.STOP, actor="x", at=at, payload=early)
    assert exc.value.details["field"] == "served_at"
    late = {**payload(A.STOP, at), "served_at": (at + timedelta(minutes=1)).isoformat()}
    with pytest.raises(InvalidPayload):
        apply(c, A.STOP, actor="x", at=at, payload=late)
    # without an offset the time is Beijing time
    local = {**payload(A.STOP, at), "served_at": "2019-06-03T10:00"}
    c2, _ = apply(c, A.STOP, actor="x", at=at, payload=local)
    assert c2.stopped_at == datetime(2019, 6, 3, 2, 0, tzinfo=UTC)


def test_a_dismissed_finding_is_closed_as_not_a_violation():
    c, _ = apply(found(), A.DISMISS, actor="审核", at=FOUND, payload=payload(A.DISMISS, FOUND))
    assert c.state is State.CLOSED and c.judgment is Judgment.OTHER
    with pytest.raises(InvalidTransition):
        apply(c, A.WATCH, actor="x", at=FOUND, payload={})  # only illegal sites are watched


def _closed() -> Case:
    c, t = found(), FOUND
    for action in (A.STOP, A.FILE, A.PENALISE, A.RECTIFY, A.REPORT, A.CLOSE):
        t += timedelta(hours=1)
        c, _ = apply(c, action, actor="x", at=t, payload=payload(action, t))
    return c


def test_a_watched_site_is_reinspected_on_time_or_late():
    c = _closed()
    with pytest.raises(InvalidTransition):
        apply(c, A.REINSPECT, actor="x", at=FOUND, payload={})  # not watched yet
    day0 = datetime(2019, 7, 1, 2, tzinfo=UTC)
    c, _ = apply(c, A.WATCH, actor="x", at=day0, payload={"interval_days": 30})
    assert c.watch_due_on == date(2019, 7, 31)
    c, _ = apply(c, A.REINSPECT, actor="x", at=day0 + timedelta(days=29), payload={})
    assert c.reinspected_on_time is True and c.reinspections == 1
    assert c.watch_due_on == date(2019, 8, 29) and c.state is State.CLOSED
    c, _ = apply(c, A.REINSPECT, actor="x", at=day0 + timedelta(days=70), payload={})
    assert c.reinspected_on_time is False and c.reinspections == 2


def test_a_watch_interval_defaults_to_the_bureaus_rule():
    c, _ = apply(
        _closed(),
        A.WATCH,
        actor="x",
        at=FOUND,
        payload={},
        rules=Deadlines(reinspect_every_days=45),
    )
    assert c.watch_interval_days == 45


def test_a_site_active_again_starts_the_quick_response_over():
    c = _closed()
    c, _ = apply(c, A.WATCH, actor="x", at=FOUND + timedelta(days=10), payload={})
    again = datetime(2019, 9, 9, 18, tzinfo=UTC)
    rules = Deadlines(stop_within_hours=12)
    c, ev = apply(
        c, A.REINSPECT_ACTIVE, actor="x", at=again, payload={"note": "夜间复采"}, rules=rules
    )
    assert c.state is State.FOUND and c.found_at == again
    assert c.stop_due_at == again + timedelta(hours=12)
    assert c.stopped_at is None and c.filed_on is None and c.reported_on is None
    assert c.closed_at is None and c.case_no is None and c.enforcement_id is None
    assert c.watch_interval_days is not None  # still watched
    assert ev.before["state"] is State.CLOSED


def test_a_weipian_site_active_again_is_filed_again():
    c = Case(
        3,
        Programme.MINING,
        state=State.CLOSED,
        judgment=Judgment.ILLEGAL,
        filed_on=date(2019, 5, 1),
        watch_interval_days=30,
        watch_due_on=date(2019, 9, 1),
    )
    c2, _ = apply(c, A.REINSPECT_ACTIVE, actor="x", at=FOUND, payload={"note": "复建"})
    assert c2.state is State.FILED and c2.filed_on == date(2019, 5, 1)  # the 立案 stands


# --- the whole machine, at random -------------------------------------------------------------

PATROL_STATES = {s for (s, _), t in PATROL_TRANSITIONS.items()} | set(PATROL_TRANSITIONS.values())
ACTIONS = sorted({a for (_, a) in PATROL_TRANSITIONS} | {A.VERIFY, A.APPROVE, A.SUBMIT}, key=str)


@settings(max_examples=400, deadline=None)
@given(steps=st.lists(st.tuples(st.sampled_from(ACTIONS), st.integers(1, 30 * 24)), max_size=25))
def test_random_patrol_histories_keep_the_paths_invariants(steps):
    case, first = open_case(
        7, violation="illegal_mining", found_at=FOUND, actor="p", at=FOUND, rules=Deadlines()
    )
    events, t = [first], FOUND
    for action, hours in steps:
        t += timedelta(hours=hours)
        allowed = action in allowed_actions(case)
        before = case
        try:
            case, ev = apply(case, action, actor="p", at=t, payload=payload(action, t))
        except InvalidTransition:
            assert not allowed, f"{action} refused though allowed in {before.state}"
            continue
        assert allowed, f"{action} succeeded from {before.state} though not allowed"
        events.append(ev)
        assert ev.seq == case.version == len(events)
        assert {k: getattr(before, k) for k in ev.before} == ev.before
        if action is A.REINSPECT_ACTIVE:
            assert case.found_at == t and case.stopped_at is None
    assert case.state in PATROL_STATES
    assert case.programme is Programme.PATROL
    # A closed patrol case was either dismissed or reported upwards.
    if case.state is State.CLOSED:
        assert case.judgment is Judgment.OTHER or case.reported_on is not None
    # Enforcement only of violations; a stop order is never served before the discovery.
    if case.state in (State.FILED, State.PENALISED, State.RECTIFIED):
        assert case.judgment is Judgment.ILLEGAL and case.filed_on is not None
    if case.stopped_at is not None:
        assert case.found_at <= case.stopped_at
    assert case.reinspections == sum(e.action in (A.REINSPECT, A.REINSPECT_ACTIVE) for e in events)
    assert replay(Case(7, Programme.PATROL), events) == case


# --- findings and their sites ------------------------------------------------------------------

NOW = datetime(2019, 6, 3, 3, tzinfo=UTC)


def test_a_finding_is_validated_field_by_field():
    f = parse_finding({"violation": "illegal_building", "geometry": POINT}, now=NOW)
    assert f.source == "patrol" and f.found_at == NOW and f.geometry.geom_type == "Point"
    cases = [
        ({"violation": "theft", "geometry": POINT}, "violation"),
        ({"violation": "other", "geometry": POINT, "source": "rumour"}, "source"),
        ({"violation": "other", "geometry": {"type": "Point", "coordinates": [2, 48]}}, "geometry"),
        ({"violation": "other", "geometry": {"type": "LineString", "coordinates": []}}, "geometry"),
        ({"violation": "other", "geometry": POINT, "found_at": "2019-06-04T09:00"}, "found_at"),
        ({"violation": "other", "geometry": POINT, "found_at": "yesterday"}, "found_at"),
        ({"violation": "other", "geometry": POINT, "note": "x" * 5000}, "note"),
        ({"violation": "other", "geometry": POINT, "note": "a\u202eb"}, "note"),
    ]
    for doc, field in cases:
        with pytest.raises(InvalidPayload) as exc:
            parse_finding(doc, now=NOW)
        assert exc.value.details["field"] == field, doc


def test_reporter_details_are_kept_for_reports_only():
    doc = {
        "violation": "other",
        "geometry": POINT,
        "reporter_contact": "13800000000",
        "reporter_name": "王某（示例）",
        "content": "夜里有卡车拉沙",
    }
    assert parse_finding(doc, now=NOW).reporter_contact is None
    report = parse_finding({**doc, "source": "hotline_12336"}, now=NOW)
    assert report.is_report and report.reporter_contact == "13800000000"
    assert case_code("hotline_12336", 2019, 12) == "JB2019-0012"
    assert case_code("patrol", 2019, 3) == "XC2019-0003"


def _square(x: float, y: float, d: float = 0.001) -> shapely.Geometry:
    return shapely.box(x, y, x + d, y + d)


def test_a_point_is_at_the_site_whose_outline_it_is_in_or_near():
    pit = SiteCase(1, _square(118.0, 39.8), State.FILED, Judgment.ILLEGAL)
    far = SiteCase(2, _square(118.1, 39.8), State.ISSUED, None)
    inside = shapely.Point(118.0005, 39.8005)
    assert same_site(inside, [far, pit]) is pit
    near = shapely.Point(118.0013, 39.8005)  # ~26 m east of the edge
    assert same_site(near, [pit]) is pit
    away = shapely.Point(118.0020, 39.8005)  # ~85 m
    assert same_site(away, [pit]) is None


def test_an_outline_is_at_the_site_it_mostly_overlaps():
    pit = SiteCase(1, _square(118.0, 39.8), State.ISSUED, None)
    assert same_site(_square(118.0005, 39.8), [pit]) is pit  # half of it
    assert same_site(_square(118.0008, 39.8), [pit]) is None  # a fifth


def test_a_finding_joins_the_open_case_carrying_its_site():
    pit = SiteCase(1, _square(118.0, 39.8), State.FILED, Judgment.ILLEGAL)
    joined = SiteCase(2, _square(118.0, 39.8), State.FOUND, Judgment.ILLEGAL, linked_case_id=1)
    by_id = {1: pit, 2: joined}
    assert handled_in(joined, by_id) is pit  # follows the link to the carrier
    closed = SiteCase(1, pit.geometry, State.CLOSED, Judgment.ILLEGAL)
    assert handled_in(closed, {1: closed}) is None  # active again: the finding carries the site
    legal = SiteCase(1, pit.geometry, State.APPROVED, Judgment.LEGAL)
    assert handled_in(legal, {1: legal}) is None
    assert handled_in(None, {}) is None


def test_patrol_cases_are_never_imported_as_a_batch():
    from geo.batch import BatchMeta
    from geo.errors import InvalidValue

    meta = BatchMeta(Programme.PATROL, "2019", "省厅", date(2019, 1, 1), date(2019, 3, 1))
    with pytest.raises(InvalidValue) as exc:
        meta.validate()
    assert exc.value.details["field"] == "programme" and "巡查" in str(exc.value)
