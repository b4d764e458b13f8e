"""Liveness and readiness."""

from fastapi import APIRouter, Request, Response, status

from app.health import CachedHealth
from tensorfleet.schemas.health import HealthRead

router = APIRouter(tags=["health"])


@router.get(
    "/health",
    response_model=HealthRead,
    responses={503: {"model": HealthRead, "description": "A dependency is down."}},
    summary="Liveness and readiness, with MongoDB and Redis checks",
)
async def health(request: Request, response: Response) -> HealthRead:
    cached: CachedHealth = request.state.health
    report = await cached.report()
    if report.status != "ok":
        response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    return report
