"""动态巡查: violations the bureau finds itself, and the deadlines of its quick response.

A patrol finding (巡查发现) or a report (举报) becomes a case of programme ``patrol`` that starts
in state ``found`` and follows 发现 → 制止 → 立案/查处 → 报告 (docs/patrol.md). The deadlines of
each step are data the bureau edits (``Deadlines``); the ones in force when a violation is found
are stamped on its case, so a later edit never rewrites whether past work was on time.

Pure: no database, no clock (callers pass every instant).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import shapely
import shapely.geometry

from geo import inputs
from geo.deadlines import Deadlines
from geo.errors import InvalidPayload
from geo.localtime import local_today
from geo.messages import msg, problem
from geo.model import Action, Case, Event, Judgment, Programme, State
from geo.roles import Role, may_act
from geo.workflow.milestones import milestone_changes
from geo.workflow.payloads import POLYGON

# Controlled violation types (违法类型): code -> (zh, en). Counties may extend the list.
VIOLATIONS: dict[str, tuple[str, str]] = {
    "illegal_mining": ("盗采矿产", "illegal mining"),
    "beyond_boundary_mining": ("越界开采", "mining beyond the permit"),
    "illegal_occupation": ("非法占地", "illegal occupation of land"),
    "illegal_building": ("违法建设", "illegal construction"),
    "farmland_damage": ("破坏耕地", "farmland destroyed"),
    "other": ("其他违法行为", "other violation"),
}
# Those that make the site an illegal mine (生态效益: 控制非法开采矿山数量).
MINING_VIOLATIONS = ("illegal_mining", "beyond_boundary_mining")

# Where a case came from: found on patrol, or reported (举报) through one of the channels.
SOURCES: dict[str, tuple[str, str]] = {
    "patrol": ("巡查发现", "found on patrol"),
    "hotline_12336": ("12336 举报电话", "12336 hotline"),
    "letter": ("来信", "letter"),
    "visit": ("来访", "visit"),
    "online": ("网络举报", "online report"),
    "referral": ("上级转办", "referred from above"),
}
# A case's code: its own scheme, never confused with a province 图斑 code.
CODE_PREFIX = {"patrol": "XC"}  # every report channel: JB (举报)
REPORT_PREFIX = "JB"


def is_mining(violation: str | None) -> bool:
    """Whether a violation makes its site an illegal mine."""
    return violation in MINING_VIOLATIONS


def case_code(source: str, year: int, n: int) -> str:
    """The code of the ``n``-th case of its scheme in ``year``: XC2019-0001 (巡查), JB2019-0001
    (举报)."""
    prefix = CODE_PREFIX.get(source, REPORT_PREFIX)
    return f"{prefix}{year}-{n:04d}"


def code_prefix(source: str, year: int) -> str:
    """What every code of ``source``'s scheme in ``year`` starts with (to find the next one)."""
    return f"{CODE_PREFIX.get(source, REPORT_PREFIX)}{year}-"


def check_finding(source: Any, violation: Any) -> tuple[str, str]:
    """The source and violation codes, or ``InvalidPayload`` naming the field and the choices."""
    if source not in SOURCES:
        raise InvalidPayload(
            msg("patrol.source_choices", choices=", ".join(SOURCES)), field="source",
            allowed=list(SOURCES),
        )  # fmt: skip
    if violation not in VIOLATIONS:
        raise InvalidPayload(
            msg("patrol.violation_choices", choices=", ".join(VIOLATIONS)), field="violation",
            allowed=list(VIOLATIONS),
        )  # fmt: skip
    return source, violation


