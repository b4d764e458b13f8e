"""Deleting a model removes its metadata, file and chunks; the sweep removes orphan files."""

import os
from datetime import UTC, datetime, timedelta

import httpx
from asgi_lifespan import LifespanManager
from gridfs import AsyncGridFSBucket
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from app.main import create_app
from tests.samples import MakeModel
from tests.support import SettingsFactory


async def plant_file(bucket: AsyncGridFSBucket, *, age_seconds: int = 0) -> object:
    """A GridFS file no metadata names, as a crash between upload and insert leaves."""
    file_id = await bucket.upload_from_stream("orphan.joblib", os.urandom(300_000))
    if age_seconds:
        uploaded = datetime.now(UTC) - timedelta(seconds=age_seconds)
        await bucket._files.update_one({"_id": file_id}, {"$set": {"uploadDate": uploaded}})
    return file_id


async def stored(db: AsyncDatabase, file_id: object) -> tuple[int, int]:
    files = await db["fs.files"].count_documents({"_id": file_id})
    chunks = await db["fs.chunks"].count_documents({"files_id": file_id})
    return files, chunks


async def test_delete_removes_metadata_file_and_chunks(
    client: httpx.AsyncClient, make_model: MakeModel, db: AsyncDatabase
) -> None:
    model = await make_model(payload=os.urandom(600_000))
    kept = await make_model()
    assert (await stored(db, model["file_id"]))[1] == 3
    response = await client.delete(f"/api/v1/models/{model['_id']}")
    assert response.status_code == 204
    assert await db["models"].count_documents({"_id": model["_id"]}) == 0
    assert await stored(db, model["file_id"]) == (0, 0)
    assert await stored(db, kept["file_id"]) == (1, 1)
    assert (await client.get(f"/api/v1/models/{model['_id']}")).status_code == 404
    again = await client.delete(f"/api/v1/models/{model['_id']}")
    assert again.status_code == 404
    assert str(model["_id"]) in again.json()["detail"]


async def test_delete_of_a_malformed_id_is_404(client: httpx.AsyncClient) -> None:
    response = await client.delete("/api/v1/models/nope")
    assert response.status_code == 404


async def test_sweep_removes_orphans_and_keeps_named_files_and_datasets(
    client: httpx.AsyncClient, make_model: MakeModel, db: AsyncDatabase, bucket: AsyncGridFSBucket
) -> None:
    model = await make_model()
    orphan = await plant_file(bucket)
    dataset_file = await plant_file(AsyncGridFSBucket(db, bucket_name="datasets"))
    response = await client.post("/api/v1/maintenance/sweep")
    assert response.status_code == 200
    body = response.json()
    assert body["removed_file_ids"] == [str(orphan)]
    assert (body["removed_count"], body["removed_bytes"]) == (1, 300_000)
    assert await stored(db, orphan) == (0, 0)
    assert await stored(db, model["file_id"]) == (1, 1)
    assert await db["datasets.files"].count_documents({"_id": dataset_file}) == 1
    assert (await client.get(f"/api/v1/models/{model['_id']}/download")).status_code == 200


async def test_sweep_spares_uploads_younger_than_the_grace_period(
    settings_factory: SettingsFactory,
) -> None:
    settings = settings_factory(orphan_grace_seconds=3600)
    mongo = AsyncMongoClient(str(settings.mongodb_url), tz_aware=True)
    db = mongo[settings.mongodb_db]
    bucket = AsyncGridFSBucket(db)
    try:
        fresh, old = await plant_file(bucket), await plant_file(bucket, age_seconds=7200)
        app = create_app(settings)
        async with LifespanManager(app) as manager:
            assert await stored(db, old) == (0, 0)  # the start-up sweep took it
            transport = httpx.ASGITransport(app=manager.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
                body = (await http.post("/api/v1/maintenance/sweep")).json()
        assert (body["removed_count"], body["grace_seconds"]) == (0, 3600)
        assert await stored(db, fresh) == (1, 2)
    finally:
        await mongo.close()
