"""The dashboard: registry statistics and the latest jobs, which refresh themselves; the
service's root and its icon."""

from pathlib import Path

from fastapi import APIRouter, Request, status
from fastapi.responses import FileResponse, RedirectResponse
from starlette.responses import Response

from app.dependencies import DatabaseDep
from app.registry.statistics import registry_statistics
from app.training import jobs
from app.ui.charts import bar_chart
from app.ui.rendering import render
from app.ui.session import Viewer

LATEST_JOBS = 8
FAVICON = Path(__file__).parent / "static" / "favicon.svg"
CACHED_A_DAY = {"Cache-Control": "public, max-age=86400"}
router = APIRouter(include_in_schema=False)


@router.get("/")
async def root() -> Response:
    """A browser opening the service lands on the UI."""
    return RedirectResponse("/ui", status.HTTP_307_TEMPORARY_REDIRECT)


@router.get("/favicon.ico")
async def favicon() -> Response:
    """Browsers ask for /favicon.ico on pages that name no icon (the JSON routes, a download):
    the UI's icon, not a 404 in every console."""
    return FileResponse(FAVICON, media_type="image/svg+xml", headers=CACHED_A_DAY)


@router.get("/ui")
async def dashboard(request: Request, principal: Viewer, db: DatabaseDep) -> Response:
    statistics = await registry_statistics(db)
    latest, _ = await jobs.list_jobs(db, status=None, page=1, limit=LATEST_JOBS)
    context = {
        "statistics": statistics,
        "jobs": latest,
        "algorithm_chart": bar_chart(
            [(a.algorithm, a.count) for a in statistics.algorithms], title="Models per algorithm"
        ),
        "status_chart": bar_chart(
            sorted(statistics.jobs_by_status.items()), title="Jobs by status"
        ),
    }
    return render(request, "dashboard.html", context, principal=principal)


@router.get("/ui/fragments/latest-jobs")
async def latest_jobs(request: Request, principal: Viewer, db: DatabaseDep) -> Response:
    latest, _ = await jobs.list_jobs(db, status=None, page=1, limit=LATEST_JOBS)
    context = {"jobs": latest, "compact": True}
    return render(request, "fragments/job_rows.html", context, principal=principal)
