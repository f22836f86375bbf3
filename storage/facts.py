"""Per-case facts (one row per 图斑): live, or as they stood at the end of a past day.

This is what drill-down reads (the case ids behind a number) and what the tests check the daily
counts against. Live facts come from the ``cases`` row. Past facts are replayed from the
append-only event log in one grouped query: the state an event left and the judgment a
verification made are plain columns of ``case_events`` (migration 0005), so no JSON is parsed
but that of the few events which may set a field again (``REPLAYED``: a 立案, a patrol step).
Both use plain SQL without per-value type processing, which at scale costs more than the query.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from sqlalchemy import (
    Boolean,
    ColumnElement,
    Date,
    DateTime,
    Engine,
    Float,
    FromClause,
    Integer,
    Row,
    Select,
    String,
    bindparam,
    case,
    cast,
    column,
    func,
    literal,
    null,
    select,
    text,
)

from geo import localtime
from geo.indicators import CASE_COLUMNS, PAYMENT_COLUMNS
from geo.model import Action, Programme
from geo.workflow.history import settle
from geo.workflow.milestones import (
    INITIAL_STATE,
    KNOWN_AFTER,
    MILESTONES,
    Milestone,
    Tally,
    as_of_milestones,
    undo_columns,
)
from storage.tables import batches, cases, reissues
from storage.types import UTCDateTime

_TZ = localtime.LOCAL_TZ
_TIMESTAMPS = (
    "verified_at", "closed_at", "evidence_at", "submitted_at", "checked_at", "stop_due_at",
    "stopped_at",
)  # fmt: skip
_DATES = ("due_on", "filed_on", "file_due_on", "report_due_on", "reported_on")


class Replayed(NamedTuple):
    """A case field read, as of a past day, from the events that set it (``REPLAYED``)."""

    name: str
    kind: str  # "instant", "day" or "flag"
    actions: tuple[Action, ...]


_A = Action
# Case fields a later event may set again: a patrol site found active again (reinspect_active)
# starts its deadlines and steps afresh, and each re-inspection says whether it was on time.
# Today's case row would give a past day a later round's values, so as of a past day each is
# what the latest event before the cutoff that set it wrote in its ``after`` (the event's own
# record of the change). ``actions``: the only actions that may set it, so that no other
# event's JSON is read; tests/storage/test_patrol_indicators.py checks them against apply().
REPLAYED: tuple[Replayed, ...] = (
    Replayed("filed_on", "day", (_A.FILE, _A.REINSPECT_ACTIVE)),
    Replayed("stop_due_at", "instant", (_A.FIND, _A.REINSPECT_ACTIVE)),
    Replayed("stopped_at", "instant", (_A.STOP, _A.REINSPECT_ACTIVE)),
    Replayed("file_due_on", "day", (_A.FIND, _A.REINSPECT_ACTIVE)),
    Replayed("report_due_on", "day", (_A.FIND, _A.REINSPECT_ACTIVE)),
    Replayed("reported_on", "day", (_A.REPORT, _A.REINSPECT_ACTIVE)),
    Replayed("reinspected_on_time", "flag", (_A.REINSPECT, _A.REINSPECT_ACTIVE)),
)
REPLAYED_NAMES = tuple(r.name for r in REPLAYED)
REPLAYED_ACTIONS = tuple(sorted({a.value for r in REPLAYED for a in r.actions}))
# Cases of these programmes are not issued from above: such a case is there as of a day only
# once its first event (a patrol finding's find) had happened.
_FOUND_LOCALLY = tuple(p.value for p in Programme if not p.is_issued)


def end_of_day_utc(day: date) -> datetime:
    """The first instant after local day ``day`` ends, in UTC: events before it count."""
    return datetime.combine(day + timedelta(days=1), time(), _TZ).astimezone(ZoneInfo("UTC"))


def _ts(dialect: str, expr: str) -> str:
    """A timestamp as sortable UTC text, the same on both backends."""
    if dialect == "postgresql":
        return f"to_char({expr} AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')"
    return expr


_TAG = 10  # digits of the sequence number glued before a LATEST value


def _tagged(dialect: str, value: str) -> str:
    """``seq`` and a value glued so that max() picks the value of the latest event."""
    if dialect == "postgresql":
        return f"lpad(e.seq::text, {_TAG}, '0') || coalesce({value}, '')"
    return f"printf('%0{_TAG}d', e.seq) || coalesce({value}, '')"


def _untag(values: pd.Series) -> pd.Series:
    out = values.astype("str").str.slice(_TAG)
    return out.where(out != "")


def _json_set(dialect: str, field: str) -> str:
    """SQL: the event's ``after`` holds ``field`` (perhaps as null: a value cleared)."""
    if dialect == "postgresql":
        return f"(e.\"after\" -> '{field}') IS NOT NULL"
    return f"json_type(e.\"after\", '$.{field}') IS NOT NULL"


