"""Indicator counts kept per local day as work happens (table ``indicator_daily``).

Each case action adds, for the day it happened, the change it made to the case's indicator
conditions (geo.indicators.FLAGS: +1 when the case starts meeting one, -1 when it stops); an
import adds its 图斑 as issued on the batch's issue day. The counts frame as of any day is then
a sum over a table of (days × townships × conditions) rows, independent of how many 图斑 and
events the store holds. ``rebuild`` recomputes the table from the cases and the event log;
a test checks that it agrees with the per-case replay (storage.facts) and with the counts
kept incrementally.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Engine, delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.base import ReadOnlyColumnCollection
from sqlalchemy.sql.dml import Insert
from sqlalchemy.sql.elements import KeyedColumnElement

from geo import localtime
from geo.indicators import (
    AREA_FLAGS,
    FLAGS,
    GROUP_KEYS,
    ISSUED_PROGRAMMES,
    LOCAL_TZ,
    counts_columns,
    flag_mask,
    record_flags,
)
from geo.model import Case
from geo.workflow.history import issued_like, running_milestones
from storage import bulk, facts
from storage.tables import batches, cases, indicator_daily

_TZ = localtime.LOCAL_TZ
FLAG_NAMES = tuple(FLAGS)
_KEY = ("day", "programme", "period", "township_code", "flag")


def local_day(at: datetime) -> date:
    """The bureau's calendar day (local time) of a timestamp: the day its counts go to."""
    return at.astimezone(_TZ).date()


def _added(excluded: ReadOnlyColumnCollection[str, KeyedColumnElement[Any]]) -> dict[str, Any]:
    """The stored counts plus those of the row that met a conflict (``excluded``)."""
    return {
        "n": indicator_daily.c.n + excluded.n,
        "area_m2": indicator_daily.c.area_m2 + excluded.area_m2,
    }


def _adding_insert(dialect: str) -> Insert:
    """An INSERT of day rows that adds onto the row already stored under the same key."""
    # The two dialects spell ON CONFLICT alike, but each with its own Insert class.
    if dialect == "postgresql":
        pg = postgresql.insert(indicator_daily)
        return pg.on_conflict_do_update(index_elements=list(_KEY), set_=_added(pg.excluded))
    lite = sqlite.insert(indicator_daily)
    return lite.on_conflict_do_update(index_elements=list(_KEY), set_=_added(lite.excluded))


