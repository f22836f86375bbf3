"""Liveness and readiness probes; neither needs a sign-in."""

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from api.deps import ServicesDep
from api.schemas import StatusPublic

router = APIRouter(tags=["health"])


class ReadinessPublic(BaseModel):
    """A readiness answer: ``status`` is ``"ready"``, or ``"unavailable"`` with the reason."""

    status: str
    reason: str | None = None


@router.get("/healthz", operation_id="health-check")
def healthz() -> StatusPublic:
    """Liveness probe: ``{"status": "ok"}`` while the process serves; touches no database."""
    return StatusPublic(status="ok")


@router.get(
    "/readyz",
    operation_id="health-ready",
    response_model=ReadinessPublic,
    responses={503: {"model": ReadinessPublic, "description": "the store cannot serve"}},
)
def readyz(services: ServicesDep) -> ReadinessPublic | JSONResponse:
    """Readiness probe: 200 when the database answers and its schema is at the code's latest
    migration; 503 with the reason otherwise (a load balancer stops sending requests)."""
    reason = services.not_ready_reason()
    if reason is None:
        return ReadinessPublic(status="ready")
    body = ReadinessPublic(status="unavailable", reason=reason)
    return JSONResponse(body.model_dump(), status_code=503)
