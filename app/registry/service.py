"""The model registry: read, list, delete models and the orphan sweep.

Keyword-only functions over the database and the GridFS bucket the lifespan opened. Deletion
follows the crash-safety order (README, Architecture): metadata first, so no user ever sees a
model whose file is gone; then the file, whose leftovers (if we crash in between) the sweep
removes.
"""

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from arq.connections import ArqRedis
from bson import ObjectId
from bson.errors import InvalidId
from gridfs import AsyncGridFSBucket
from gridfs.errors import NoFile
from pymongo import DESCENDING
from pymongo.asynchronous.database import AsyncDatabase

from app.drift import store as drift_store
from app.explanations.insights import delete_insights
from app.paging import page_count
from app.registry import aliases
from app.registry.cursors import CursorCodec
from app.registry.exceptions import AliasInUse, AliasNotFound, ModelInUse, ModelNotFound
from app.registry.listing import ModelFilter, after_query, index_name, sort_spec
from app.registry.usage import endpoints_through, endpoints_using
from app.storage import FILES, MODELS, NAME_VERSION_UNIQUE
from tensorfleet.schemas.inference import ModelRef
from tensorfleet.schemas.registry import ModelList, ModelRead, ModelSort, SortOrder, SweepRead

logger = logging.getLogger(__name__)

SWEEP_BATCH = 500


def parse_model_id(model_id: str) -> ObjectId:
    try:
        return ObjectId(model_id)
    except (InvalidId, TypeError):
        raise ModelNotFound(f"no model with id {model_id!r}") from None


async def get_model(db: AsyncDatabase, *, model_id: str) -> dict[str, Any]:
    """The stored document of a model; ModelNotFound for a malformed or unknown id."""
    document = await db[MODELS].find_one({"_id": parse_model_id(model_id)})
    if document is None:
        raise ModelNotFound(f"no model with id {model_id!r}")
    return document


async def aliased_model(db: AsyncDatabase, *, name: str, alias: str) -> dict[str, Any]:
    """The version an alias points at now (one alias read, one model read)."""
    target = await aliases.get_alias(db, name=name, alias=alias)
    document = await db[MODELS].find_one({"_id": target["model_id"]})
    if document is None:  # deleted under the alias (a race with a forced delete)
        raise ModelNotFound(
            f"alias {alias!r} of {name!r} points at v{target['version']}, which is gone"
        )
    return document


async def get_model_version(
    db: AsyncDatabase, *, name: str, version: int | None = None, alias: str | None = None
) -> dict[str, Any]:
    """A given version of a name, the one an alias names, or its latest when neither is given.
    AliasNotFound (a ModelNotFound) for an unknown alias."""
    if alias is not None:
        return await aliased_model(db, name=name, alias=alias)
    query: dict[str, Any] = {"name": name}
    if version is not None:
        query["version"] = version
    document = await db[MODELS].find_one(
        query, sort=[("version", DESCENDING)], hint=NAME_VERSION_UNIQUE
    )
    if document is None:
        which = "any version" if version is None else f"version {version}"
        raise ModelNotFound(f"no model named {name!r} with {which}")
    return document


async def resolve_model(db: AsyncDatabase, ref: ModelRef) -> dict[str, Any]:
    """The stored document a reference names: by id, or by name with a version, an alias or
    neither (the latest). The one resolver of model references: every route and job that
    names a model (get, download, predict, batch predictions, evaluations) comes here."""
    if ref.model_id is not None:
        return await get_model(db, model_id=ref.model_id)
    return await get_model_version(db, name=str(ref.name), version=ref.version, alias=ref.alias)


async def remove_alias(
    db: AsyncDatabase, *, redis: ArqRedis, name: str, alias: str, by: str | None
) -> dict[str, Any]:
    """Remove an alias: AliasNotFound if there is none, AliasInUse while endpoints route
    through it. Returns the change."""
    if routing := await endpoints_through(db, name=name, alias=alias):
        await aliases.get_alias(db, name=name, alias=alias)  # an unknown alias stays a 404
        raise AliasInUse(name, alias, routing)
    change = await aliases.remove_alias(db, redis=redis, name=name, alias=alias, by=by)
    if change is None:
        raise AliasNotFound(f"model {name!r} has no alias {alias!r}")
    return change


async def count_models(db: AsyncDatabase, *, model_filter: ModelFilter) -> int:
    query = model_filter.query()
    if not query:
        return await db[MODELS].estimated_document_count()
    return await db[MODELS].count_documents(query)


