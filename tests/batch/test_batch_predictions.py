"""Batch predictions end to end, on the real stores and a worker: an uploaded table with an id
column, categories and missing values, predicted by a model trained on it through the API.

The worker reads the version in chunks of 100 rows here, so every job spans many chunks."""

import io
from typing import Any

import httpx
import joblib
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from arq import Worker

from app.config import Settings
from app.datasets import store
from app.resources import Resources
from app.storage import DATASET_VERSIONS, PREDICTION_CHUNKS, PREDICTION_FILES
from tests.batch.support import ROOT, output, predicted, read, submit, wait_for_end
from tests.datasets.support import csv_bytes, ingested, train
from tests.support import SettingsFactory, wait_for
from tests.tables import customers

CHUNK_ROWS = 100
FEATURES = ["age", "plan", "city", "member", "spend"]


@pytest.fixture(scope="module")
def settings(settings_factory: SettingsFactory) -> Settings:
    return settings_factory(batch_predict_chunk_rows=CHUNK_ROWS)


@pytest.fixture(scope="module")
async def churn(client: httpx.AsyncClient, worker: Worker) -> dict[str, Any]:
    """A logistic regression trained on `customers` (600 rows) through the API."""
    version = await ingested(client, "customers", "churned", csv_bytes(customers()))
    assert version["status"] == "ready", version["error"]
    job = await train(
        client, dataset_name="customers", algorithm="logistic_regression", model_name="churn"
    )
    assert job["status"] == "succeeded", job["error"]
    return {"id": job["model_id"], "version": version}


@pytest.fixture(scope="module")
async def prospects(client: httpx.AsyncClient, worker: Worker) -> dict[str, Any]:
    """A bigger table of the same columns: 20,000 rows, 200 chunks."""
    version = await ingested(client, "prospects", "churned", csv_bytes(customers(20_000, 1)))
    assert version["status"] == "ready", version["error"]
    return version


async def local_model(client: httpx.AsyncClient, model_id: str) -> Any:
    """The model as its download gives it (the test's own model, trained by the service)."""
    response = await client.get(f"/api/v1/models/{model_id}/download")
    return joblib.load(io.BytesIO(response.content))


def expected_frame(table: pd.DataFrame) -> pd.DataFrame:
    """The rows as the model saw them in training: a missing value is NaN in every column."""
    frame = table[FEATURES].copy()
    frame["city"] = frame["city"].astype(object).where(frame["city"].notna(), np.nan)
    return frame


async def test_csv_keeps_every_row_in_order_with_ids_and_probabilities(
    client: httpx.AsyncClient, churn: dict[str, Any]
) -> None:
    job = await predicted(
        client,
        churn["id"],
        dataset_name="customers",
        id_column="customer_id",
        probabilities=True,
    )
    assert job["status"] == "succeeded", job["error"]
    assert job["request"]["dataset_version"] == churn["version"]["version"]  # pinned
    frame, headers = await output(client, job)
    table = customers()
    assert len(frame) == len(table) == job["result"]["rows"] == job["progress"]["rows_total"]
    assert list(frame["customer_id"]) == list(table["customer_id"])  # passed through, in order
    model = await local_model(client, churn["id"])
    assert table["age"].isna().any() and table["city"].isna().any()  # rows with gaps, predicted
    assert list(frame["prediction"]) == list(model.predict(expected_frame(table)))
    probabilities = frame[["proba_no", "proba_yes"]].to_numpy()
    assert np.allclose(probabilities, model.predict_proba(expected_frame(table)))
    assert job["result"]["columns"] == ["customer_id", "prediction", "proba_no", "proba_yes"]
    assert headers["content-type"].startswith("text/csv")
    assert 'filename="churn-v1-customers-v1.csv"' in headers["content-disposition"]


async def test_parquet_gives_the_same_predictions(
    client: httpx.AsyncClient, churn: dict[str, Any]
) -> None:
    job = await predicted(
        client, churn["id"], dataset_name="customers", format="parquet", id_column="customer_id"
    )
    assert job["status"] == "succeeded", job["error"]
    frame, headers = await output(client, job)
    assert headers["content-type"] == "application/vnd.apache.parquet"
    model = await local_model(client, churn["id"])
    assert list(frame.columns) == ["customer_id", "prediction"]
    assert list(frame["customer_id"]) == list(customers()["customer_id"])
    assert list(frame["prediction"]) == list(model.predict(expected_frame(customers())))


