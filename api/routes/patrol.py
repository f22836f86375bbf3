"""动态巡查: findings from the field, reports (举报) from the desk, the quick response's deadlines,
illegal sites on the map and the watch list. The case actions themselves (制止, 报告, 复查 …) go
through ``POST /api/cases/{id}/actions`` like any other."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from api.deps import ClockDep, PagingDep, ServicesDep
from api.documented_errors import errors
from api.routes.batches import GEOJSON, geojson_page, parse_bbox
from api.routes.meta import PatrolDeadlines
from api.schemas import Page, SafeName, SafeStr
from api.security import ScopeDep, VisibilityDep, check_visible, require
from geo import inputs
from geo.errors import Conflict, InvalidPayload, NotFound
from geo.localtime import local_today
from geo.messages import msg, problem
from geo.model import Action, State
from geo.patrol import (
    REPORT_DESK,
    SOURCES,
    check_client_ref,
    parse_finding,
    parse_report,
)
from geo.roles import ACTION_ROLES, Role
from storage.users import User
from storage.visibility import Scope

router = APIRouter(prefix="/api/patrol", tags=["patrol"])
Finder = Annotated[User, Depends(require(*ACTION_ROLES[Action.FIND]))]
Desk = Annotated[User, Depends(require(*REPORT_DESK))]
Admin = Annotated[User, Depends(require(Role.ADMIN))]

GEOMETRY_HELP = "GeoJSON Point (GPS fix) or Polygon (drawn outline), CGCS2000 lon/lat"
CLIENT_REF_HELP = "the sender's own id of this record (≤ 64 of A-Z a-z 0-9 _ -): a resend finds it"


class FindingCreate(BaseModel):
    """A violation found on patrol (巡查发现): type, place, when (default now), a note."""

    model_config = ConfigDict(extra="forbid")

    violation: SafeName = Field(examples=["illegal_mining"])
    geometry: dict[str, Any] = Field(
        description=GEOMETRY_HELP, examples=[{"type": "Point", "coordinates": [118.1, 39.83]}]
    )
    found_at: SafeName | None = Field(None, description="ISO 8601; default: now")
    note: SafeStr | None = None
    client_ref: SafeName | None = Field(None, description=CLIENT_REF_HELP)


class ReportCreate(BaseModel):
    """A report (举报) taken at the desk: channel, type, place, when it came in, the reporter
    (kept apart, office roles only) and what they said."""

    model_config = ConfigDict(extra="forbid")

    source: SafeName = Field(examples=["hotline_12336"])
    violation: SafeName = Field(examples=["illegal_mining"])
    geometry: dict[str, Any] = Field(description=GEOMETRY_HELP)
    received_at: SafeName = Field(description="ISO 8601: when the report came in")
    reporter_name: SafeName | None = None
    reporter_contact: SafeName | None = None
    content: SafeStr | None = None
    note: SafeStr | None = None
    client_ref: SafeName | None = Field(None, description=CLIENT_REF_HELP)


class FindingCreated(BaseModel):
    """The case a finding or report became (``existing``: a resend found the earlier one)."""

    case_id: int
    code: str
    batch_id: int
    version: int
    linked_case_id: int | None
    site_id: int | None
    existing: bool


class ReportPublic(BaseModel):
    """What a reporter said and how to reach them: for office roles only."""

    case_id: int
    source: str
    source_label: str
    received_at: datetime
    reporter_name: str | None
    reporter_contact: str | None
    content: str | None
    received_by: str


class DeadlineVersion(BaseModel):
    """One saved version of the deadlines: what, why, who and when."""

    doc: PatrolDeadlines
    note: str | None
    created_by: str
    created_at: datetime


class DeadlinesPublic(BaseModel):
    """The deadlines in force and every saved version, newest first (empty: the defaults)."""

    current: PatrolDeadlines
    history: list[DeadlineVersion]


class WatchedSitePublic(BaseModel):
    """A closed illegal site under watch, when it is next due for re-inspection."""

    case_id: int
    batch_id: int
    code: str
    programme: str
    township_name: str | None
    state: str
    state_label: str
    violation: str | None
    watch_interval_days: int
    watch_due_on: date
    last_inspected_at: datetime | None
    reinspections: int
    overdue: bool
    centre: list[float] = Field(description="[lon, lat] of a point inside the site")


class WatchedSitesPublic(Page[WatchedSitePublic]):
    """One page of the watch list, overdue re-inspections first."""


def _created(done: dict[str, Any], user: User, visibility: Any, response: Response) -> Any:
    if done["existing"]:
        # Another person's record under the same id is not theirs to learn of.
        if not visibility.sees(Scope.of(user), done["case_id"]):
            raise Conflict(msg("patrol.client_ref_taken"), field="client_ref")
        response.status_code = 200
    return FindingCreated.model_validate(done)


@router.post(
    "/findings",
    status_code=201,
    operation_id="patrol-findings-create",
    responses={200: {"model": FindingCreated}, **errors(403, 409)},
)
def create_finding(
    body: FindingCreate,
    user: Finder,
    services: ServicesDep,
    clock: ClockDep,
    visibility: VisibilityDep,
    response: Response,
) -> FindingCreated:
    """Record a violation found on patrol as a new case (state 已发现); a verifier's own finding
    is assigned to them. A resend with the same ``client_ref`` answers 200 with the case the
    first send made. Photos then go to ``POST /api/cases/{case_id}/photos``."""
    now = clock()
    client_ref = check_client_ref(body.client_ref)
    finding = parse_finding(body.model_dump(exclude={"client_ref"}), now=now)
    mine = user.id if Role.VERIFIER in user.roles else None
    done = services.patrol().create(
        finding, actor=user.actor, now=now, assign_to=mine, client_ref=client_ref
    )
    return _created(done, user, visibility, response)


@router.post(
    "/reports",
    status_code=201,
    operation_id="patrol-reports-create",
    responses={200: {"model": FindingCreated}, **errors(403, 409)},
)
def create_report(
    body: ReportCreate,
    user: Desk,
    services: ServicesDep,
    clock: ClockDep,
    visibility: VisibilityDep,
    response: Response,
) -> FindingCreated:
    """Record a report (举报) as a new case; the reporter and their contact are kept apart from
    the case (``GET /api/patrol/reports/{case_id}``, office roles only)."""
    now = clock()
    client_ref = check_client_ref(body.client_ref)
    finding = parse_report(body.model_dump(exclude={"client_ref"}), now=now)
    done = services.patrol().create(finding, actor=user.actor, now=now, client_ref=client_ref)
    return _created(done, user, visibility, response)


@router.get("/reports/{case_id}", operation_id="patrol-reports-get", responses=errors(403, 404))
def get_report(
    case_id: int, user: Desk, services: ServicesDep, visibility: VisibilityDep
) -> ReportPublic:
    """Who reported a case, how to reach them and what they said: for enforcement officers,
    reviewers and admins only; 404 for a case not taken from a report."""
    check_visible(user, case_id, visibility)
    found = services.patrol().report_of(case_id)
    if found is None:
        raise NotFound(msg("patrol.no_report", case_id=case_id), case_id=case_id)
    label = SOURCES.get(found["source"], (found["source"], ""))[0]
    return ReportPublic.model_validate({**found, "source_label": label})


def _deadlines(services: Any) -> DeadlinesPublic:
    rules = services.patrol_rules()
    return DeadlinesPublic(
        current=PatrolDeadlines.model_validate(rules.current().to_doc()),
        history=[DeadlineVersion.model_validate(v) for v in rules.history()],
    )


@router.get("/deadlines", operation_id="patrol-deadlines-get")
def get_deadlines(services: ServicesDep) -> DeadlinesPublic:
    """The quick response's deadlines in force (制止 within hours, 立案 within days, 报告 by
    the month's end, re-inspection interval) and every saved version with who saved it."""
    return _deadlines(services)


