"""From an uploaded table to a model that takes its raw rows, as a client sees it."""

import io

import httpx
import joblib
import numpy as np
import pandas as pd
from arq import Worker

from app.resources import Resources
from tests.datasets.support import (
    csv_bytes,
    ingested,
    parquet_bytes,
    train,
    upload,
    wait_for_version,
)
from tests.tables import breast_cancer, customers, diabetes


async def download_model(client: httpx.AsyncClient, model_id: str):
    response = await client.get(f"/api/v1/models/{model_id}/download")
    return joblib.load(io.BytesIO(response.content))


async def test_breast_cancer_csv_becomes_a_classifier_with_roc_auc(
    client: httpx.AsyncClient, worker: Worker
) -> None:
    payload = csv_bytes(breast_cancer())
    response = await upload(client, "cancer", "diagnosis", payload)
    assert response.status_code == 202, response.text
    assert response.json()["status"] == "ingesting"
    assert response.headers["Location"] == "/datasets/cancer/versions/1"
    version = await wait_for_version(client, "cancer", 1)
    assert version["status"] == "ready", version["error"]
    assert (version["task"], version["format"], version["n_samples"]) == (
        "classification",
        "csv",
        569,
    )
    assert version["class_counts"] == [
        {"class": "benign", "count": 357},
        {"class": "malignant", "count": 212},
    ]
    assert version["n_features"] == 30 and {c["type"] for c in version["columns"]} == {"numeric"}
    job = await train(
        client, dataset_name="cancer", algorithm="logistic_regression", model_name="cancer"
    )
    assert job["status"] == "succeeded", job["error"]
    assert job["metrics"]["roc_auc"] > 0.95 and job["request"]["dataset_version"] == 1
    model = (await client.get(f"/api/v1/models/{job['model_id']}")).json()
    assert (model["dataset_version"], model["dataset_sha256"]) == (1, version["sha256"])
    assert model["target"] == "diagnosis" and model["classes"] == ["benign", "malignant"]


async def test_diabetes_parquet_becomes_a_regressor(
    client: httpx.AsyncClient, worker: Worker
) -> None:
    version = await ingested(client, "diabetes", "progression", parquet_bytes(diabetes()))
    assert (version["status"], version["format"], version["task"]) == (
        "ready",
        "parquet",
        "regression",
    )
    assert version["target_summary"] == {
        "min": 25.0,
        "mean": version["target_summary"]["mean"],
        "max": 346.0,
    }
    job = await train(client, dataset_name="diabetes", algorithm="ridge", model_name="diabetes")
    assert job["status"] == "succeeded", job["error"]
    metrics = job["metrics"]
    assert metrics["test_accuracy"] is None and 0.2 < metrics["test_r2"] < 1
    assert metrics["mae"] > 0 and metrics["rmse"] >= metrics["mae"]
    refused = await client.post(
        "/train",
        json={"dataset_name": "diabetes", "algorithm": "logistic_regression", "model_name": "x"},
    )
    assert refused.status_code == 422
    assert "for a regression dataset use one of" in refused.json()["detail"][0]["msg"]


async def test_a_table_with_categories_and_gaps_trains_on_its_raw_rows(
    client: httpx.AsyncClient, worker: Worker
) -> None:
    table = customers()
    version = await ingested(client, "customers", "churned", csv_bytes(table))
    assert version["status"] == "ready", version["error"]
    columns = {c["name"]: c for c in version["columns"]}
    assert columns["customer_id"]["excluded"] and "identifier" in columns["customer_id"]["reason"]
    assert (columns["plan"]["type"], columns["member"]["type"]) == ("categorical", "boolean")
    assert columns["city"]["missing"] == int(table["city"].isna().sum())
    assert version["features"] == ["age", "plan", "city", "member", "spend"]
    job = await train(
        client, dataset_name="customers", algorithm="gradient_boosting", model_name="churn"
    )
    assert job["status"] == "succeeded", job["error"]
    model = await download_model(client, job["model_id"])
    raw = pd.read_csv(io.StringIO(table.head(50).to_csv(index=False)))  # as a user reads it
    raw.loc[0, "plan"] = "enterprise"  # a category never seen
    predictions = model.predict(raw)
    assert set(predictions) <= {"yes", "no"}
    assert np.mean(predictions[1:] == raw["churned"][1:]) > 0.8


