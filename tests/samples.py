"""Shared test data: request bodies, a fitted model's bytes and registry metadata, and a model
published straight into a store (the worker's publish path, without a job)."""

import io
import itertools
from collections.abc import Awaitable, Callable
from functools import cache
from typing import Any

import joblib
from gridfs import AsyncGridFSBucket
from pymongo import AsyncMongoClient
from sklearn.datasets import load_iris
from sklearn.tree import DecisionTreeClassifier

from app.config import Settings
from app.registry.publish import publish_model

SEED_BODY = {  # the seed's POST /train body, verbatim
    "job_id": "job_001",
    "dataset_name": "iris",
    "algorithm": "random_forest",
    "model_name": "my_model",
    "hyperparameters": {},
}
BOOTSTRAP_KEY = "tf_bootstrap-" + "b00t" * 10  # the security tests' admin key
ADMIN = {"Authorization": f"Bearer {BOOTSTRAP_KEY}"}
FAULTS_BOOTSTRAP_KEY = "tf_faults-" + "f4ult" * 8  # the admin key of `fault_settings`
FAULTS_AUTH = {"Authorization": f"Bearer {FAULTS_BOOTSTRAP_KEY}"}
# Slow fits hold a job in `fitting` long enough to act on it; beyond the default cost bound, so
# the modules that need them raise it through the setting, as an operator would.
SLOW_FIT_BOUNDS = {"random_forest": {"n_estimators": {"maximum": 10_000}}}
FAILING_SVM = {"kernel": "precomputed"}  # passes validation, fails in fit ("square matrix")
_job_numbers = itertools.count(1)
MakeModel = Callable[..., Awaitable[dict[str, Any]]]  # tests/registry's `make_model` fixture
MakeKey = Callable[..., Awaitable[dict[str, Any]]]  # tests/security's `make_key` fixture


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


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


async def publish(settings: Settings, payload: bytes, **fields: Any) -> dict[str, Any]:
    """Publish a model into the settings' store (fields as model_metadata)."""
    mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(str(settings.mongodb_url))
    try:
        db = mongo[settings.mongodb_db]
        metadata = model_metadata(**fields)
        return await publish_model(db, AsyncGridFSBucket(db), payload=payload, metadata=metadata)
    finally:
        await mongo.close()


def stored_estimator() -> Any:
    """The estimator make_model publishes (a decision tree on Iris, no input schema)."""
    return joblib.load(io.BytesIO(iris_model_bytes()))
