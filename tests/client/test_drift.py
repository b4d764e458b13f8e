"""The drift report through the clients and the CLI, against the real service: the sync client
and `tensorfleet drift` over TCP, the async client in process, on one model whose traffic the
test shifted (iris rows with sepal length doubled)."""

import time

import httpx
import pytest
from fastapi import FastAPI
from sklearn.datasets import load_iris

from app.config import Settings
from tensorfleet.cli.drift import EXIT_DRIFTED
from tensorfleet.client import AsyncTensorFleetClient, TensorFleetClient
from tensorfleet.schemas.registry import ModelRead
from tests.client.support import Server, Tensorfleet
from tests.support import SettingsFactory

ROWS = 150
SHIFTED, STEADY = "sepal_length", "sepal_width"


@pytest.fixture(scope="module")
def settings(settings_factory: SettingsFactory) -> Settings:
    return settings_factory(drift_min_samples=ROWS, drift_flush_seconds=0.05)


@pytest.fixture(scope="module")
def shifted_model(live: Server) -> ModelRead:
    iris = load_iris(as_frame=True).data
    with TensorFleetClient(live.url) as client:
        job = client.train(dataset_name="iris", algorithm="logistic_regression", model_name="lily")
        model = client.get_model(str(client.wait_for_job(job.job_id, timeout=120).model_id))
        rows = iris.set_axis(model.features, axis=1)
        rows[SHIFTED] = rows[SHIFTED] * 2
        client.predict(model, rows.to_dict(orient="records"))
    return model


def wait_for_samples(client: TensorFleetClient, model_id: str) -> None:
    for _ in range(200):
        if client.drift(model_id).samples == ROWS:
            return
        time.sleep(0.05)
    raise AssertionError("the sample never reached the drift report")


def test_sync_client_reports_the_shifted_column(live: Server, shifted_model: ModelRead) -> None:
    with TensorFleetClient(live.url) as client:
        wait_for_samples(client, shifted_model.id)
        report = client.drift(shifted_model.id)
    assert report.status == "ok" and report.drifted
    assert SHIFTED in report.drifted_columns
    assert STEADY not in report.drifted_columns


async def test_async_client_reads_the_same_report(
    app: FastAPI, live: Server, shifted_model: ModelRead
) -> None:
    transport = httpx.ASGITransport(app=app.state.asgi)
    routes = [{"version": shifted_model.version, "weight": 100}]
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        put = await http.put("/api/v1/endpoints/lily-ab", json={"model": "lily", "routes": routes})
        assert put.status_code == 200, put.text
    async with AsyncTensorFleetClient("http://testserver", transport=transport) as client:
        report = await client.drift(shifted_model.id)
        endpoint = await client.endpoint_drift("lily-ab")
    assert report.model_name == "lily" and SHIFTED in report.drifted_columns
    [version] = endpoint.versions
    assert version.role == "route" and version.report.model_id == shifted_model.id


def test_cli_prints_a_table_and_fails_on_drift_when_asked(
    live: Server, shifted_model: ModelRead, tensorfleet: Tensorfleet
) -> None:
    shown = tensorfleet("--url", live.url, "drift", "lily")
    assert shown.code == 0, shown.stderr
    assert SHIFTED in shown.stdout and f"drifted: {SHIFTED}" in shown.stdout
    failing = tensorfleet("--url", live.url, "drift", shifted_model.id, "--fail-on-drift")
    assert failing.code == EXIT_DRIFTED
    missing = tensorfleet("--url", live.url, "drift", "000000000000000000000000")
    assert missing.code == 1 and "no model" in missing.stderr