def _json_text(dialect: str, r: Replayed) -> str:
    """SQL: ``r``'s value in the event's ``after`` as text (a flag as true/false), NULL for
    null. Instants keep the offset they were written with; readers normalise them."""
    if dialect == "postgresql":
        return f"e.\"after\" ->> '{r.name}'"
    if r.kind == "flag":
        return f"nullif(json_type(e.\"after\", '$.{r.name}'), 'null')"
    return f"json_extract(e.\"after\", '$.{r.name}')"


def replayed_sets(dialect: str, r: Replayed) -> str:
    """SQL: whether an event (alias ``e``) set field ``r``."""
    if not _CODE.fullmatch(r.name):  # pragma: no cover - the names are fixed above
        raise ValueError(f"unexpected field name {r.name}")
    return f"({_is(r.actions)} AND {_json_set(dialect, r.name)})"


def replayed_value(dialect: str, r: Replayed) -> str:
    """SQL: the value an event set ``r`` to, '' when it cleared it, NULL when it did not set
    it (the daily counts' rebuild carries the latest set value forward per case)."""
    return f"CASE WHEN {replayed_sets(dialect, r)} THEN coalesce({_json_text(dialect, r)}, '') END"


def _replayed_aggregates(dialect: str, fields: Collection[Replayed]) -> list[str]:
    """The grouped aggregates that read each replayed field: the latest event's value."""
    return [
        f"max(CASE WHEN {replayed_sets(dialect, r)} "
        f"THEN {_tagged(dialect, _json_text(dialect, r))} END) AS {r.name}"
        for r in fields
    ]


def _parsed_once(text: pd.Series, parse: Any) -> pd.Series:
    """``parse`` applied to each distinct non-empty value once (a log repeats few values):
    missing and empty texts come back missing."""
    codes, uniques = pd.factorize(text.where(text != "", None), use_na_sentinel=True)
    # a missing value appended: the sentinel -1 picks it
    parsed = parse(pd.Series([*uniques, None], dtype=object))
    return parsed.take(codes).set_axis(text.index)


def _flag(values: pd.Series) -> pd.Series:
    flags = values.map({"true": True, "false": False, "1": True, "0": False}).astype(object)
    return flags.where(flags.notna(), None)


_PARSE = {
    "instant": lambda s: pd.to_datetime(s, utc=True, format="ISO8601"),
    "day": lambda s: _dates(s),
    "flag": _flag,
}


def parse_replayed(df: pd.DataFrame, fields: Collection[Replayed] = REPLAYED) -> None:
    """Replayed fields read as text (``replayed_value`` or the tagged aggregate, untagged) as
    their types, in place: instants as UTC timestamps, days as dates, flags as True/False; an
    empty text (a value cleared) or a missing one as missing."""
    for r in fields:
        df[r.name] = _parsed_once(df[r.name], _PARSE[r.kind])


_LIVE = """
SELECT c.id, c.programme, b.period, b.due_on, c.township_code, c.township_name, c.state,
       c.judgment, {verified_at}, c.filed_on, {closed_at}, {evidence_at}, {submitted_at},
       {checked_at}, c.returned_count, c.enforcement_id, c.approved_first_time,
       c.land_class_ok, c.photo_count, c.area_m2, c.delivered_land_class, c.violation,
       c.linked_case_id, {stop_due_at}, {stopped_at}, c.file_due_on, c.report_due_on,
       c.reported_on, c.reinspections, c.reinspected_on_time
FROM cases c JOIN batches b ON b.id = c.batch_id
{where}
"""

