"""The output files of batch predictions: their GridFS bucket, download, and the sweep.

They live in a bucket of their own (`predictions`), apart from model files, whose sweep removes
any file no model names. Write order: the file first, then the job that names it, so a job
never names a half-written file. What a job that failed, was cancelled or whose worker died
leaves behind (an aborted or unfinished upload) is removed by `sweep_prediction_files`: files
no job names, and chunks of uploads that never closed, once older than ORPHAN_GRACE_SECONDS.
"""

import contextlib
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from bson import ObjectId
from gridfs import AsyncGridFSBucket
from gridfs.errors import NoFile
from pymongo.asynchronous.database import AsyncDatabase

from app.batch import jobs
from app.storage import PREDICTION_BUCKET, PREDICTION_CHUNKS, PREDICTION_FILES

logger = logging.getLogger(__name__)
SWEEP_BATCH = 500


def bucket(db: AsyncDatabase) -> AsyncGridFSBucket:
    return AsyncGridFSBucket(db, bucket_name=PREDICTION_BUCKET)


async def delete_file(db: AsyncDatabase, file_id: Any) -> None:
    if file_id is not None:
        with contextlib.suppress(NoFile):
            await bucket(db).delete(file_id)


async def _unnamed_files(db: AsyncDatabase, cutoff: datetime) -> list[Any]:
    old = db[PREDICTION_FILES].find({"uploadDate": {"$lte": cutoff}}, projection={"_id": 1})
    ids = [file["_id"] async for file in old]
    unnamed = []
    for start in range(0, len(ids), SWEEP_BATCH):
        part = ids[start : start + SWEEP_BATCH]
        named = await jobs.named_files(db, part)
        unnamed += [file_id for file_id in part if file_id not in named]
    return unnamed


async def _unclosed_uploads(db: AsyncDatabase, cutoff: datetime) -> list[Any]:
    """Chunks with no file document: uploads that never closed, started before `cutoff` (an
    upload's id is an ObjectId made when it opened) and named by no job."""
    owners = await db[PREDICTION_CHUNKS].distinct("files_id")
    if not owners:
        return []
    closed = set(await db[PREDICTION_FILES].distinct("_id", {"_id": {"$in": owners}}))
    old = [
        file_id
        for file_id in owners
        if file_id not in closed
        and isinstance(file_id, ObjectId)
        and file_id.generation_time <= cutoff
    ]
    named = await jobs.named_files(db, old) if old else set()
    return [file_id for file_id in old if file_id not in named]


async def sweep_prediction_files(db: AsyncDatabase, *, grace_seconds: int) -> int:
    """Remove output files and unfinished uploads no job names; returns how many."""
    cutoff = datetime.now(UTC) - timedelta(seconds=grace_seconds)
    files = await _unnamed_files(db, cutoff)
    for file_id in files:
        await delete_file(db, file_id)
    uploads = await _unclosed_uploads(db, cutoff)
    if uploads:
        await db[PREDICTION_CHUNKS].delete_many({"files_id": {"$in": uploads}})
    if files or uploads:
        logger.info("prediction sweep removed %d file(s), %d upload(s)", len(files), len(uploads))
    return len(files) + len(uploads)
