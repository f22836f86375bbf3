"""Indicator metrics against hand-computed fixtures."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geo.errors import UnknownMetric
from geo.goals import IndicatorRow, Project
from geo.indicators import (
    CASE_COLUMNS,
    PAYMENT_COLUMNS,
    compute_metric,
    compute_project,
    empty_cases,
)
from geo.model import Programme

DUE = date(2019, 11, 30)


def ts(y, m, d, h=10):
    return datetime(y, m, d, h, tzinfo=UTC)


def frame(rows):
    base = dict.fromkeys(CASE_COLUMNS)
    base.update(period="2019Q3", due_on=DUE, state="issued", returned_count=0, programme="mining")
    return pd.DataFrame(
        [{**base, "case_id": i + 1, **r} for i, r in enumerate(rows)], columns=list(CASE_COLUMNS)
    )


@pytest.fixture
def weipian():
    return frame(
        [
            # on time, illegal, filed and penalised with a receipt
            dict(
                state="penalised",
                judgment="illegal",
                verified_at=ts(2019, 11, 1),
                filed_on=date(2019, 11, 5),
                fine_yuan=30000.0,
                receipt_no="R1",
            ),
            # late (after the due date), illegal, not filed
            dict(state="verified", judgment="illegal", verified_at=ts(2019, 12, 2)),
            # on time at 23:30 local time on the due day (15:30 UTC) counts as on time
            dict(
                state="verified",
                judgment="legal",
                verified_at=datetime(2019, 11, 30, 15, 30, tzinfo=UTC),
            ),
            # 00:30 local the day after the due date (16:30 UTC on the due day) is late
            dict(
                state="closed",
                judgment="other",
                verified_at=datetime(2019, 11, 30, 16, 30, tzinfo=UTC),
            ),
            # fined but no receipt yet: not counted as 处罚到位
            dict(
                state="penalised",
                judgment="illegal",
                verified_at=ts(2019, 11, 2),
                filed_on=date(2019, 11, 6),
                fine_yuan=5000.0,
                receipt_no=None,
            ),
            # illegal land (not mining), closed
            dict(
                programme="land",
                state="closed",
                judgment="illegal",
                verified_at=ts(2019, 11, 3),
                filed_on=date(2019, 11, 6),
                fine_yuan=1000.0,
                receipt_no="R2",
            ),
            # never verified
            dict(),
        ]
    )


def test_verified_of_issued(weipian):
    v = compute_metric("verified_of_issued", weipian)
    assert (v.numerator, v.denominator, v.value) == (6, 7, 6.0)
    assert v.case_ids == (1, 2, 3, 4, 5, 6)
    assert "6 / 下发 7" in v.display


def test_verified_by_due_share_uses_local_calendar_day(weipian):
    v = compute_metric("verified_by_due_share", weipian)
    assert v.case_ids == (1, 3, 5, 6)
    assert v.value == pytest.approx(100 * 4 / 7, abs=0.01)


def test_illegal_filed_and_closed_shares(weipian):
    filed = compute_metric("illegal_filed_share", weipian)
    assert (filed.numerator, filed.denominator) == (3, 4) and filed.value == 75.0
    closed = compute_metric("enforcement_closed_share", weipian)
    assert (closed.numerator, closed.denominator, closed.case_ids) == (1, 4, (6,))


def payments(rows):
    return pd.DataFrame(rows, columns=list(PAYMENT_COLUMNS))


def test_penalties_count_receipted_payments_once_per_enforcement_within_the_year(weipian):
    df = weipian.copy()
    df.loc[df.case_id.isin([1, 5]), "enforcement_id"] = 10  # one 立案 covering two 图斑
    df.loc[df.case_id == 6, "enforcement_id"] = 11
    paid = payments(
        [
            # enforcement 10 paid in two instalments; its row repeats per programme it touches
            (1, 10, "mining", 20000.0, "R1", date(2019, 11, 20), "2019Q3", None),
            (2, 10, "mining", 10000.0, "R2", date(2019, 12, 20), "2019Q3", None),
            # no receipt: not counted
            (3, 10, "mining", 5000.0, None, date(2019, 12, 21), "2019Q3", None),
            (4, 11, "land", 1000.0, "R3", date(2019, 12, 1), "2019Q3", None),
            # next year: not counted
            (5, 11, "land", 999.0, "R4", date(2020, 1, 5), "2019Q3", None),
        ]
    )
    p = Project(
        id="m",
        name="m",
        year=2019,
        table_title="t",
        budget={},
        purpose="",
        spending_plan={},
        goals=(),
        programmes=(Programme.MINING, Programme.LAND),
        indicators=(
            IndicatorRow("效果指标", "经济效益指标", "x", "d", "t", "b", ("penalties_receipted",)),
        ),
    )
    [row] = compute_project(p, df, paid)
    v = row.values[0]
    assert v.value == 31000.0 and v.display == "¥31,000.00（3 笔有票据）"
    assert v.case_ids == (1, 5, 6)


def test_illegal_mines_active_excludes_land_and_rectified(weipian):
    v = compute_metric("illegal_mines_active", weipian)
    assert v.case_ids == (1, 2, 5) and v.value == 3.0


def test_change_survey_metrics():
    df = frame(
        [
            dict(
                programme="change_survey",
                period="2019",
                state="passed",
                evidence_at=ts(2019, 12, 1),
                submitted_at=ts(2019, 12, 20),
                checked_at=ts(2020, 1, 5),
            ),
            dict(
                programme="change_survey",
                period="2019",
                state="returned",
                returned_count=1,
                evidence_at=ts(2019, 12, 1),
                submitted_at=ts(2019, 12, 31),
                checked_at=ts(2020, 1, 5),
            ),
            dict(
                programme="change_survey",
                period="2019",
                state="evidence_collected",
                evidence_at=ts(2019, 12, 3),
            ),
            dict(programme="change_survey", period="2019"),
        ]
    )
    assert compute_metric("evidence_of_issued", df).case_ids == (1, 2, 3)
    assert compute_metric("provincial_pass_rate", df).value == 50.0
    sub = compute_metric("submitted_by_due_share", df)
    assert (sub.numerator, sub.denominator) == (0, 4)  # due 2019-11-30: both were late


def test_empty_input_gives_dash_not_division_error():
    v = compute_metric("illegal_filed_share", empty_cases())
    assert v.value is None and v.display.startswith("—")


def test_unknown_metric():
    with pytest.raises(UnknownMetric):
        compute_metric("nope", empty_cases())


def test_project_scopes_programmes_and_year(weipian):
    other_year = frame([dict(period="2020Q1", verified_at=ts(2020, 3, 1))])
    cs = frame([dict(programme="change_survey", period="2019", verified_at=ts(2019, 11, 1))])
    allc = pd.concat([weipian, other_year.assign(case_id=100), cs.assign(case_id=200)])
    p = Project(
        id="mining_enforcement",
        name="矿山卫片执法",
        year=2019,
        table_title="t",
        budget={},
        purpose="",
        spending_plan={},
        goals=(),
        programmes=(Programme.MINING, Programme.LAND),
        indicators=(
            IndicatorRow("产出指标", "数量指标", "x", "d", "t", "b", ("verified_of_issued",)),
            IndicatorRow("满意度指标", "服务对象满意度指标", "y", "d", "t", "b"),
        ),
    )
    rows = compute_project(p, allc)
    assert rows[0].values[0].denominator == 7
    assert rows[1].values == ()


_WHEN = st.one_of(
    st.none(),
    st.datetimes(
        min_value=datetime(2019, 11, 28), max_value=datetime(2019, 12, 3), timezones=st.just(UTC)
    ),
)


_DAY = st.one_of(st.none(), st.dates(min_value=date(2019, 11, 28), max_value=date(2019, 12, 3)))

_RECORD = st.fixed_dictionaries(
    {
        "programme": st.sampled_from(["mining", "land", "change_survey", "patrol"]),
        "state": st.sampled_from(
            ["issued", "verified", "closed", "rectified", "passed", "found", "stopped"]
        ),
        "judgment": st.sampled_from([None, "legal", "illegal", "other"]),
        "verified_at": _WHEN,
        "submitted_at": _WHEN,
        "evidence_at": _WHEN,
        "checked_at": _WHEN,
        "filed_on": st.one_of(st.none(), st.just(date(2019, 11, 5))),
        "approved_first_time": st.sampled_from([None, True, False]),
        "land_class_ok": st.sampled_from([None, True, False]),
        "photo_count": st.integers(0, 3),
        "land_class_before": st.sampled_from([None, "0103", "0201", "01"]),
        "violation": st.sampled_from([None, "illegal_mining", "beyond_boundary_mining", "other"]),
        "linked_case_id": st.sampled_from([None, 7]),
        "stop_due_at": _WHEN,
        "stopped_at": _WHEN,
        "file_due_on": _DAY,
        "report_due_on": _DAY,
        "reported_on": _DAY,
        "reinspections": st.integers(0, 2),
        "reinspected_on_time": st.sampled_from([None, True, False]),
    }
)


@settings(max_examples=300, deadline=None)
@given(rec=_RECORD)
def test_flags_of_one_record_equal_the_frame_evaluation(rec):
    """The per-action path (record_flags) and the frame path (flag_mask) never disagree."""
    from geo.indicators import FLAGS, flag_mask, record_flags

    rec = {**rec, "due_on": DUE, "area_m2": 10.0}
    one = frame([rec])
    assert record_flags(rec) == {f: bool(flag_mask(one, f)[0]) for f in FLAGS}


@settings(max_examples=100, deadline=None)
@given(
    recs=st.lists(_RECORD, min_size=1, max_size=12),
    dues=st.lists(st.sampled_from([date(2019, 11, 29), DUE, date(2019, 12, 1)]), min_size=12),
)
def test_a_frame_of_many_records_flags_each_as_the_record_path_does(recs, dues):
    """The frame path evaluates some conditions once per due date or distinct value and maps
    the answer back: each row still gets its own."""
    from geo.indicators import FLAGS, flag_mask, record_flags

    recs = [{**r, "due_on": d, "area_m2": 10.0} for r, d in zip(recs, dues, strict=False)]
    many = frame(recs)
    for f in FLAGS:
        mask = flag_mask(many, f)
        assert [bool(x) for x in mask] == [record_flags(r)[f] for r in recs], f


def test_a_record_timestamp_that_is_not_a_datetime_is_refused_by_name():
    """On-time flags read a UTC datetime; an ISO string is a caller's bug, said plainly."""
    from geo.indicators import record_flags

    with pytest.raises(TypeError, match="should be a datetime"):
        record_flags({"verified_at": "2019-11-01T10:00:00+00:00", "due_on": DUE})