def _upsert(conn: Connection, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    conn.execute(_adding_insert(conn.dialect.name), rows)


# The per-case facts (geo.indicators.CASE_COLUMNS) a Case carries as fields of the same name.
_CASE_FIELDS = (
    "verified_at", "filed_on", "evidence_at", "submitted_at", "checked_at",
    "approved_first_time", "land_class_ok", "photo_count", "violation", "linked_case_id",
    "stop_due_at", "stopped_at", "file_due_on", "report_due_on", "reported_on", "reinspections",
    "reinspected_on_time",
)  # fmt: skip


def _facts(case: Case, static: Mapping[str, Any]) -> dict[str, Any]:
    return {
        **static,
        "state": case.state.value,
        "judgment": case.judgment.value if case.judgment else None,
        **{name: getattr(case, name) for name in _CASE_FIELDS},
    }


def _flags(frame: pd.DataFrame) -> np.ndarray:
    """cases × FLAG_NAMES matrix of 0/1."""
    return np.column_stack([flag_mask(frame, f) for f in FLAG_NAMES]).astype(np.int64)


def record_change(
    conn: Connection, row: Mapping[str, Any], before: Case, after: Case, at: datetime
) -> None:
    """Book the change one action made to a case (``row``: its cases row) on the day it
    happened. Called inside the action's transaction, so counts and case change together."""
    b = conn.execute(
        select(batches.c.period, batches.c.due_on).where(batches.c.id == row["batch_id"])
    ).one()
    static = {
        "programme": row["programme"],
        "period": b.period,
        "due_on": b.due_on,
        "township_code": row["township_code"] or "",
        "area_m2": float(row["area_m2"]),
        "land_class_before": row.get("delivered_land_class"),
    }
    was, now = record_flags(_facts(before, static)), record_flags(_facts(after, static))
    delta = [int(now[f]) - int(was[f]) for f in FLAG_NAMES]
    day = local_day(at)
    rows = [
        {
            "day": day,
            "programme": static["programme"],
            "period": static["period"],
            "township_code": static["township_code"],
            "flag": name,
            "n": int(d),
            "area_m2": float(d) * static["area_m2"] if name in AREA_FLAGS else 0.0,
        }
        for name, d in zip(FLAG_NAMES, delta, strict=True)
        if d
    ]
    _upsert(conn, rows)


def add_issued(conn: Connection, batch_id: int) -> None:
    """Count a batch's new 图斑 as issued on the batch's issue day (those of a programme that
    is issued from above: geo.indicators.ISSUED_PROGRAMMES)."""
    q = (
        select(
            batches.c.issued_on,
            cases.c.programme,
            batches.c.period,
            func.coalesce(cases.c.township_code, ""),
            func.count(),
        )
        .join(batches, batches.c.id == cases.c.batch_id)
        .where(cases.c.batch_id == batch_id, cases.c.programme.in_(ISSUED_PROGRAMMES))
        .group_by(batches.c.issued_on, cases.c.programme, batches.c.period, cases.c.township_code)
    )
    rows = [
        {
            "day": r[0],
            "programme": r[1],
            "period": r[2],
            "township_code": r[3],
            "flag": "issued",
            "n": int(r[4]),
            "area_m2": 0.0,
        }
        for r in conn.execute(q)
    ]
    _upsert(conn, rows)


def book_issued(
    conn: Connection,
    *,
    day: date,
    programme: str,
    period: str,
    by_township: Mapping[str, int],
) -> None:
    """Count an import's new 图斑 as issued on ``day``: how many in each township (by code;
    "" for none). A programme not issued from above books none."""
    if programme not in ISSUED_PROGRAMMES:
        return
    rows = [
        {
            "day": day,
            "programme": programme,
            "period": period,
            "township_code": str(code),
            "flag": "issued",
            "n": int(n),
            "area_m2": 0.0,
        }
        for code, n in sorted(by_township.items())
        if n
    ]
    if rows:
        _upsert(conn, rows)


def counts(engine: Engine, *, as_of: date | None = None) -> pd.DataFrame:
    """The counts frame (geo.indicators.counts_columns) as of the end of local day ``as_of``
    (None: everything booked, i.e. live)."""
    q = select(
        indicator_daily.c.programme,
        indicator_daily.c.period,
        indicator_daily.c.township_code,
        indicator_daily.c.flag,
        func.sum(indicator_daily.c.n),
        func.sum(indicator_daily.c.area_m2),
    ).group_by(
        indicator_daily.c.programme,
        indicator_daily.c.period,
        indicator_daily.c.township_code,
        indicator_daily.c.flag,
    )
    if as_of is not None:
        q = q.where(indicator_daily.c.day <= as_of)
    with engine.connect() as conn:
        rows = conn.execute(q).all()
    return _pivot(rows)


def _pivot(rows: Iterable[tuple]) -> pd.DataFrame:
    long = pd.DataFrame(rows, columns=[*GROUP_KEYS, "flag", "n", "area"])
    cols = counts_columns()
    if long.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in cols})
    long["n"] = pd.to_numeric(long["n"]).astype(np.int64)
    long["area"] = pd.to_numeric(long["area"]).astype(float)
    n = long.pivot_table(index=list(GROUP_KEYS), columns="flag", values="n", aggfunc="sum")
    area = long[long["flag"].isin(AREA_FLAGS)].pivot_table(
        index=list(GROUP_KEYS), columns="flag", values="area", aggfunc="sum"
    )
    out = n.reindex(columns=["issued", *FLAG_NAMES]).fillna(0).astype(np.int64)
    for f in AREA_FLAGS:
        out[f"{f}_m2"] = area[f] if f in area.columns else 0.0
    out = out.fillna(0.0).reset_index()
    out.columns.name = None
    keep = out[["issued", *FLAG_NAMES]].abs().sum(axis=1) > 0  # groups whose cases all left
    return out.loc[keep, cols].sort_values(list(GROUP_KEYS)).reset_index(drop=True)


# --- rebuild from the cases and the event log -----------------------------------------------


_SLICE = 100_000  # cases replayed at a time: bounds the memory of a rebuild at any size

