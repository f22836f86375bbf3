"""Liveness probe."""

from fastapi import APIRouter

router = APIRouter(tags=["health"])


@router.get("/healthz", operation_id="health-check")
def healthz() -> dict[str, str]:
    return {"status": "ok"}