def test_complete_evidence_needs_the_photos_a_submission_needs():
    df = frame(
        [
            dict(
                programme="change_survey", period="2019", evidence_at=ts(2019, 12, 1), photo_count=2
            ),
            dict(
                programme="change_survey", period="2019", evidence_at=ts(2019, 12, 1), photo_count=1
            ),
            dict(programme="change_survey", period="2019", photo_count=3),  # photos, no evidence
        ]
    )
    v = compute_metric("evidence_complete_of_issued", df)
    assert (v.numerator, v.denominator, v.case_ids) == (1, 3, (1,))


def test_land_class_correct_rate_counts_only_checked_cases_with_a_verdict():
    df = frame(
        [
            dict(programme="change_survey", checked_at=ts(2020, 1, 5), land_class_ok=True),
            dict(programme="change_survey", checked_at=ts(2020, 1, 5), land_class_ok=False),
            dict(programme="change_survey", checked_at=ts(2020, 1, 6), land_class_ok=True),
            dict(programme="change_survey", checked_at=None, land_class_ok=None),
        ]
    )
    v = compute_metric("land_class_correct_rate", df)
    assert (v.numerator, v.denominator) == (2, 3) and v.value == pytest.approx(66.67)
    assert v.case_ids == (1, 3)


def test_first_time_approval_share():
    df = frame([dict(approved_first_time=True), dict(approved_first_time=False), dict()])
    v = compute_metric("approved_first_time_share", df)
    assert (v.numerator, v.denominator, v.value) == (1, 2, 50.0)