_STATIC = """
SELECT c.id, c.programme, b.period, b.due_on, coalesce(c.township_code, ''), c.area_m2,
       c.delivered_land_class, c.approved_first_time, c.land_class_ok, c.violation,
       c.linked_case_id
FROM cases c JOIN batches b ON b.id = c.batch_id
WHERE c.id >= :lo AND c.id < :hi
"""
_STATIC_NAMES = [
    "case_id", "programme", "period", "due_on", "township_code", "area_m2",
    "land_class_before", "approved_first_time", "land_class_ok", "violation", "linked_case_id",
]  # fmt: skip
_EVENT_NAMES = ["case_id", "seq", "action", "at", "state", "judgment"]
_EVENTS = """
SELECT e.case_id, e.seq, e.action, e.at, e.state, e.judgment
FROM case_events e
WHERE e.case_id >= :lo AND e.case_id < :hi
ORDER BY e.case_id, e.seq
"""
# The few events that may set a replayed field (storage.facts.REPLAYED), with what each set:
# '' when it cleared it, NULL when it left it alone; carried forward per case in _event_deltas.
# Read apart from the events, so that the other events' rows stay narrow.
_SETTER_NAMES = ["case_id", "seq", *facts.REPLAYED_NAMES]
_SETTERS = """
SELECT {columns}
FROM case_events e
WHERE e.case_id >= :lo AND e.case_id < :hi AND {setters}
"""
_ISSUED = """
SELECT b.issued_on, c.programme, b.period, coalesce(c.township_code, ''), count(*)
FROM cases c JOIN batches b ON b.id = c.batch_id
WHERE c.programme IN ({issued})
GROUP BY b.issued_on, c.programme, b.period, coalesce(c.township_code, '')
"""


def _read(conn: Connection, sql: str, params: dict, names: list[str]) -> pd.DataFrame:
    """Rows as a frame straight from the driver: SQLAlchemy's per-row and per-value result
    processing costs more than the query at a million 图斑."""
    cursor = conn.connection.cursor()  # the DBAPI cursor, inside this transaction
    try:
        cursor.execute(facts.bind_style(sql, conn.dialect.name), params)
        rows = cursor.fetchall()
    finally:
        cursor.close()
    return pd.DataFrame.from_records(rows, columns=names, coerce_float=False)


def _issued_rows(conn: Connection) -> pd.DataFrame:
    sql = _ISSUED.format(issued=", ".join(f":p{i}" for i in range(len(ISSUED_PROGRAMMES))))
    params = {f"p{i}": p for i, p in enumerate(ISSUED_PROGRAMMES)}
    df = _read(conn, sql, params, ["day", *GROUP_KEYS, "n"])
    df["day"] = pd.to_datetime(df["day"].astype("string"), format="ISO8601")
    return df.assign(flag="issued", area_m2=0.0)


def _text(expr: str) -> str:
    """A CSV field of a text expression: always quoted (a township code from a file may hold a
    comma or a quote), NULL as an unquoted ``\\N``."""
    return f"coalesce('\"' || replace({expr}, '\"', '\"\"') || '\"', '\\N')"


def _plain(expr: str) -> str:
    """A CSV field of a number, ISO date or boolean (text forms without commas or quotes)."""
    return f"coalesce(({expr})::text, '\\N')"


# On PostgreSQL a slice travels as one CSV text, parsed by pandas' C reader: as rows, four
# million events cost the driver seconds of CPU in Python objects (and a COPY TO STDOUT still
# one Python call per row). Unordered: the server then only scans; the events are sorted after.
_PG_STATIC = f"""
SELECT string_agg(concat_ws(',', c.id, {_text("c.programme")}, {_text("b.period")},
                            to_char(b.due_on, 'YYYY-MM-DD'),
                            {_text("coalesce(c.township_code, '')")}, c.area_m2,
                            {_text("c.delivered_land_class")},
                            {_plain("c.approved_first_time")}, {_plain("c.land_class_ok")},
                            {_text("c.violation")}, {_plain("c.linked_case_id")}),
                  E'\\n')
FROM cases c JOIN batches b ON b.id = c.batch_id
WHERE c.id >= :lo AND c.id < :hi
"""
# Whole seconds are exact here: a local day and a due day end on a whole second, so an
# event's day and whether it came before a deadline are the same for its floored time.
_PG_EVENTS = f"""
SELECT string_agg(concat_ws(',', e.case_id, e.seq, {_text("e.action")},
                            floor(extract(epoch FROM e.at))::bigint,
                            {_text("e.state")}, {_text("e.judgment")}),
                  E'\\n')
FROM case_events e
WHERE e.case_id >= :lo AND e.case_id < :hi
"""


