"""The dataset sweep removes what a crash between two writes leaves, once older than the grace
period, and nothing a version names or an upload still in flight holds."""

from datetime import timedelta

import httpx
from bson import ObjectId
from gridfs import DEFAULT_CHUNK_SIZE

from app.datasets import claims, store
from app.datasets.sweep import sweep_dataset_files
from app.gridfs_chunks import CHUNKS_PER_BATCH, ChunkWriter
from app.resources import Resources
from app.storage import DATASET_BUCKET, DATASET_CLAIMS
from tests.datasets.support import csv_bytes, upload
from tests.tables import diabetes

GRACE = timedelta(hours=1)
FILES, CHUNKS = f"{DATASET_BUCKET}.files", f"{DATASET_BUCKET}.chunks"


async def unclosed(resources: Resources, file_id: ObjectId) -> ObjectId:
    """Chunks of an upload whose API died before it closed."""
    writer = ChunkWriter(resources.db, DATASET_BUCKET, "crashed.upload", {})
    writer.file_id = file_id
    await writer.write(b"x" * (CHUNKS_PER_BATCH * DEFAULT_CHUNK_SIZE + 10))  # one batch stored
    return file_id


async def closed_file(resources: Resources, *, age: timedelta) -> ObjectId:
    writer = ChunkWriter(resources.db, DATASET_BUCKET, "unnamed.upload", {})
    await writer.write(b"a,b\n1,2\n")
    await writer.close()
    aged = {"$set": {"uploadDate": store.now() - age}}
    await resources.db[FILES].update_one({"_id": writer.file_id}, aged)
    return writer.file_id


async def test_the_sweep_removes_leftovers_past_the_grace_and_keeps_the_rest(
    client: httpx.AsyncClient, resources: Resources
) -> None:
    db, long_ago = resources.db, store.now() - GRACE - timedelta(minutes=5)
    made = await upload(client, "kept", "progression", csv_bytes(diabetes().head(100)))
    version = await store.get_version(db, "kept", made.json()["version"])
    assert version is not None
    await db[FILES].update_one({"_id": version["file_id"]}, {"$set": {"uploadDate": long_ago}})
    crashed = await unclosed(resources, ObjectId.from_datetime(long_ago))
    in_flight = await unclosed(resources, ObjectId())
    orphan = await closed_file(resources, age=GRACE + timedelta(minutes=5))
    young = await closed_file(resources, age=timedelta(minutes=1))
    stale = {"_id": "stale", "holder": ObjectId(), "version": None, "claimed_at": long_ago}
    fresh = stale | {"_id": "fresh", "claimed_at": store.now()}
    await db[DATASET_CLAIMS].insert_many([stale, fresh])

    removed = await sweep_dataset_files(db, grace_seconds=int(GRACE.total_seconds()))

    assert removed == 3
    assert await db[CHUNKS].count_documents({"files_id": crashed}) == 0
    assert await db[FILES].count_documents({"_id": orphan}) == 0
    assert await db[CHUNKS].count_documents({"files_id": orphan}) == 0
    assert await db[CHUNKS].count_documents({"files_id": in_flight}) == CHUNKS_PER_BATCH
    assert await db[FILES].count_documents({"_id": {"$in": [young, version["file_id"]]}}) == 2
    key = claims.identity("kept", version["sha256"], "progression", None)
    left = {c["_id"] async for c in db[DATASET_CLAIMS].find({})}
    assert left == {"fresh", key}