# One grouped pass over the events before the cutoff, one aggregate per milestone of
# geo.workflow.MILESTONES (see as_of_sql) and per replayed field (REPLAYED). Other payload
# fields with no event column of their own come from the case and count once the milestone
# that set them had happened (geo.workflow.KNOWN_AFTER).
_AS_OF_CASES = """
SELECT c.id AS case_id, c.programme, b.period, b.due_on, c.township_code, c.township_name,
       c.enforcement_id, c.approved_first_time, c.land_class_ok, c.area_m2,
       c.delivered_land_class AS land_class_before, c.violation, c.linked_case_id, {milestones}
FROM cases c
JOIN batches b ON b.id = c.batch_id
"""
_FOUND_BY_THEN = """ AND (c.programme NOT IN ({found_locally}) OR EXISTS (
    SELECT 1 FROM case_events x WHERE x.case_id = c.id AND x.at < :cutoff))"""
_AS_OF = (
    _AS_OF_CASES
    + """LEFT JOIN (
    SELECT e.case_id, {aggregates}
    FROM case_events e
    WHERE e.at < :cutoff
    GROUP BY e.case_id
) h ON h.case_id = c.id
"""
)  # then _as_of_where()
# The same aggregate of one case's events, read through the (case_id, seq) index.
_OF_ONE_CASE = "(SELECT {aggregate} FROM case_events e WHERE e.case_id = c.id AND e.at < :cutoff)"
_AS_OF_STATIC = [
    "case_id", "programme", "period", "due_on", "township_code", "township_name",
    "enforcement_id", "approved_first_time", "land_class_ok", "area_m2", "land_class_before",
    "violation", "linked_case_id",
]  # fmt: skip
_CODE = re.compile(r"[a-z_]+")


def codes(values: Sequence[str]) -> str:
    """Codes as an SQL list; each checked plain (they come from geo's enums)."""
    if not all(_CODE.fullmatch(v) for v in values):  # pragma: no cover - the enums are fixed
        raise ValueError(f"unexpected code in {values}")
    return ", ".join(f"'{v}'" for v in values) or "NULL"


def _is(actions: tuple[Action, ...]) -> str:
    """SQL for "the event is one of these actions"; the codes are the enum's, checked plain."""
    codes = [a.value for a in actions]
    if not all(_CODE.fullmatch(c) for c in codes):  # pragma: no cover - the enum is fixed
        raise ValueError(f"unexpected action code in {codes}")
    if len(codes) == 1:
        return f"e.action = '{codes[0]}'"
    return "e.action IN (" + ", ".join(f"'{c}'" for c in codes) + ")"


def _aggregates(dialect: str, m: Milestone) -> list[str]:
    """The grouped aggregates that read milestone ``m`` from a case's events."""
    when = _is(m.actions)
    if m.tally is Tally.COUNT:
        out = [f"sum(CASE WHEN {when} THEN 1 ELSE 0 END) AS {m.name}"]
    elif m.tally is Tally.LATEST:
        tag = _tagged(dialect, f"e.{m.source}")
        out = [f"max({tag}) AS {m.name}" if m.every_action
               else f"max(CASE WHEN {when} THEN {tag} END) AS {m.name}"]  # fmt: skip
    else:
        out = [f"max(CASE WHEN {when} THEN {_ts(dialect, 'e.at')} END) AS {m.name}"]
    if m.undone_by:
        done, undone = undo_columns(m)
        out.append(f"max(CASE WHEN {when} THEN e.seq END) AS {done}")
        out.append(f"max(CASE WHEN {_is(m.undone_by)} THEN e.seq END) AS {undone}")
    return out


def _as_of_columns(milestones: tuple[Milestone, ...]) -> list[str]:
    """The subquery's columns, in order: each milestone, then its undo sequence numbers."""
    out = []
    for m in milestones:
        out.append(m.name)
        if m.undone_by:
            out.extend(undo_columns(m))
    return out


def _as_of_where() -> str:
    """The as-of query's WHERE: issued by the day; a case found locally only once its first
    event had happened."""
    where = "WHERE b.issued_on <= :day"
    if _FOUND_LOCALLY:
        where += _FOUND_BY_THEN.format(found_locally=codes(_FOUND_LOCALLY))
    return where + " {and_where}\n"