def open_case(
    case_id: int,
    *,
    violation: str,
    found_at: datetime,
    actor: str,
    at: datetime,
    rules: Deadlines,
    note: str | None = None,
    linked_case_id: int | None = None,
) -> tuple[Case, Event]:
    """A new patrol case (state ``found``) and the event that records it (action ``find``).

    ``found_at`` is when the violation was seen or reported (an aware instant, not after ``at``,
    the moment it is recorded); its deadlines come from ``rules``.

    >>> from datetime import datetime, timezone
    >>> t = datetime(2019, 6, 3, 1, 30, tzinfo=timezone.utc)
    >>> c, ev = open_case(7, violation="illegal_mining", found_at=t, actor="hecha", at=t,
    ...                   rules=Deadlines())
    >>> c.state.value, c.judgment.value, str(c.file_due_on), str(c.report_due_on), ev.seq
    ('found', 'illegal', '2019-06-10', '2019-06-30', 1)
    """
    if found_at.tzinfo is None or at.tzinfo is None:
        raise ValueError("found_at and at must be aware instants")
    if found_at > at:
        raise InvalidPayload(msg("patrol.found_in_future"), field="found_at")
    if not actor or not actor.strip():
        raise InvalidPayload(msg("case.actor_required"), field="actor")
    before = Case(id=case_id, programme=Programme.PATROL)
    case = before.replace(
        state=State.FOUND,
        version=1,
        judgment=Judgment.ILLEGAL,
        violation=violation,
        found_at=found_at,
        note=note,
        linked_case_id=linked_case_id,
        **rules.due(found_at),
    )
    changed = [k for k, v in case.milestones().items() if v != getattr(before, k)]
    event = Event(
        case_id=case_id,
        seq=1,
        action=Action.FIND,
        actor=actor.strip(),
        at=at,
        before={k: (None if k == "state" else getattr(before, k)) for k in changed},
        after={k: getattr(case, k) for k in changed},
        payload={"violation": violation, "found_at": found_at, "note": note},
    )
    return case, event


# --- a finding as submitted, and where it lies -------------------------------------------------

# A finding within this distance of an earlier case's outline is at that case's site: a GPS fix
# on a phone is good to some 10 m, and a pit's edge is not a sharp line.
SITE_TOLERANCE_M = 30.0
# Two outlines are one site when their overlap is this share of the smaller one.
SITE_OVERLAP_SHARE = 0.3


@dataclass(frozen=True)
class Finding:
    """A violation as recorded from the phone (巡查发现) or the desk (举报), validated."""

    source: str
    violation: str
    found_at: datetime
    geometry: Any  # shapely Point or (Multi)Polygon, CGCS2000 lon/lat
    note: str | None = None
    # Reports only: kept apart from the case, office roles read them.
    reporter_name: str | None = None
    reporter_contact: str | None = None
    content: str | None = None

    @property
    def is_report(self) -> bool:
        """A 举报 (any channel but patrol)."""
        return self.source != "patrol"


def _geometry(v: Any) -> Any:
    if isinstance(v, dict) and v.get("type") == "Point":
        try:
            pt = shapely.geometry.shape(v)
        except (TypeError, ValueError, KeyError, IndexError, shapely.errors.ShapelyError):
            raise InvalidPayload(msg("patrol.geometry_expected"), field="geometry") from None
        x, y = shapely.get_x(pt), shapely.get_y(pt)
        if not (73 <= x <= 136 and 3 <= y <= 54):
            raise InvalidPayload(msg("patrol.geometry_expected"), field="geometry")
        return pt
    try:
        return shapely.geometry.shape(POLYGON.parse(v))
    except ValueError:
        raise InvalidPayload(msg("patrol.geometry_expected"), field="geometry") from None


_REPORT_TEXTS = (
    ("content", inputs.clean_text),
    ("reporter_name", inputs.clean_name),
    ("reporter_contact", inputs.clean_name),
)


def _parsed(name: str, value: Any, clean: Any) -> Any:
    try:
        return clean(value)
    except ValueError as exc:
        raise InvalidPayload(
            msg("payload.field", field=name, problem=problem(exc)), field=name
        ) from None


def parse_finding(doc: Mapping[str, Any] | None, *, now: datetime) -> Finding:
    """A finding from a form or JSON: controlled codes, a point or polygon in CGCS2000 lon/lat
    within China, a discovery time not after ``now`` (default: ``now``), bounded texts. Reporter
    details are kept for reports only. Raises ``InvalidPayload`` naming the field."""
    if not isinstance(doc, Mapping):
        raise InvalidPayload(msg("payload.not_object", action=Action.FIND), field="")
    source, violation = check_finding(doc.get("source", "patrol"), doc.get("violation"))
    found_at = _parsed("found_at", doc.get("found_at") or now, inputs.an_instant)
    if found_at > now:
        raise InvalidPayload(msg("patrol.found_in_future"), field="found_at")
    texts = {}
    wanted = (("note", inputs.clean_text), *(_REPORT_TEXTS if source != "patrol" else ()))
    for name, clean in wanted:
        if doc.get(name) not in (None, ""):
            texts[name] = _parsed(name, doc[name], clean)
    return Finding(source, violation, found_at, _geometry(doc.get("geometry")), **texts)


