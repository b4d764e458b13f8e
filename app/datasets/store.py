"""The `datasets` and `dataset_versions` collections, and the `datasets` GridFS bucket.

`datasets` holds one document per name (`last_version` is its version counter; documents of
the samples stored before versions carry older fields too). `dataset_versions` holds one
document per (name, version): its status, original file, normalised copy, schema and profile.
Versions never repeat for a name: the counter only rises, and the unique (name, version) index
is the guard should it be behind (a store from before versions), as for models.
"""

import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

from bson import ObjectId
from gridfs import AsyncGridFSBucket
from pymongo import DESCENDING, ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from app.gridfs_chunks import iter_chunks
from app.storage import DATASET_BUCKET as BUCKET
from app.storage import DATASET_VERSIONS as VERSIONS
from app.storage import DATASETS

MAX_VERSION_ATTEMPTS = 100
# Bytes of chunks a read asks for per round trip: each costs FerretDB much (100 MB read in 18 s
# 4 chunks at a time, 12 s 16 at a time, 4.7 s 128 at a time), and 32 MiB stays well under the
# 48 MB largest message.
FILE_BATCH_BYTES = 32 << 20
SUMMARY = {"preview": 0, "columns": 0}


def bucket(db: AsyncDatabase) -> AsyncGridFSBucket:
    return AsyncGridFSBucket(db, bucket_name=BUCKET)


async def file_chunks(db: AsyncDatabase, file_id: ObjectId) -> AsyncIterator[bytes]:
    """A stored file's bytes, a chunk at a time (app/gridfs_chunks.py says why not `read`)."""
    grid_out = await bucket(db).open_download_stream(file_id)
    chunks = db[f"{BUCKET}.chunks"]
    batch = max(1, FILE_BATCH_BYTES // int(grid_out.chunk_size))
    async for chunk in iter_chunks(grid_out, chunks, batch_size=batch):
        yield chunk


def now() -> datetime:
    return datetime.now(UTC)


async def ensure_name(db: AsyncDatabase, name: str, description: str, source: str) -> None:
    with contextlib.suppress(DuplicateKeyError):
        await db[DATASETS].insert_one(
            {"name": name, "description": description, "source": source, "created_at": now()}
        )


async def _next_version(db: AsyncDatabase, name: str) -> int:
    counter = await db[DATASETS].find_one_and_update(
        {"name": name}, {"$inc": {"last_version": 1}}, return_document=ReturnDocument.AFTER
    )
    if counter is None:
        raise RuntimeError(f"dataset {name!r} has no document to count its versions")
    return int(counter["last_version"])


async def catch_up(db: AsyncDatabase, name: str) -> None:
    latest = await db[VERSIONS].find_one(
        {"name": name}, projection={"version": 1}, sort=[("version", DESCENDING)]
    )
    await db[DATASETS].update_one(
        {"name": name}, {"$max": {"last_version": latest["version"] if latest else 0}}
    )


async def insert_version(db: AsyncDatabase, document: dict[str, Any]) -> dict[str, Any]:
    """Insert under the name's next version (the name's document must exist)."""
    for _ in range(MAX_VERSION_ATTEMPTS):
        candidate = document | {"version": await _next_version(db, document["name"])}
        candidate.pop("_id", None)
        try:
            result = await db[VERSIONS].insert_one(candidate)
        except DuplicateKeyError:
            await catch_up(db, document["name"])
            continue
        return candidate | {"_id": result.inserted_id}
    raise RuntimeError(f"could not allocate a version for dataset {document['name']!r}")


async def find_same_upload(
    db: AsyncDatabase, name: str, sha256: str, target: str | None, task: str | None
) -> dict[str, Any] | None:
    """A version of these bytes with the same target and task, unless it failed."""
    query = {"name": name, "sha256": sha256, "target_column": target, "requested_task": task}
    async for document in db[VERSIONS].find(query, projection=SUMMARY):
        if document["status"] != "failed":
            return document
    return None


async def get_version(
    db: AsyncDatabase, name: str, version: int, *, full: bool = True
) -> dict[str, Any] | None:
    projection = None if full else SUMMARY
    return await db[VERSIONS].find_one({"name": name, "version": version}, projection=projection)


async def list_versions(db: AsyncDatabase, name: str | None = None) -> list[dict[str, Any]]:
    """Versions (without preview and columns), by name, newest version first."""
    query = {} if name is None else {"name": name}
    cursor = db[VERSIONS].find(query, projection=SUMMARY)
    return await cursor.sort([("name", 1), ("version", DESCENDING)]).to_list()


async def latest_ready(db: AsyncDatabase, name: str) -> dict[str, Any] | None:
    return await db[VERSIONS].find_one(
        {"name": name, "status": "ready"}, sort=[("version", DESCENDING)]
    )


async def get_name(db: AsyncDatabase, name: str) -> dict[str, Any] | None:
    return await db[DATASETS].find_one({"name": name})


async def list_names(db: AsyncDatabase) -> list[dict[str, Any]]:
    return await db[DATASETS].find({}).sort("name", 1).to_list()


async def finish(
    db: AsyncDatabase, name: str, version: int, changes: dict[str, Any]
) -> dict[str, Any] | None:
    """End an ingest once: only a version still ingesting changes; None otherwise."""
    return await db[VERSIONS].find_one_and_update(
        {"name": name, "version": version, "status": "ingesting"},
        {"$set": changes | {"finished_at": now()}},
        return_document=ReturnDocument.AFTER,
    )


async def stale_ingests(db: AsyncDatabase, *, older_than: datetime) -> list[dict[str, Any]]:
    """Versions still ingesting that were uploaded before `older_than` (without profile)."""
    query = {"status": "ingesting", "created_at": {"$lt": older_than}}
    cursor = db[VERSIONS].find(query, projection=SUMMARY)
    return await cursor.to_list()


async def delete_version(db: AsyncDatabase, document: dict[str, Any]) -> bool:
    result = await db[VERSIONS].delete_one({"_id": document["_id"]})
    return result.deleted_count == 1
