"""Drift end to end on the real stack: training stores a reference, predictions fill a bounded
live sample, GET /api/v1/models/{id}/drift flags the columns the test shifted and no others,
the worker's cron stores reports and exports gauges, deletion removes reference and sample,
and a model stored before drift profiles reports `no_reference`."""

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import numpy as np
import pandas as pd
import pytest
from arq import Worker
from bson import ObjectId
from prometheus_client import REGISTRY

from app.config import Settings
from app.drift.sampling import sample_key
from app.resources import Resources
from app.storage import DELIVERIES, DRIFT_REFERENCES, DRIFT_REPORTS
from tests.datasets.support import csv_bytes, ingested, train
from tests.samples import iris_model_bytes, publish
from tests.support import SettingsFactory, wait_for
from workers.drift import check_drift

CAP, MIN_SAMPLES, TRAIN_ROWS = 600, 100, 3000
COLUMNS = ["moved", "steady", "colour", "size"]


@pytest.fixture(scope="module")
def settings(settings_factory: SettingsFactory) -> Settings:
    return settings_factory(
        drift_sample_cap=CAP,
        drift_min_samples=MIN_SAMPLES,
        drift_flush_seconds=0.05,
        webhook_allow_private_targets=True,  # a webhook on loopback, to see drift.detected
        webhook_max_attempts=1,
    )


def table(rows: int, seed: int, shifted: bool) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    colours = ["red", "green", "blue", "purple"] if shifted else ["red", "green", "blue"]
    colour_shares = [0.2, 0.2, 0.2, 0.4] if shifted else [1 / 3] * 3
    return pd.DataFrame(
        {
            "moved": rng.normal(2.0 if shifted else 0.0, 1.0, rows),
            "steady": rng.normal(5.0, 2.0, rows),
            "colour": rng.choice(colours, rows, p=colour_shares),
            "size": rng.choice(["s", "m", "l"], rows, p=[0.7, 0.15, 0.15] if shifted else None),
        }
    )


@pytest.fixture(scope="module")
async def model(client: httpx.AsyncClient, worker: Worker) -> dict[str, Any]:
    frame = table(TRAIN_ROWS, 1, False)
    noise = np.random.default_rng(2).normal(0, 0.5, TRAIN_ROWS)
    frame["label"] = np.where(frame["moved"] + noise > 0, "yes", "no")
    await ingested(client, "drifting", "label", csv_bytes(frame))
    job = await train(
        client, dataset_name="drifting", algorithm="logistic_regression", model_name="drifty"
    )
    assert job["status"] == "succeeded", job
    return (await client.get(f"/api/v1/models/{job['model_id']}")).json()


async def predict(client: httpx.AsyncClient, model_id: str, frame: pd.DataFrame) -> None:
    body = {"dataframe_split": {"columns": COLUMNS, "data": frame[COLUMNS].values.tolist()}}
    response = await client.post(f"/api/v1/models/{model_id}/predict", json=body)
    assert response.status_code == 200, response.text


async def report_with(client: httpx.AsyncClient, model_id: str, samples: int) -> dict[str, Any]:
    """The drift report once `samples` live rows have been flushed."""

    async def flushed() -> dict[str, Any] | None:
        report = (await client.get(f"/api/v1/models/{model_id}/drift")).json()
        return report if report["samples"] == samples else None

    return await wait_for(flushed, timeout=10, interval=0.05)


@pytest.fixture
async def emptied(resources: Resources, model: dict[str, Any]) -> AsyncIterator[None]:
    await resources.redis.delete(sample_key(resources.settings.mongodb_db, model["id"]))
    yield


async def test_reference_is_stored_apart_from_the_model(
    model: dict[str, Any], resources: Resources
) -> None:
    reference = await resources.db[DRIFT_REFERENCES].find_one({"_id": ObjectId(model["id"])})
    assert reference is not None
    assert [column["name"] for column in reference["columns"]] == COLUMNS
    assert reference["prediction"]["type"] == "categorical"
    assert set(reference["prediction"]["categories"]) == {"yes", "no"}
    assert "columns" not in model and "reference" not in model


