"""Jobs: the list with live status and progress, a job's page, and cancelling."""

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, status
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from app.dependencies import DatabaseDep, RedisDep
from app.paging import page_count
from app.routers.paging import PageNumber
from app.security.schemas import Scope
from app.training import jobs, service
from app.ui.rendering import render
from app.ui.session import CheckedForm, Viewer, authorize
from tensorfleet.schemas.training import IDENTIFIER_PATTERN, JobStatus

PAGE_SIZE = 25
router = APIRouter(prefix="/ui/jobs", include_in_schema=False)
JobId = Annotated[str, Path(min_length=1, max_length=64, pattern=IDENTIFIER_PATTERN)]
StatusFilter = Annotated[JobStatus | None, Query(alias="status")]


async def job_page_context(
    db: DatabaseDep, status_: StatusFilter = None, page: PageNumber = 1
) -> dict:
    """The list's page (rendered whole, or only its rows when they refresh)."""
    items, total = await jobs.list_jobs(db, status=status_, page=page, limit=PAGE_SIZE)
    return {
        "jobs": items,
        "total": total,
        "page": page,
        "pages": max(1, page_count(total, PAGE_SIZE)),
        "status": status_.value if status_ else "",
        "statuses": [s.value for s in JobStatus],
    }


JobPageContext = Annotated[dict, Depends(job_page_context)]


@router.get("")
async def job_list(request: Request, principal: Viewer, context: JobPageContext) -> Response:
    return render(request, "jobs.html", context, principal=principal)


@router.get("/rows")
async def job_rows(request: Request, principal: Viewer, context: JobPageContext) -> Response:
    return render(request, "fragments/job_rows.html", context, principal=principal)


@router.get("/{job_id}")
async def job_page(request: Request, principal: Viewer, db: DatabaseDep, job_id: JobId) -> Response:
    context = {"job": await service.get_job(db=db, job_id=job_id)}
    return render(request, "job.html", context, principal=principal)


@router.get("/{job_id}/live")
async def job_live(request: Request, principal: Viewer, db: DatabaseDep, job_id: JobId) -> Response:
    context = {"job": await service.get_job(db=db, job_id=job_id)}
    return render(request, "fragments/job_live.html", context, principal=principal)


@router.post("/{job_id}/cancel")
async def cancel(
    request: Request, form: CheckedForm, db: DatabaseDep, redis: RedisDep, job_id: JobId
) -> Response:
    await authorize(request, Scope.train)
    await service.cancel_job(db=db, redis=redis, job_id=job_id)
    back = str(form.get("next", "")) or f"/ui/jobs/{job_id}"
    return RedirectResponse(back if back.startswith("/ui") else "/ui", status.HTTP_303_SEE_OTHER)
