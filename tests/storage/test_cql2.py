"""The CQL2 whitelist compiler: what it builds, what it refuses, and that filter text only ever
reaches SQL as bound values."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from storage.cql2 import FilterError, case_queryables, compile_cql2, property_equals
from storage.tables import cases

TODAY = date(2019, 12, 1)


def _sql(text: str, dialect=None) -> tuple[str, dict]:
    cond = compile_cql2(text, case_queryables(TODAY))
    compiled = select(cases.c.id).where(cond).compile(dialect=dialect or sqlite.dialect())
    return str(compiled), compiled.params


@pytest.mark.parametrize("dialect", [sqlite.dialect(), postgresql.dialect()])
def test_values_are_bound_parameters_never_sql_text(dialect):
    hostile = "x; DROP TABLE cases; --"
    sql, params = _sql(f"code = '{hostile}' OR township LIKE '%\\%'", dialect)
    assert hostile not in sql and "DROP" not in sql
    assert hostile in params.values()


def test_labels_become_codes():
    _, params = _sql("state IN ('已核查', 'issued') AND judgment = '违法'")
    assert set(params.values()) >= {"verified", "issued", "illegal"}


def test_overdue_uses_the_batches_due_date_and_final_states():
    sql, params = _sql("overdue = true")
    assert "batches.due_on <" in sql and TODAY in params.values()
    assert "closed" in str(params) and "passed" in str(params)
    negated, _ = _sql("overdue = false")
    assert "NOT" in negated


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("area_m2 > 1", "area_m2"),
        ("state < 'issued'", "<"),
        ("judgment = 'bad'", "judgment"),
        ("code IS NULL", "code"),
        ("S_WITHIN(geom, POINT(1 2))", "GeometryWithin"),
        ("code = code", "code"),
        ("code ILIKE 'a%'", "LIKE"),
        ("((", "CQL2"),
    ],
)
def test_refusals_name_the_property_or_construct(text, named):
    with pytest.raises(FilterError) as exc:
        compile_cql2(text, case_queryables(TODAY))
    assert named in exc.value.message


def test_query_parameters_are_checked_like_filters():
    props = case_queryables(TODAY)
    cond = property_equals(props, "overdue", "1")
    assert "batches.due_on" in str(cond.compile(dialect=sqlite.dialect()))
    with pytest.raises(FilterError):
        property_equals(props, "state", "nonsense")
