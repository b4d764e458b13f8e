"""Aliases: names such as `production` that each point at one version of a model name.

One document per (name, alias) in `model_aliases`, with `_id` "<name>/<alias>" (neither may
hold a `/`), so creating, moving and removing an alias is a single-document write: a reader
(a predict call resolving the alias) sees the old version or the new one, never neither. The
document carries the version's model id, so serving an alias costs one lookup before the
model cache. A removed alias keeps its document with `version` null (a tombstone), so its
`revision`, raised by every write in the same atomic update, orders all of one alias's
changes exactly, however many callers move it at once (timestamps taken around concurrent
writes need not follow the order they applied in).

On MongoDB each of those writes is atomic (findAndModify on one document), so revisions order
changes across every API replica. FerretDB v1.24 does not isolate findAndModify (measured:
12 concurrent PUTs of one alias read the same "before" and got duplicate revisions), so each
process also serialises its own writes to one alias with a lock: on the embedded store, one
API process keeps the history exact.

Every change is then appended to `model_alias_history` with that revision; the alias write
comes first because it is what callers rely on (a crash in between loses one history line,
never the alias). Setting an alias to the version it already names records nothing. A
recorded change then emits `alias.changed` to the webhooks (docs/events.md), so every alias
write, wherever it is made from, is announced once.
"""

import asyncio
import contextlib
import logging
import weakref
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

from arq.connections import ArqRedis
from pymongo import DESCENDING, ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from app.events import emit_event
from app.registry.exceptions import AliasNotFound
from app.storage import MODEL_ALIAS_HISTORY, MODEL_ALIASES
from tensorfleet.schemas.events import EventType

logger = logging.getLogger(__name__)

Document = dict[str, Any]


# One lock per alias being written in this process; an entry lives while someone holds it.
_writing: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()


def alias_id(name: str, alias: str) -> str:
    return f"{name}/{alias}"


@contextlib.asynccontextmanager
async def writing(key: str) -> AsyncIterator[None]:
    """This process's writes to one alias, one at a time (see the module's docstring)."""
    lock = _writing.get(key)
    if lock is None:
        lock = _writing[key] = asyncio.Lock()
    async with lock:
        yield


LIVE = {"version": {"$gte": 1}}  # not a tombstone


async def get_alias(db: AsyncDatabase, *, name: str, alias: str) -> Document:
    """The alias's document; AliasNotFound when the name has no such alias."""
    document = await db[MODEL_ALIASES].find_one({"_id": alias_id(name, alias)} | LIVE)
    if document is None:
        raise AliasNotFound(f"model {name!r} has no alias {alias!r}")
    return document


async def list_aliases(db: AsyncDatabase, *, name: str) -> list[Document]:
    cursor = db[MODEL_ALIASES].find({"name": name} | LIVE, sort=[("alias", 1)])
    return await cursor.to_list()


async def aliases_of(db: AsyncDatabase, *, name: str, version: int) -> list[str]:
    """The aliases that point at this version, sorted."""
    cursor = db[MODEL_ALIASES].find({"name": name, "version": version}, {"alias": 1})
    return sorted([document["alias"] async for document in cursor])


async def _announce(redis: ArqRedis, db: AsyncDatabase, change: Document) -> None:
    """Emit `alias.changed`; a failure is logged, never undoes the alias write."""
    fields = ("name", "alias", "from_version", "to_version", "model_id", "revision")
    data = {key: change[key] for key in fields}
    data |= {"changed_by": change["by"], "changed_at": change["changed_at"]}
    try:
        await emit_event(redis, db, EventType.alias_changed, data)
    except Exception:
        name, alias = change["name"], change["alias"]
        logger.exception("alias %s/%s: could not emit alias.changed", name, alias)


async def _record(
    db: AsyncDatabase, redis: ArqRedis, before: Document | None, after: Document, by: str | None
) -> Document:
    """The change from `before` (None: never existed) to `after`, appended to the history."""
    change = {
        "name": after["name"],
        "alias": after["alias"],
        "from_version": before.get("version") if before else None,
        "to_version": after["version"],
        "model_id": str(after["model_id"]) if after["model_id"] is not None else None,
        "revision": (before.get("revision", 0) if before else 0) + 1,
        "by": by,
        "changed_at": after["updated_at"],
    }
    if change["from_version"] != change["to_version"]:
        await db[MODEL_ALIAS_HISTORY].insert_one(dict(change))
        await _announce(redis, db, change)
    return change


async def _upsert(db: AsyncDatabase, key: str, fields: Document) -> Document | None:
    """The document as it was before this write (None: created)."""
    update = {"$set": fields, "$inc": {"revision": 1}}
    aliases = db[MODEL_ALIASES]
    try:
        return await aliases.find_one_and_update(
            {"_id": key}, update, upsert=True, return_document=ReturnDocument.BEFORE
        )
    except DuplicateKeyError:  # created by a concurrent set a moment ago: now it exists
        return await aliases.find_one_and_update({"_id": key}, update)


async def set_alias(
    db: AsyncDatabase, *, redis: ArqRedis, model: Document, alias: str, by: str | None
) -> Document:
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
    async with writing(alias_id(name, alias)):
        before = await _upsert(db, alias_id(name, alias), fields)
        return await _record(db, redis, before, fields, by)


async def remove_alias(
    db: AsyncDatabase,
    *,
    redis: ArqRedis,
    name: str,
    alias: str,
    by: str | None,
    version: int | None = None,
) -> Document | None:
    """Remove the alias (only while it points at `version`, when given), leaving a tombstone.
    Returns the change, or None when there was nothing (or, with `version`, nothing pointing
    there) to remove."""
    query = {"_id": alias_id(name, alias)} | ({"version": version} if version else LIVE)
    fields = {
        "name": name,
        "alias": alias,
        "version": None,
        "model_id": None,
        "updated_at": datetime.now(UTC),
        "updated_by": by,
    }
    update = {"$set": fields, "$inc": {"revision": 1}}
    async with writing(alias_id(name, alias)):
        removed = await db[MODEL_ALIASES].find_one_and_update(query, update)
        return None if removed is None else await _record(db, redis, removed, fields, by)


async def alias_history(
    db: AsyncDatabase, *, name: str, alias: str | None, limit: int
) -> list[Document]:
    """The name's alias changes, newest first: by revision for one alias (exact), by time for
    all of them."""
    query: Document = {"name": name} | ({"alias": alias} if alias else {})
    order = [("changed_at", DESCENDING), ("_id", DESCENDING)]
    if alias:
        order = [("revision", DESCENDING)]
    return await db[MODEL_ALIAS_HISTORY].find(query, sort=order, limit=limit).to_list()