def as_of_sql(
    dialect: str,
    milestones: tuple[Milestone, ...] = MILESTONES,
    replayed: Collection[Replayed] = REPLAYED,
) -> tuple[str, list]:
    """The as-of query compiled from the milestone map and the replayed fields, and the names
    of its columns."""
    ms = as_of_milestones(milestones)
    aggregates = _replayed_aggregates(dialect, replayed)
    aggregates += [a for m in ms for a in _aggregates(dialect, m)]
    counts = {m.name for m in ms if m.tally is Tally.COUNT}
    names = [*(r.name for r in replayed), *_as_of_columns(ms)]
    # named, so that the query can also serve as a subquery (storage.facts.as_of_relation)
    selected = [f"coalesce(h.{n}, 0) AS {n}" if n in counts else f"h.{n} AS {n}" for n in names]
    sql = (_AS_OF + _as_of_where()).format(
        milestones=", ".join(selected),
        aggregates=",\n           ".join(aggregates),
        and_where="{and_where}",
    )
    return sql, [*_AS_OF_STATIC, *names]


def per_case_as_of_sql(
    dialect: str, milestones: tuple[Milestone, ...], replayed: Collection[Replayed] = REPLAYED
) -> tuple[str, list]:
    """``as_of_sql`` with each aggregate read per case (a correlated subquery over that case's
    events) instead of one grouped pass over every event: slower for all cases at once, but a
    query wanting the first page of cases by id stops after reading those cases' events."""
    _, names = as_of_sql(dialect, milestones, replayed)
    ms = as_of_milestones(milestones)
    counts = {m.name for m in ms if m.tally is Tally.COUNT}
    aggregates = _replayed_aggregates(dialect, replayed)
    aggregates += [a for m in ms for a in _aggregates(dialect, m)]
    columns = []
    for aggregate in aggregates:
        expr, name = aggregate.rsplit(" AS ", 1)
        one = _OF_ONE_CASE.format(aggregate=expr)
        value = f"coalesce({one}, 0)" if name in counts else one
        columns.append(f"{value} AS {name}")
    sql = (_AS_OF_CASES + _as_of_where()).format(
        milestones=",\n       ".join(columns), and_where="{and_where}"
    )
    return sql, names


