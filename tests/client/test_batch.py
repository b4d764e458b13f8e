"""Batch predictions through the client (sync and async) and the CLI (`tensorfleet predict
--dataset`, `tensorfleet batch ...`), against the API and a worker running as processes."""

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from tensorfleet.client import AsyncTensorFleetClient, TensorFleetClient, ValidationFailed
from tensorfleet.schemas.registry import ModelRead
from tests.client.support import Server, Tensorfleet
from tests.tables import customers


@pytest.fixture(scope="module")
def model(live: Server) -> Iterator[ModelRead]:
    """A classifier trained on an uploaded table with an id column, categories and gaps."""
    with TensorFleetClient(live.url) as client:
        table = io.BytesIO(customers().to_csv(index=False).encode())
        uploaded = client.upload_dataset(table, name="customers", target="churned")
        ready = client.wait_for_dataset("customers", uploaded.version, timeout=300)
        assert ready.status == "ready", ready.error
        submitted = client.train(
            dataset_name="customers", algorithm="logistic_regression", model_name="churn"
        )
        job = client.wait_for_job(submitted.job_id, timeout=300)
        assert job.status == "succeeded", job.error
        yield client.get_model(str(job.model_id))


def test_sync_client_predicts_a_dataset_and_downloads_it(
    live: Server, model: ModelRead, tmp_path: Path
) -> None:
    with TensorFleetClient(live.url) as client:
        job = client.batch_predict(
            "churn", dataset="customers", id_column="customer_id", probabilities=True
        )
        assert job.status == "queued" and job.model.id == model.id
        done = client.wait_for_batch_prediction(job.job_id, timeout=300)
        assert done.status == "succeeded", done.error
        saved = client.download_batch_prediction(job.job_id, tmp_path)
        listed = client.list_batch_predictions(model.id)
    assert saved.path == tmp_path / "churn-v1-customers-v1.csv"
    with saved.path.open(newline="") as file:
        rows = list(csv.DictReader(file))
    assert [row["customer_id"] for row in rows] == list(customers()["customer_id"])
    assert set(rows[0]) == {"customer_id", "prediction", "proba_no", "proba_yes"}
    assert done.result is not None and done.result.rows == len(rows) == 600
    assert job.job_id in [item.job_id for item in listed.items]


async def test_async_client_writes_parquet_and_refuses_a_bad_id_column(
    live: Server, model: ModelRead
) -> None:
    async with AsyncTensorFleetClient(live.url) as client:
        job = await client.batch_predict(model, dataset="customers", format="parquet")
        done = await client.wait_for_batch_prediction(job.job_id, timeout=300)
        sink = io.BytesIO()
        await client.download_batch_prediction(job.job_id, sink)
        with pytest.raises(ValidationFailed) as refused:
            await client.batch_predict(model, dataset="customers", id_column="nope")
    assert done.status == "succeeded"
    frame = pd.read_parquet(io.BytesIO(sink.getvalue()))
    assert list(frame.columns) == ["prediction"] and len(frame) == 600
    assert [error["loc"] for error in refused.value.detail] == [["body", "id_column"]]


def test_cli_predicts_a_dataset_version_and_waits(
    live: Server, model: ModelRead, tensorfleet: Tensorfleet, tmp_path: Path
) -> None:
    out = tmp_path / "preds.csv"
    env = ("--url", live.url)
    result = tensorfleet(
        *env,
        "predict",
        "churn",
        "--dataset",
        "customers:1",
        "--id-column",
        "customer_id",
        "--out",
        str(out),
        "--wait",
    )
    assert result.code == 0, result.stderr
    assert "600 predictions by churn v1" in result.stderr
    with out.open(newline="") as file:
        rows = list(csv.DictReader(file))
    assert len(rows) == 600 and rows[0]["customer_id"] == "C100000"
    queued = tensorfleet(*env, "predict", "churn", "--dataset", "customers", "--format", "parquet")
    assert queued.code == 0, queued.stderr
    job_id = queued.stdout.strip()
    waited = tensorfleet(*env, "batch", "wait", job_id, "--out", str(tmp_path / "p.parquet"))
    assert waited.code == 0, waited.stderr
    assert len(pd.read_parquet(tmp_path / "p.parquet")) == 600
    shown = tensorfleet(*env, "batch", "show", job_id, "--json")
    assert '"status": "succeeded"' in shown.stdout
    bad = tensorfleet(*env, "predict", "churn", "--dataset", "customers:x")
    assert bad.code == 2 and "version" in bad.stderr
    both = tensorfleet(*env, "predict", "churn")
    assert both.code == 2 and "--file" in both.stderr
