"""The payload validator under random input, and money kept exact from form to report.

Hypothesis throws arbitrary JSON-like payloads at every action: the validator may only answer
``InvalidPayload``, and whatever it accepts must be storable as it is (finite, in bounds, text
free of NUL, surrogates and bidi overrides, encodable to UTF-8 and JSON).
"""

from __future__ import annotations

import json
import math
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from geo import inputs
from geo.errors import InvalidPayload
from geo.model import Action, to_jsonable
from geo.workflow import PAYLOADS, RecordedEnforcement, check_fine, parse_payload
from reports.document import money

_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**80), max_value=2**80)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=40)
    | st.sampled_from(["Infinity", "NaN", "1e400", "-0", "2019-02-30", "2099-01-01", "0103"])
    | st.dates().map(date.isoformat)
    | st.decimals(allow_nan=True, allow_infinity=True)
)
_values = st.recursive(
    _scalars, lambda kids: st.lists(kids, max_size=3) | st.dictionaries(st.text(), kids, max_size=3)
)


def _payloads(action: Action):
    known = st.fixed_dictionaries({}, optional={k: _values for k in PAYLOADS[action]})
    return st.one_of(known, st.dictionaries(st.text(max_size=10), _values, max_size=4))


def _storable(value) -> None:
    if isinstance(value, str):
        assert inputs.text_problem(value) is None, value
        value.encode("utf-8")
    elif isinstance(value, Decimal):
        assert value.is_finite() and 0 <= value <= inputs.MAX_MONEY_YUAN
        assert value == value.quantize(inputs.FEN)
    elif isinstance(value, float):
        assert math.isfinite(value)
    elif isinstance(value, int) and not isinstance(value, bool):
        assert inputs.INT64_MIN <= value <= inputs.INT64_MAX
    elif isinstance(value, date):
        assert inputs.EARLIEST_DATE <= value <= date(2019, 10, 20)
    elif isinstance(value, dict | list):
        for v in value.values() if isinstance(value, dict) else value:
            _storable(v)


@pytest.mark.parametrize("action", list(Action))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_random_payloads_raise_only_invalid_payload_and_what_passes_is_storable(action, data):
    payload = data.draw(_payloads(action))
    try:
        parsed = parse_payload(action, payload, today=date(2019, 10, 20))
    except InvalidPayload as exc:
        assert exc.details["action"] is action
        return
    for value in parsed.values():
        _storable(value)
    json.dumps(to_jsonable(parsed), ensure_ascii=False, allow_nan=False).encode("utf-8")


def test_money_is_formatted_exactly_to_the_fen_and_never_as_inf():
    assert money(2.675) == "2.68"  # the float 2.675 is 2.67499999…: exact rounding says .68
    assert money(Decimal("1234.5")) == "1234.50"
    assert money(float("inf")) == "" and money(float("nan")) == ""


def test_the_fine_rule_compares_whole_fen_not_floats():
    recorded = RecordedEnforcement(1, "丰罚1号", 0.1 + 0.2)  # a float sum: 0.30000000000000004
    check_fine(recorded, Decimal("0.30"))  # the same fine, so no conflict
    with pytest.raises(InvalidPayload):
        check_fine(recorded, Decimal("0.31"))


def test_text_is_normalised_and_one_line_fields_refuse_line_breaks():
    assert inputs.clean_text("  Cafe\u0301\r\n说明 ") == "Café\n说明"
    assert inputs.clean_name("0307k") == "0307k"
    for bad in ("a\nb", "a\u202eb", "a\x1bb", "a\ud800"):
        with pytest.raises(ValueError):
            inputs.clean_name(bad)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    name=st.text(max_size=120) | st.sampled_from(["", "a\x00b", "\ud800", "\u202e", "案" * 101]),
    note=st.text(min_size=95, max_size=105) | st.text(max_size=5),
    fine=st.decimals(allow_nan=True, allow_infinity=True) | st.floats() | st.integers(),
)
@example(name="案" * 100, note="某" * 100, fine="9999999999.99")
@example(name="案" * 101, note="x", fine=1)
def test_what_the_rules_accept_is_stored_and_read_back_unchanged(store, name, note, fine):
    """Text and money that pass geo.inputs go into a real row on both backends and come back
    the same (a NUL or surrogate that slipped through would fail here on PostgreSQL)."""
    from datetime import UTC, datetime

    from sqlalchemy import delete, select

    from storage.tables import enforcements

    try:
        row = {
            "case_no": inputs.clean_name(name),
            "offender": inputs.clean_name(note),
            "fine_yuan": inputs.money(fine),
        }
    except ValueError:
        return
    with store.engine.begin() as conn:
        conn.execute(delete(enforcements))
        conn.execute(
            enforcements.insert().values(
                **row,
                filed_on=date(2019, 10, 16),
                created_by="t",
                created_at=datetime(2019, 10, 20, tzinfo=UTC),
            )
        )
        back = conn.execute(
            select(enforcements.c.case_no, enforcements.c.offender, enforcements.c.fine_yuan)
        ).one()
    assert dict(back._mapping) == row
