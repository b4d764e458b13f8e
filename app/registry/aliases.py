"""Aliases: names such as `production` that each point at one version of a model name.

One document per (name, alias) in `model_aliases`, with `_id` "<name>/<alias>" (neither may
hold a `/`), so creating, moving and removing an alias is a single-document write: a reader
(a predict call resolving the alias) sees the old version or the new one, never neither. The
document carries the version's model id, so serving an alias costs one lookup before the
model cache. Every change is then appended to `model_alias_history`; the alias write comes
first because it is what callers rely on (a crash in between loses one history line, never
the alias). Setting an alias to the version it already names writes nothing.
"""

from datetime import UTC, datetime
from typing import Any

from pymongo import DESCENDING, ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from app.registry.exceptions import AliasNotFound
from app.storage import MODEL_ALIAS_HISTORY, MODEL_ALIASES

Document = dict[str, Any]


def alias_id(name: str, alias: str) -> str:
    return f"{name}/{alias}"


async def get_alias(db: AsyncDatabase, *, name: str, alias: str) -> Document:
    """The alias's document; AliasNotFound when the name has no such alias."""
    document = await db[MODEL_ALIASES].find_one({"_id": alias_id(name, alias)})
    if document is None:
        raise AliasNotFound(f"model {name!r} has no alias {alias!r}")
    return document


async def list_aliases(db: AsyncDatabase, *, name: str) -> list[Document]:
    cursor = db[MODEL_ALIASES].find({"name": name}, sort=[("alias", 1)])
    return await cursor.to_list()


async def aliases_of(db: AsyncDatabase, *, name: str, version: int) -> list[str]:
    """The aliases that point at this version, sorted."""
    cursor = db[MODEL_ALIASES].find({"name": name, "version": version}, {"alias": 1})
    return sorted([document["alias"] async for document in cursor])


async def _record(
    db: AsyncDatabase, name: str, alias: str, before: int | None, after: int | None, by: str | None
) -> Document:
    change = {
        "name": name,
        "alias": alias,
        "from_version": before,
        "to_version": after,
        "by": by,
        "changed_at": datetime.now(UTC),
    }
    if before != after:
        await db[MODEL_ALIAS_HISTORY].insert_one(dict(change))
    return change


async def _upsert(db: AsyncDatabase, key: str, fields: Document) -> Document | None:
    """The document as it was before this write (None: created)."""
    update = {"$set": fields}
    aliases = db[MODEL_ALIASES]
    try:
        return await aliases.find_one_and_update(
            {"_id": key}, update, upsert=True, return_document=ReturnDocument.BEFORE
        )
    except DuplicateKeyError:  # created by a concurrent set a moment ago: now it exists
        return await aliases.find_one_and_update({"_id": key}, update)


async def set_alias(db: AsyncDatabase, *, model: Document, alias: str, by: str | None) -> Document:
    """Point `alias` of the model's name at this model (its version), in one write. Returns the
    change: name, alias, from_version, to_version, by, changed_at."""
    name, version = model["name"], model["version"]
    fields = {
        "name": name,
        "alias": alias,
        "version": version,
        "model_id": model["_id"],
        "updated_at": datetime.now(UTC),
        "updated_by": by,
    }
    before = await _upsert(db, alias_id(name, alias), fields)
    return await _record(db, name, alias, before["version"] if before else None, version, by)


async def remove_alias(
    db: AsyncDatabase, *, name: str, alias: str, by: str | None, version: int | None = None
) -> Document | None:
    """Remove the alias (only while it points at `version`, when given). Returns the change,
    or None when there was nothing (or, with `version`, nothing pointing there) to remove."""
    query: Document = {"_id": alias_id(name, alias)}
    if version is not None:
        query["version"] = version
    removed = await db[MODEL_ALIASES].find_one_and_delete(query)
    if removed is None:
        return None
    return await _record(db, name, alias, removed["version"], None, by)


async def alias_history(
    db: AsyncDatabase, *, name: str, alias: str | None, limit: int
) -> list[Document]:
    """The name's alias changes (of one alias, when given), newest first."""
    query: Document = {"name": name} | ({"alias": alias} if alias else {})
    order = [("changed_at", DESCENDING), ("_id", DESCENDING)]
    return await db[MODEL_ALIAS_HISTORY].find(query, sort=order, limit=limit).to_list()
