"""One site, one story (动态巡查): 卫片 图斑 imported over a patrol case's site share its site, a
图斑 judged ``already_handled`` joins the open case at its site, and a case filed takes the
cases joined to it under its 立案.

The rules are geo.patrol's (``patrol_sites``, ``open_case_at``, ``joined_filing``); this module
reads what they need and hands back what to write, inside the caller's transaction.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, bindparam, func, or_, select

from geo.errors import InvalidPayload
from geo.messages import msg
from geo.model import Action, Case, Event, Judgment, Programme, State
from geo.patrol import SiteCase, joined_filing, open_case_at, patrol_sites, search_box, site_key
from storage import spatial
from storage.tables import batches, cases

ALREADY_HANDLED = "already_handled"
_SITE_COLUMNS = ("id", "geom", "state", "judgment", "linked_case_id", "site_id")


def site_cases(rows: Any) -> list[SiteCase]:
    """Rows of ``cases`` (id, geom, state, judgment, linked_case_id, site_id) as SiteCase."""
    rows = list(rows)
    shapes = spatial.geometries([r.geom for r in rows])
    return [
        SiteCase(
            id=int(r.id),
            geometry=g,
            state=State(r.state),
            judgment=Judgment(r.judgment) if r.judgment else None,
            linked_case_id=r.linked_case_id,
            site_id=r.site_id,
        )
        for r, g in zip(rows, shapes, strict=True)
    ]


def link_patrol_sites(conn: Connection, batch_id: int) -> list[dict[str, Any]]:
    """Give the new 图斑 of a 卫片 batch the site of the patrol case they lie at; returns the
    links made (case id and code of the 图斑, id and code of the patrol case).

    Called by the import's write, after the batch's cases are in, in its transaction. The
    import's own link stage matches outlines by IoU, which a patrol point never meets: this is
    the patrol rule (geo.patrol.patrol_sites). One box query finds the patrol cases in the
    batch's extent (none, the usual case: nothing more is read); then the batch's 图斑 near each
    of them, through the spatial index. A 图斑 already on another case's site keeps it.
    """
    b = conn.execute(select(batches).where(batches.c.id == batch_id)).one()
    if not Programme(b.programme).is_weipian:
        return []
    extent = (b.minx, b.miny, b.maxx, b.maxy)
    cols = [cases.c[n] for n in _SITE_COLUMNS]
    patrol_rows = conn.execute(
        select(*cols, cases.c.code).where(
            cases.c.programme == Programme.PATROL.value, spatial.overlaps(cases, extent)
        )
    ).all()
    if not patrol_rows:
        return []
    patrol = site_cases(patrol_rows)
    codes = {int(r.id): r.code for r in patrol_rows}
    near: dict[int, Any] = {}
    for p in patrol:
        q = select(cases.c.id, cases.c.code, cases.c.geom).where(
            cases.c.batch_id == batch_id, cases.c.site_id.is_(None)
        )
        for r in conn.execute(spatial.within(q, cases, search_box(p.geometry))):
            near[int(r.id)] = r
    shapes = spatial.geometries([r.geom for r in near.values()])
    found = patrol_sites(dict(zip(near, shapes, strict=True)), patrol)
    if not found:
        return []
    conn.execute(
        cases.update().where(cases.c.id == bindparam("cid")).values(site_id=bindparam("site")),
        [{"cid": cid, "site": site_key(p)} for cid, p in found.items()],
    )
    return [
        {"case_id": cid, "code": near[cid].code, "patrol_case_id": p.id, "patrol_code": codes[p.id]}
        for cid, p in sorted(found.items())
    ]


def _at_site(conn: Connection, case_id: int) -> list[SiteCase]:
    """Every case at the site of ``case_id`` (itself included)."""
    site_of = func.coalesce(cases.c.site_id, cases.c.id)
    site = select(site_of).where(cases.c.id == case_id).scalar_subquery()
    cols = [cases.c[n] for n in _SITE_COLUMNS]
    rows = conn.execute(
        select(*cols).where(or_(cases.c.site_id == site, cases.c.id == site, cases.c.id == case_id))
    ).all()
    return site_cases(rows)


def join_open_case(conn: Connection, before: Case, new: Case, ev: Event) -> tuple[Case, Event]:
    """A verification judging a 图斑 ``already_handled`` joins the open illegal case at its site
    (``linked_case_id``); refused (InvalidPayload on ``reason``) when the site has none. Any
    other action passes unchanged."""
    if ev.action is not Action.VERIFY or ev.payload.get("reason") != ALREADY_HANDLED:
        return new, ev
    head = open_case_at(_at_site(conn, before.id), exclude=before.id)
    if head is None:
        raise InvalidPayload(msg("patrol.no_open_case"), field="reason", case_id=before.id)
    joined = new.replace(linked_case_id=head.id)
    return joined, dataclasses.replace(
        ev,
        before={**ev.before, "linked_case_id": before.linked_case_id},
        after={**ev.after, "linked_case_id": head.id},
    )


def _filing(conn: Connection, case_id: int) -> Any:
    return conn.execute(
        select(cases.c.case_no, cases.c.filed_on, cases.c.enforcement_id).where(
            cases.c.id == case_id, cases.c.enforcement_id.is_not(None)
        )
    ).first()


def joined_filings(
    conn: Connection, new: Case, ev: Event
) -> list[tuple[Mapping[str, Any], Case, Case, Event]]:
    """What a just written event asks of the cases joined to a filed case: (row, case, new
    case, event) for each to write. A 立案 files the illegal cases joined to it that are not
    filed yet; a case that just joined an already filed case is filed under it at once."""
    from storage.repository import case_from_row

    filing: tuple[Any, Any, Any]  # case_no, filed_on, enforcement_id of the 立案 to join
    if ev.action is Action.FILE and new.enforcement_id and new.case_no and new.filed_on:
        head_id, filing = new.id, (new.case_no, new.filed_on, new.enforcement_id)
        rows = conn.execute(
            select(cases).where(
                cases.c.linked_case_id == new.id,
                cases.c.enforcement_id.is_(None),
                cases.c.judgment == Judgment.ILLEGAL.value,
            )
        ).all()
    elif "linked_case_id" in ev.after and new.linked_case_id is not None:
        head_id = new.linked_case_id
        found = _filing(conn, head_id)
        if found is None or new.enforcement_id is not None:
            return []
        filing = (found.case_no, found.filed_on, found.enforcement_id)
        rows = conn.execute(select(cases).where(cases.c.id == new.id)).all()
    else:
        return []
    out: list[tuple[Mapping[str, Any], Case, Case, Event]] = []
    for r in rows:
        mapped = dict(r._mapping)
        case = case_from_row(mapped)
        after, event = joined_filing(
            case, case_no=filing[0], filed_on=filing[1], enforcement_id=filing[2],
            joined_case_id=head_id, actor=ev.actor, at=ev.at,
        )  # fmt: skip
        out.append((mapped, case, after, event))
    return out
