"""Endpoints in MongoDB: one document per endpoint, `_id` its name, written whole.

Replacing the document is one write, so a predict call reads the old routes and weights or the
new ones, never a mix; `created_at` survives a replacement because it is set only on insert.
"""

from datetime import UTC, datetime
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from app.endpoints.exceptions import EndpointNotFound
from app.storage import ENDPOINTS
from tensorfleet.schemas.endpoints import EndpointSet

Document = dict[str, Any]


async def put_endpoint(
    db: AsyncDatabase, *, name: str, body: EndpointSet, by: str | None
) -> Document:
    now = datetime.now(UTC)
    fields = body.model_dump(mode="json") | {"updated_at": now, "updated_by": by}
    update = {"$set": fields, "$setOnInsert": {"created_at": now}}
    try:
        await db[ENDPOINTS].update_one({"_id": name}, update, upsert=True)
    except DuplicateKeyError:  # created by a concurrent PUT a moment ago
        await db[ENDPOINTS].update_one({"_id": name}, update)
    return await get_endpoint(db, name=name)


async def get_endpoint(db: AsyncDatabase, *, name: str) -> Document:
    document = await db[ENDPOINTS].find_one({"_id": name})
    if document is None:
        raise EndpointNotFound(name)
    return document


async def list_endpoints(db: AsyncDatabase) -> list[Document]:
    return await db[ENDPOINTS].find({}, sort=[("_id", 1)]).to_list()


async def endpoints_of(db: AsyncDatabase, *, model: str) -> list[Document]:
    """The endpoints whose routes name versions of this model name (by the `model` index)."""
    return await db[ENDPOINTS].find({"model": model}, sort=[("_id", 1)]).to_list()


async def delete_endpoint(db: AsyncDatabase, *, name: str) -> None:
    if (await db[ENDPOINTS].delete_one({"_id": name})).deleted_count == 0:
        raise EndpointNotFound(name)
