"""Tuning HTTP API: submit a search (or AutoML), read it with its trials and leaderboard, list
searches, cancel one."""

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response, status

from app.dependencies import DatabaseDep, RedisDep, SettingsDep
from app.security.deps import CallerDep, requires_read, requires_train
from app.tuning import service
from tensorfleet.schemas.training import IDENTIFIER_PATTERN, JobStatus
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
    request: TuningRequest,
    db: DatabaseDep,
    redis: RedisDep,
    settings: SettingsDep,
    caller: CallerDep,
    response: Response,
) -> TuningSubmitted:
    document = await service.submit_tuning(
        db=db, redis=redis, settings=settings, request=request, owner=caller.identity
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
async def list_tunings(
    db: DatabaseDep,
    status_: Annotated[JobStatus | None, Query(alias="status")] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> TuningList:
    return await service.list_tunings(db=db, status=status_, page=page, limit=limit)


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