@dataclass(frozen=True)
class SiteCase:
    """An earlier case near a new finding: what site matching needs to know of it."""

    id: int
    geometry: Any
    state: State
    judgment: Judgment | None
    linked_case_id: int | None = None
    site_id: int | None = None


_DONE = (State.RECTIFIED, State.CLOSED)


def _metres_per_degree(lat: float) -> float:
    """Metres per degree of longitude at ``lat`` (near enough at a site's scale)."""
    return 111_320.0 * max(math.cos(math.radians(lat)), 0.01)


def same_site(geometry: Any, earlier: list[SiteCase]) -> SiteCase | None:
    """The earlier case whose site ``geometry`` lies at, if any: for a point, the nearest outline
    within ``SITE_TOLERANCE_M``; for a polygon, the largest overlap of at least
    ``SITE_OVERLAP_SHARE`` of the smaller outline."""
    import shapely

    best: tuple[float, SiteCase] | None = None
    lat = shapely.centroid(geometry).y
    for c in earlier:
        if geometry.geom_type == "Point" or c.geometry.geom_type == "Point":
            d = shapely.distance(geometry, c.geometry) * _metres_per_degree(lat)
            score = -d if d <= SITE_TOLERANCE_M else None
        else:
            inter = shapely.intersection(geometry, c.geometry).area
            small = min(geometry.area, c.geometry.area) or 1e-30
            score = inter / small if inter / small >= SITE_OVERLAP_SHARE else None
        if score is not None and (best is None or score > best[0]):
            best = (score, c)
    return None if best is None else best[1]


def carrier(match: SiteCase, by_id: Mapping[int, SiteCase]) -> SiteCase:
    """The case that carries ``match``'s site: follow the links to the case they point to."""
    seen = {match.id}
    c = match
    while c.linked_case_id is not None and c.linked_case_id in by_id:
        c = by_id[c.linked_case_id]
        if c.id in seen:
            break
        seen.add(c.id)
    return c


def handled_in(match: SiteCase | None, by_id: Mapping[int, SiteCase]) -> SiteCase | None:
    """The open illegal case a new finding at ``match``'s site joins (its violation is already
    being handled there), or None when the site's case is finished or was not a violation: then
    the finding carries the site itself."""
    if match is None:
        return None
    head = carrier(match, by_id)
    if head.judgment is Judgment.ILLEGAL and head.state not in _DONE:
        return head
    return None


def search_box(geometry: Any) -> tuple[float, float, float, float]:
    """The box to look for earlier cases in: the geometry's own, grown by the site tolerance."""
    minx, miny, maxx, maxy = geometry.bounds
    dy = SITE_TOLERANCE_M / 111_320.0
    dx = SITE_TOLERANCE_M / _metres_per_degree(maxy)
    return (minx - dx, miny - dy, maxx + dx, maxy + dy)


# --- a finding sent from a phone's outbox, and a report taken at the desk ---------------------

# Office roles who take reports (举报) at the desk, and the only ones who read what a reporter
# said and how to reach them (admins too, as everywhere).
REPORT_DESK = frozenset({Role.ENFORCER, Role.REVIEWER})

# The phone's own id of a finding (its outbox key): a resend carries the same one.
CLIENT_REF_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,64}")


def check_client_ref(v: Any) -> str | None:
    """A sender's id of a finding: up to 64 of ``A-Z a-z 0-9 _ -``; None when not given.

    >>> check_client_ref("outbox-7f3a_01")
    'outbox-7f3a_01'
    """
    if v is None or v == "":
        return None
    if not isinstance(v, str) or not CLIENT_REF_PATTERN.fullmatch(v):
        raise InvalidPayload(msg("patrol.client_ref"), field="client_ref")
    return v


def parse_report(doc: Mapping[str, Any] | None, *, now: datetime) -> Finding:
    """A report (举报) taken at the desk: ``source`` one of the report channels (not patrol),
    ``received_at`` (when it came in; it is the case's discovery time) required; otherwise as
    ``parse_finding``. Errors name the report's own fields."""
    if not isinstance(doc, Mapping):
        raise InvalidPayload(msg("payload.not_object", action=Action.FIND), field="")
    source = doc.get("source")
    if not isinstance(source, str) or source == "patrol" or source not in SOURCES:
        channels = [s for s in SOURCES if s != "patrol"]
        raise InvalidPayload(
            msg("patrol.source_choices", choices=", ".join(channels)), field="source",
            allowed=channels,
        )  # fmt: skip
    if doc.get("received_at") in (None, ""):
        raise InvalidPayload(
            msg("payload.missing", action=Action.FIND, field="received_at"), field="received_at"
        )
    fields = {k: v for k, v in doc.items() if k not in ("received_at", "found_at")}
    try:
        return parse_finding({**fields, "found_at": doc["received_at"]}, now=now)
    except InvalidPayload as exc:
        if exc.details.get("field") != "found_at":
            raise
        exc.details["field"] = "received_at"
        raise