async def list_models(
    db: AsyncDatabase,
    *,
    model_filter: ModelFilter,
    sort: ModelSort,
    order: SortOrder,
    page: int,
    limit: int,
    after: str | None = None,
    cursors: CursorCodec,
) -> ModelList:
    """One page in a stable order: by `page` (skips index entries) or by `after` (seeks)."""
    query = model_filter.query()
    skip = (page - 1) * limit
    if after is not None:
        value, last_id = cursors.decode(after, sort, order)
        query = (
            {"$and": [query, after_query(sort, order, value, last_id)]}
            if query
            else (after_query(sort, order, value, last_id))
        )
        skip = 0
    cursor = db[MODELS].find(
        query,
        sort=sort_spec(sort, order),
        skip=skip,
        limit=limit + 1,
        hint=index_name(model_filter, sort),
    )
    documents = await cursor.to_list()
    total = await count_models(db, model_filter=model_filter)
    more = len(documents) > limit
    documents = documents[:limit]
    return ModelList(
        items=[ModelRead.from_document(document) for document in documents],
        total=total,
        page=page,
        limit=limit,
        pages=page_count(total, limit),
        next_cursor=cursors.encode(documents[-1], sort, order) if more else None,
    )


async def release(
    db: AsyncDatabase, redis: ArqRedis, document: dict[str, Any], *, force: bool, by: str | None
) -> list[str]:
    """Free a version for deletion: ModelInUse while endpoints route to it (even forced), or
    aliases point at it (unless forced: then they are removed, and returned)."""
    name, version = document["name"], document["version"]
    pointing = await aliases.aliases_of(db, name=name, version=version)
    routing = await endpoints_using(db, name=name, version=version, aliases=pointing)
    if routing or (pointing and not force):
        raise ModelInUse(name, version, pointing, routing)
    removed = [
        alias
        for alias in pointing
        if await aliases.remove_alias(
            db, redis=redis, name=name, alias=alias, by=by, version=version
        )
    ]
    return removed


async def delete_model(
    db: AsyncDatabase,
    bucket: AsyncGridFSBucket,
    *,
    redis: ArqRedis,
    model_id: str,
    force: bool = False,
    by: str | None = None,
) -> dict[str, Any]:
    """Delete the metadata, then the file; ModelNotFound if it was already gone, ModelInUse
    while aliases or endpoints name it (see `release`). Returns the deleted document with
    `removed_aliases`."""
    model = await get_model(db, model_id=model_id)
    removed = await release(db, redis, model, force=force, by=by)
    # No projection: FerretDB v1.24 does not implement findAndModify's `fields`.
    document = await db[MODELS].find_one_and_delete({"_id": parse_model_id(model_id)})
    if document is None:
        raise ModelNotFound(f"no model with id {model_id!r}")
    await delete_insights(db, document["_id"])
    try:
        await bucket.delete(document["file_id"])
    except NoFile:
        logger.info("model %s had no GridFS file %s left", model_id, document["file_id"])
    await drift_store.forget_model(db, document["_id"])
    return document | {"removed_aliases": removed}


async def _unnamed(db: AsyncDatabase, files: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The files of this batch that no model's file_id names."""
    ids = [file["_id"] for file in files]
    named = await db[MODELS].distinct("file_id", {"file_id": {"$in": ids}})
    return [file for file in files if file["_id"] not in set(named)]


async def sweep_orphan_files(
    db: AsyncDatabase, bucket: AsyncGridFSBucket, *, grace_seconds: int
) -> SweepRead:
    """Remove GridFS model files no metadata names, uploaded more than grace_seconds ago.

    The grace period protects an upload in flight: its file exists before its metadata does.
    """
    cutoff = datetime.now(UTC) - timedelta(seconds=grace_seconds)
    old = db[FILES].find(
        {"uploadDate": {"$lte": cutoff}}, projection={"_id": 1, "length": 1}, sort=[("_id", 1)]
    )
    removed: list[dict[str, Any]] = []
    batch: list[dict[str, Any]] = []
    async for file in old:
        batch.append(file)
        if len(batch) >= SWEEP_BATCH:
            removed += await _unnamed(db, batch)
            batch = []
    removed += await _unnamed(db, batch) if batch else []
    for file in removed:
        await bucket.delete(file["_id"])
    if removed:
        logger.info("orphan sweep removed %d GridFS file(s)", len(removed))
    return SweepRead(
        removed_file_ids=[str(file["_id"]) for file in removed],
        removed_count=len(removed),
        removed_bytes=sum(file.get("length", 0) for file in removed),
        grace_seconds=grace_seconds,
    )


async def sweep_at_startup(
    db: AsyncDatabase, bucket: AsyncGridFSBucket, *, grace_seconds: int
) -> None:
    """The start-up sweep: a failure is logged and start-up goes on."""
    try:
        await sweep_orphan_files(db, bucket, grace_seconds=grace_seconds)
    except Exception as exc:
        logger.warning("start-up orphan sweep failed, continuing: %s", exc)