async def test_few_samples_are_reported_as_insufficient(
    client: httpx.AsyncClient, model: dict[str, Any], emptied: None
) -> None:
    await predict(client, model["id"], table(10, 3, False))
    report = await report_with(client, model["id"], 10)
    assert report["status"] == "insufficient_samples" and report["columns"] == []


async def test_unshifted_traffic_is_not_flagged(
    client: httpx.AsyncClient, model: dict[str, Any], emptied: None
) -> None:
    await predict(client, model["id"], table(500, 4, False))
    report = await report_with(client, model["id"], 500)
    assert report["status"] == "ok"
    assert report["drifted_columns"] == [] and not report["drifted"]
    assert all(column["psi"] < 0.1 for column in report["columns"])


async def test_shifted_columns_are_flagged(
    client: httpx.AsyncClient, model: dict[str, Any], emptied: None
) -> None:
    await predict(client, model["id"], table(500, 5, True))
    report = await report_with(client, model["id"], 500)
    assert report["drifted_columns"] == ["moved", "colour", "size"]
    assert report["prediction"]["drifted"]  # a moved mean moves the predicted class balance
    steady = next(column for column in report["columns"] if column["name"] == "steady")
    assert not steady["drifted"] and steady["test"] == "ks"


async def test_sample_keeps_the_latest_rows_up_to_the_cap(
    client: httpx.AsyncClient, model: dict[str, Any], resources: Resources, emptied: None
) -> None:
    for seed in range(3):
        await predict(client, model["id"], table(400, 10 + seed, False))
    await report_with(client, model["id"], CAP)
    key = sample_key(resources.settings.mongodb_db, model["id"])
    assert await resources.redis.llen(key) == CAP


async def drift_events(resources: Resources, model_id: str) -> list[dict[str, Any]]:
    deliveries = resources.db[DELIVERIES].find({"event": "drift.detected"})
    bodies = [json.loads(delivery["body"]) async for delivery in deliveries]
    return [body["data"] for body in bodies if body["data"]["model_id"] == model_id]


async def test_cron_stores_reports_exports_gauges_and_emits_once(
    client: httpx.AsyncClient,
    model: dict[str, Any],
    resources: Resources,
    worker: Worker,
    emptied: None,
) -> None:
    hook = await client.post(
        "/api/v1/webhooks", json={"url": "http://127.0.0.1:9/hook", "events": ["drift.detected"]}
    )
    assert hook.status_code == 201, hook.text
    await predict(client, model["id"], table(CAP, 6, True))
    await report_with(client, model["id"], CAP)
    assert await check_drift(worker.ctx) >= 1
    stored = await resources.db[DRIFT_REPORTS].find_one({"_id": ObjectId(model["id"])})
    assert stored is not None and stored["drifted_columns"] == ["moved", "colour", "size"]
    [event] = await drift_events(resources, model["id"])
    assert event["drifted_columns"] == ["moved", "colour", "size"]
    assert event["prediction_drifted"] and event["psi"]["moved"] > 0.2
    await check_drift(worker.ctx)  # still drifted: no second event
    assert len(await drift_events(resources, model["id"])) == 1
    labels = {"model": "drifty", "version": str(model["version"])}
    assert REGISTRY.get_sample_value("model_drift_detected", labels | {"column": "moved"}) == 1
    assert REGISTRY.get_sample_value("model_drift_detected", labels | {"column": "steady"}) == 0
    psi = REGISTRY.get_sample_value("model_drift_psi", labels | {"column": "colour"})
    assert psi is not None and psi > 0.2


async def test_model_page_draws_the_drift_chart(
    client: httpx.AsyncClient, model: dict[str, Any], emptied: None
) -> None:
    await predict(client, model["id"], table(300, 8, True))
    await report_with(client, model["id"], 300)
    page = await client.get(f"/ui/models/{model['id']}")
    assert page.status_code == 200, page.text
    section = page.text.split('id="drift"')[1].split("</section>")[0]
    assert 'aria-label="Population stability index by column"' in section
    assert "moved \u25b2" in section and "steady \u25b2" not in section
    assert "<script" not in section and "http" not in section  # drawn here, nothing fetched


