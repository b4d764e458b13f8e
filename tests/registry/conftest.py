"""Registry fixtures: a store client on the module's database and a model factory.

Models are made with the real publish path (GridFS file, then versioned metadata) from a real
fitted estimator; each test's models, and any file it planted, are removed after it.
"""

from collections.abc import AsyncIterator
from typing import Any

import pytest
from gridfs import AsyncGridFSBucket
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from app.config import Settings
from app.registry.publish import publish_model
from tests.samples import MakeModel, iris_model_bytes, model_metadata


@pytest.fixture(scope="module")
async def db(settings: Settings) -> AsyncIterator[AsyncDatabase]:
    mongo = AsyncMongoClient(str(settings.mongodb_url), tz_aware=True)
    yield mongo[settings.mongodb_db]
    await mongo.close()


@pytest.fixture(scope="module")
def bucket(db: AsyncDatabase) -> AsyncGridFSBucket:
    return AsyncGridFSBucket(db)


@pytest.fixture
async def make_model(db: AsyncDatabase, bucket: AsyncGridFSBucket) -> AsyncIterator[MakeModel]:
    """Publish a model (keyword arguments as model_metadata, plus payload); cleaned up after."""

    async def make(*, payload: bytes | None = None, **fields: Any) -> dict[str, Any]:
        metadata = model_metadata(**fields)
        return await publish_model(
            db,
            bucket,
            payload=iris_model_bytes() if payload is None else payload,
            metadata=metadata,
        )

    yield make
    await db["models"].delete_many({})
    async for file in db["fs.files"].find({}, projection={"_id": 1}):
        await bucket.delete(file["_id"])
