"""Liveness probe."""

from fastapi import APIRouter

from api.schemas import StatusPublic

router = APIRouter(tags=["health"])


@router.get("/healthz", operation_id="health-check")
def healthz() -> StatusPublic:
    return StatusPublic(status="ok")
