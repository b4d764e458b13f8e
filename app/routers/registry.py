"""The model registry over HTTP: list, read, download, delete, statistics, sweep.

HTTP only: parse and call app.registry; app/errors.py maps its errors (ModelNotFound is a 404
with a message, a bad `after` cursor a 422 naming the parameter).
"""

from typing import Annotated, Any

from fastapi import (
    APIRouter,
    Header,
    HTTPException,
    Path,
    Query,
    Request,
    Response,
)
from fastapi import status as http

from app.dependencies import (
    CursorCodecDep,
    DatabaseDep,
    GridFSDep,
    InferenceDep,
    RedisDep,
    SettingsDep,
)
from app.metrics import MODEL_LISTINGS
from app.registry import download, service
from app.registry.listing import ModelFilter
from app.registry.statistics import registry_statistics
from app.routers.model_refs import ModelDep, ModelId, ModelName
from app.security.deps import AdminAccess, requires_admin, requires_read
from app.storage import CHUNKS
from tensorfleet.schemas.registry import (
    ModelDeleted,
    ModelList,
    ModelRead,
    ModelSort,
    SortOrder,
    StatisticsRead,
    SweepRead,
)
from tensorfleet.schemas.training import IDENTIFIER_PATTERN

MAX_LIMIT = 100
MAX_PAGE = 100_000  # deeper pages: follow next_cursor (a larger skip overflows the driver)
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"description": "No model with this id (or a malformed id)."}
}

router = APIRouter(prefix="/api/v1", tags=["registry"])
NameFilter = Annotated[str | None, Query(min_length=1, max_length=128, pattern=IDENTIFIER_PATTERN)]


def invalid(parameter: str, message: str) -> HTTPException:
    detail = [{"type": "value_error", "loc": ["query", parameter], "msg": message}]
    return HTTPException(status_code=http.HTTP_422_UNPROCESSABLE_CONTENT, detail=detail)


@router.get(
    "/models",
    response_model=ModelList,
    status_code=http.HTTP_200_OK,
    dependencies=[requires_read],
)
async def list_models(
    db: DatabaseDep,
    cursors: CursorCodecDep,
    page: Annotated[int, Query(ge=1, le=MAX_PAGE, description="Page number, from 1.")] = 1,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Models per page.")] = 10,
    algorithm: NameFilter = None,
    name: NameFilter = None,
    dataset_name: NameFilter = None,
    sort: ModelSort = ModelSort.created_at,
    order: SortOrder = SortOrder.desc,
    after: Annotated[
        str | None, Query(max_length=1024, description="`next_cursor` of the previous page.")
    ] = None,
) -> ModelList:
    """Models, newest first by default. For deep pages follow `next_cursor` with `after`."""
    if after is not None and page != 1:
        raise invalid("page", "give either page or after, not both")
    model_filter = ModelFilter(name=name, algorithm=algorithm, dataset_name=dataset_name)
    result = await service.list_models(
        db,
        model_filter=model_filter,
        sort=sort,
        order=order,
        page=page,
        limit=limit,
        after=after,
        cursors=cursors,
    )
    MODEL_LISTINGS.labels(sort.value, "cursor" if after else "page").inc()
    return result


@router.get(
    "/models/by-name/{name}/latest",
    response_model=ModelRead,
    status_code=200,
    responses=NOT_FOUND,
    dependencies=[requires_read],
)
async def latest_model_version(db: DatabaseDep, name: ModelName) -> ModelRead:
    """The highest version of a model name."""
    return ModelRead.from_document(await service.get_model_version(db, name=name, version=None))


@router.get(
    "/models/by-name/{name}/versions/{version}",
    response_model=ModelRead,
    status_code=http.HTTP_200_OK,
    responses=NOT_FOUND,
    dependencies=[requires_read],
)
async def model_version(
    db: DatabaseDep, name: ModelName, version: Annotated[int, Path(ge=1, le=2**62)]
) -> ModelRead:
    """One version of a model name."""
    return ModelRead.from_document(await service.get_model_version(db, name=name, version=version))


@router.get(
    "/models/{model_id}",
    response_model=ModelRead,
    status_code=http.HTTP_200_OK,
    responses=NOT_FOUND,
    dependencies=[requires_read],
)
async def read_model(model: ModelDep) -> ModelRead:
    return ModelRead.from_document(model)


DOWNLOAD_ROUTE: dict[str, Any] = {
    "response_model": None,
    "status_code": http.HTTP_200_OK,
    "response_class": download.ModelFileResponse,
    "responses": {
        200: {"content": {download.MEDIA_TYPE: {}}, "description": "The joblib file."},
        304: {"description": "If-None-Match named this file's ETag (its sha256)."},
        **NOT_FOUND,
    },
    "dependencies": [requires_read],
}


# GET and HEAD as two routes, so each has its own OpenAPI operation id.
@router.get("/models/{model_id}/download", **DOWNLOAD_ROUTE)
@router.head("/models/{model_id}/download", **DOWNLOAD_ROUTE, operation_id="head_model_download")
async def download_model(
    model: ModelDep,
    db: DatabaseDep,
    bucket: GridFSDep,
    request: Request,
    if_none_match: Annotated[str | None, Header()] = None,
) -> Response:
    """The serialised model, streamed from GridFS; ETag is its sha256."""
    return await download.model_file_response(
        model, bucket, db[CHUNKS], method=request.method, if_none_match=if_none_match
    )


@router.delete(
    "/models/{model_id}",
    status_code=http.HTTP_204_NO_CONTENT,
    response_model=None,
    response_class=Response,
    responses={
        **NOT_FOUND,
        200: {"model": ModelDeleted, "description": "With force=true: what was removed."},
        409: {"description": "Aliases point at the version (or endpoints route to it)."},
    },
)
async def delete_model(
    db: DatabaseDep,
    bucket: GridFSDep,
    redis: RedisDep,
    inference: InferenceDep,
    model_id: ModelId,
    principal: AdminAccess,
    force: Annotated[
        bool, Query(description="Also remove the aliases that point at this version.")
    ] = False,
) -> Response:
    """Delete the metadata, then the GridFS file and chunks; every API process stops serving
    the model's predictions. 409 naming the aliases that point at it unless `force=true`
    (which removes them and answers 200 saying so), and naming the endpoints that route to it
    (whatever `force`: change their routes first)."""
    deleted = await service.delete_model(
        db, bucket, redis=redis, model_id=model_id, force=force, by=principal.key_id
    )
    await inference.forget(redis, model_id)
    if not force:
        return Response(status_code=http.HTTP_204_NO_CONTENT)
    answer = ModelDeleted(
        id=str(deleted["_id"]),
        name=deleted["name"],
        version=deleted["version"],
        removed_aliases=deleted["removed_aliases"],
    )
    return Response(answer.model_dump_json(), media_type="application/json")


@router.get(
    "/statistics",
    response_model=StatisticsRead,
    status_code=http.HTTP_200_OK,
    dependencies=[requires_read],
)
async def statistics(db: DatabaseDep) -> StatisticsRead:
    """Totals, per-algorithm counts and mean test accuracy, recent models, jobs, bytes."""
    return await registry_statistics(db)


@router.post(
    "/maintenance/sweep",
    response_model=SweepRead,
    status_code=http.HTTP_200_OK,
    dependencies=[requires_admin],
)
async def sweep_orphans(db: DatabaseDep, bucket: GridFSDep, settings: SettingsDep) -> SweepRead:
    """Remove GridFS model files no model names, older than ORPHAN_GRACE_SECONDS."""
    return await service.sweep_orphan_files(db, bucket, grace_seconds=settings.orphan_grace_seconds)
