"""A case's evidence dossier as a PDF (timeline, judgments, enforcement, photos, chain hash)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from api.deps import ClockDep, get_services
from api.security import CurrentUser, VisibilityDep, check_visible
from geo.roles import sees_all

router = APIRouter(prefix="/api/cases", tags=["cases"])


@router.get(
    "/{case_id}/dossier.pdf",
    operation_id="cases-dossier",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}},
)
def dossier(
    case_id: int,
    user: CurrentUser,
    visibility: VisibilityDep,
    clock: ClockDep,
    request: Request,
) -> Response:
    """The evidence dossier of a 图斑 for review or court; same visibility as the case itself.

    The 立案 part (offender, fine, payments) is included only for roles that see every 图斑.
    """
    from reports.dossier import render_dossier
    from storage.dossier import dossier_source

    check_visible(user, case_id, visibility)
    src = dossier_source(
        get_services(request).photos, case_id, with_enforcement=sees_all(user.roles)
    )
    pdf = render_dossier(src, now=clock())
    name = f"dossier-{case_id}.pdf"
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