def test_receipt_count_counts_each_receipted_payment_once(weipian):
    df = weipian.copy()
    df.loc[df.case_id.isin([1, 5]), "enforcement_id"] = 10
    paid = payments(
        [
            (1, 10, "mining", 20000.0, "R1", date(2019, 11, 20), "2019Q3", None),
            (1, 10, "land", 20000.0, "R1", date(2019, 11, 20), "2019Q3", None),  # same payment
            (2, 10, "mining", 5000.0, " ", date(2019, 11, 21), "2019Q3", None),  # blank receipt
        ]
    )
    v = compute_metric("penalty_receipt_count", df, paid)
    assert v.value == 1.0 and v.case_ids == (1, 5)


def test_illegal_farmland_ratio_and_the_15_percent_line():
    def land(judgment, before, area):
        return dict(programme="land", judgment=judgment, land_class_before=before, area_m2=area)

    rows = [
        land("illegal", "0103", 1300.0),  # illegal on 耕地
        land("legal", "0101", 8700.0),  # legal construction on 耕地
        land("illegal", "0301", 5000.0),  # illegal, but on 林地: not 耕地
        land("other", "0103", 9000.0),  # 伪变化: no construction
        dict(programme="mining", judgment="illegal", land_class_before="0103", area_m2=9e6),
    ]
    v = compute_metric("illegal_farmland_ratio", frame(rows))
    assert (v.numerator, v.denominator, v.value) == (1300.0, 10000.0, 13.0)
    assert v.case_ids == (1,) and "接近 15% 问责线" in v.warning
    rows[0]["area_m2"] = 1600.0
    over = compute_metric("illegal_farmland_ratio", frame(rows))
    assert over.value == pytest.approx(100 * 1600 / 10300, abs=0.01) and "已达 15%" in over.warning
    rows[0]["area_m2"] = 500.0
    assert compute_metric("illegal_farmland_ratio", frame(rows)).warning is None