async def test_by_name_and_alias_resolve_and_pin_the_version(
    client: httpx.AsyncClient, churn: dict[str, Any]
) -> None:
    response = await client.post(
        "/api/v1/models/by-name/churn/latest/batch-predictions",
        json={"dataset_name": "customers"},
    )
    assert response.status_code == 202, response.text
    assert response.json()["model"] == {"id": churn["id"], "name": "churn", "version": 1}
    job = await wait_for_end(client, response.json()["job_id"])
    frame, _ = await output(client, job)
    assert list(frame.columns) == ["prediction"] and len(frame) == len(customers())
    listed = (await client.get(f"/api/v1/models/{churn['id']}/batch-predictions")).json()
    assert job["job_id"] in [item["job_id"] for item in listed["items"]]
    moved = await client.put("/api/v1/models/by-name/churn/aliases/production", json={"version": 1})
    assert moved.status_code == 200, moved.text
    by_alias = await client.post(
        "/api/v1/models/by-name/churn/aliases/production/batch-predictions",
        json={"dataset_name": "customers"},
    )
    assert by_alias.status_code == 202, by_alias.text
    assert by_alias.json()["model"]["id"] == churn["id"]
    unknown = await client.post(
        "/api/v1/models/by-name/churn/aliases/nope/batch-predictions",
        json={"dataset_name": "customers"},
    )
    assert unknown.status_code == 404


async def test_progress_moves_chunk_by_chunk(
    client: httpx.AsyncClient, churn: dict[str, Any], prospects: dict[str, Any]
) -> None:
    response = await submit(client, churn["id"], dataset_name="prospects")
    job_id, seen = response.json()["job_id"], []

    async def ended() -> bool:
        job = await read(client, job_id)
        seen.append(job["progress"]["rows_done"])
        return job["status"] in ("succeeded", "failed", "cancelled")

    await wait_for(ended, 120, interval=0.02)
    job = await read(client, job_id)
    assert job["status"] == "succeeded", job["error"]
    assert seen == sorted(seen)  # never backwards
    assert any(0 < rows < 20_000 for rows in seen), seen  # seen part-way
    assert all(rows % CHUNK_ROWS == 0 for rows in seen)  # a chunk at a time
    assert job["progress"] == {
        "stage": "done",
        "fraction": 1.0,
        "rows_done": 20_000,
        "rows_total": 20_000,
    }


async def test_cancel_stops_the_job_and_leaves_no_file(
    client: httpx.AsyncClient,
    churn: dict[str, Any],
    prospects: dict[str, Any],
    resources: Resources,
) -> None:
    response = await submit(client, churn["id"], dataset_name="prospects", format="parquet")
    job_id = response.json()["job_id"]

    async def predicting() -> dict[str, Any] | None:
        job = await read(client, job_id)
        return job if job["progress"]["rows_done"] > 0 or job["status"] != "queued" else None

    running = await wait_for(predicting, 60, interval=0.02)
    assert running["status"] == "running", running
    cancelled = await client.post(f"{ROOT}/{job_id}/cancel")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    db = resources.db

    async def no_upload_left() -> bool:  # the worker aborted its upload: no chunk without file
        owners = await db[PREDICTION_CHUNKS].distinct("files_id")
        closed = await db[PREDICTION_FILES].distinct("_id")
        return not set(owners) - set(closed)

    await wait_for(no_upload_left, 30, interval=0.05)
    assert await db[PREDICTION_FILES].count_documents({"metadata.job_id": job_id}) == 0
    job = await read(client, job_id)
    assert job["status"] == "cancelled" and job["progress"]["rows_done"] < 20_000
    assert (await client.get(f"{ROOT}/{job_id}/download")).status_code == 409
    assert (await client.post(f"{ROOT}/{job_id}/cancel")).status_code == 409


async def test_delete_removes_the_job_and_its_file(
    client: httpx.AsyncClient, churn: dict[str, Any], resources: Resources
) -> None:
    job = await predicted(client, churn["id"], dataset_name="customers")
    stored = await resources.db[PREDICTION_FILES].find_one({"metadata.job_id": job["job_id"]})
    assert stored is not None and stored["length"] == job["result"]["size"]
    assert (await client.delete(f"{ROOT}/{job['job_id']}")).status_code == 204
    assert (await client.get(f"{ROOT}/{job['job_id']}")).status_code == 404
    assert await resources.db[PREDICTION_FILES].count_documents({"_id": stored["_id"]}) == 0


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"dataset_name": "customers", "id_column": "nope"}, "id_column", "no column 'nope'"),
        ({"dataset_name": "customers", "id_column": "prediction"}, "id_column", "output uses"),
        ({"dataset_name": "iris"}, "dataset_name", "'age' is missing"),
        ({"dataset_name": "customers", "dataset_version": 9}, "dataset_version", "no version 9"),
        ({"dataset_name": "nothing"}, "dataset_name", "unknown dataset"),
        ({"dataset_name": "customers", "format": "xlsx"}, "format", "csv"),
    ],
)
async def test_what_cannot_be_predicted_is_a_422_naming_the_field(
    client: httpx.AsyncClient, churn: dict[str, Any], body: dict, field: str, words: str
) -> None:
    before = (await client.get(f"/api/v1/models/{churn['id']}/batch-predictions")).json()
    response = await submit(client, churn["id"], **body)
    assert response.status_code == 422, response.text
    (error,) = response.json()["detail"]
    assert error["loc"] == ["body", field] and words in error["msg"], error
    after = (await client.get(f"/api/v1/models/{churn['id']}/batch-predictions")).json()
    assert after["total"] == before["total"]  # nothing recorded


