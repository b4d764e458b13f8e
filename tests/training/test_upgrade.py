"""A store written by the version before pipelines still opens, lists, downloads and trains.

The documents here are written in that version's exact shape (no task, input schema, dataset
version, preprocessing or cv), as a store upgraded in place holds them.
"""

import hashlib
import io
from datetime import UTC, datetime

import httpx
import joblib
from asgi_lifespan import LifespanManager
from bson import ObjectId
from gridfs import AsyncGridFSBucket
from sklearn.datasets import load_iris
from sklearn.tree import DecisionTreeClassifier

from app.config import Settings
from app.datasets.samples import bundled_samples, to_csv
from app.main import create_app
from app.registry.publish import upload_model_file
from app.resources import Resources, open_resources
from tests.support import SettingsFactory, start_worker, stop_worker, wait_for_job


async def store_old_model(resources: Resources) -> str:
    iris = load_iris()
    estimator = DecisionTreeClassifier(max_depth=2, random_state=0).fit(iris.data, iris.target)
    buffer = io.BytesIO()
    joblib.dump(estimator, buffer)
    file_id, sha256 = await upload_model_file(
        resources.gridfs, filename="old.joblib", payload=buffer.getvalue(), job_id="old-job"
    )
    result = await resources.db["models"].insert_one(
        {
            "name": "old",
            "version": 1,
            "algorithm": "decision_tree",
            "hyperparameters": {"max_depth": 2, "random_state": 0},
            "metrics": {
                "train_accuracy": 0.96,
                "test_accuracy": 0.93,
                "precision_macro": 0.93,
                "recall_macro": 0.93,
                "f1_macro": 0.93,
                "confusion_matrix": [{"actual": "setosa", "counts": [10, 0, 0]}],
                "n_train": 120,
                "n_test": 30,
                "fit_seconds": 0.001,
            },
            "dataset_name": "iris",
            "features": ["sepal_length", "sepal_width", "petal_length", "petal_width"],
            "classes": ["setosa", "versicolor", "virginica"],
            "job_id": "old-job",
            "file_id": file_id,
            "size": len(buffer.getvalue()),
            "sha256": sha256,
            "format": "joblib",
            "library_versions": {"scikit-learn": "1.9.1", "joblib": "1.5", "python": "3.11"},
            "created_at": datetime.now(UTC),
        }
    )
    return str(result.inserted_id)


async def test_a_model_stored_before_pipelines_lists_reads_and_downloads(
    client: httpx.AsyncClient, resources: Resources
) -> None:
    model_id = await store_old_model(resources)
    listed = (await client.get("/api/v1/models", params={"name": "old"})).json()["items"]
    assert [m["id"] for m in listed] == [model_id]
    model = (await client.get(f"/api/v1/models/{model_id}")).json()
    assert model["task"] == "classification" and model["input_schema"] is None
    assert model["metrics"]["roc_auc"] is None and model["dataset_version"] is None
    downloaded = await client.get(f"/api/v1/models/{model_id}/download")
    assert joblib.load(io.BytesIO(downloaded.content)).predict([[6.7, 3.0, 5.2, 2.3]])[0] == 2
    statistics = (await client.get("/api/v1/statistics")).json()
    assert {"algorithm": "decision_tree", "count": 1, "mean_test_accuracy": 0.93} in statistics[
        "algorithms"
    ]


async def store_old_samples(settings: Settings) -> dict[str, ObjectId]:
    """The samples as the version before versions stored them: a CSV in the `datasets` bucket
    and one document per name; returns their file ids."""
    resources = await open_resources(settings)
    try:
        files = {}
        for name, (description, dataset) in bundled_samples().items():
            payload = to_csv(dataset)
            bucket = AsyncGridFSBucket(resources.db, bucket_name="datasets")
            files[name] = await bucket.upload_from_stream(f"{name}.csv", payload)
            await resources.db["datasets"].insert_one(
                {
                    "name": name,
                    "description": description,
                    "n_samples": len(dataset.y),
                    "n_features": len(dataset.features),
                    "features": dataset.features,
                    "target_column": "target",
                    "classes": sorted(set(dataset.y.tolist())),
                    "source": "sample",
                    "file_id": files[name],
                    "sha256": hashlib.sha256(payload).hexdigest(),
                    "size": len(payload),
                    "format": "csv",
                    "created_at": datetime.now(UTC),
                }
            )
        return files
    finally:
        await resources.close()


async def test_samples_stored_before_versions_become_version_1_and_train(
    settings_factory: SettingsFactory,
) -> None:
    settings = settings_factory()
    old_files = await store_old_samples(settings)
    application = create_app(settings)
    async with LifespanManager(application, startup_timeout=60) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            wine = (await client.get("/datasets/wine")).json()
            assert [(v["version"], v["status"]) for v in wine["versions"]] == [(1, "ready")]
            assert wine["n_samples"] == 178 and wine["task"] == "classification"
            worker, task = await start_worker(settings)
            try:
                body = {
                    "dataset_name": "wine",
                    "algorithm": "gradient_boosting",
                    "model_name": "up",
                }
                job_id = (await client.post("/train", json=body)).json()["job_id"]
                job = await wait_for_job(client, job_id)
            finally:
                await stop_worker(worker, task)
    assert job["status"] == "succeeded", job["error"]
    resources = await open_resources(settings)
    try:
        version = await resources.db["dataset_versions"].find_one({"name": "wine"})
        assert version["file_id"] == old_files["wine"]  # the old CSV is version 1's original
        assert await resources.db["datasets.files"].count_documents({}) == 4
    finally:
        await resources.close()


async def test_a_job_stored_before_cv_and_preprocessing_still_reads(
    client: httpx.AsyncClient, resources: Resources
) -> None:
    request = {
        "job_id": "old_job",
        "dataset_name": "iris",
        "algorithm": "svm",
        "model_name": "m",
        "hyperparameters": {},
        "test_size": 0.2,
        "random_state": 42,
    }
    await resources.db["jobs"].insert_one(
        {
            "_id": "old_job",
            "status": "failed",
            "progress": {"stage": "fitting", "fraction": 0.2},
            "request": request,
            "created_at": datetime.now(UTC),
            "attempts": 1,
            "error": {"type": "ValueError", "message": "boom"},
        }
    )
    job = (await client.get("/jobs/old_job")).json()
    assert job["request"]["cv"] is None and job["request"]["preprocessing"]["imputation"] == "mean"