def test_counts_frame_gives_the_same_values_without_case_ids(weipian):
    from geo.indicators import aggregate

    per_case = compute_metric("verified_by_due_share", weipian)
    counted = compute_metric("verified_by_due_share", aggregate(weipian))
    assert (counted.numerator, counted.denominator, counted.value) == (
        per_case.numerator,
        per_case.denominator,
        per_case.value,
    )
    assert counted.case_ids == () and per_case.case_ids == (1, 3, 5, 6)


# --- 动态巡查 and the watch list -----------------------------------------------------------


def _patrol(**kw):
    base = dict(programme="patrol", period="2019", due_on=date(2019, 12, 31), state="found",
                judgment="illegal", violation="illegal_building")  # fmt: skip
    return {**base, **kw}


FOUND = ts(2019, 6, 3, 1)


@pytest.fixture
def patrol():
    due = dict(stop_due_at=ts(2019, 6, 4, 1), file_due_on=date(2019, 6, 10),
               report_due_on=date(2019, 6, 30))  # fmt: skip
    return frame(
        [
            # 1: a pit found at night, stopped within the 24 h, filed and reported on time
            _patrol(violation="illegal_mining", state="filed", stopped_at=ts(2019, 6, 3, 9),
                    filed_on=date(2019, 6, 10), reported_on=date(2019, 6, 30), **due),
            # 2: stopped an hour late, filed a day late, reported in July
            _patrol(state="filed", stopped_at=ts(2019, 6, 4, 2), filed_on=date(2019, 6, 11),
                    reported_on=date(2019, 7, 1), **due),
            # 3: a pit joined to the open 卫片 case 5 at its site: not a second mine
            _patrol(violation="beyond_boundary_mining", linked_case_id=5, **due),
            # 4: dismissed (核实不违法): a finding, not a violation
            _patrol(violation="illegal_mining", state="closed", judgment="other",
                    stopped_at=ts(2019, 6, 3, 9), **due),
            # 5: the open mining 图斑 the pit of 3 joined
            dict(programme="mining", state="filed", judgment="illegal"),
            # 6: a rectified pit found on patrol, re-inspected late under watch
            _patrol(violation="illegal_mining", state="rectified", reinspections=2,
                    reinspected_on_time=False, **due),
            # 7: a closed 卫片 pit re-inspected on time
            dict(programme="mining", state="closed", judgment="illegal", reinspections=1,
                 reinspected_on_time=True),
            # 8: illegal land 卫片: no mine
            dict(programme="land", state="filed", judgment="illegal"),
        ]
    )  # fmt: skip