async def test_a_regressor_writes_numbers_and_has_no_probabilities(
    client: httpx.AsyncClient, worker: Worker
) -> None:
    version = await ingested(client, "spend", "spend", csv_bytes(customers()))
    assert version["status"] == "ready", version["error"]
    job = await train(client, dataset_name="spend", algorithm="ridge", model_name="spend")
    assert job["status"] == "succeeded", job["error"]
    response = await submit(client, job["model_id"], dataset_name="spend", probabilities=True)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "probabilities"]
    done = await predicted(client, job["model_id"], dataset_name="spend", id_column="customer_id")
    frame, _ = await output(client, done)
    assert frame["prediction"].dtype == np.float64 and len(frame) == len(customers())
    assert frame["prediction"].notna().all()


async def test_a_version_ingested_by_the_previous_release_still_predicts(
    client: httpx.AsyncClient, churn: dict[str, Any], resources: Resources
) -> None:
    """Its normalised copy holds the features and the target only, and its document does not
    list the copy's columns: it predicts, and only those columns can be passed through."""
    await ingested(client, "legacy", "churned", csv_bytes(customers()))
    db, files = resources.db, store.bucket(resources.db)
    version = await db[DATASET_VERSIONS].find_one({"name": "legacy"})
    stream = await files.open_download_stream(version["normalised_file_id"])
    table = pq.read_table(io.BytesIO(await stream.read()))
    buffer = io.BytesIO()
    pq.write_table(table.select([*version["features"], "churned"]), buffer)
    old_copy = await files.upload_from_stream("legacy-v1.parquet", buffer.getvalue())
    await db[DATASET_VERSIONS].update_one(
        {"_id": version["_id"]},
        {"$set": {"normalised_file_id": old_copy}, "$unset": {"normalised_columns": ""}},
    )
    refused = await submit(client, churn["id"], dataset_name="legacy", id_column="customer_id")
    assert refused.status_code == 422 and refused.json()["detail"][0]["loc"][-1] == "id_column"
    job = await predicted(client, churn["id"], dataset_name="legacy", id_column="churned")
    assert job["status"] == "succeeded", job["error"]
    frame, _ = await output(client, job)
    assert list(frame["churned"]) == list(customers()["churned"])
    model = await local_model(client, churn["id"])
    assert list(frame["prediction"]) == list(model.predict(expected_frame(customers())))


async def test_a_deleted_model_is_a_404(client: httpx.AsyncClient, make_model: Any) -> None:
    document = await make_model(name="gone")
    assert (await client.delete(f"/api/v1/models/{document['_id']}")).status_code == 204
    response = await submit(client, str(document["_id"]), dataset_name="iris")
    assert response.status_code == 404
    missing = await client.post(
        "/api/v1/models/by-name/gone/versions/1/batch-predictions", json={"dataset_name": "iris"}
    )
    assert missing.status_code == 404
    assert (await submit(client, "not-an-id", dataset_name="iris")).status_code == 404
    assert (await client.get(f"{ROOT}/unknown")).status_code == 404


async def test_a_model_stored_before_pipelines_predicts_by_position(
    client: httpx.AsyncClient, worker: Worker, make_model: Any, db: Any
) -> None:
    """Older models take a float array of `features`; Iris's columns are those names."""
    document = await make_model(name="old-tree")
    names = ["sepal_length", "sepal_width", "petal_length", "petal_width"]
    await db["models"].update_one({"_id": document["_id"]}, {"$set": {"features": names}})
    job = await predicted(
        client, str(document["_id"]), dataset_name="iris", id_column="target", probabilities=True
    )
    assert job["status"] == "succeeded", job["error"]
    frame, _ = await output(client, job)
    assert len(frame) == 150
    assert list(frame.columns) == ["target", "prediction", "proba_0", "proba_1", "proba_2"]
    # The tree was fitted on class numbers 0-2 in Iris's order: setosa, versicolor, virginica.
    species = {"0": "setosa", "1": "versicolor", "2": "virginica"}
    agree = (frame["prediction"].astype(str).map(species) == frame["target"]).mean()
    assert agree > 0.9
