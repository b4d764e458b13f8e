"""Aliases over HTTP, beside a name's `latest` and `versions/{version}`:

- `GET  /api/v1/models/by-name/{name}/aliases`: the name's aliases;
- `PUT  /api/v1/models/by-name/{name}/aliases/{alias}` `{"version": 3}`: set or move (train);
- `DELETE` the same path: remove (train);
- `GET  /api/v1/models/by-name/{name}/aliases/{alias}`: the version it names (read), and
  `.../download` its file; `.../predict` is in app/routers/inference.py;
- `GET  /api/v1/models/by-name/{name}/alias-history`: every change, newest first.

HTTP only: app.registry.aliases does the work; errors map to HTTP in app/errors.py.
"""

import logging
from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Query, Request, Response

from app.dependencies import DatabaseDep, GridFSDep, InferenceDep, RedisDep
from app.inference.exceptions import InferenceError
from app.registry import aliases, download, service
from app.registry.exceptions import ModelFileMissing
from app.routers.model_refs import ModelName
from app.security.deps import TrainAccess, requires_read
from app.storage import CHUNKS
from tensorfleet.schemas.aliases import (
    ALIAS_MAX_LENGTH,
    ALIAS_PATTERN,
    AliasChange,
    AliasHistory,
    AliasList,
    AliasRead,
    AliasSet,
)
from tensorfleet.schemas.registry import ModelRead

logger = logging.getLogger(__name__)
router = APIRouter(prefix="/api/v1/models/by-name/{name}", tags=["aliases"])

Alias = Annotated[
    str,
    Path(
        min_length=1,
        max_length=ALIAS_MAX_LENGTH,
        pattern=ALIAS_PATTERN,
        description="An alias: a letter, then letters, digits, `_` or `-`.",
    ),
]
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such model name, version or alias."}
}
HISTORY_LIMIT = 100


@router.get("/aliases", response_model=AliasList, responses=NOT_FOUND, dependencies=[requires_read])
async def list_aliases(db: DatabaseDep, name: ModelName) -> AliasList:
    """The name's aliases and the version each points at."""
    await service.get_model_version(db, name=name)  # 404 for a name with no model
    items = [AliasRead.from_document(d) for d in await aliases.list_aliases(db, name=name)]
    return AliasList(name=name, items=items)


@router.get(
    "/aliases/{alias}", response_model=ModelRead, responses=NOT_FOUND, dependencies=[requires_read]
)
async def aliased_model(db: DatabaseDep, name: ModelName, alias: Alias) -> ModelRead:
    """The version the alias points at (its `version` says which)."""
    return ModelRead.from_document(await service.get_model_version(db, name=name, alias=alias))


async def warm(inference: InferenceDep, document: dict) -> None:
    """Load the version into this process's cache; a model that cannot be cached (too large,
    file missing) is still aliased, and its predict calls will say why."""
    try:
        await inference.cache.get(document)
    except (InferenceError, ModelFileMissing) as exc:
        logger.warning("alias target %s not warmed: %s", document["_id"], exc)


@router.put("/aliases/{alias}", response_model=AliasChange, responses=NOT_FOUND)
async def set_alias(
    db: DatabaseDep,
    redis: RedisDep,
    inference: InferenceDep,
    name: ModelName,
    alias: Alias,
    body: AliasSet,
    principal: TrainAccess,
) -> AliasChange:
    """Point the alias at a version, creating or moving it in one write: a predict call through
    the alias is served by the old version or the new one, never neither. With `warm` (the
    default) the new version is loaded into this process's cache before the move."""
    document = await service.get_model_version(db, name=name, version=body.version)
    if body.warm:
        await warm(inference, document)
    change = await aliases.set_alias(
        db, redis=redis, model=document, alias=alias, by=principal.key_id
    )
    return AliasChange.model_validate(change)


@router.delete(
    "/aliases/{alias}",
    response_model=AliasChange,
    responses={**NOT_FOUND, 409: {"description": "Endpoints route through the alias."}},
)
async def remove_alias(
    db: DatabaseDep, redis: RedisDep, name: ModelName, alias: Alias, principal: TrainAccess
) -> AliasChange:
    """Remove the alias (the version stays); 409 while endpoints route through it."""
    change = await service.remove_alias(
        db, redis=redis, name=name, alias=alias, by=principal.key_id
    )
    return AliasChange.model_validate(change)


@router.get(
    "/alias-history",
    response_model=AliasHistory,
    responses=NOT_FOUND,
    dependencies=[requires_read],
)
async def alias_history(
    db: DatabaseDep,
    name: ModelName,
    alias: Annotated[
        str | None,
        Query(max_length=ALIAS_MAX_LENGTH, pattern=ALIAS_PATTERN, description="Only this one."),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=HISTORY_LIMIT)] = 50,
) -> AliasHistory:
    """Who moved which alias from which version to which, and when; newest first."""
    changes = await aliases.alias_history(db, name=name, alias=alias, limit=limit)
    if not changes:
        await service.get_model_version(db, name=name)  # 404 for a name with no model
    return AliasHistory(name=name, items=[AliasChange.model_validate(c) for c in changes])


DOWNLOAD: dict[str, Any] = {
    "response_model": None,
    "response_class": download.ModelFileResponse,
    "responses": {200: {"content": {download.MEDIA_TYPE: {}}}, **NOT_FOUND},
    "dependencies": [requires_read],
}


@router.get("/aliases/{alias}/download", **DOWNLOAD)
@router.head("/aliases/{alias}/download", **DOWNLOAD, operation_id="head_alias_download")
async def download_aliased(
    db: DatabaseDep,
    bucket: GridFSDep,
    request: Request,
    name: ModelName,
    alias: Alias,
    if_none_match: Annotated[str | None, Header()] = None,
) -> Response:
    """The file of the version the alias points at; `X-Model-Version` says which."""
    document = await service.get_model_version(db, name=name, alias=alias)
    return await download.model_file_response(
        document, bucket, db[CHUNKS], method=request.method, if_none_match=if_none_match
    )