# --- steps with a deadline: what is due on a case, and when ----------------------------------


@dataclass(frozen=True)
class Step:
    """A step of the quick response, or a watched site's re-inspection, that has a deadline.

    It is open on a case of ``programme`` (any when None) in one of ``states`` (any when None),
    judged ``judgment`` (any when None), with the fields ``unset`` still empty and ``needs``
    set; it is due at the Case field ``due``: an instant (``instant``, overdue the moment it
    passes) or a local day (overdue from the next day). ``action`` takes it, so ``geo.roles``
    says who does it.
    """

    code: str
    action: Action
    due: str
    instant: bool = False
    programme: Programme | None = None
    states: tuple[State, ...] | None = None
    judgment: Judgment | None = None
    unset: tuple[str, ...] = ()
    needs: str | None = None

    @property
    def label(self) -> str:
        """The step's name: its action's (制止, 立案, 报告, 复查：仍关停)."""
        return self.action.label

    def is_open(self, case: Case) -> bool:
        """Whether the step is still to be taken on ``case`` (and has a deadline)."""
        return (
            (self.programme is None or case.programme is self.programme)
            and (self.states is None or case.state in self.states)
            and (self.judgment is None or case.judgment is self.judgment)
            and all(getattr(case, f) is None for f in self.unset)
            and (self.needs is None or getattr(case, self.needs) is not None)
            and getattr(case, self.due) is not None
        )

    def overdue(self, due: Any, now: datetime) -> bool:
        """Whether a deadline ``due`` of this step has passed at ``now`` (an aware instant)."""
        if self.instant:
            return bool(due < now)
        return bool(due < local_today(now))


# 发现 → 制止 (by the instant) → 立案 (by the day) → 报告 (by the day, once, at any point after
# discovery); a watched site's re-inspection, of any programme, by its day.
STEPS: tuple[Step, ...] = (
    Step("stop", Action.STOP, "stop_due_at", instant=True, programme=Programme.PATROL,
         states=(State.FOUND,)),
    Step("file", Action.FILE, "file_due_on", programme=Programme.PATROL,
         states=(State.FOUND, State.STOPPED), unset=("filed_on",)),
    Step("report", Action.REPORT, "report_due_on", programme=Programme.PATROL,
         judgment=Judgment.ILLEGAL, unset=("reported_on",)),
    Step("reinspect", Action.REINSPECT, "watch_due_on", states=(State.RECTIFIED, State.CLOSED),
         needs="watch_interval_days"),
)  # fmt: skip
STEP_BY_CODE = {s.code: s for s in STEPS}
# A re-inspection shows on the task lists this many days before it is due (the field team plans
# its rounds); it is overdue only after its day.
REINSPECT_NOTICE_DAYS = 14
# Patrol work with no deadline of its own (the enforcement path after 立案): on the task list of
# whoever may take the action.
PATROL_WORK: dict[State, Action] = {
    State.FILED: Action.PENALISE,
    State.PENALISED: Action.RECTIFY,
    State.RECTIFIED: Action.CLOSE,
}


def steps_for(roles: Iterable[Role]) -> tuple[Step, ...]:
    """The steps someone holding ``roles`` takes (admins: all), per ``geo.roles``."""
    rs = frozenset(roles)
    return tuple(s for s in STEPS if may_act(rs, s.action))


def current_step(case: Case, steps: Iterable[Step] = STEPS) -> tuple[Step, Any] | None:
    """The open step of ``steps`` due first on ``case`` and its deadline; ties go to the step
    listed first. None when none is open.

    >>> from datetime import UTC
    >>> t = datetime(2019, 6, 3, 1, 30, tzinfo=UTC)
    >>> c, _ = open_case(7, violation="illegal_mining", found_at=t, actor="hecha", at=t,
    ...                 rules=Deadlines())
    >>> step, due = current_step(c)
    >>> step.code, due.isoformat()
    ('stop', '2019-06-04T01:30:00+00:00')
    """
    best: tuple[Step, Any] | None = None
    for step in steps:
        if not step.is_open(case):
            continue
        due = getattr(case, step.due)
        if best is None or due_day(step, due) < due_day(*best):
            best = (step, due)
    return best


