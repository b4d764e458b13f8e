"""Registry fixtures: a store client on the module's database and a model factory.

Models are made with the real publish path (GridFS file, then versioned metadata) from a real
fitted estimator; each test's models, and any file it planted, are removed after it.
"""

import io
import itertools
from collections.abc import AsyncIterator, Awaitable, Callable
from functools import cache
from typing import Any

import joblib
import pytest
from gridfs import AsyncGridFSBucket
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase
from sklearn.datasets import load_iris
from sklearn.tree import DecisionTreeClassifier

from app.config import Settings
from app.registry.publish import publish_model

MakeModel = Callable[..., Awaitable[dict[str, Any]]]
_job_numbers = itertools.count(1)


@cache
def iris_model_bytes() -> bytes:
    iris = load_iris()
    estimator = DecisionTreeClassifier(max_depth=3, random_state=0).fit(iris.data, iris.target)
    buffer = io.BytesIO()
    joblib.dump(estimator, buffer)
    return buffer.getvalue()


def model_metadata(
    *,
    name: str = "iris-tree",
    algorithm: str = "decision_tree",
    dataset_name: str = "iris",
    test_accuracy: float | None = 0.9,
) -> dict[str, Any]:
    iris = load_iris()
    return {
        "name": name,
        "algorithm": algorithm,
        "hyperparameters": {"max_depth": 3, "random_state": 0},
        "metrics": {"train_accuracy": 0.97, "test_accuracy": test_accuracy},
        "dataset_name": dataset_name,
        "features": list(iris.feature_names),
        "classes": [str(label) for label in iris.target_names],
        "job_id": f"job-{next(_job_numbers)}",
        "library_versions": {"scikit-learn": "test", "joblib": joblib.__version__},
    }


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
