"""POST /train to a versioned model in GridFS, as a client sees it."""

import io

import httpx
import joblib
import numpy as np
from arq import Worker
from bson import ObjectId

from app.datasets.samples import bundled_samples
from app.resources import Resources
from app.training.algorithms import algorithms_for
from app.training.fitting import FitSpec, split
from app.training.tasks import Task
from tests.samples import SEED_BODY
from tests.support import wait_for_job


async def load_model(resources: Resources, model_id: str):
    document = await resources.db["models"].find_one({"_id": ObjectId(model_id)})
    stream = await resources.gridfs.open_download_stream(document["file_id"])
    return document, joblib.load(io.BytesIO(await stream.read()))


async def test_seed_request_trains_a_model_that_predicts_with_its_stored_accuracy(
    client: httpx.AsyncClient, worker: Worker, resources: Resources
) -> None:
    response = await client.post("/train", json=SEED_BODY)
    assert response.status_code == 202, response.text
    assert response.json() == {"job_id": "job_001", "status": "queued", "location": "/jobs/job_001"}
    assert response.headers["Location"] == "/jobs/job_001"

    job = await wait_for_job(client, "job_001")
    assert job["status"] == "succeeded", job["error"]
    assert job["progress"] == {"stage": "done", "fraction": 1.0}
    assert job["attempts"] == 1 and job["model_version"] == 1
    assert job["started_at"] and job["finished_at"]

    document, model = await load_model(resources, job["model_id"])
    assert document["name"] == "my_model" and document["job_id"] == "job_001"
    assert document["hyperparameters"]["random_state"] == 42
    assert document["features"] == ["sepal_length", "sepal_width", "petal_length", "petal_width"]
    assert set(document["library_versions"]) >= {"scikit-learn", "joblib", "pandas", "python"}
    dataset = await resources.db["dataset_versions"].find_one({"name": "iris", "version": 1})
    assert (document["dataset_version"], document["dataset_sha256"]) == (1, dataset["sha256"])
    assert (document["task"], document["target"]) == ("classification", "target")
    assert document["input_schema"][0] == {"name": "sepal_length", "type": "numeric"}
    iris = bundled_samples()["iris"][1]
    _, X_test, _, y_test = split(FitSpec("random_forest", {}, 0.2, 42), iris.X, iris.y)
    accuracy = float(np.mean(model.predict(X_test) == y_test))
    assert accuracy == document["metrics"]["test_accuracy"] == job["metrics"]["test_accuracy"]


async def test_same_random_state_gives_identical_predictions(
    client: httpx.AsyncClient, worker: Worker, resources: Resources
) -> None:
    body = {
        "dataset_name": "wine",
        "algorithm": "random_forest",
        "model_name": "repeatable",
        "hyperparameters": {"n_estimators": 20},
        "random_state": 7,
    }
    first = (await client.post("/train", json=body)).json()["job_id"]
    second = (await client.post("/train", json=body)).json()["job_id"]
    jobs = [await wait_for_job(client, first), await wait_for_job(client, second)]
    assert [j["status"] for j in jobs] == ["succeeded", "succeeded"]
    assert sorted(j["model_version"] for j in jobs) == [1, 2]
    wine = bundled_samples()["wine"][1]
    predictions = [(await load_model(resources, j["model_id"]))[1].predict(wine.X) for j in jobs]
    assert (predictions[0] == predictions[1]).all()


async def test_every_algorithm_trains_on_both_datasets(
    client: httpx.AsyncClient, worker: Worker
) -> None:
    ids = []
    for dataset in ("iris", "wine"):
        for algorithm in algorithms_for(Task.classification):
            body = {
                "dataset_name": dataset,
                "algorithm": algorithm,
                "model_name": f"{dataset}_{algorithm}",
            }
            ids.append((await client.post("/train", json=body)).json()["job_id"])
    for job_id in ids:
        job = await wait_for_job(client, job_id)
        assert job["status"] == "succeeded", job["error"]
        assert 0.5 < job["metrics"]["test_accuracy"] <= 1.0


async def test_fit_time_error_fails_the_job_with_sklearns_message(
    client: httpx.AsyncClient, worker: Worker, resources: Resources
) -> None:
    # A valid parameter value that scikit-learn only rejects when fitting.
    body = {
        "dataset_name": "iris",
        "algorithm": "svm",
        "model_name": "precomputed",
        "hyperparameters": {"kernel": "precomputed"},
    }
    job = await wait_for_job(client, (await client.post("/train", json=body)).json()["job_id"])
    assert job["status"] == "failed"
    assert job["error"]["type"] == "ValueError"
    assert "square" in job["error"]["message"]
    assert await resources.db["models"].count_documents({"job_id": job["job_id"]}) == 0
    after = await client.post("/train", json=body | {"hyperparameters": {"kernel": "linear"}})
    assert (await wait_for_job(client, after.json()["job_id"]))["status"] == "succeeded"


async def test_convergence_warnings_are_reported_on_the_job(
    client: httpx.AsyncClient, worker: Worker
) -> None:
    body = {
        "dataset_name": "wine",
        "algorithm": "logistic_regression",
        "model_name": "lr",
        "hyperparameters": {"max_iter": 5},
    }
    job = await wait_for_job(client, (await client.post("/train", json=body)).json()["job_id"])
    assert job["status"] == "succeeded"
    assert any(w.startswith("ConvergenceWarning") for w in job["warnings"])


async def test_duplicate_job_id_is_409_and_runs_once(
    client: httpx.AsyncClient, worker: Worker, resources: Resources
) -> None:
    body = SEED_BODY | {"job_id": "only_once", "model_name": "once"}
    assert (await client.post("/train", json=body)).status_code == 202
    again = await client.post("/train", json=body)
    assert again.status_code == 409
    assert again.headers["Location"] == "/jobs/only_once"
    await wait_for_job(client, "only_once")
    assert await resources.db["models"].count_documents({"name": "once"}) == 1


async def test_a_regressor_on_a_classification_dataset_is_422_naming_classifiers(
    client: httpx.AsyncClient, resources: Resources
) -> None:
    response = await client.post("/train", json=SEED_BODY | {"algorithm": "ridge"})
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == ["body", "algorithm"]
    assert "ridge does not support classification" in error["msg"]
    assert "logistic_regression" in error["msg"]
    assert await resources.db["jobs"].count_documents({"request.algorithm": "ridge"}) == 0


async def test_cross_validation_and_preprocessing_options_reach_the_model(
    client: httpx.AsyncClient, worker: Worker, resources: Resources
) -> None:
    body = {
        "dataset_name": "wine",
        "algorithm": "svm",
        "model_name": "wine-svm-cv",
        "cv": 5,
        "preprocessing": {"imputation": "median", "scaling": True},
    }
    job = await wait_for_job(client, (await client.post("/train", json=body)).json()["job_id"])
    assert job["status"] == "succeeded", job["error"]
    cv = job["metrics"]["cv"]
    assert cv["folds"] == 5 and 0.9 < cv["accuracy"]["mean"] <= 1 and cv["accuracy"]["std"] >= 0
    assert job["metrics"]["test_accuracy"] >= 0.9  # scaled inside the pipeline
    model = (await client.get(f"/api/v1/models/{job['model_id']}")).json()
    assert model["preprocessing"] == {"imputation": "median", "scaling": True}
    assert model["metrics"]["cv"] == cv


async def test_a_version_the_dataset_lacks_is_422(client: httpx.AsyncClient) -> None:
    response = await client.post("/train", json=SEED_BODY | {"dataset_version": 2})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "dataset_version"]