def due_day(step: Step, due: Any) -> date:
    """The local day a deadline falls on (an instant's day in the bureau's time zone)."""
    return local_today(due) if step.instant else due


# --- one site, one story: 卫片 图斑 over a patrol site, and 已查处 by the case at the site ----


def patrol_sites(new: Mapping[int, Any], patrol: list[SiteCase]) -> dict[int, SiteCase]:
    """For new 图斑 (id → geometry), the patrol case whose site each lies at, by the same rule
    as a finding at an earlier case (``same_site``: a patrol point within ``SITE_TOLERANCE_M``
    of the 图斑, or a patrol outline overlapping it by ``SITE_OVERLAP_SHARE`` of the smaller)."""
    if not new or not patrol:
        return {}
    boxes = shapely.STRtree([shapely.box(*search_box(p.geometry)) for p in patrol])
    out = {}
    for case_id, geom in new.items():
        near = [patrol[int(i)] for i in boxes.query(geom)]
        match = same_site(geom, near) if near else None
        if match is not None:
            out[case_id] = match
    return out


def site_key(case: SiteCase) -> int:
    """The id of the site a case lies at: its ``site_id``, or its own id (it is its site)."""
    return case.site_id or case.id


def open_case_at(site: list[SiteCase], exclude: int) -> SiteCase | None:
    """The open illegal case already handling a site (the cases at it, ``site``), for a 图斑 of
    it judged ``already_handled``; the oldest when several are. ``exclude``: the 图斑 itself.

    A case joined to another (``linked_case_id``) leads to the one it joined."""
    by_id = {c.id: c for c in site}
    heads = {
        h.id: h
        for c in site
        if c.id != exclude and (h := handled_in(c, by_id)) is not None and h.id != exclude
    }
    return heads[min(heads)] if heads else None


def joined_filing(
    case: Case,
    *,
    case_no: str,
    filed_on: date,
    enforcement_id: int,
    joined_case_id: int,
    actor: str,
    at: datetime,
) -> tuple[Case, Event]:
    """A case joined to another (``linked_case_id``) is filed under that case's 立案: it takes
    its case number, filing day and enforcement (one 立案 covering several 图斑), its state
    unchanged. The event is a ``file``, so the facts of any later day see it filed."""
    changes = {
        "state": case.state,
        "version": case.version + 1,
        "case_no": case_no,
        "filed_on": filed_on,
        "enforcement_id": enforcement_id,
        **milestone_changes(case, Action.FILE, at),
    }
    new = case.replace(**changes)
    event = Event(
        case_id=case.id,
        seq=new.version,
        action=Action.FILE,
        actor=actor,
        at=at,
        before={k: getattr(case, k) for k in changes},
        after={k: getattr(new, k) for k in changes},
        payload={
            "case_no": case_no,
            "filed_on": filed_on,
            "enforcement_id": enforcement_id,
            "joined_case_id": joined_case_id,
        },
    )
    return new, event


# --- illegal sites on the map, and the watch list ----------------------------------------------

SITE_STATUSES = ("active", "watched", "watch_overdue")


def site_status(state: State, watch_due_on: date | None, today: date) -> str | None:
    """What an illegal site is on the map: ``active`` (its case not rectified or closed),
    ``watched`` (closed and under watch), ``watch_overdue`` (its re-inspection day has passed);
    None for a closed site not under watch (not shown).

    >>> site_status(State.CLOSED, date(2019, 6, 1), date(2019, 6, 2))
    'watch_overdue'
    """
    if state not in _DONE:
        return "active"
    if watch_due_on is None:
        return None
    return "watch_overdue" if watch_due_on < today else "watched"


def site_is_mining(programme: Programme, violation: str | None) -> bool:
    """Whether a site counts as an illegal mine: a 矿山卫片 图斑, or a patrol finding of a mining
    violation."""
    return programme is Programme.MINING or is_mining(violation)


_RANK = ("active", "watch_overdue", "watched")


def site_rank(status: str) -> int:
    """Which case stands for a site on the map when several illegal ones lie at it: an active
    one before an overdue re-inspection before a watched one (lower first)."""
    return _RANK.index(status)
