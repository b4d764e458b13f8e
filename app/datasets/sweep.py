"""The dataset bucket's sweep: what a crash between two writes leaves, removed once older than
ORPHAN_GRACE_SECONDS (the grace protects an upload or an ingest still in flight).

Write orders: an upload's chunks, its file document, its claim, then its version; an ingest's
normalised copy, then the version that names it; on delete, the version, then its files. So a
crash can leave: chunks of an upload that never closed (the API died mid-body; a refused
upload removes its own), a file no version names, or a claim whose holder died before naming
its version (the next upload of those bytes takes it over anyway). The worker runs the sweep
on a cron, beside the prediction files' sweep.
"""

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from bson import ObjectId
from pymongo.asynchronous.database import AsyncDatabase

from app.datasets.service import delete_files
from app.storage import DATASET_BUCKET, DATASET_CLAIMS, DATASET_VERSIONS

logger = logging.getLogger(__name__)
FILES, CHUNKS = f"{DATASET_BUCKET}.files", f"{DATASET_BUCKET}.chunks"
SWEEP_BATCH = 500
NAMING_FIELDS = ("file_id", "normalised_file_id")


async def named(db: AsyncDatabase, file_ids: list[Any]) -> set[Any]:
    """Those of `file_ids` that a version names (its upload or its normalised copy)."""
    found: set[Any] = set()
    for field in NAMING_FIELDS:
        found |= set(await db[DATASET_VERSIONS].distinct(field, {field: {"$in": file_ids}}))
    return found


async def unnamed_files(db: AsyncDatabase, cutoff: datetime) -> list[Any]:
    old = db[FILES].find({"uploadDate": {"$lte": cutoff}}, projection={"_id": 1})
    ids = [file["_id"] async for file in old]
    unnamed: list[Any] = []
    for start in range(0, len(ids), SWEEP_BATCH):
        part = ids[start : start + SWEEP_BATCH]
        kept = await named(db, part)
        unnamed += [file_id for file_id in part if file_id not in kept]
    return unnamed


async def unclosed_uploads(db: AsyncDatabase, cutoff: datetime) -> list[Any]:
    """Owners of chunks without a file document, opened before `cutoff` (a file's id is an
    ObjectId made when its upload opened)."""
    owners = await db[CHUNKS].distinct("files_id")
    if not owners:
        return []
    closed = set(await db[FILES].distinct("_id", {"_id": {"$in": owners}}))
    return [
        owner
        for owner in owners
        if owner not in closed and isinstance(owner, ObjectId) and owner.generation_time <= cutoff
    ]


async def sweep_dataset_files(db: AsyncDatabase, *, grace_seconds: int) -> int:
    """Remove unnamed files, unclosed uploads and unfinished claims; returns how many."""
    cutoff = datetime.now(UTC) - timedelta(seconds=grace_seconds)
    files = await unnamed_files(db, cutoff)
    await delete_files(db, *files)
    uploads = await unclosed_uploads(db, cutoff)
    if uploads:
        await db[CHUNKS].delete_many({"files_id": {"$in": uploads}})
    pending = {"version": None, "claimed_at": {"$lt": cutoff}}
    claims = (await db[DATASET_CLAIMS].delete_many(pending)).deleted_count
    if files or uploads or claims:
        logger.info(
            "dataset sweep removed %d file(s), %d unclosed upload(s), %d claim(s)",
            len(files),
            len(uploads),
            claims,
        )
    return len(files) + len(uploads) + claims