def _frame(rows: Sequence[Row[Any]], columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame.from_records(rows, columns=columns, coerce_float=False)


def _timestamps(df: pd.DataFrame, cols: tuple[str, ...] = _TIMESTAMPS) -> None:
    for c in cols:
        df[c] = pd.to_datetime(df[c], utc=True, format="ISO8601")


def _dates(s: pd.Series) -> pd.Series:
    return pd.to_datetime(s.astype("string"), format="ISO8601").dt.date


def _yes_no(s: pd.Series) -> pd.Series:
    """A boolean column as True/False/None (SQLite's driver gives 1/0)."""
    return s.map(lambda v: None if v is None or pd.isna(v) else bool(v)).astype(object)


def _finish(df: pd.DataFrame) -> pd.DataFrame:
    for c in _DATES:
        df[c] = _dates(df[c])
    for c in ("returned_count", "photo_count", "reinspections"):
        df[c] = df[c].fillna(0).astype(np.int64)
    df["area_m2"] = df["area_m2"].astype(float)
    df["reinspected_on_time"] = _yes_no(df["reinspected_on_time"])
    df["linked_case_id"] = (
        df["linked_case_id"].astype(object).where(df["linked_case_id"].notna(), None)
    )
    return df.loc[:, list(CASE_COLUMNS)].reset_index(drop=True)


# The cases whose 图斑 were issued again in period :again (joined by storage.tables.reissues,
# not repeated within one file), other than those that began in it; with :day, only by batches
# issued by then. A period's indicators count these besides the cases of its own batches.
_REISSUED_IN = """c.id IN (
    SELECT r.case_id FROM reissues r JOIN batches rb ON rb.id = r.batch_id
    WHERE rb.period = :again AND r.reason <> 'in_file_duplicate'{by_day}
) AND b.period <> :again"""


def _where(
    township_code: str | None, reissued_in: str | None = None, *, by_day: bool = False
) -> tuple[str, dict]:
    conds, params = [], {}
    if township_code is not None:
        conds.append("c.township_code = :township")
        params["township"] = township_code
    if reissued_in is not None:
        conds.append(_REISSUED_IN.format(by_day=" AND rb.issued_on <= :day" if by_day else ""))
        params["again"] = reissued_in
    return " AND ".join(conds), params


def reissued_case_ids(period: str, as_of: date | None = None) -> Select[Any]:
    """``_REISSUED_IN`` as a query of case ids, for the relations storage.drill filters."""
    again, own = batches.alias("again"), batches.alias("own")
    q = (
        select(reissues.c.case_id)
        .join(again, again.c.id == reissues.c.batch_id)
        .join(cases, cases.c.id == reissues.c.case_id)
        .join(own, own.c.id == cases.c.batch_id)
        .where(
            again.c.period == period,
            own.c.period != period,
            reissues.c.reason != "in_file_duplicate",
        )
    )
    return q if as_of is None else q.where(again.c.issued_on <= as_of)


def _in_period(df: pd.DataFrame, reissued_in: str | None) -> pd.DataFrame:
    """Re-issued cases counted in the period they were issued again (their due day stays
    their own batch's, as every other path reads it)."""
    if reissued_in is not None:
        df["period"] = reissued_in
    return df


def live_facts(
    engine: Engine, *, township_code: str | None = None, reissued_in: str | None = None
) -> pd.DataFrame:
    """One row per case with ``CASE_COLUMNS``, as the cases stand now; ``reissued_in``: only
    the cases re-issued in that period (``_REISSUED_IN``), with it as their period."""
    d = engine.dialect.name
    cond, params = _where(township_code, reissued_in)
    sql = _LIVE.format(
        **{c: _ts(d, f"c.{c}") for c in _TIMESTAMPS},
        where=f"WHERE {cond}" if cond else "",
    )
    with engine.connect() as conn:
        rows = conn.exec_driver_sql(_bind(sql, d), params).fetchall()
    cols = [c if c != "id" else "case_id" for c in _LIVE_NAMES]
    df = _frame(rows, cols)
    _timestamps(df)
    return _in_period(_finish(df), reissued_in)


_LIVE_NAMES = [
    "id", "programme", "period", "due_on", "township_code", "township_name", "state",
    "judgment", "verified_at", "filed_on", "closed_at", "evidence_at", "submitted_at",
    "checked_at", "returned_count", "enforcement_id", "approved_first_time", "land_class_ok",
    "photo_count", "area_m2", "land_class_before", "violation", "linked_case_id",
    "stop_due_at", "stopped_at", "file_due_on", "report_due_on", "reported_on",
    "reinspections", "reinspected_on_time",
]  # fmt: skip


def facts_as_of(
    engine: Engine, day: date, *, township_code: str | None = None, reissued_in: str | None = None
) -> pd.DataFrame:
    """The cases issued by local day ``day``, as they stood when that day ended
    (``reissued_in``: as ``live_facts``, re-issued by then).

    Facts with no event of their own (the filing date, the enforcement, first-time approval,
    the province's land-class verdict) are taken from the case and counted only when the
    event that set them had happened by then.
    """
    d = engine.dialect.name
    cond, params = _where(township_code, reissued_in, by_day=True)
    # The few re-issued cases read their own events through the index, not a pass over all.
    template, names = per_case_as_of_sql(d, MILESTONES) if reissued_in else as_of_sql(d)
    sql = template.format(and_where=f"AND {cond}" if cond else "")
    cutoff = end_of_day_utc(day)
    params = {**params, "cutoff": _bind_ts(d, cutoff), "day": day.isoformat()}
    with engine.connect() as conn:
        rows = conn.exec_driver_sql(_bind(sql, d), params).fetchall()
    df = _frame(rows, names)
    ms = as_of_milestones(MILESTONES)
    _timestamps(df, tuple(m.name for m in ms if m.tally is Tally.AT))
    for m in ms:
        if m.tally is Tally.LATEST:
            df[m.name] = _untag(df[m.name])
    for name in REPLAYED_NAMES:
        df[name] = _untag(df[name])
    parse_replayed(df)
    settle(df)
    return _in_period(_finish(df), reissued_in)


def _filed_under(dialect: str) -> str:
    """SQL: the enforcement a 立案 event put its case under (from the event's ``after``)."""
    if dialect == "postgresql":
        return "(e.\"after\" ->> 'enforcement_id')::integer"
    return "json_extract(e.\"after\", '$.enforcement_id')"


def payments_frame(engine: Engine, *, as_of: date | None = None) -> pd.DataFrame:
    """Payments, one row per programme/period/township of the 图斑 their enforcement covers;
    a 图斑 re-issued in another period covers it there too (from that batch's issue day), and
    a case once filed under an enforcement still does after it moved on (a site found active
    again and filed anew: the first round's fines stay counted). The metrics count each payment
    once (geo.indicators), so the extra rows only let a scope find the money of its 图斑."""
    recorded = " AND p.recorded_at < :cutoff AND b.issued_on <= :day" if as_of else ""
    d = engine.dialect.name
    sql = f"""
        SELECT p.id, p.enforcement_id, c.programme, p.amount_yuan, p.receipt_no,
               p.paid_on, b.period, c.township_code
        FROM payments p
        JOIN cases c ON c.enforcement_id = p.enforcement_id
        JOIN batches b ON b.id = c.batch_id
        {"WHERE p.recorded_at < :cutoff" if as_of else ""}
        UNION
        SELECT p.id, p.enforcement_id, c.programme, p.amount_yuan, p.receipt_no,
               p.paid_on, b.period, c.township_code
        FROM payments p
        JOIN cases c ON c.enforcement_id = p.enforcement_id
        JOIN reissues r ON r.case_id = c.id
        JOIN batches b ON b.id = r.batch_id
        WHERE r.reason <> 'in_file_duplicate'{recorded}
        UNION
        SELECT p.id, p.enforcement_id, c.programme, p.amount_yuan, p.receipt_no,
               p.paid_on, b.period, c.township_code
        FROM payments p
        JOIN case_events e ON e.action = '{Action.FILE.value}'
             AND {_filed_under(d)} = p.enforcement_id
        JOIN cases c ON c.id = e.case_id
        JOIN batches b ON b.id = c.batch_id
        WHERE c.enforcement_id IS NULL OR c.enforcement_id <> p.enforcement_id
              {"AND p.recorded_at < :cutoff" if as_of else ""}
    """
    params = (
        {"cutoff": _bind_ts(d, end_of_day_utc(as_of)), "day": as_of.isoformat()} if as_of else {}
    )
    with engine.connect() as conn:
        rows = conn.exec_driver_sql(_bind(sql, d), params).fetchall()
    df = _frame(rows, list(PAYMENT_COLUMNS))
    df["amount_yuan"] = df["amount_yuan"].astype(float)
    return df


def generation(engine: Engine) -> tuple:
    """Changes whenever a fact could have: cheap primary-key maxima, for cache keys."""
    sql = """SELECT (SELECT max(id) FROM cases), (SELECT max(id) FROM case_events),
                    (SELECT max(id) FROM payments), (SELECT max(id) FROM batches)"""
    with engine.connect() as conn:
        return tuple(conn.exec_driver_sql(sql).one())


def bind_style(sql: str, dialect: str) -> str:
    """``sql`` with named parameters (``:name``) in the driver's own style, for
    ``exec_driver_sql``."""
    return _bind(sql, dialect)


def _bind(sql: str, dialect: str) -> str:
    """Named parameters in the driver's own style (exec_driver_sql passes SQL through)."""
    if dialect == "postgresql":
        return re.sub(r"(?<![:\w]):(\w+)", r"%(\1)s", sql.replace("%", "%%"))
    return sql


def _bind_ts(dialect: str, ts: datetime) -> object:
    # SQLite stores UTC timestamps as naive ISO text (storage.types.UTCDateTime).
    if dialect == "postgresql":
        return ts
    return ts.replace(tzinfo=None).isoformat(sep=" ")


# --- the same facts as relations a query can filter (drill-down: storage.drill) -------------


class Relation(NamedTuple):
    """Per-case facts as SQL: ``columns`` (by CASE_COLUMNS name, plus ``batch_id`` when live)
    are expressions over ``source``; ``text_times`` says whether the milestone timestamps are
    UTC text (the as-of replay) rather than timestamp columns (live)."""

    source: FromClause
    columns: dict[str, ColumnElement[Any]]
    text_times: bool


_LIVE_SOURCES = {"land_class_before": "delivered_land_class", "case_id": "id"}


def live_relation() -> Relation:
    """The facts as the cases stand now: the ``cases`` row and its batch."""
    from_batch = {"period", "due_on"}
    cols: dict[str, ColumnElement[Any]] = {}
    for name in CASE_COLUMNS:
        table = batches if name in from_batch else cases
        cols[name] = table.c[_LIVE_SOURCES.get(name, name)]
    return Relation(cases.join(batches, batches.c.id == cases.c.batch_id), cols, False)


_TYPES: dict[str, Any] = {
    "case_id": Integer, "due_on": Date, "enforcement_id": Integer, "linked_case_id": Integer,
    "approved_first_time": Boolean, "land_class_ok": Boolean, "area_m2": Float,
}  # fmt: skip


def _comparable(dialect: str, r: Replayed, value: ColumnElement[Any]) -> ColumnElement[Any]:
    """A replayed field's text as a value that compares as its kind does, for a WHERE: an
    instant (written with any offset) as a point in time, a day as a date, a flag as a
    boolean (SQLite has no such types: julian day numbers, ISO text, 1/0)."""
    if dialect == "postgresql":
        if r.kind == "instant":
            return cast(value, DateTime(timezone=True))
        return cast(value, Date) if r.kind == "day" else cast(value, Boolean)
    if r.kind == "instant":
        return func.julianday(value)
    if r.kind == "flag":
        return case((value == "true", literal(1)), (value == "false", literal(0)), else_=null())
    return value  # ISO days sort as text


def as_of_relation(
    dialect: str, day: date, columns: Collection[str] = CASE_COLUMNS, *, per_case: bool = False
) -> Relation:
    """The facts as they stood when local day ``day`` ended: the as-of replay (``as_of_sql``)
    as a subquery, with what ``settle`` does to its frame done in SQL. Only the milestones
    ``columns`` need are aggregated (each costs a pass of CASE expressions over the events);
    ``per_case`` reads them case by case (``per_case_as_of_sql``), for a page of cases."""
    wanted = set(columns) | {KNOWN_AFTER[c] for c in columns if c in KNOWN_AFTER}
    ms = tuple(m for m in as_of_milestones(MILESTONES) if m.name in wanted) or MILESTONES[:1]
    replayed = [r for r in REPLAYED if r.name in wanted]
    template, names = (per_case_as_of_sql if per_case else as_of_sql)(dialect, ms, replayed)
    counted = {m.name for m in ms if m.tally is Tally.COUNT}
    typed = [
        column(n, _TYPES.get(n, Integer if n in counted or n.endswith("seq") else String))
        for n in names
    ]
    raw = (
        text(template.format(and_where=""))
        .bindparams(
            bindparam("cutoff", end_of_day_utc(day), type_=UTCDateTime()),
            bindparam("day", day, type_=Date()),
        )
        .columns(*typed)
        .subquery("f")
    )
    cols: dict[str, ColumnElement[Any]] = {n: raw.c[n] for n in names}
    for m in ms:
        value: ColumnElement[Any] = raw.c[m.name]
        if m.tally is Tally.LATEST:
            value = func.nullif(func.substr(value, _TAG + 1), "")
        if m.undone_by:
            done, undone = undo_columns(m)
            undone_later = raw.c[undone] > func.coalesce(raw.c[done], -1)
            value = case((undone_later, null()), else_=value)
        cols[m.name] = value
    for r in replayed:
        untagged = func.nullif(func.substr(raw.c[r.name], _TAG + 1), "")
        cols[r.name] = _comparable(dialect, r, untagged)
    if "state" in cols:
        cols["state"] = func.coalesce(cols["state"], INITIAL_STATE.value)
    for name, milestone in KNOWN_AFTER.items():
        if milestone in cols and name in cols:
            cols[name] = case((cols[milestone].is_not(None), cols[name]), else_=null())
        else:
            cols.pop(name, None)  # not known without its milestone: not offered
    return Relation(raw, {n: cols[n] for n in CASE_COLUMNS if n in cols}, True)


def instant(relation: Relation, at: datetime) -> ColumnElement[Any]:
    """``at`` as a value to compare with the relation's milestone timestamps."""
    if relation.text_times:
        # the text both backends give a UTC timestamp in the replay (see _ts)
        return literal(at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f"), String)
    return literal(at, UTCDateTime())
