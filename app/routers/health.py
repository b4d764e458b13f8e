"""Liveness and readiness."""

from fastapi import APIRouter, Response, status

from app.dependencies import ResourcesDep
from app.health import HealthRead, check_health

router = APIRouter(tags=["health"])


@router.get(
    "/health",
    response_model=HealthRead,
    responses={503: {"model": HealthRead, "description": "A dependency is down."}},
    summary="Liveness and readiness, with MongoDB and Redis checks",
)
async def health(resources: ResourcesDep, response: Response) -> HealthRead:
    report = await check_health(resources)
    if report.status != "ok":
        response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    return report