async def test_same_bytes_are_the_same_version_and_new_bytes_a_new_one(
    client: httpx.AsyncClient, worker: Worker, resources: Resources
) -> None:
    table = diabetes()
    first = await ingested(client, "dedup", "progression", csv_bytes(table))
    again = await upload(client, "dedup", "progression", csv_bytes(table))
    assert again.status_code == 200 and again.json()["version"] == first["version"] == 1
    second = await ingested(client, "dedup", "progression", csv_bytes(table.head(300)))
    assert second["version"] == 2 and second["n_samples"] == 300
    assert await resources.db["dataset_versions"].count_documents({"name": "dedup"}) == 2
    latest = await train(client, dataset_name="dedup", algorithm="ridge", model_name="d")
    pinned = await train(
        client, dataset_name="dedup", dataset_version=1, algorithm="ridge", model_name="d"
    )
    assert (latest["request"]["dataset_version"], pinned["request"]["dataset_version"]) == (2, 1)
    assert (latest["metrics"]["n_train"] + latest["metrics"]["n_test"]) == 300
    detail = (await client.get("/datasets/dedup")).json()
    assert [v["version"] for v in detail["versions"]] == [2, 1] and detail["version"] == 2


async def test_rows_without_a_target_are_dropped_and_counted(
    client: httpx.AsyncClient, worker: Worker
) -> None:
    table = customers().copy()
    table.loc[:9, "spend"] = np.nan
    version = await ingested(client, "gaps", "spend", csv_bytes(table))
    assert version["status"] == "ready", version["error"]
    assert (version["rows_dropped"], version["n_samples"]) == (10, len(table) - 10)
    assert version["task"] == "regression"


async def test_the_task_can_be_overridden(client: httpx.AsyncClient, worker: Worker) -> None:
    table = customers().assign(rating=lambda t: (t["spend"] // 40).astype(int))
    inferred = await ingested(client, "ratings", "rating", csv_bytes(table))
    assert inferred["task"] == "classification"
    overridden = await ingested(client, "ratings", "rating", csv_bytes(table), task="regression")
    assert overridden["version"] == 2 and overridden["task"] == "regression"
    assert overridden["requested_task"] == "regression"


async def test_preview_shows_the_first_rows(client: httpx.AsyncClient, worker: Worker) -> None:
    table = customers()
    await ingested(client, "peek", "churned", csv_bytes(table))
    preview = (await client.get("/datasets/peek/versions/1/preview", params={"rows": 3})).json()
    assert [row["customer_id"] for row in preview["rows"]] == ["C100000", "C100001", "C100002"]
    assert preview["rows"][0]["age"] is None  # missing: null, never NaN
    assert (await client.get("/datasets/peek/versions/9/preview")).status_code == 404


async def test_deleting_a_version_models_use_is_refused_unless_forced(
    client: httpx.AsyncClient, worker: Worker, resources: Resources
) -> None:
    await ingested(client, "doomed", "progression", csv_bytes(diabetes()))
    job = await train(client, dataset_name="doomed", algorithm="ridge", model_name="doomed")
    refused = await client.delete("/datasets/doomed/versions/1")
    assert refused.status_code == 409
    assert refused.json()["models"] == [{"id": job["model_id"], "name": "doomed", "version": 1}]
    assert job["model_id"] in refused.json()["detail"]
    forced = await client.delete("/datasets/doomed/versions/1", params={"force": "true"})
    assert forced.status_code == 200 and forced.json()["models"] == [job["model_id"]]
    assert (await client.get("/datasets/doomed")).status_code == 404
    files = resources.db["datasets.files"]
    assert await files.count_documents({"filename": {"$regex": "^doomed"}}) == 0
    again = await client.post(
        "/train", json={"dataset_name": "doomed", "algorithm": "ridge", "model_name": "x"}
    )
    assert again.status_code == 422 and again.json()["detail"][0]["loc"] == ["body", "dataset_name"]
