"""The patrol rules the API and the work lists are built on, pure: which step is due first and
when it is late, who takes it, a 卫片 图斑 over a patrol site, the open case at a site, the
filing a joined case takes, a report's fields, the map's site status."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import shapely
from hypothesis import given
from hypothesis import strategies as st

from geo.deadlines import Deadlines
from geo.errors import InvalidPayload
from geo.model import Action, Case, Judgment, Programme, State
from geo.patrol import (
    STEPS,
    SiteCase,
    check_client_ref,
    current_step,
    due_day,
    joined_filing,
    open_case,
    open_case_at,
    parse_report,
    patrol_sites,
    site_rank,
    site_status,
    steps_for,
)
from geo.roles import ACTION_ROLES, Role
from geo.workflow import replay

T0 = datetime(2019, 10, 20, 9, 0, tzinfo=UTC)  # 17:00 in 丰润区


DEFAULTS = Deadlines()


def _found(rules: Deadlines = DEFAULTS, at: datetime = T0) -> Case:
    case, _ = open_case(1, violation="illegal_mining", found_at=at, actor="hc", at=at, rules=rules)
    return case


def test_a_fresh_finding_is_due_to_be_stopped_first_and_late_the_moment_its_hours_pass():
    case = _found()
    step, due = current_step(case)
    assert (step.code, due) == ("stop", T0 + timedelta(hours=24))
    assert not step.overdue(due, T0 + timedelta(hours=24))
    assert step.overdue(due, T0 + timedelta(hours=24, seconds=1))
    stopped = case.replace(state=State.STOPPED, stopped_at=T0)
    step, due = current_step(stopped)
    assert (step.code, due) == ("file", date(2019, 10, 27))
    assert not step.overdue(due, datetime(2019, 10, 27, 15, 59, tzinfo=UTC))  # 23:59 local
    assert step.overdue(due, datetime(2019, 10, 27, 16, 0, tzinfo=UTC))  # the day has ended
    filed = stopped.replace(state=State.FILED, filed_on=date(2019, 10, 25))
    assert current_step(filed)[0].code == "report"
    reported = filed.replace(reported_on=date(2019, 10, 26))
    assert current_step(reported) is None


def test_deadlines_as_data_can_put_the_report_before_the_filing():
    rules = Deadlines(report_by_month_end=False, report_within_days=1, file_within_days=7)
    case = _found(rules).replace(state=State.STOPPED)
    step, due = current_step(case)
    assert (step.code, due) == ("report", date(2019, 10, 21))


@given(
    stop=st.integers(1, 24 * 30),
    file=st.integers(1, 366),
    month_end=st.booleans(),
    report=st.integers(0, 366),
    roles=st.sets(st.sampled_from(list(Role))),
    state=st.sampled_from([State.FOUND, State.STOPPED, State.FILED]),
)
def test_the_step_due_first_is_the_earliest_open_one_the_roles_take(
    stop, file, month_end, report, roles, state
):
    rules = Deadlines(stop, file, month_end, report, 90)
    case = _found(rules).replace(state=state)
    mine = steps_for(roles)
    got = current_step(case, mine)
    open_ = [(s, getattr(case, s.due)) for s in mine if s.is_open(case)]
    if not open_:
        assert got is None
        return
    step, due = got
    assert all(due_day(step, due) <= due_day(s, d) for s, d in open_)
    assert step in mine and step.is_open(case)


def test_who_takes_each_step_is_geo_roles_word():
    for step in STEPS:
        for role in Role:
            takes = step in steps_for({role})
            assert takes == (role is Role.ADMIN or role in ACTION_ROLES[step.action]), (step, role)
    assert [s.code for s in steps_for({Role.REVIEWER})] == ["report"]


def test_a_watched_site_of_any_programme_is_due_for_reinspection():
    closed = Case(id=3, programme=Programme.MINING, state=State.CLOSED, judgment=Judgment.ILLEGAL)
    assert current_step(closed) is None
    watched = closed.replace(watch_interval_days=30, watch_due_on=date(2019, 11, 20))
    step, due = current_step(watched)
    assert (step.code, due) == ("reinspect", date(2019, 11, 20))
    assert current_step(watched.replace(state=State.FILED)) is None  # active again: not watched


# --- a 卫片 图斑 over a patrol site -----------------------------------------------------------

M = 1 / 111_320  # a metre north, in degrees


def _patrol(i: int, geom, **kw) -> SiteCase:
    return SiteCase(id=i, geometry=geom, state=State.FOUND, judgment=Judgment.ILLEGAL, **kw)


def test_a_tuban_takes_the_site_of_a_patrol_point_inside_or_within_30_m_or_an_outline():
    square = shapely.box(118.0, 39.9, 118.001, 39.901)
    inside = _patrol(1, shapely.Point(118.0005, 39.9005))
    near = _patrol(2, shapely.Point(118.0005, 39.901 + 20 * M))
    far = _patrol(3, shapely.Point(118.0005, 39.901 + 45 * M))
    assert patrol_sites({10: square}, [far, near]) == {10: near}
    assert patrol_sites({10: square}, [far]) == {}
    assert patrol_sites({10: square}, [inside, near]) == {10: inside}  # the nearest
    # An outline as large as the square, shifted east: 31 % of it overlaps, then 28 %.
    third = _patrol(4, shapely.box(118.00069, 39.9, 118.00169, 39.901))
    assert patrol_sites({10: square}, [third]) == {10: third}
    less = _patrol(5, shapely.box(118.00072, 39.9, 118.00172, 39.901))
    assert patrol_sites({10: square}, [less]) == {}
    small = _patrol(6, shapely.box(118.0, 39.9, 118.0001, 39.9001))  # inside: all of the smaller
    assert patrol_sites({10: square}, [small]) == {10: small}
    assert patrol_sites({}, [inside]) == {} and patrol_sites({10: square}, []) == {}


def test_the_open_case_at_a_site_follows_links_and_skips_what_is_done_or_legal():
    g = shapely.Point(118, 39.9)
    head = _patrol(1, g)
    joined = _patrol(2, g, linked_case_id=1, site_id=1)
    tuban = SiteCase(id=3, geometry=g, state=State.ISSUED, judgment=None, site_id=1)
    assert open_case_at([head, joined, tuban], exclude=3) == head
    assert open_case_at([joined, tuban], exclude=3) == joined  # the head is out of sight
    done = SiteCase(id=1, geometry=g, state=State.CLOSED, judgment=Judgment.ILLEGAL)
    dismissed = SiteCase(id=4, geometry=g, state=State.CLOSED, judgment=Judgment.OTHER)
    assert open_case_at([done, dismissed, tuban], exclude=3) is None
    assert open_case_at([tuban], exclude=3) is None
    older = _patrol(0, g)
    assert open_case_at([head, older, tuban], exclude=3) == older  # the oldest of two


def test_a_joined_case_takes_the_filing_by_a_file_event_its_state_unchanged():
    tuban = Case(id=3, programme=Programme.MINING, state=State.VERIFIED, judgment=Judgment.ILLEGAL,
                 version=2, linked_case_id=1)  # fmt: skip
    new, ev = joined_filing(
        tuban, case_no="丰罚〔2019〕1号", filed_on=date(2019, 10, 21), enforcement_id=7,
        joined_case_id=1, actor="zf", at=T0,
    )  # fmt: skip
    assert (new.state, new.version, new.enforcement_id) == (State.VERIFIED, 3, 7)
    assert (ev.action, ev.seq, ev.payload["joined_case_id"]) == (Action.FILE, 3, 1)
    assert ev.before["enforcement_id"] is None and replay(tuban, [ev]) == new


# --- a report's fields, a sender's id, the map's status -----------------------------------------

REPORT = {"source": "letter", "violation": "other", "received_at": "2019-10-20T08:00",
          "geometry": {"type": "Point", "coordinates": [118.1, 39.8]}}  # fmt: skip


def test_a_report_takes_its_received_time_and_names_its_own_fields():
    got = parse_report({**REPORT, "reporter_contact": "138"}, now=T0)
    assert got.is_report and got.found_at == datetime(2019, 10, 20, tzinfo=UTC)
    assert got.reporter_contact == "138"
    for change, field in (
        ({"source": "patrol"}, "source"),
        ({"source": ["letter"]}, "source"),
        ({"received_at": ""}, "received_at"),
        ({"received_at": "2019-10-21T08:00"}, "received_at"),
        ({"violation": "x"}, "violation"),
    ):
        with pytest.raises(InvalidPayload) as err:
            parse_report({**REPORT, **change}, now=T0)
        assert err.value.details["field"] == field, change


@pytest.mark.parametrize("ref", ["a b", "x" * 65, "名字", 7, "a/b"])
def test_a_client_ref_is_short_and_plain(ref):
    with pytest.raises(InvalidPayload) as err:
        check_client_ref(ref)
    assert err.value.details["field"] == "client_ref"
    assert check_client_ref("A-z_09") == "A-z_09" and check_client_ref(None) is None


def test_a_site_is_active_watched_or_late_and_the_active_one_stands_for_it():
    day = date(2019, 11, 20)
    assert site_status(State.FOUND, None, day) == "active"
    assert site_status(State.CLOSED, None, day) is None
    assert site_status(State.RECTIFIED, day, day) == "watched"
    assert site_status(State.CLOSED, day - timedelta(days=1), day) == "watch_overdue"
    assert site_rank("active") < site_rank("watch_overdue") < site_rank("watched")
