"""Unlabeled dataset versions: new rows without a target, uploaded to be predicted in a batch.

On the real stores and a worker: the upload is profiled with no target and no task, a batch
prediction reads it (passing an id column through), and training, tuning and evaluation
refuse it with a 422 naming the field, while a labeled upload of the same table is unchanged."""

from typing import Any

import httpx
import pytest
from arq import Worker

from app.resources import Resources
from tests.batch.support import output, predicted
from tests.datasets.support import (
    assert_nothing_stored,
    csv_bytes,
    ingested,
    train,
    wait_for_version,
)
from tests.tables import customers
from tests.tuning.support import search

UNLABELED = "new-customers"


def new_rows() -> bytes:
    """Rows to predict: the customers table without its target, other people than training's."""
    return csv_bytes(customers(300, seed=3).drop(columns=["churned"]))


@pytest.fixture(scope="module")
async def churn(client: httpx.AsyncClient, worker: Worker) -> dict[str, Any]:
    """A labeled upload (its profile as before) and a model trained on it."""
    version = await ingested(client, "churners", "churned", csv_bytes(customers()))
    assert version["status"] == "ready", version["error"]
    assert version["target_column"] == "churned" and version["task"] == "classification"
    assert version["classes"] == ["no", "yes"]
    assert "churned" not in [c["name"] for c in version["columns"]]
    job = await train(
        client, dataset_name="churners", algorithm="logistic_regression", model_name="churn"
    )
    assert job["status"] == "succeeded", job["error"]
    return {"id": job["model_id"], "version": version}


@pytest.fixture(scope="module")
async def unlabeled(client: httpx.AsyncClient, worker: Worker) -> dict[str, Any]:
    response = await client.post("/datasets", params={"name": UNLABELED}, content=new_rows())
    assert response.status_code == 202, response.text
    return await wait_for_version(client, UNLABELED, response.json()["version"])


async def test_an_upload_without_target_is_a_ready_profiled_version(
    client: httpx.AsyncClient, unlabeled: dict[str, Any]
) -> None:
    assert unlabeled["status"] == "ready", unlabeled["error"]
    assert unlabeled["target_column"] is None and unlabeled["task"] is None
    assert unlabeled["classes"] == [] and unlabeled["target_summary"] is None
    assert unlabeled["n_samples"] == 300 and unlabeled["rows_dropped"] == 0
    profiled = {c["name"]: c for c in unlabeled["columns"]}
    assert list(profiled) == ["customer_id", "age", "plan", "city", "member", "spend"]
    assert profiled["age"]["type"] == "numeric" and profiled["age"]["missing"] > 0
    assert profiled["customer_id"]["excluded"]  # identifier-like, yet kept in the file
    preview = await client.get(f"/datasets/{UNLABELED}/versions/1/preview", params={"rows": 3})
    assert preview.status_code == 200, preview.text
    assert len(preview.json()["rows"]) == 3


async def test_the_same_bytes_again_are_the_same_version_and_a_target_makes_another(
    client: httpx.AsyncClient, unlabeled: dict[str, Any]
) -> None:
    again = await client.post("/datasets", params={"name": UNLABELED}, content=new_rows())
    assert again.status_code == 200 and again.json()["version"] == unlabeled["version"]
    labeled = await client.post(
        "/datasets", params={"name": UNLABELED, "target": "plan"}, content=new_rows()
    )
    assert labeled.status_code == 202, labeled.text
    version = await wait_for_version(client, UNLABELED, labeled.json()["version"])
    assert version["version"] != unlabeled["version"] and version["target_column"] == "plan"
    deleted = await client.delete(f"/datasets/{UNLABELED}/versions/{version['version']}")
    assert deleted.status_code == 200, deleted.text


async def test_a_task_without_target_is_refused_with_nothing_stored(
    client: httpx.AsyncClient, resources: Resources
) -> None:
    response = await client.post(
        "/datasets", params={"name": "tasked", "task": "regression"}, content=new_rows()
    )
    assert response.status_code == 422, response.text
    (error,) = response.json()["detail"]
    assert error["loc"] == ["query", "task"] and "target" in error["msg"], error
    await assert_nothing_stored(resources, "tasked")


async def test_a_batch_prediction_reads_it_with_the_id_column_passed_through(
    client: httpx.AsyncClient, churn: dict[str, Any], unlabeled: dict[str, Any]
) -> None:
    job = await predicted(client, churn["id"], dataset_name=UNLABELED, id_column="customer_id")
    assert job["status"] == "succeeded", job["error"]
    frame, _ = await output(client, job)
    table = customers(300, seed=3)
    assert list(frame["customer_id"]) == list(table["customer_id"])
    assert set(frame["prediction"]) <= {"no", "yes"} and len(frame) == 300


def refusals(model_id: str) -> list[tuple[str, dict[str, Any], str]]:
    fit = {"dataset_name": UNLABELED, "algorithm": "decision_tree", "model_name": "never"}
    return [
        ("/train", fit, "dataset_name"),
        ("/train", fit | {"dataset_version": 1}, "dataset_version"),
        ("/tuning", search(dataset_name=UNLABELED), "dataset_name"),
        (f"/api/v1/models/{model_id}/evaluations", {"dataset_name": UNLABELED}, "dataset_name"),
    ]


async def test_training_tuning_and_evaluation_refuse_it_naming_the_field(
    client: httpx.AsyncClient, churn: dict[str, Any], unlabeled: dict[str, Any]
) -> None:
    for path, body, field in refusals(churn["id"]):
        response = await client.post(path, json=body)
        assert response.status_code == 422, (path, response.text)
        (error,) = response.json()["detail"]
        assert error["loc"] == ["body", field], (path, error)
        assert "has no target column" in error["msg"], (path, error)
