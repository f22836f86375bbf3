"""Liveness probe."""

from fastapi import APIRouter

from api.schemas import StatusPublic

router = APIRouter(tags=["health"])


@router.get("/healthz", operation_id="health-check")
def healthz() -> StatusPublic:
    """Liveness probe: ``{"status": "ok"}`` while the app is up; needs no sign-in."""
    return StatusPublic(status="ok")
