"""Evaluations over HTTP: submit one for a model (by id, by name and version, or by alias),
list a model's, read one. HTTP only: app.evaluation does the work; errors map to HTTP in
app/errors.py (a dataset that does not fit the model is a 422 before anything is queued).
"""

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response
from fastapi import status as http

from app.dependencies import DatabaseDep, JobContextDep
from app.evaluation import service
from app.routers.model_refs import ALIAS, BY_ID, LATEST, VERSION, ModelIdRef, add_model_routes
from app.security.deps import requires_read, requires_train
from tensorfleet.schemas.evaluation import EvaluationList, EvaluationRead, EvaluationRequest
from tensorfleet.schemas.inference import ModelRef

router = APIRouter(prefix="/api/v1", tags=["evaluations"])
EvaluationId = Annotated[str, Path(min_length=1, max_length=64)]
Limit = Annotated[int, Query(ge=1, le=100, description="Newest first, at most this many.")]
SUBMIT: dict[str, Any] = {
    "methods": ["POST"],
    "response_model": EvaluationRead,
    "status_code": http.HTTP_202_ACCEPTED,
    "dependencies": [requires_train],
    "responses": {
        404: {"description": "No such model (id, name, version or alias)."},
        422: {"description": "The dataset does not fit the model, or a threshold's metric."},
        429: {"description": "The caller's cap on active jobs (MAX_ACTIVE_JOBS_PER_KEY)."},
        503: {"description": "The queue is unavailable; nothing will run: submit again."},
    },
}
LIST: dict[str, Any] = {
    "response_model": EvaluationList,
    "dependencies": [requires_read],
    "responses": {404: {"description": "No such model."}},
}


async def evaluate(
    ref: ModelRef, request: EvaluationRequest, job: JobContextDep, response: Response
) -> EvaluationRead:
    document = await service.submit_evaluation(
        db=job.db, redis=job.redis, settings=job.settings, ref=ref, request=request, owner=job.owner
    )
    response.headers["Location"] = f"/api/v1/evaluations/{document['_id']}"
    return EvaluationRead.from_document(document)


add_model_routes(
    router,
    "/evaluations",
    evaluate,
    {
        BY_ID: (
            "evaluate",
            "Evaluate a model on a dataset version, as a job (poll GET /api/v1/evaluations/{id}).",
        ),
        LATEST: ("evaluate_latest", "Evaluate the highest version of a model name."),
        VERSION: ("evaluate_version", "Evaluate one version of a model name."),
        ALIAS: (
            "evaluate_alias",
            "Evaluate the version an alias names (e.g. the `staging` one, promoting it on a pass).",
        ),
    },
    **SUBMIT,
)


@router.get("/models/{model_id}/evaluations", **LIST)
async def list_evaluations(ref: ModelIdRef, db: DatabaseDep, limit: Limit = 20) -> EvaluationList:
    """A model's evaluations, newest first."""
    documents, total = await service.list_evaluations(db, ref, limit=limit)
    return EvaluationList(items=[EvaluationRead.from_document(d) for d in documents], total=total)


@router.get(
    "/evaluations/{evaluation_id}",
    response_model=EvaluationRead,
    dependencies=[requires_read],
    responses={404: {"description": "No such evaluation."}},
)
async def get_evaluation(evaluation_id: EvaluationId, db: DatabaseDep) -> EvaluationRead:
    """One evaluation: its status and, once it succeeded, its metrics and verdict."""
    return EvaluationRead.from_document(await service.get_evaluation(db, evaluation_id))
