"""The tamper-evident event log: each case event's hash chained to the one before it.

An event's hash is ``sha256(prev_hash || canonical(event))`` where ``prev_hash`` is the hash of
the case's previous event (``GENESIS`` for the first) and ``canonical`` is a byte string fixed
by this module alone: any edit of a stored field, a deleted event or two swapped events change
a hash that the next event (or the daily anchor) has already committed to.

The daily anchor hashes every case's chain head at the end of a local day, chained to the
previous day's anchor, so that deleting a case's latest events is seen too. Pure: no storage.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

# The ``prev_hash`` of a case's first event: 64 zeros, the width of a sha256 hex digest.
GENESIS = "0" * 64

# The fields of an event that its hash covers, in this order. ``state`` and ``judgment`` are
# copies of ``after`` kept as columns for the indicators, so an edit of them would change
# counts: they are covered too. The row id is not (a restore or re-import may renumber rows).
FIELDS = (
    "case_id",
    "seq",
    "action",
    "actor",
    "at",
    "payload",
    "before",
    "after",
    "state",
    "judgment",
)


def canonical_json(value: Any) -> str:
    """JSON with sorted keys, no whitespace, non-ASCII kept, NaN/Infinity refused.

    >>> canonical_json({"b": 1, "a": "图斑"})
    '{"a":"图斑","b":1}'
    """
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def utc_iso(at: datetime) -> str:
    """An aware instant as UTC ISO 8601 with microseconds, the one spelling hashes use.

    >>> from datetime import timedelta, timezone
    >>> utc_iso(datetime(2019, 10, 1, 8, 0, tzinfo=timezone(timedelta(hours=8))))
    '2019-10-01T00:00:00.000000Z'
    """
    if at.tzinfo is None:
        raise ValueError(f"naive datetime has no instant: {at.isoformat()}")
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical_event(event: Mapping[str, Any]) -> bytes:
    """The bytes an event's hash covers: its ``FIELDS`` as one canonical JSON array."""
    values = [event.get(name) for name in FIELDS]
    values[FIELDS.index("at")] = utc_iso(event["at"])
    return canonical_json(values).encode("utf-8")


def event_hash(prev_hash: str, event: Mapping[str, Any]) -> str:
    """``sha256(prev_hash || canonical(event))`` as lowercase hex."""
    return hashlib.sha256(prev_hash.encode("ascii") + canonical_event(event)).hexdigest()


@dataclass(frozen=True)
class Break:
    """The first link of a case's chain that does not hold."""

    case_id: int
    seq: int | None
    event_id: int | None
    reason: str
    expected: str
    stored: str


def check_chain(case_id: int, events: Iterable[Mapping[Any, Any]], version: int) -> Break | None:
    """The first broken link of one case's events (given ordered by ``seq``), else None.

    Each event must have ``seq`` one above the previous (from 1), ``prev_hash`` equal to the
    previous event's hash and ``hash`` equal to its recomputed hash; the last ``seq`` must equal
    the case's ``version`` (every change of a case is one event), so a deleted tail is seen.
    """
    prev, seq = GENESIS, 0
    for ev in events:
        seq += 1
        where = {"case_id": case_id, "seq": ev["seq"], "event_id": ev.get("id")}
        if ev["seq"] != seq:
            return Break(**where, reason="序号不连续", expected=str(seq), stored=str(ev["seq"]))
        if ev.get("prev_hash") != prev:
            return Break(
                **where, reason="前一哈希不符", expected=prev, stored=ev.get("prev_hash") or ""
            )
        expected = event_hash(prev, ev)
        if ev.get("hash") != expected:
            return Break(
                **where, reason="事件内容与哈希不符", expected=expected, stored=ev.get("hash") or ""
            )
        prev = expected
    if seq != version:
        return Break(
            case_id,
            None,
            None,
            reason="事件数与案件版本不符",
            expected=str(version),
            stored=str(seq),
        )
    return None


def anchor_digest(prev_anchor: str, day: date, heads: Mapping[int, tuple[int, str]]) -> str:
    """The anchor of a local day: the previous anchor and every case's head at the day's end.

    ``heads`` maps case id to (seq, hash) of its latest event by then; cases without events
    are left out.
    """
    body = canonical_json([day.isoformat(), sorted([c, s, h] for c, (s, h) in heads.items())])
    return hashlib.sha256(prev_anchor.encode("ascii") + body.encode("utf-8")).hexdigest()
