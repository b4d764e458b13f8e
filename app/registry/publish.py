"""Publishing a trained model: its file into GridFS, then its versioned metadata.

The order is the crash-safety rule (README, Architecture): a crash after the upload leaves a
GridFS file that no metadata names (the orphan sweep removes it); never metadata without a file.
Versions rise per name and never repeat, not even after the latest version is deleted: a
counter per name (collection `model_counters`) hands out numbers with an atomic `$inc`, and the
unique (name, version) index stays as the guard: should a number already be taken (a counter
behind data stored before it existed), the counter catches up with `$max` and we try again.
"""

import asyncio
import contextlib
import hashlib
import logging
from datetime import UTC, datetime
from typing import Any

from arq.connections import ArqRedis
from bson import ObjectId
from gridfs import AsyncGridFSBucket
from gridfs.errors import NoFile
from pymongo import DESCENDING, ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import ConnectionFailure, DuplicateKeyError, ExecutionTimeout

from app.drift import store as drift_store
from app.events import emit_event
from app.explanations.insights import delete_insights
from app.storage import MODEL_COUNTERS, MODELS
from tensorfleet.schemas.events import EventType

logger = logging.getLogger(__name__)

MAX_VERSION_ATTEMPTS = 100
INSERT_ATTEMPTS = 3  # a lost reply or a dropped connection: the insert is tried again
INSERT_RETRY_DELAY_SECONDS = 0.5


class VersionConflict(RuntimeError):
    """Too many concurrent publishers for one name; should never happen in practice."""


async def upload_model_file(
    bucket: AsyncGridFSBucket, *, filename: str, payload: bytes, job_id: str
) -> tuple[ObjectId, str]:
    """Write the bytes into GridFS (which splits them into chunks); returns the file id and the
    sha256 of the bytes."""
    metadata = {"kind": "model", "job_id": job_id, "content_type": "application/octet-stream"}
    async with bucket.open_upload_stream(filename, metadata=metadata) as upload:
        await upload.write(payload)
        file_id = upload._id
    return file_id, hashlib.sha256(payload).hexdigest()


async def _increment(db: AsyncDatabase, name: str) -> int | None:
    """The name's next number, or None when the name has no counter yet."""
    counter = await db[MODEL_COUNTERS].find_one_and_update(
        {"_id": name}, {"$inc": {"last": 1}}, return_document=ReturnDocument.AFTER
    )
    return None if counter is None else counter["last"]


async def catch_up_counter(db: AsyncDatabase, name: str) -> None:
    """Raise (or create) the counter to the highest stored version of the name.

    `$max` never lowers it, and every number the counter handed out is at most its value, so
    this only ever skips versions stored without the counter (before counters existed).
    """
    latest = await db[MODELS].find_one(
        {"name": name}, projection={"version": 1}, sort=[("version", DESCENDING)]
    )
    highest = {"$max": {"last": latest["version"] if latest else 0}}
    try:
        await db[MODEL_COUNTERS].update_one({"_id": name}, highest, upsert=True)
    except DuplicateKeyError:  # another publisher created the counter at the same moment
        await db[MODEL_COUNTERS].update_one({"_id": name}, highest)


async def next_version(db: AsyncDatabase, name: str) -> int:
    version = await _increment(db, name)
    if version is None:  # the name's first publish since counters: start after stored data
        await catch_up_counter(db, name)
        version = await _increment(db, name)
    if version is None:
        raise VersionConflict(f"the version counter of {name!r} disappeared")
    return version


async def insert_idempotently(db: AsyncDatabase, candidate: dict[str, Any]) -> bool:
    """Insert `candidate`, which carries its own `_id`, so that trying again is harmless.

    True when it is stored (now or by an earlier try whose reply was lost: the same `_id` is
    then refused as a duplicate and found), False when its version belongs to another model.
    A dropped connection or a timeout leaves the outcome unknown, so the insert is tried again.
    """
    for attempt in range(1, INSERT_ATTEMPTS + 1):
        try:
            await db[MODELS].insert_one(candidate)
            return True
        except DuplicateKeyError:
            return await db[MODELS].find_one({"_id": candidate["_id"]}, {"_id": 1}) is not None
        except (ConnectionFailure, ExecutionTimeout):
            if attempt == INSERT_ATTEMPTS:
                raise
            await asyncio.sleep(INSERT_RETRY_DELAY_SECONDS * attempt)
    raise AssertionError("unreachable")


async def insert_with_next_version(
    db: AsyncDatabase, document: dict[str, Any], model_id: ObjectId | None = None
) -> dict[str, Any]:
    """Insert the metadata under the next version of its name, with an `_id` chosen here (or
    by the caller, who stored something keyed by it first)."""
    model_id = model_id or ObjectId()
    for _ in range(MAX_VERSION_ATTEMPTS):
        version = await next_version(db, document["name"])
        candidate = document | {"_id": model_id, "version": version}
        if await insert_idempotently(db, candidate):
            return candidate
        await catch_up_counter(db, document["name"])
    raise VersionConflict(f"could not allocate a version for {document['name']!r}")


def published_event(model: dict[str, Any]) -> dict[str, Any]:
    """The `model.published` payload (docs/events.md)."""
    fields = ("name", "version", "algorithm", "task", "dataset_name", "dataset_version")
    return {"model_id": str(model["_id"]), **{field: model.get(field) for field in fields}} | {
        "metrics": model.get("metrics"),
        "job_id": model.get("job_id"),
        "created_at": model.get("created_at"),
    }


async def announce_published(redis: ArqRedis, db: AsyncDatabase, model: dict[str, Any]) -> None:
    """Emit `model.published`; a failure is logged, never undoes the publish."""
    try:
        await emit_event(redis, db, EventType.model_published, published_event(model))
    except Exception:
        logger.exception("model %s: could not emit model.published", model["_id"])


async def publish_model(
    db: AsyncDatabase,
    bucket: AsyncGridFSBucket,
    *,
    payload: bytes,
    metadata: dict[str, Any],
    redis: ArqRedis | None = None,
    model_id: ObjectId | None = None,
) -> dict[str, Any]:
    """Store the file, then the metadata (everything of the model record but ids, size, hash,
    version and created_at, which are set here), then, given `redis`, emit `model.published`
    (a job's own publish passes it; tests and imports may not). Returns the stored document.

    The file is removed again only when no metadata can name it (every version was taken). On
    any other failure (the store gone, a reply lost, a cancel) the metadata may have been
    stored, so the file stays: a model never loses its file, and a file no model names is
    removed by the orphan sweep.
    """
    file_id, sha256 = await upload_model_file(
        bucket, filename=f"{metadata['name']}.joblib", payload=payload, job_id=metadata["job_id"]
    )
    document = metadata | {
        "file_id": file_id,
        "size": len(payload),
        "sha256": sha256,
        "format": "joblib",
        "created_at": datetime.now(UTC),
    }
    try:
        stored = await insert_with_next_version(db, document, model_id)
    except VersionConflict:
        await bucket.delete(file_id)
        raise
    if redis is not None:
        await announce_published(redis, db, stored)
    return stored


async def unpublish_model(
    db: AsyncDatabase, bucket: AsyncGridFSBucket, document: dict[str, Any]
) -> bool:
    """Remove a model: metadata first, then its file, so no reader sees metadata without a file.
    Returns False when the metadata was already gone."""
    result = await db[MODELS].delete_one({"_id": document["_id"]})
    await delete_insights(db, document["_id"])
    with contextlib.suppress(NoFile):
        await bucket.delete(document["file_id"])
    await drift_store.forget_model(db, document["_id"])
    return result.deleted_count == 1
