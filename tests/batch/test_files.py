"""The prediction sweep: what failed, cancelled or lost jobs leave in the `predictions` bucket
goes, what a job names stays."""

import pytest
from bson import ObjectId

from app.batch.files import bucket, sweep_prediction_files
from app.resources import Resources
from app.storage import BATCH_PREDICTIONS, PREDICTION_CHUNKS, PREDICTION_FILES


async def unclosed_upload(db) -> ObjectId:
    """What an upload cut short leaves: chunks written (the driver writes them in batches of
    up to 32 MB), and no file document, which only its close writes."""
    file_id = ObjectId()
    await db[PREDICTION_CHUNKS].insert_one({"files_id": file_id, "n": 0, "data": b"x" * 1024})
    return file_id


@pytest.fixture
async def db(resources: Resources):
    yield resources.db
    await resources.db[BATCH_PREDICTIONS].delete_many({})


async def test_the_sweep_removes_unnamed_files_and_unclosed_uploads(db) -> None:
    files = bucket(db)
    kept = await files.upload_from_stream("kept.csv", b"prediction\nyes\n")
    await db[BATCH_PREDICTIONS].insert_one({"_id": "job-kept", "file_id": kept})
    orphan = await files.upload_from_stream("orphan.csv", b"prediction\nno\n")
    await unclosed_upload(db)  # a worker that died mid-upload

    assert await sweep_prediction_files(db, grace_seconds=0) == 2

    assert await db[PREDICTION_FILES].distinct("_id") == [kept]
    assert await db[PREDICTION_CHUNKS].distinct("files_id") == [kept]
    assert orphan != kept


async def test_the_grace_period_protects_recent_files(db) -> None:
    files = bucket(db)
    recent = await files.upload_from_stream("recent.csv", b"prediction\nyes\n")
    unclosed = await unclosed_upload(db)
    assert await sweep_prediction_files(db, grace_seconds=3600) == 0
    assert await db[PREDICTION_FILES].count_documents({"_id": recent}) == 1
    assert await db[PREDICTION_CHUNKS].count_documents({"files_id": unclosed}) == 1
    await sweep_prediction_files(db, grace_seconds=0)


async def test_an_upload_a_running_job_names_is_kept(db) -> None:
    unclosed = await unclosed_upload(db)
    await db[BATCH_PREDICTIONS].insert_one({"_id": "job-running", "file_id": unclosed})
    assert await sweep_prediction_files(db, grace_seconds=0) == 0
    await db[BATCH_PREDICTIONS].delete_many({})
    assert await sweep_prediction_files(db, grace_seconds=0) == 1
