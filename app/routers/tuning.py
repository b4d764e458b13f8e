"""Tuning HTTP API: submit a search (or AutoML), read it with its trials and leaderboard, list
searches, cancel one."""

from typing import Annotated

from fastapi import APIRouter, Path, Response, status

from app.dependencies import DatabaseDep, JobContextDep, RedisDep
from app.routers.paging import JobPageQuery
from app.security.deps import requires_read, requires_train
from app.tuning import service
from tensorfleet.schemas.training import IDENTIFIER_PATTERN
from tensorfleet.schemas.tuning import TuningList, TuningRead, TuningRequest, TuningSubmitted

router = APIRouter(prefix="/tuning", tags=["tuning"])
TuningId = Annotated[
    str,
    Path(min_length=1, max_length=64, pattern=IDENTIFIER_PATTERN, description="The tuning id."),
]


def tuning_location(tuning_id: str) -> str:
    return f"/tuning/{tuning_id}"


@router.post(
    "",
    response_model=TuningSubmitted,
    status_code=status.HTTP_202_ACCEPTED,
    summary="Submit a hyperparameter search (algorithm auto: AutoML)",
    dependencies=[requires_train],
    responses={
        409: {"description": "A search with this tuning_id exists."},
        422: {"description": "Invalid field (named in `detail[].loc`)."},
        429: {
            "description": "A rate limit, or the caller's cap on active searches "
            "(MAX_ACTIVE_JOBS_PER_KEY), is reached."
        },
        503: {"description": "The queue did not take the search; submit it again."},
    },
)
async def submit(
    request: TuningRequest, context: JobContextDep, response: Response
) -> TuningSubmitted:
    document = await service.submit_tuning(
        db=context.db,
        redis=context.redis,
        settings=context.settings,
        request=request,
        owner=context.owner,
    )
    location = tuning_location(document["_id"])
    response.headers["Location"] = location
    return TuningSubmitted(tuning_id=document["_id"], status=document["status"], location=location)


@router.get(
    "/{tuning_id}",
    response_model=TuningRead,
    summary="A search: status, trials, best so far, leaderboard, the registered model",
    dependencies=[requires_read],
    responses={404: {"description": "No such search."}},
)
async def get_tuning(tuning_id: TuningId, db: DatabaseDep) -> TuningRead:
    return await service.read_tuning(db=db, tuning_id=tuning_id)


@router.get(
    "", response_model=TuningList, summary="Searches, newest first", dependencies=[requires_read]
)
async def list_tunings(db: DatabaseDep, paging: JobPageQuery) -> TuningList:
    return await service.list_tunings(
        db=db, status=paging.status, page=paging.page, limit=paging.limit
    )


@router.post(
    "/{tuning_id}/cancel",
    response_model=TuningRead,
    summary="Cancel a search and stop its running trials",
    dependencies=[requires_train],
    responses={
        404: {"description": "No such search."},
        409: {"description": "The search has already ended."},
    },
)
async def cancel(tuning_id: TuningId, db: DatabaseDep, redis: RedisDep) -> TuningRead:
    return await service.cancel_tuning(db=db, redis=redis, tuning_id=tuning_id)
