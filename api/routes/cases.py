"""One 图斑 case: read it with its history, and apply workflow actions to it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Request, Response

from api.deps import ClockDep, StoreDep, get_services
from api.documented_errors import errors
from api.schemas import ActionRequest, CasePublic
from api.security import CurrentUser, VisibilityDep, check_action, check_visible
from geo.errors import InvalidPayload
from storage.repository import CaseStore, case_from_row
from storage.visibility import Scope

router = APIRouter(prefix="/api/cases", tags=["cases"])


def _public(store: CaseStore, case_id: int, request: Request, scope: Scope) -> CasePublic:
    """The case as the API shows it; other 图斑 it names (same site, same 立案) only if in
    ``scope``."""
    from api.routes.photos import photo_public

    row = store.get_case_row(case_id)
    case = case_from_row(row)
    enf = None
    if case.enforcement_id:
        enf = get_services(request).enforcements.get(case.enforcement_id, scope)
    return CasePublic.build(
        row,
        case,
        store.events(case_id),
        issuances=store.issuances(case_id),
        site_cases=store.site_cases(case_id, scope),
        photos=[photo_public(p) for p in request.app.state.photos.list(case_id)],
        enforcement=enf,
        assignee=request.app.state.users.assignee(case_id),
    )


def _if_match(header: str | None) -> int | None:
    if not header:
        return None
    try:
        return int(header.strip().removeprefix("W/").strip('"'))
    except ValueError:
        raise InvalidPayload("If-Match 应为 GET 返回的 ETag", field="If-Match") from None


@router.get("/{case_id}", operation_id="cases-get")
def get_case(
    case_id: int,
    store: StoreDep,
    user: CurrentUser,
    visibility: VisibilityDep,
    response: Response,
    request: Request,
) -> CasePublic:
    """One 图斑 case: state, milestones, hints, photos, 立案 case, assignee and history.

    ``allowed_actions`` are those its state allows now, whoever asks. The ``ETag`` header carries
    its version, for ``If-Match`` on the next action. A verifier gets 404 for a 图斑 neither
    assigned to them nor in their townships.
    """
    check_visible(user, case_id, visibility)
    case = _public(store, case_id, request, Scope.of(user))
    response.headers["ETag"] = f'"{case.version}"'
    return case


@router.post("/{case_id}/actions", operation_id="cases-act", responses=errors(403, 409))
def act(
    case_id: int,
    body: ActionRequest,
    store: StoreDep,
    clock: ClockDep,
    user: CurrentUser,
    visibility: VisibilityDep,
    response: Response,
    request: Request,
    if_match: Annotated[str | None, Header()] = None,
) -> CasePublic:
    """Apply an action as the signed-in user; a stale version (body or If-Match) gets 409."""
    check_visible(user, case_id, visibility)
    check_action(user, body.action, case_id, visibility)
    if body.action == "add_photo":
        # Only the upload route may record a photo: it stores and checks the file first, so
        # the photo count behind the evidence rule always has real photos behind it.
        raise InvalidPayload("照片请通过 POST /api/cases/{id}/photos 上传", field="action")
    expected = body.expected_version if body.expected_version is not None else _if_match(if_match)
    store.apply_action(
        case_id,
        body.action,
        actor=user.actor,
        payload=body.payload,
        expected_version=expected,
        now=clock(),
    )
    case = _public(store, case_id, request, Scope.of(user))
    response.headers["ETag"] = f'"{case.version}"'
    return case