def _setters_sql(dialect: str) -> str:
    """``_SETTERS`` for ``dialect``; on PostgreSQL as one CSV text, as the events are read."""
    values = [facts.replayed_value(dialect, r) for r in facts.REPLAYED]
    setters = f"e.action IN ({facts.codes(facts.REPLAYED_ACTIONS)})"
    if dialect != "postgresql":
        return _SETTERS.format(columns=", ".join(["e.case_id", "e.seq", *values]), setters=setters)
    row = ", ".join(["e.case_id", "e.seq", *(_text(v) for v in values)])
    return _SETTERS.format(columns=f"string_agg(concat_ws(',', {row}), E'\\n')", setters=setters)


def _csv_blocks(
    conn: Connection, sql: str, bounds: dict[str, int], names: list[str], numbers: set[str]
) -> pd.DataFrame:
    """The CSV text(s) ``sql`` returns as one frame; every column but ``numbers`` as text (a
    code such as 0103 is not a number), ``\\N`` as missing, an empty text kept empty. pandas
    parses a float's shortest exact text (extra_float_digits > 0) back to the same float."""
    cursor = conn.connection.cursor()
    try:
        cursor.execute(facts.bind_style(sql, "postgresql"), bounds)
        blocks = [r[0] for r in cursor.fetchall() if r[0]]
    finally:
        cursor.close()
    return pd.read_csv(
        io.StringIO("\n".join(blocks)),
        header=None,
        names=names,
        dtype={c: str for c in names if c not in numbers},
        na_values=["\\N"],
        keep_default_na=False,
    )


def _slice_rows(conn: Connection, lo: int, hi: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The events (ordered by case, then sequence) and case facts of cases ``lo`` ≤ id < ``hi``."""
    bounds = {"lo": lo, "hi": hi}
    setters = _setters_sql(conn.dialect.name)
    if conn.dialect.name == "postgresql":
        numbers = {"case_id", "area_m2", "linked_case_id"}
        static = _csv_blocks(conn, _PG_STATIC, bounds, _STATIC_NAMES, numbers)
        ev = _csv_blocks(conn, _PG_EVENTS, bounds, _EVENT_NAMES, {"case_id", "seq", "at"})
        ev = ev.sort_values(["case_id", "seq"], ignore_index=True)
        ev["at"] = pd.to_datetime(ev["at"].to_numpy(dtype=np.int64), unit="s", utc=True)
        for col in ("approved_first_time", "land_class_ok"):
            static[col] = static[col].map({"true": True, "false": False}).astype(object)
            static[col] = static[col].where(static[col].notna(), None)
        sets = _csv_blocks(conn, setters, bounds, _SETTER_NAMES, {"case_id", "seq"})
    else:
        static = _read(conn, _STATIC, bounds, _STATIC_NAMES)
        ev = _read(conn, _EVENTS, bounds, _EVENT_NAMES)
        sets = _read(conn, setters, bounds, _SETTER_NAMES)
    if sets.empty:  # nothing set yet (no 立案, no patrol finding in these cases)
        ev = ev.assign(**dict.fromkeys(facts.REPLAYED_NAMES))
    else:
        ev = ev.merge(sets, on=["case_id", "seq"], how="left", sort=False)
    static["due_on"] = pd.to_datetime(static["due_on"].astype("string"), format="ISO8601").dt.date
    linked = static["linked_case_id"]
    static["linked_case_id"] = linked.astype(object).where(linked.notna(), None)
    return ev, static


def rebuild(engine: Engine) -> int:
    """Recompute ``indicator_daily`` from scratch; returns the rows written.

    Replays every event vectorised: each event's case facts (state and judgment it left,
    milestones so far) give its conditions, and the difference from the case's previous
    event is booked on the event's local day. The cases are replayed a slice of ids at a
    time; the day rows of all slices are summed and written in one go. The next slice is read
    while this one is replayed: the database (its own process on PostgreSQL; SQLite's C code,
    which lets go of the GIL) then works beside pandas instead of before it.
    """
    with engine.begin() as conn, ThreadPoolExecutor(max_workers=1) as reader:
        conn.execute(delete(indicator_daily))
        if conn.dialect.name == "postgresql":  # areas as text that reads back exactly
            conn.exec_driver_sql("SET LOCAL extra_float_digits = 3")
            # a scan and a concatenation per slice: compiling them (JIT) costs more than it saves
            conn.exec_driver_sql("SET LOCAL jit = off")
        lo, hi = conn.execute(select(func.min(cases.c.id), func.max(cases.c.id))).one()
        parts = [_issued_rows(conn)]
        starts = list(range(lo or 0, (hi or -1) + 1, _SLICE))
        # one read at a time on the one connection: the next starts when this one is taken
        ahead = reader.submit(_slice_rows, conn, starts[0], starts[0] + _SLICE) if starts else None
        for k in range(len(starts)):
            assert ahead is not None
            ev, static = ahead.result()
            if k + 1 < len(starts):
                ahead = reader.submit(_slice_rows, conn, starts[k + 1], starts[k + 1] + _SLICE)
            parts.append(_event_deltas(ev, static))
        filled = [p for p in parts if not p.empty]
        if not filled:
            return 0
        long = pd.concat(filled, ignore_index=True)
        agg = long.groupby(list(_KEY), as_index=False, sort=False)[["n", "area_m2"]].sum()
        agg = agg[agg["n"] != 0]
        agg["day"] = agg["day"].dt.date  # datetime64 while summing: cheaper keys than dates
        return _insert(conn, agg)


def _insert(conn: Connection, rows: pd.DataFrame) -> int:
    """Write day rows in bulk (COPY on PostgreSQL): at a million 图斑 they are a few hundred
    thousand, and SQLAlchemy's per-row parameter processing would cost more than the insert."""
    sqlite = conn.dialect.name == "sqlite"
    days = [d.isoformat() if sqlite else d for d in rows["day"]]  # SQLite keeps dates as text
    cols = [rows[k].to_numpy(dtype=object) for k in _KEY[1:]]
    n = rows["n"].to_numpy(dtype=np.int64).tolist()
    area = rows["area_m2"].to_numpy(dtype=float).tolist()
    bulk.insert_rows(conn, indicator_daily, [*_KEY, "n", "area_m2"],
                     list(zip(days, *cols, n, area, strict=True)))  # fmt: skip
    return len(rows)


