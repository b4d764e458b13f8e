"""GridFS and the index behaviour we rely on, proven on the real server (FerretDB in CI)."""

import os
from collections.abc import AsyncIterator

import pytest
from gridfs import AsyncGridFSBucket
from pymongo import AsyncMongoClient, IndexModel
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from app.config import Settings


@pytest.fixture(scope="module")
async def db(settings: Settings) -> AsyncIterator[AsyncDatabase]:
    mongo = AsyncMongoClient(str(settings.mongodb_url))
    yield mongo[settings.mongodb_db]
    await mongo.close()


async def test_upload_ranged_download_and_delete(db: AsyncDatabase) -> None:
    bucket = AsyncGridFSBucket(db)
    payload = os.urandom(700_000)  # several 255 KiB chunks
    async with bucket.open_upload_stream("model.joblib", metadata={"kind": "test"}) as upload:
        for start in range(0, len(payload), 100_000):
            await upload.write(payload[start : start + 100_000])
        file_id = upload._id

    download = await bucket.open_download_stream(file_id)
    assert download.length == len(payload)
    await download.seek(300_000)
    assert await download.read(50_000) == payload[300_000:350_000]

    whole = await bucket.open_download_stream(file_id)
    chunks = []
    while chunk := await whole.readchunk():
        chunks.append(chunk)
    assert b"".join(chunks) == payload

    await bucket.delete(file_id)
    assert await db["fs.files"].count_documents({"_id": file_id}) == 0
    assert await db["fs.chunks"].count_documents({"files_id": file_id}) == 0


async def test_unique_compound_index_rejects_a_repeat(db: AsyncDatabase) -> None:
    await db["versions"].create_indexes([IndexModel([("name", 1), ("version", 1)], unique=True)])
    await db["versions"].insert_one({"name": "m", "version": 1})
    with pytest.raises(DuplicateKeyError) as caught:
        await db["versions"].insert_one({"name": "m", "version": 1})
    assert caught.value.code == 11000


async def test_a_lookup_by_id_uses_the_id_index(db: AsyncDatabase) -> None:
    """Every job and model read, update and delete is by `_id`: on stock FerretDB v1.24 each one
    scans its collection (SQLite `SCAN`); scripts/ferretdb-patches/0001 makes it a `SEARCH`
    through the `_id_` index. This fails on a binary built without the patch."""
    info = await db.client.admin.command("buildInfo")
    if "ferretdbVersion" not in info:
        pytest.skip("not FerretDB: MongoDB serves `_id` lookups from its index")
    await db["lookups"].insert_many([{"_id": f"doc-{n}", "n": n} for n in range(50)])
    explained = await db.command("explain", {"find": "lookups", "filter": {"_id": "doc-7"}})
    plan = " ".join(explained["queryPlanner"]["Plan"])
    assert "USING INDEX" in plan and "SCAN" not in plan, plan
    assert (await db["lookups"].find_one({"_id": "doc-7"}))["n"] == 7
