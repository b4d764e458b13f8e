"""One version per upload identity: the claim that makes sha256 dedup hold under concurrency.

An upload's identity is its dataset name, its bytes' sha256, its target and requested task.
Before it makes a version, an upload inserts a claim whose `_id` is that identity: of two
identical uploads at the same moment exactly one insert succeeds (a unique `_id` is the one
uniqueness both MongoDB and FerretDB enforce on insert). The holder makes the version and
writes its number into the claim; the other answers with that version.

A claim is released when its version fails or is deleted, so the same bytes may be uploaded
again. A claim left behind (its version gone or failed, or a holder that died before writing
its number, after STALE) is taken over. Versions stored before claims existed have none: the
holder of a new claim still looks them up by sha256 (app/datasets/service.py), so re-uploading
an old version's bytes stays a repeat.
"""

import asyncio
import json
from datetime import timedelta
from typing import Any

from bson import ObjectId
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from app.datasets import store
from app.storage import DATASET_CLAIMS as CLAIMS

STALE = timedelta(seconds=30)
POLL_SECONDS = 0.02


def identity(name: str, sha256: str, target: str | None, task: str | None) -> str:
    return json.dumps([name, sha256, target, task])


def identity_of(version: dict[str, Any]) -> str:
    return identity(
        version["name"],
        version.get("sha256", ""),
        version.get("target_column", ""),
        version.get("requested_task"),
    )


async def acquire(
    db: AsyncDatabase, key: str, name: str, holder: ObjectId
) -> dict[str, Any] | None:
    """Claim `key` for `holder`: None once held, or the version an earlier claim made."""
    while True:
        try:
            claim = {"_id": key, "holder": holder, "version": None, "claimed_at": store.now()}
            await db[CLAIMS].insert_one(claim)
            return None
        except DuplicateKeyError:
            pass
        held = await db[CLAIMS].find_one({"_id": key})
        if held is not None and (made := await made_by(db, held, name)) is not None:
            return made
        await asyncio.sleep(0 if held is None else POLL_SECONDS)


async def made_by(db: AsyncDatabase, held: dict[str, Any], name: str) -> dict[str, Any] | None:
    """The live version of a held claim; None while it is being made or once the claim
    was found left behind (and removed)."""
    if held["version"] is None:
        old = {"_id": held["_id"], "version": None, "claimed_at": {"$lt": store.now() - STALE}}
        await db[CLAIMS].delete_one(old)
        return None
    version = await store.get_version(db, name, held["version"], full=False)
    if version is not None and version["status"] != "failed":
        return version
    await db[CLAIMS].delete_one({"_id": held["_id"], "version": held["version"]})
    return None


async def bind(db: AsyncDatabase, key: str, holder: ObjectId, version: int) -> None:
    """Record the version the holder made (or found) under its claim."""
    await db[CLAIMS].update_one({"_id": key, "holder": holder}, {"$set": {"version": version}})


async def drop(db: AsyncDatabase, key: str, holder: ObjectId) -> None:
    """Give up a claim whose holder made no version."""
    await db[CLAIMS].delete_one({"_id": key, "holder": holder})


async def release(db: AsyncDatabase, version: dict[str, Any]) -> None:
    """The version failed or was deleted: its bytes may make a version again."""
    await db[CLAIMS].delete_one({"_id": identity_of(version), "version": version["version"]})
