"""The event log's hash chain in the store: link a new event, verify every case, daily anchors.

The hashing rule is ``geo.audit_chain``; this module reads and writes ``case_events.prev_hash``
/ ``hash`` and ``audit_anchors``. Anchors are incremental: a local day's anchor hashes the
previous anchor and the chain heads that moved that day, so by induction it commits to every
case's head at the end of the day. Only days on which events happened get a row.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Engine, func, select

from geo.audit_chain import GENESIS, Break, anchor_digest, check_chain, event_hash
from geo.localtime import local_today
from storage.tables import audit_anchors, case_events, cases

_EVENT_COLS = [
    case_events.c.id,
    case_events.c.case_id,
    case_events.c.seq,
    case_events.c.action,
    case_events.c.actor,
    case_events.c.at,
    case_events.c.payload,
    case_events.c.before,
    case_events.c.after,
    case_events.c.state,
    case_events.c.judgment,
    case_events.c.prev_hash,
    case_events.c.hash,
]


def link(conn: Connection, values: Mapping[str, Any]) -> dict[str, str]:
    """``prev_hash`` and ``hash`` of an event about to be appended with these row ``values``.

    Called in the transaction that appends the event, after the case row's version was bumped:
    the version check has serialised writers of the case, so the previous event is settled.
    """
    prev = GENESIS
    if values["seq"] > 1:
        stored = conn.execute(
            select(case_events.c.hash).where(
                case_events.c.case_id == values["case_id"],
                case_events.c.seq == values["seq"] - 1,
            )
        ).scalar_one_or_none()
        prev = stored or ""  # an unhashed predecessor: verification will name it
    return {"prev_hash": prev, "hash": event_hash(prev, values)}


def chain_head(conn: Connection, case_id: int) -> tuple[int, str | None]:
    """(seq, hash) of the case's latest event; (0, None) when it has none."""
    row = conn.execute(
        select(case_events.c.seq, case_events.c.hash)
        .where(case_events.c.case_id == case_id)
        .order_by(case_events.c.seq.desc())
        .limit(1)
    ).first()
    return (0, None) if row is None else (row.seq, row.hash)


@dataclass
class Verdict:
    """What ``verify`` found: counts, the first broken event link and the first broken anchor."""

    cases: int = 0
    events: int = 0
    broken: Break | None = None
    anchors: int = 0
    anchor_break: str | None = None
    new_anchors: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every link and every stored anchor holds."""
        return self.broken is None and self.anchor_break is None


def check_case(conn: Connection, case_id: int) -> Break | None:
    """The first broken link of one case's chain, else None."""
    version = conn.execute(select(cases.c.version).where(cases.c.id == case_id)).scalar_one()
    rows = conn.execute(
        select(*_EVENT_COLS).where(case_events.c.case_id == case_id).order_by(case_events.c.seq)
    )
    return check_chain(case_id, (r._mapping for r in rows), version)


def verify(engine: Engine, case_id: int | None = None) -> Verdict:
    """Check one case's chain, or every case's chain and the stored daily anchors."""
    verdict = Verdict()
    with engine.connect() as conn:
        if case_id is not None:
            verdict.cases = 1
            verdict.events = _count_events(conn, case_id)
            verdict.broken = check_case(conn, case_id)
            return verdict
        versions = {r.id: r.version for r in conn.execute(select(cases.c.id, cases.c.version))}
        verdict.cases = len(versions)
        rows = conn.execution_options(stream_results=True, yield_per=2000).execute(
            select(*_EVENT_COLS).order_by(case_events.c.case_id, case_events.c.seq)
        )
        for cid, group in itertools.groupby((r._mapping for r in rows), key=lambda m: m["case_id"]):
            events = list(group)
            verdict.events += len(events)
            broken = check_chain(cid, events, versions.pop(cid, 0))
            if broken is not None and verdict.broken is None:
                verdict.broken = broken
        for cid, version in sorted(versions.items()):  # cases without any event
            if version != 0 and verdict.broken is None:
                verdict.broken = check_chain(cid, [], version)
        verdict.anchor_break, verdict.anchors = _check_anchors(conn)
    return verdict


def _count_events(conn: Connection, case_id: int) -> int:
    q = select(func.count()).select_from(case_events).where(case_events.c.case_id == case_id)
    return int(conn.execute(q).scalar_one())


def day_anchors(conn: Connection) -> Iterator[dict[str, Any]]:
    """Every local day with events, oldest first, with its anchor as the events now say."""
    rows = conn.execute(
        select(
            case_events.c.case_id, case_events.c.seq, case_events.c.hash, case_events.c.at
        ).order_by(case_events.c.at, case_events.c.id)
    )
    prev, n_events = GENESIS, 0
    heads: set[int] = set()
    for day, group in itertools.groupby(rows, key=lambda r: local_today(r.at)):
        moved: dict[int, tuple[int, str]] = {}
        for r in group:
            n_events += 1
            if r.case_id not in moved or r.seq > moved[r.case_id][0]:
                moved[r.case_id] = (r.seq, r.hash or "")
        heads.update(moved)
        digest = anchor_digest(prev, day, moved)
        yield {
            "day": day,
            "prev_digest": prev,
            "digest": digest,
            "cases": len(heads),
            "events": n_events,
        }
        prev = digest


def _check_anchors(conn: Connection) -> tuple[str | None, int]:
    stored = {
        r.day: r.digest for r in conn.execute(select(audit_anchors.c.day, audit_anchors.c.digest))
    }
    if not stored:
        return None, 0
    last = max(stored)
    seen = set()
    for a in day_anchors(conn):
        if a["day"] > last:
            break
        seen.add(a["day"])
        if stored.get(a["day"]) != a["digest"]:
            have = stored.get(a["day"], "（无记录）")
            return f"{a['day']} 的日锚：应为 {a['digest']}，存储为 {have}", len(stored)
    for day in sorted(set(stored) - seen):
        return f"{day} 的日锚：存储为 {stored[day]}，但该日已无事件", len(stored)
    return None, len(stored)


def anchor(engine: Engine, now: datetime) -> list[dict[str, Any]]:
    """Store the anchors of the local days that are over and not anchored yet; returns them.

    Refuses (ValueError) when a stored anchor no longer matches the events: the log was changed
    after it was anchored, and a new anchor must not cover that up.
    """
    today: date = local_today(now)
    with engine.begin() as conn:
        problem, _ = _check_anchors(conn)
        if problem is not None:
            raise ValueError(f"日锚校验失败，未写入新日锚：{problem}")
        last = conn.execute(select(func.max(audit_anchors.c.day))).scalar_one_or_none()
        new = [
            {**a, "created_at": now}
            for a in day_anchors(conn)
            if a["day"] < today and (last is None or a["day"] > last)
        ]
        if new:
            conn.execute(audit_anchors.insert(), new)
    return new


def stored_anchors(engine: Engine) -> list[dict[str, Any]]:
    """Every stored anchor, oldest first."""
    with engine.connect() as conn:
        rows = conn.execute(select(audit_anchors).order_by(audit_anchors.c.day))
        return [dict(r._mapping) for r in rows]
