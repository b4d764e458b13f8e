"""Evaluations over HTTP: submit one for a model (by id, by name and version, or by alias),
list a model's, read one. HTTP only: app.evaluation does the work; errors map to HTTP in
app/errors.py (a dataset that does not fit the model is a 422 before anything is queued).
"""

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response
from fastapi import status as http

from app.dependencies import DatabaseDep, RedisDep, SettingsDep
from app.evaluation import service
from app.security.deps import CallerDep, TrainAccess, requires_read
from tensorfleet.schemas.aliases import ALIAS_MAX_LENGTH, ALIAS_PATTERN
from tensorfleet.schemas.evaluation import EvaluationList, EvaluationRead, EvaluationRequest
from tensorfleet.schemas.inference import ModelRef
from tensorfleet.schemas.training import IDENTIFIER_PATTERN

router = APIRouter(prefix="/api/v1", tags=["evaluations"])
ModelId = Annotated[str, Path(min_length=1, max_length=64, description="The model id.")]
ModelName = Annotated[
    str, Path(min_length=1, max_length=128, pattern=IDENTIFIER_PATTERN, description="Model name.")
]
Version = Annotated[int, Path(ge=1, le=2**62, description="The model version.")]
Alias = Annotated[str, Path(min_length=1, max_length=ALIAS_MAX_LENGTH, pattern=ALIAS_PATTERN)]
EvaluationId = Annotated[str, Path(min_length=1, max_length=64)]
Limit = Annotated[int, Query(ge=1, le=100, description="Newest first, at most this many.")]
SUBMIT: dict[str, Any] = {
    "response_model": EvaluationRead,
    "status_code": http.HTTP_202_ACCEPTED,
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


async def _submit(
    ref: ModelRef,
    request: EvaluationRequest,
    deps: tuple[Any, Any, Any, str],
    response: Response,
) -> EvaluationRead:
    db, redis, settings, owner = deps
    document = await service.submit_evaluation(
        db=db, redis=redis, settings=settings, ref=ref, request=request, owner=owner
    )
    response.headers["Location"] = f"/api/v1/evaluations/{document['_id']}"
    return EvaluationRead.from_document(document)


@router.post("/models/{model_id}/evaluations", **SUBMIT)
async def evaluate(
    model_id: ModelId,
    request: EvaluationRequest,
    db: DatabaseDep,
    redis: RedisDep,
    settings: SettingsDep,
    caller: CallerDep,
    principal: TrainAccess,
    response: Response,
) -> EvaluationRead:
    """Evaluate a model on a dataset version, as a job (poll GET /api/v1/evaluations/{id})."""
    deps = (db, redis, settings, caller.identity)
    return await _submit(ModelRef(model_id=model_id), request, deps, response)


@router.post("/models/by-name/{name}/latest/evaluations", **SUBMIT)
async def evaluate_latest(
    name: ModelName,
    request: EvaluationRequest,
    db: DatabaseDep,
    redis: RedisDep,
    settings: SettingsDep,
    caller: CallerDep,
    principal: TrainAccess,
    response: Response,
) -> EvaluationRead:
    """Evaluate the highest version of a model name."""
    deps = (db, redis, settings, caller.identity)
    return await _submit(ModelRef(name=name), request, deps, response)


@router.post("/models/by-name/{name}/versions/{version}/evaluations", **SUBMIT)
async def evaluate_version(
    name: ModelName,
    version: Version,
    request: EvaluationRequest,
    db: DatabaseDep,
    redis: RedisDep,
    settings: SettingsDep,
    caller: CallerDep,
    principal: TrainAccess,
    response: Response,
) -> EvaluationRead:
    """Evaluate one version of a model name."""
    deps = (db, redis, settings, caller.identity)
    return await _submit(ModelRef(name=name, version=version), request, deps, response)


@router.post("/models/by-name/{name}/aliases/{alias}/evaluations", **SUBMIT)
async def evaluate_alias(
    name: ModelName,
    alias: Alias,
    request: EvaluationRequest,
    db: DatabaseDep,
    redis: RedisDep,
    settings: SettingsDep,
    caller: CallerDep,
    principal: TrainAccess,
    response: Response,
) -> EvaluationRead:
    """Evaluate the version an alias names (e.g. the `staging` one, promoting it on a pass)."""
    deps = (db, redis, settings, caller.identity)
    return await _submit(ModelRef(name=name, alias=alias), request, deps, response)


@router.get("/models/{model_id}/evaluations", **LIST)
async def list_evaluations(model_id: ModelId, db: DatabaseDep, limit: Limit = 20) -> EvaluationList:
    """A model's evaluations, newest first."""
    documents, total = await service.list_evaluations(db, ModelRef(model_id=model_id), limit=limit)
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
