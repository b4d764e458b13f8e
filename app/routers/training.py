"""Training HTTP API: submit, poll, list and cancel jobs; datasets and algorithms."""

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Path, Query, Response, status
from fastapi.sse import EventSourceResponse, ServerSentEvent

from app.dependencies import DatabaseDep, JobContextDep, JobWatcherDep, RedisDep, SettingsDep
from app.routers.paging import JobPageQuery
from app.security.deps import requires_read, requires_train
from app.training import live, service
from tensorfleet.schemas.training import (
    IDENTIFIER_PATTERN,
    AlgorithmRead,
    JobList,
    JobRead,
    JobSubmitted,
    TrainRequest,
)

WAITERS_FULL = {"description": "This server holds LIVE_MAX_WAITERS waits open; retry."}
router = APIRouter(tags=["training"])
JobId = Annotated[
    str, Path(min_length=1, max_length=64, pattern=IDENTIFIER_PATTERN, description="The job id.")
]


def job_location(job_id: str) -> str:
    return f"/jobs/{job_id}"


@router.post(
    "/train",
    response_model=JobSubmitted,
    status_code=status.HTTP_202_ACCEPTED,
    summary="Submit a training job",
    dependencies=[requires_train],
    responses={
        409: {"description": "A job with this job_id exists."},
        422: {"description": "Invalid field (named in `detail[].loc`)."},
        429: {
            "description": "A rate limit, or the caller's cap on active jobs "
            "(MAX_ACTIVE_JOBS_PER_KEY), is reached."
        },
        503: {"description": "The queue did not confirm the job; submit it again with its job_id."},
    },
)
async def train(request: TrainRequest, context: JobContextDep, response: Response) -> JobSubmitted:
    job = await service.submit_training_job(
        db=context.db,
        redis=context.redis,
        settings=context.settings,
        request=request,
        owner=context.owner,
    )
    response.headers["Location"] = job_location(job["_id"])
    return JobSubmitted(job_id=job["_id"], status=job["status"], location=job_location(job["_id"]))


@router.get(
    "/jobs/{job_id}",
    response_model=JobRead,
    summary="A job's status and result; with `wait`, as soon as it changes",
    dependencies=[requires_read],
    responses={404: {"description": "No such job."}, 503: WAITERS_FULL},
)
async def get_job(
    job_id: JobId,
    db: DatabaseDep,
    watcher: JobWatcherDep,
    response: Response,
    wait: Annotated[
        float | None,
        Query(
            ge=0,
            le=live.WAIT_MAX_SECONDS,
            description="Long poll: answer as soon as the job's status or progress changes "
            "(from the state in If-None-Match, else from its state now) or it has ended, at "
            "the latest after this many seconds.",
        ),
    ] = None,
    if_none_match: Annotated[str | None, Header(max_length=128)] = None,
) -> JobRead:
    if wait is None:
        document = await service.get_job(db=db, job_id=job_id)
    else:
        document = await live.wait_for_change(db, watcher, job_id, seen=if_none_match, wait=wait)
    response.headers["ETag"] = live.state_tag(document)
    return JobRead.from_document(document)


async def existing_job(job_id: JobId, db: DatabaseDep, watcher: JobWatcherDep) -> str:
    """The job's id, once it is known to exist and there is room to watch it (a stream cannot
    answer 404 or 503 once started)."""
    watcher.ensure_room()
    await service.get_job(db=db, job_id=job_id)
    return job_id


@router.get(
    "/jobs/{job_id}/events",
    response_class=EventSourceResponse,
    summary="A job's changes as Server-Sent Events, until it ends",
    dependencies=[requires_read],
    responses={404: {"description": "No such job."}, 503: WAITERS_FULL},
)
async def job_events(
    job_id: Annotated[str, Depends(existing_job)],
    db: DatabaseDep,
    watcher: JobWatcherDep,
    last_event_id: Annotated[str | None, Header(max_length=128)] = None,
) -> AsyncIterator[ServerSentEvent]:
    """`event: job` with the job (as GET /jobs/{job_id}) now and at each change; the stream
    ends after the event of its end state."""
    async for event in live.job_events(db, watcher, job_id, last_seen=last_event_id):
        yield event


@router.get(
    "/jobs", response_model=JobList, summary="Jobs, newest first", dependencies=[requires_read]
)
async def list_jobs(db: DatabaseDep, paging: JobPageQuery) -> JobList:
    return await service.list_jobs(
        db=db, status=paging.status, page=paging.page, limit=paging.limit
    )


@router.post(
    "/jobs/{job_id}/cancel",
    response_model=JobRead,
    summary="Cancel a job",
    dependencies=[requires_train],
    responses={
        404: {"description": "No such job."},
        409: {"description": "The job has already ended."},
    },
)
async def cancel_job(job_id: JobId, db: DatabaseDep, redis: RedisDep) -> JobRead:
    return JobRead.from_document(await service.cancel_job(db=db, redis=redis, job_id=job_id))


@router.get(
    "/algorithms",
    response_model=list[AlgorithmRead],
    summary="Supported algorithms and their hyperparameters",
    dependencies=[requires_read],
)
async def list_algorithms(settings: SettingsDep) -> list[AlgorithmRead]:
    return service.list_algorithms(settings)