def _carry_forward(ev: pd.DataFrame, names: Iterable[str]) -> None:
    """Each of ``names`` at every event as the latest event so far of the same case that set
    it left it (in place; ``ev`` ordered by case, then sequence; missing: not set)."""
    case = ev["case_id"].to_numpy()
    rows = np.arange(len(ev))
    for name in names:
        values = ev[name].to_numpy(dtype=object)
        set_here = ev[name].notna().to_numpy(dtype=bool)
        last = np.maximum.accumulate(np.where(set_here, rows, -1))
        at = np.maximum(last, 0)
        same = (last >= 0) & (case[at] == case)
        carried = values[at]
        carried[~same] = None
        ev[name] = carried


def _event_deltas(ev: pd.DataFrame, static: pd.DataFrame) -> pd.DataFrame:
    """The day rows (``_KEY``, n, area_m2) the events of some cases add up to."""
    if ev.empty:
        return pd.DataFrame(columns=[*_KEY, "n", "area_m2"])
    ev["at"] = pd.to_datetime(ev["at"], utc=True, format="ISO8601")
    # each replayed field as the latest event so far that set it left it
    _carry_forward(ev, facts.REPLAYED_NAMES)
    facts.parse_replayed(ev)
    # the milestones and payload fields as each event left them (geo.workflow's map)
    df = running_milestones(ev.merge(static, on="case_id", how="left"))
    g = df.groupby("case_id", sort=False)
    flags = _flags(df)
    first = (g.cumcount() == 0).to_numpy()
    prev = np.vstack([np.zeros((1, flags.shape[1]), np.int64), flags[:-1]])
    # before a case's first event it is freshly issued: it meets no condition yet
    prev[first] = _flags(issued_like(df.loc[first]))
    delta = flags - prev
    i, j = np.nonzero(delta)
    names = np.array(FLAG_NAMES, dtype=object)[j]
    n = delta[i, j]
    is_area = np.isin(names, list(AREA_FLAGS))
    long = pd.DataFrame(
        {
            # local midnight as a naive datetime64, dates made only for the summed rows
            "day": df["at"]
            .dt.tz_convert(LOCAL_TZ)
            .dt.tz_localize(None)
            .dt.normalize()
            .to_numpy()[i],
            "programme": df["programme"].to_numpy()[i],
            "period": df["period"].to_numpy()[i],
            "township_code": df["township_code"].to_numpy()[i],
            "flag": names,
            "n": n,
            "area_m2": np.where(is_area, n * df["area_m2"].astype(float).to_numpy()[i], 0.0),
        }
    )
    return long.groupby(list(_KEY), as_index=False, sort=False).sum()


def is_empty(engine: Engine) -> bool:
    """Whether no day has any counts booked yet."""
    with engine.connect() as conn:
        return conn.execute(select(indicator_daily.c.day).limit(1)).first() is None