@router.put("/deadlines", operation_id="patrol-deadlines-put", responses=errors(403))
def put_deadlines(
    user: Admin,
    services: ServicesDep,
    clock: ClockDep,
    body: Annotated[
        dict[str, Any],
        Body(examples=[{"stop_within_hours": 48, "note": "按2020年市局通知调整"}]),
    ],
) -> PatrolDeadlines:
    """Change some of the deadlines (admin): the fields given replace the current ones, the
    rest stay; ``note`` says why. Cases found before keep the deadlines of their day."""
    doc = dict(body)
    note = doc.pop("note", None)
    if note is not None:
        try:
            note = inputs.clean_text(note)
        except ValueError as exc:
            raise InvalidPayload(
                msg("payload.field", field="note", problem=problem(exc)), field="note"
            ) from None
    saved = services.patrol_rules().save(doc, by=user.actor, now=clock(), note=note)
    return PatrolDeadlines.model_validate(saved.to_doc())


def site_properties(r: dict[str, Any]) -> dict[str, Any]:
    """What travels with each site on the map."""
    return {
        "case_id": r["id"],
        "batch_id": r["batch_id"],
        "code": r["code"],
        "programme": r["programme"],
        "violation": r["violation"],
        "mining": r["mining"],
        "township_name": r["township_name"],
        "state": r["state"],
        "state_label": State(r["state"]).label,
        "status": r["status"],
        "linked_case_id": r["linked_case_id"],
        "watch_due_on": r["watch_due_on"].isoformat() if r["watch_due_on"] else None,
    }


@router.get(
    "/sites",
    operation_id="patrol-sites",
    response_class=Response,
    responses={200: {"content": {GEOJSON: {}}}, **errors(400)},
)
def sites(
    request: Request,
    services: ServicesDep,
    scope: ScopeDep,
    clock: ClockDep,
    bbox: Annotated[str | None, Query(description="minlon,minlat,maxlon,maxlat")] = None,
) -> Response:
    """Illegal sites, patrol and 卫片 together, as GeoJSON: ``status`` active (not yet
    rectified or closed), watched, or watch_overdue (its re-inspection is late); one feature
    per site (a case joined to another is that case's story). A verifier's map shows only what
    they see."""
    found = services.patrol_sites().sites(
        today=local_today(clock()), bbox=parse_bbox(bbox), scope=scope
    )
    n = len(found)
    return geojson_page(
        request,
        [r["geometry"] for r in found],
        [site_properties(r) for r in found],
        ids=[r["id"] for r in found],
        matched=n,
        limit=n,
        offset=0,
    )


@router.get("/watch", operation_id="patrol-watch")
def watch(
    services: ServicesDep, scope: ScopeDep, clock: ClockDep, paging: PagingDep
) -> WatchedSitesPublic:
    """The watch list: closed illegal sites under watch, overdue re-inspections first, then by
    the day each is due."""
    rows, count = services.patrol_sites().watch(
        today=local_today(clock()), limit=paging.limit, offset=paging.offset, scope=scope
    )
    data = [WatchedSitePublic.model_validate(r) for r in rows]
    return WatchedSitesPublic(data=data, count=count, next=paging.next_url(count))
