"""Batch predictions over HTTP: submit (by model id, or by name: its latest, a version or an
alias), read, list per model, cancel, download the output, delete.

HTTP only: each route builds what app.batch.service needs; app/errors.py maps its errors (an
unknown model 404, a model that cannot predict the dataset 422 naming the field).
"""

from typing import Annotated, Any

from fastapi import APIRouter, Path, Response
from fastapi import status as http

from app.batch import service
from app.batch.output import MEDIA_TYPES
from app.dependencies import DatabaseDep, JobContextDep, RedisDep
from app.registry.download import ModelFileResponse, iter_chunks
from app.routers.model_refs import ALIAS, BY_ID, LATEST, VERSION, ModelId, add_model_routes
from app.routers.paging import PageQuery
from app.security.deps import requires_admin, requires_read, requires_train
from app.storage import PREDICTION_CHUNKS
from tensorfleet.schemas.batch import BatchPredictionList, BatchPredictionRead, BatchPredictRequest
from tensorfleet.schemas.inference import ModelRef
from tensorfleet.schemas.training import IDENTIFIER_PATTERN

router = APIRouter(prefix="/api/v1", tags=["batch predictions"])
JobId = Annotated[str, Path(min_length=1, max_length=64, pattern=IDENTIFIER_PATTERN)]
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "No such batch prediction."}}
SUBMIT_ROUTE: dict[str, Any] = {
    "methods": ["POST"],
    "response_model": BatchPredictionRead,
    "status_code": http.HTTP_202_ACCEPTED,
    "dependencies": [requires_train],
    "responses": {
        404: {"description": "No such model (or it was deleted)."},
        422: {
            "description": "The dataset version is unknown or not ready, lacks a column the "
            "model takes (or has it with another type), has no such id column, or has more "
            "rows than BATCH_PREDICT_MAX_ROWS; `detail[].loc` names the field."
        },
        429: {"description": "The caller's cap on active jobs is reached."},
        503: {"description": "The job queue is unavailable; nothing was recorded."},
    },
}


async def submit(
    ref: ModelRef, body: BatchPredictRequest, job: JobContextDep, response: Response
) -> BatchPredictionRead:
    document = await service.submit(
        db=job.db, redis=job.redis, settings=job.settings, ref=ref, request=body, owner=job.owner
    )
    response.headers["Location"] = service.location(document["_id"])
    return service.read(document)


add_model_routes(
    router,
    "/batch-predictions",
    submit,
    {
        BY_ID: (
            "submit_by_id",
            "Predict every row of a dataset version with a model, as a job; poll its Location.",
        ),
        LATEST: (
            "submit_latest",
            "As by id, with the name's highest version (pinned at submission).",
        ),
        VERSION: ("submit_version", "As by id, with one version of a name."),
        ALIAS: (
            "submit_alias",
            "As by id, with the version an alias points at (pinned at submission).",
        ),
    },
    **SUBMIT_ROUTE,
)


@router.get(
    "/models/{model_id}/batch-predictions",
    response_model=BatchPredictionList,
    dependencies=[requires_read],
    responses={404: {"description": "A malformed model id."}},
)
async def list_for_model(
    model_id: ModelId, db: DatabaseDep, paging: PageQuery
) -> BatchPredictionList:
    """A model's batch predictions, newest first."""
    return await service.list_for_model(db, model_id, page=paging.page, limit=paging.limit)


@router.get(
    "/batch-predictions/{job_id}",
    response_model=BatchPredictionRead,
    dependencies=[requires_read],
    responses=NOT_FOUND,
)
async def get_batch_prediction(job_id: JobId, db: DatabaseDep) -> BatchPredictionRead:
    """Status and progress (rows done of rows total); once succeeded, where to download."""
    return service.read(await service.get(db, job_id))


@router.post(
    "/batch-predictions/{job_id}/cancel",
    response_model=BatchPredictionRead,
    dependencies=[requires_train],
    responses={**NOT_FOUND, 409: {"description": "The job has already ended."}},
)
async def cancel_batch_prediction(
    job_id: JobId, db: DatabaseDep, redis: RedisDep
) -> BatchPredictionRead:
    """Cancel a queued or running job; a running one stops within a chunk, leaving no file."""
    return service.read(await service.cancel(db, redis, job_id))


@router.get(
    "/batch-predictions/{job_id}/download",
    response_model=None,
    response_class=ModelFileResponse,
    dependencies=[requires_read],
    responses={
        200: {"content": {media: {} for media in MEDIA_TYPES.values()}},
        **NOT_FOUND,
        409: {"description": "The job has not succeeded (yet)."},
    },
)
async def download_batch_prediction(job_id: JobId, db: DatabaseDep) -> Response:
    """The predictions file (CSV or Parquet), streamed."""
    document, grid_out = await service.open_output(db, job_id)
    headers = {
        "Content-Length": str(grid_out.length),
        "Content-Disposition": f'attachment; filename="{service.download_name(document)}"',
        "ETag": f'"{document["result"]["sha256"]}"',
    }
    chunks = iter_chunks(grid_out, db[PREDICTION_CHUNKS])
    media_type = MEDIA_TYPES[document["request"]["format"]]
    return ModelFileResponse(chunks, headers=headers, media_type=media_type)


@router.delete(
    "/batch-predictions/{job_id}",
    status_code=http.HTTP_204_NO_CONTENT,
    response_class=Response,
    response_model=None,
    dependencies=[requires_admin],
    responses={**NOT_FOUND, 409: {"description": "The job is still queued or running."}},
)
async def delete_batch_prediction(job_id: JobId, db: DatabaseDep) -> None:
    """Delete an ended job and its output file."""
    await service.delete(db, job_id)
