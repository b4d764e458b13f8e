"""API keys in MongoDB: only a SHA-256 of each key is stored, looked up by that hash.

A key is `tf_` and 43 random URL-safe characters (256 bits), so a plain hash is enough: there
is nothing to brute-force, and a lookup by hash compares no secret byte by byte in Python.
"""

import hashlib
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase

from app.security.exceptions import KeyNotFound, LastAdminKey
from app.security.schemas import SCOPE_RANK, KeyCreate, KeyCreated, KeyRead, Scope
from app.storage import API_KEYS

KEY_PREFIX = "tf_"
MAX_KEY_LENGTH = 256
SHOWN_PREFIX = 10  # characters of a key kept in clear, to recognise it in a listing
LAST_USED_EVERY = timedelta(minutes=1)


def new_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def looks_like_a_key(key: str) -> bool:
    return key.startswith(KEY_PREFIX) and 16 <= len(key) <= MAX_KEY_LENGTH and key.isascii()


def key_read(document: dict[str, Any]) -> KeyRead:
    return KeyRead(id=document["_id"], **{k: v for k, v in document.items() if k != "_id"})


async def create_key(
    db: AsyncDatabase, *, request: KeyCreate, created_by: str | None
) -> KeyCreated:
    key = new_key()
    document = {
        "_id": f"k_{secrets.token_hex(8)}",
        "prefix": key[:SHOWN_PREFIX],
        "hash": key_hash(key),
        "name": request.name,
        "scopes": sorted({s.value for s in request.scopes}),
        "created_at": now(),
        "created_by": created_by,
        "last_used_at": None,
        "revoked_at": None,
    }
    await db[API_KEYS].insert_one(document)
    return KeyCreated(key=key, **key_read(document).model_dump())


async def list_keys(db: AsyncDatabase, *, include_revoked: bool) -> list[KeyRead]:
    query: dict[str, Any] = {} if include_revoked else {"revoked_at": None}
    cursor = db[API_KEYS].find(query, projection={"hash": 0}, sort=[("created_at", ASCENDING)])
    return [key_read(d) async for d in cursor.limit(10_000)]


async def revoke_key(db: AsyncDatabase, *, key_id: str, keep_an_admin: bool) -> KeyRead:
    """Mark the key revoked (kept for the record); KeyNotFound when there is no such key.

    With `keep_an_admin`, revoking the last active admin key is undone and LastAdminKey raised.
    Counted after our own write, so two admins revoking each other at once both fail rather
    than both succeed.
    """
    keys = db[API_KEYS]
    stamp = now()
    result = await keys.update_one(
        {"_id": key_id, "revoked_at": None}, {"$set": {"revoked_at": stamp}}
    )
    document = await keys.find_one({"_id": key_id}, projection={"hash": 0})
    if document is None:
        raise KeyNotFound(key_id)
    was_admin = Scope.admin.value in document["scopes"]
    if result.modified_count and was_admin and keep_an_admin and not await count_admin_keys(db):
        await keys.update_one({"_id": key_id}, {"$set": {"revoked_at": None}})
        raise LastAdminKey(key_id)
    return key_read(document)


async def find_active_key(db: AsyncDatabase, key: str) -> dict[str, Any] | None:
    return await db[API_KEYS].find_one(
        {"hash": key_hash(key), "revoked_at": None}, projection={"hash": 0}
    )


async def touch(db: AsyncDatabase, key_id: str, now: datetime) -> None:
    await db[API_KEYS].update_one({"_id": key_id}, {"$set": {"last_used_at": now}})


async def count_admin_keys(db: AsyncDatabase) -> int:
    return await db[API_KEYS].count_documents({"revoked_at": None, "scopes": Scope.admin.value})


def now() -> datetime:
    return datetime.now(UTC)


def highest_scope(scopes: list[str]) -> Scope:
    return max((Scope(s) for s in scopes), key=SCOPE_RANK.__getitem__)