def test_illegal_mines_count_weipian_and_patrol_pits_once_per_site(patrol):
    v = compute_metric("illegal_mines_active", patrol)
    assert v.case_ids == (1, 5) and v.value == 2.0


def test_each_quick_response_step_is_on_time_by_the_case_own_deadline(patrol):
    stopped = compute_metric("patrol_stopped_on_time_share", patrol)
    # over the patrol violations 1, 2, 3, 6 (4 was dismissed): only 1 was stopped in time
    assert (stopped.numerator, stopped.denominator, stopped.case_ids) == (1, 4, (1,))
    assert stopped.display == "25.0%（按时制止 1 / 4）"
    filed = compute_metric("patrol_filed_on_time_share", patrol)
    assert (filed.numerator, filed.denominator, filed.case_ids) == (1, 4, (1,))
    reported = compute_metric("patrol_reported_on_time_share", patrol)
    assert reported.case_ids == (1,)  # 30 June is the last day of the month found in


def test_patrol_findings_count_every_finding_and_are_never_issued(patrol):
    found = compute_metric("patrol_findings", patrol)
    assert found.case_ids == (1, 2, 3, 4, 6) and found.display == "巡查发现 5 起"
    # the 卫片 shares keep their denominators: three 图斑 issued, not eight cases
    assert compute_metric("verified_of_issued", patrol).denominator == 3


def test_a_blank_patrol_case_before_its_finding_meets_no_condition():
    """What record_change and the rebuild book a patrol case from: before its find event."""
    from geo.indicators import record_flags

    blank = {"programme": "patrol", "state": "issued", "due_on": DUE, "area_m2": 0.0}
    assert not any(record_flags(blank).values())


def test_reinspections_on_time_over_the_sites_reinspected(patrol):
    v = compute_metric("reinspected_on_time_share", patrol)
    assert (v.numerator, v.denominator, v.case_ids) == (1, 2, (7,))


def test_a_step_with_no_time_or_no_deadline_is_not_on_time():
    from geo.indicators import flag_mask, record_flags

    rows = [
        _patrol(stopped_at=ts(2019, 6, 3), stop_due_at=None),
        _patrol(stopped_at=None, stop_due_at=ts(2019, 6, 4)),
        _patrol(reported_on=date(2019, 6, 3), report_due_on=None),
    ]
    df = frame(rows)
    for name in ("patrol_stopped_on_time", "patrol_reported_on_time"):
        assert not flag_mask(df, name).any()
        assert not any(record_flags(dict(df.iloc[i]))[name] for i in range(len(df)))


def test_any_holds_when_one_alternative_does_and_reads_its_columns(monkeypatch):
    from geo.indicators import FLAGS, Cond, cond_columns, either, flag_mask, record_flags

    df = frame([dict(programme="land"), dict(filed_on=date(2019, 6, 1)), dict()])
    df["file_due_on"] = [None, date(2019, 6, 2), date(2019, 6, 2)]
    cond = either((Cond("le", "filed_on", "file_due_on"),), (Cond("eq", "programme", "land"),))
    monkeypatch.setitem(FLAGS, "probe", (cond,))
    assert flag_mask(df, "probe").tolist() == [True, True, False]
    assert [record_flags(dict(df.iloc[i]))["probe"] for i in range(3)] == [True, True, False]
    assert cond_columns([cond]) == {"filed_on", "file_due_on", "programme"}