async def test_model_without_reference_reports_so(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    """A model stored before drift profiles (no reference, no flag) is served and not sampled."""
    older = await publish(settings, iris_model_bytes(), name="older")
    response = await client.post(
        f"/api/v1/models/{older['_id']}/predict", json={"inputs": [[5.1, 3.5, 1.4, 0.2]]}
    )
    assert response.status_code == 200, response.text
    report = (await client.get(f"/api/v1/models/{older['_id']}/drift")).json()
    assert report["status"] == "no_reference" and report["samples"] == 0
    page = await client.get(f"/ui/models/{older['_id']}")
    assert page.status_code == 200 and "has no reference" in page.text


async def test_unknown_model_is_404(client: httpx.AsyncClient) -> None:
    response = await client.get(f"/api/v1/models/{ObjectId()}/drift")
    assert response.status_code == 404


async def test_delete_removes_reference_report_and_sample(
    client: httpx.AsyncClient, resources: Resources, worker: Worker
) -> None:
    job = await train(
        client, dataset_name="drifting", algorithm="logistic_regression", model_name="doomed"
    )
    model_id = job["model_id"]
    await predict(client, model_id, table(200, 7, False))
    await report_with(client, model_id, 200)
    await check_drift(worker.ctx)
    assert await resources.db[DRIFT_REPORTS].count_documents({"_id": ObjectId(model_id)}) == 1
    assert (await client.delete(f"/api/v1/models/{model_id}")).status_code == 204
    for collection in (DRIFT_REFERENCES, DRIFT_REPORTS):
        assert await resources.db[collection].count_documents({"_id": ObjectId(model_id)}) == 0
    await asyncio.sleep(0.2)  # a flush that raced the delete
    await check_drift(worker.ctx)  # ...is swept by the next check
    assert not await resources.redis.exists(sample_key(resources.settings.mongodb_db, model_id))


async def test_endpoint_reports_each_version_it_routes_to(
    client: httpx.AsyncClient, model: dict[str, Any], emptied: None
) -> None:
    """An A/B endpoint over v1 and a v2: traffic sampled per version, a report for each."""
    job = await train(
        client, dataset_name="drifting", algorithm="logistic_regression", model_name="drifty"
    )
    routes = [{"version": model["version"], "weight": 50}, {"version": 2, "weight": 50}]
    put = await client.put("/api/v1/endpoints/ab", json={"model": "drifty", "routes": routes})
    assert put.status_code == 200, put.text
    shifted, columns = table(500, 9, True), COLUMNS  # under the cap, however it splits
    for key in range(20):  # sticky keys: a fixed split of the requests between the versions
        rows = shifted.iloc[key * 25 : (key + 1) * 25][columns].values.tolist()
        body = {"dataframe_split": {"columns": columns, "data": rows}}
        answer = await client.post(
            "/api/v1/endpoints/ab/predict", json=body, headers={"X-Routing-Key": f"k{key}"}
        )
        assert answer.status_code == 200, answer.text

    async def both_flushed() -> dict[str, Any] | None:
        found = (await client.get("/api/v1/endpoints/ab/drift")).json()
        counts = [version["report"]["samples"] for version in found["versions"]]
        return found if sum(counts) == 500 else None

    found = await wait_for(both_flushed, timeout=10, interval=0.05)
    assert [v["target"] for v in found["versions"]] == [f"v{model['version']}", "v2"]
    assert found["versions"][1]["report"]["model_id"] == job["model_id"]
    for version in found["versions"]:
        assert version["report"]["drifted_columns"] == ["moved", "colour", "size"]
    missing = await client.get("/api/v1/endpoints/nope/drift")
    assert missing.status_code == 404
