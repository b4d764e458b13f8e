"""Models: the list (filters, sort, cursor paging), a model's page, download, delete behind a
confirmation page, and a side-by-side comparison."""

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, status
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from app.dependencies import (
    CursorCodecDep,
    DatabaseDep,
    GridFSDep,
    InferenceDep,
    RedisDep,
    SettingsDep,
)
from app.endpoints import store as endpoint_store
from app.evaluation import store as evaluation_store
from app.explanations.insights import read_insights
from app.gridfs_chunks import iter_chunks
from app.registry import aliases, download, service
from app.registry.listing import ModelFilter
from app.security.schemas import Scope
from app.storage import CHUNKS
from app.ui import driftview, modelviews
from app.ui.rendering import render
from app.ui.session import CheckedForm, UIRefusal, Viewer, authorize
from tensorfleet.schemas.aliases import AliasRead
from tensorfleet.schemas.endpoints import EndpointRead
from tensorfleet.schemas.evaluation import EvaluationRead
from tensorfleet.schemas.registry import ModelList, ModelRead, ModelSort, SortOrder
from tensorfleet.schemas.training import IDENTIFIER_PATTERN

PAGE_SIZE = 50
EVALUATIONS_SHOWN = 10
MAX_COMPARED = 10
router = APIRouter(prefix="/ui/models", include_in_schema=False)
NameFilter = Annotated[
    str | None, Query(max_length=128, pattern=f"({IDENTIFIER_PATTERN})|^$", description="")
]
ModelId = Annotated[str, Path(min_length=1, max_length=64)]


def chosen(value: str | None) -> str | None:
    return value or None


@router.get("")
async def model_list(
    request: Request,
    principal: Viewer,
    db: DatabaseDep,
    cursors: CursorCodecDep,
    name: NameFilter = None,
    algorithm: NameFilter = None,
    dataset_name: NameFilter = None,
    sort: ModelSort = ModelSort.created_at,
    order: SortOrder = SortOrder.desc,
    after: Annotated[str | None, Query(max_length=1024)] = None,
) -> Response:
    model_filter = ModelFilter(
        name=chosen(name), algorithm=chosen(algorithm), dataset_name=chosen(dataset_name)
    )
    listing = await service.list_models(
        db,
        model_filter=model_filter,
        sort=sort,
        order=order,
        page=1,
        limit=PAGE_SIZE,
        after=chosen(after),
        cursors=cursors,
    )
    filters = {"name": name or "", "algorithm": algorithm or "", "dataset_name": dataset_name or ""}
    context = {"listing": listing, "filters": filters, "sort": sort.value, "order": order.value}
    context |= {"sorts": [s.value for s in ModelSort], "paged": after is not None}
    return render(request, "models.html", context, principal=principal)


async def find_model(db: DatabaseDep, model_id: str) -> dict[str, Any]:
    return await service.get_model(db, model_id=model_id)


@router.get("/compare")
async def compare(
    request: Request,
    principal: Viewer,
    db: DatabaseDep,
    ids: Annotated[list[str], Query(alias="id", max_length=MAX_COMPARED)] = [],  # noqa: B006
) -> Response:
    if len(set(ids)) < 2:
        raise UIRefusal(422, "pick at least two models to compare (tick them in the list)")
    models = [ModelRead.from_document(await find_model(db, i)) for i in dict.fromkeys(ids)]
    context = {"models": models, "rows": modelviews.comparison_rows(models)}
    return render(request, "compare.html", context, principal=principal)


@router.get("/{model_id}")
async def model_page(
    request: Request,
    principal: Viewer,
    db: DatabaseDep,
    redis: RedisDep,
    settings: SettingsDep,
    cursors: CursorCodecDep,
    model_id: ModelId,
) -> Response:
    document = await find_model(db, model_id)
    versions: ModelList = await service.list_models(
        db,
        model_filter=ModelFilter(name=document["name"]),
        sort=ModelSort.version,
        order=SortOrder.desc,
        page=1,
        limit=PAGE_SIZE,
        cursors=cursors,
    )
    context: dict[str, Any] = {"model": ModelRead.from_document(document), "versions": versions}
    named = await aliases.list_aliases(db, name=document["name"])
    context["aliases"] = [AliasRead.from_document(a) for a in named]
    routing = await endpoint_store.endpoints_of(db, model=document["name"])
    context["endpoints"] = [EndpointRead.from_document(e) for e in routing]
    context |= modelviews.charts(document, await read_insights(db, document["_id"]))
    evaluated = str(document["_id"])
    found, total = await evaluation_store.list_evaluations(db, evaluated, limit=EVALUATIONS_SHOWN)
    context |= {"evaluations": [EvaluationRead.from_document(e) for e in found]}
    context |= {"evaluations_total": total}
    context |= await driftview.drift_section(db, redis, settings, document)
    return render(request, "model.html", context, principal=principal)


@router.get("/{model_id}/download")
async def download_model(
    principal: Viewer, db: DatabaseDep, bucket: GridFSDep, model_id: ModelId
) -> Response:
    """The same stream as GET /api/v1/models/{id}/download, for a signed-in browser."""
    document = await find_model(db, model_id)
    grid_out = await download.open_model_file(bucket, document)
    headers = download.download_headers(document) | {"Content-Length": str(grid_out.length)}
    chunks = iter_chunks(grid_out, db[CHUNKS])
    return download.ModelFileResponse(chunks, headers=headers)


@router.get("/{model_id}/delete")
async def confirm_delete(
    request: Request, principal: Viewer, db: DatabaseDep, model_id: ModelId
) -> Response:
    document = await find_model(db, model_id)
    pointing = await aliases.aliases_of(db, name=document["name"], version=document["version"])
    context = {"model": ModelRead.from_document(document), "aliases": pointing}
    return render(request, "delete.html", context, principal=principal)


@router.post("/{model_id}/delete")
async def delete(
    request: Request,
    form: CheckedForm,
    db: DatabaseDep,
    bucket: GridFSDep,
    redis: RedisDep,
    inference: InferenceDep,
    model_id: ModelId,
) -> Response:
    """As DELETE /api/v1/models/{id}: refused while aliases point at it unless the form says
    to remove them; every API process stops serving it."""
    principal = await authorize(request, Scope.admin)
    force = form.get("remove_aliases") == "yes"
    await service.delete_model(
        db, bucket, redis=redis, model_id=model_id, force=force, by=principal.key_id
    )
    await inference.forget(redis, model_id)
    return RedirectResponse("/ui/models?deleted=1", status.HTTP_303_SEE_OTHER)
