"""Evaluation jobs through the API, the real worker and store: metrics of the stored model on
another dataset version, thresholds that pass or fail with reasons, an alias promoted on a pass
only, a dataset that does not fit refused with a 422 before anything is queued, results listed
per model, and `evaluation.completed` told to webhooks."""

import io
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pyarrow.parquet as pq
import pytest
from arq.worker import Worker
from sklearn.metrics import accuracy_score, confusion_matrix

from app.config import Settings
from app.datasets import store
from app.resources import Resources
from app.storage import DATASET_VERSIONS
from tests.datasets.support import csv_bytes, ingested, train
from tests.evaluation.support import evaluated, wait_for_evaluation
from tests.events.receiver import Receiver, running_receiver
from tests.explanations.tables import decided_by_signal, level_decides
from tests.support import SettingsFactory, wait_for


@pytest.fixture(scope="module")
def settings(settings_factory: SettingsFactory) -> Settings:
    return settings_factory(auth_enabled=False, webhook_allow_private_targets=True)


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    with running_receiver() as running:
        yield running


@pytest.fixture(scope="module")
async def models(client: httpx.AsyncClient, worker: Worker) -> dict[str, str]:
    """`gate` (a forest on `signals`) and `amounts` (ridge on `levels`), and the tables to
    evaluate them on: `signals` version 2 (fresh rows), and tables that do not fit."""
    X, y = decided_by_signal()
    await ingested(client, "signals", "label", csv_bytes(X.assign(label=y)))
    X, y = decided_by_signal(300, seed=5)
    await ingested(client, "signals", "label", csv_bytes(X.assign(label=y)))
    await ingested(client, "no-city", "label", csv_bytes(X.drop(columns="city").assign(label=y)))
    typed = X.assign(noise=X["noise"].map(lambda v: f"n{v:.0f}"), label=y)
    await ingested(client, "typed", "label", csv_bytes(typed))
    X, y = level_decides()
    await ingested(client, "levels", "amount", csv_bytes(X.assign(amount=y)))
    ids = {}
    for dataset, algorithm, name in [
        ("signals", "random_forest", "gate"),
        ("levels", "ridge", "amounts"),
    ]:
        job = await train(
            client, dataset_name=dataset, dataset_version=1, algorithm=algorithm, model_name=name
        )
        assert job["status"] == "succeeded", job
        ids[name] = job["model_id"]
    return ids


async def test_metrics_are_those_of_the_served_model_on_the_rows(
    client: httpx.AsyncClient, models: dict[str, str]
) -> None:
    result = await evaluated(
        client,
        f"/api/v1/models/{models['gate']}/evaluations",
        dataset_name="signals",
        thresholds={"accuracy": {"min": 0.9}, "log_loss": {"max": 1.0}},
    )
    assert result["status"] == "succeeded" and result["dataset_version"] == 2  # the latest
    X, y = decided_by_signal(300, seed=5)
    answer = await client.post(
        f"/api/v1/models/{models['gate']}/predict", json={"instances": X.to_dict("records")}
    )
    predicted = answer.json()["predictions"]
    metrics = result["metrics"]
    assert metrics["n"] == 300
    assert metrics["accuracy"] == pytest.approx(accuracy_score(y, predicted))
    classes = [row["actual"] for row in metrics["confusion_matrix"]]
    counts = confusion_matrix(y, predicted, labels=classes).tolist()
    assert [row["counts"] for row in metrics["confusion_matrix"]] == counts
    assert result["passed"] is True and result["promoted"] is None
    assert len(result["reasons"]) == 2 and all(r.endswith("met") for r in result["reasons"])
    assert {row["class"] for row in metrics["per_class"]} == {"go", "stop"}
    assert len(metrics["calibration"]) == 10


async def test_a_failed_threshold_says_why_and_promotes_nothing(
    client: httpx.AsyncClient, models: dict[str, str]
) -> None:
    result = await evaluated(
        client,
        "/api/v1/models/by-name/gate/versions/1/evaluations",
        dataset_name="signals",
        thresholds={"accuracy": {"min": 1.01}},
        promote="production",
    )
    assert result["status"] == "succeeded" and result["passed"] is False
    assert (
        result["reasons"][0].startswith("accuracy")
        and "below the minimum 1.01" in (result["reasons"][0])
    )
    assert result["promoted"] is None
    aliases = await client.get("/api/v1/models/by-name/gate/aliases")
    assert [a["alias"] for a in aliases.json()["items"]] == []


async def test_a_pass_promotes_the_alias_and_an_alias_can_be_evaluated(
    client: httpx.AsyncClient, models: dict[str, str]
) -> None:
    result = await evaluated(
        client,
        f"/api/v1/models/{models['gate']}/evaluations",
        dataset_name="signals",
        dataset_version=2,
        thresholds={"f1_macro": {"min": 0.8}},
        promote="production",
    )
    assert result["passed"] is True
    assert result["promoted"] == {"alias": "production", "from_version": None, "to_version": 1}
    alias = await client.get("/api/v1/models/by-name/gate/aliases/production")
    assert alias.status_code == 200 and alias.json()["id"] == models["gate"]
    again = await evaluated(
        client, "/api/v1/models/by-name/gate/aliases/production/evaluations", dataset_name="signals"
    )
    assert again["model"]["id"] == models["gate"] and again["passed"] is True
    page = (await client.get(f"/ui/models/{models['gate']}")).text
    listed = page[page.index('id="evaluations"') :]
    assert "f1_macro" in listed and "<code>production</code> &rarr; v1" in listed
    assert result["reasons"][0].replace("≥", "&ge;") in listed or result["reasons"][0] in listed


async def test_regression_metrics_and_an_rmse_bound(
    client: httpx.AsyncClient, models: dict[str, str]
) -> None:
    result = await evaluated(
        client,
        f"/api/v1/models/{models['amounts']}/evaluations",
        dataset_name="levels",
        thresholds={"rmse": {"max": 3}, "r2": {"min": 0.99}},
    )
    metrics = result["metrics"]
    assert result["task"] == "regression" and metrics["rmse"] < 3 and metrics["r2"] > 0.9
    assert set(metrics["residual_quantiles"]) == {"p05", "p25", "p50", "p75", "p95"}
    assert metrics["accuracy"] is None
    assert result["passed"] is (metrics["r2"] >= 0.99)


@pytest.mark.parametrize(
    ("model", "body", "loc", "message"),
    [
        ("gate", {"dataset_name": "levels"}, ["body", "dataset_name"], "has a regression target"),
        (
            "gate",
            {"dataset_name": "no-city"},
            ["body", "dataset_name"],
            "lacks columns the model takes: city",
        ),
        (
            "gate",
            {"dataset_name": "typed"},
            ["body", "dataset_name"],
            "'noise' (categorical, the model takes numeric)",
        ),
        (
            "amounts",
            {"dataset_name": "signals"},
            ["body", "dataset_name"],
            "has a classification target",
        ),
        (
            "gate",
            {"dataset_name": "signals", "thresholds": {"rmse": {"max": 3}}},
            ["body", "thresholds", "rmse"],
            "not a metric of a classification model",
        ),
        (
            "gate",
            {"dataset_name": "signals", "dataset_version": 9},
            ["body", "dataset_version"],
            "has no version 9",
        ),
        ("gate", {"dataset_name": "absent"}, ["body", "dataset_name"], "absent"),
    ],
)
async def test_what_does_not_fit_is_a_422_before_anything_is_queued(
    client: httpx.AsyncClient,
    models: dict[str, str],
    model: str,
    body: dict[str, Any],
    loc: list[str],
    message: str,
) -> None:
    before = (await client.get(f"/api/v1/models/{models[model]}/evaluations")).json()["total"]
    response = await client.post(f"/api/v1/models/{models[model]}/evaluations", json=body)
    assert response.status_code == 422, response.text
    [error] = response.json()["detail"]
    assert error["loc"] == loc and message in error["msg"]
    after = (await client.get(f"/api/v1/models/{models[model]}/evaluations")).json()["total"]
    assert after == before


@pytest.mark.parametrize(
    "thresholds",
    [{"accuracy": {}}, {"accuracy": {"min": 0.9, "max": 0.5}}, {"speed": {"min": 1}}],
)
async def test_malformed_thresholds_are_a_422(
    client: httpx.AsyncClient, models: dict[str, str], thresholds: dict[str, Any]
) -> None:
    response = await client.post(
        f"/api/v1/models/{models['gate']}/evaluations",
        json={"dataset_name": "signals", "thresholds": thresholds},
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][:2] == ["body", "thresholds"]


async def test_unknown_model_and_evaluation_are_404(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/v1/models/by-name/nobody/versions/1/evaluations", json={"dataset_name": "signals"}
    )
    assert response.status_code == 404
    assert (await client.get("/api/v1/evaluations/nope")).status_code == 404
    assert (
        await client.get("/api/v1/models/000000000000000000000000/evaluations")
    ).status_code == 404


async def test_a_model_s_evaluations_are_listed_newest_first(
    client: httpx.AsyncClient, models: dict[str, str]
) -> None:
    first = await evaluated(
        client, f"/api/v1/models/{models['amounts']}/evaluations", dataset_name="levels"
    )
    second = await evaluated(
        client, f"/api/v1/models/{models['amounts']}/evaluations", dataset_name="levels"
    )
    listed = (await client.get(f"/api/v1/models/{models['amounts']}/evaluations")).json()
    ids = [item["id"] for item in listed["items"]]
    assert ids.index(second["id"]) < ids.index(first["id"]) and listed["total"] == len(ids)
    limited = await client.get(
        f"/api/v1/models/{models['amounts']}/evaluations", params={"limit": 1}
    )
    assert [item["id"] for item in limited.json()["items"]] == [ids[0]]


async def test_evaluation_completed_is_told_to_webhooks(
    client: httpx.AsyncClient, models: dict[str, str], receiver: Receiver
) -> None:
    hook = await client.post(
        "/api/v1/webhooks", json={"url": receiver.url, "events": ["evaluation.completed"]}
    )
    assert hook.status_code == 201, hook.text
    try:
        result = await evaluated(
            client,
            f"/api/v1/models/{models['gate']}/evaluations",
            dataset_name="signals",
            thresholds={"accuracy": {"min": 0.5}},
        )

        async def told() -> list[Any] | None:
            return receiver.received() or None

        (received,) = await wait_for(told, timeout=30)
    finally:
        await client.delete(f"/api/v1/webhooks/{hook.json()['id']}")
    body = json.loads(received.body)
    assert body["type"] == "evaluation.completed"
    data = body["data"]
    assert data["evaluation_id"] == result["id"] and data["passed"] is True
    assert data["model_id"] == models["gate"] and data["model_name"] == "gate"
    assert data["metrics"]["accuracy"] == result["metrics"]["accuracy"]


async def test_an_evaluation_whose_model_was_deleted_fails_naming_it(
    client: httpx.AsyncClient, worker: Worker, models: dict[str, str]
) -> None:
    job = await train(client, dataset_name="levels", algorithm="ridge", model_name="short-lived")
    submitted = await client.post(
        f"/api/v1/models/{job['model_id']}/evaluations", json={"dataset_name": "levels"}
    )
    assert submitted.status_code == 202
    await client.delete(f"/api/v1/models/{job['model_id']}")
    result = await wait_for_evaluation(client, submitted.json()["id"])
    # the worker may have finished it before the delete, or read the model just before it
    # (then its file is gone); else it fails naming the model
    if result["status"] != "succeeded":
        assert result["error"]["type"] in ("ModelNotFound", "ModelFileMissing"), result
        assert job["model_id"] in result["error"]["message"]


async def test_a_version_ingested_by_the_previous_release_still_evaluates(
    client: httpx.AsyncClient, models: dict[str, str], resources: Resources
) -> None:
    """Its normalised copy holds the features and the target only, and its document does not
    list the copy's columns."""
    X, y = decided_by_signal(200, seed=9)
    await ingested(client, "legacy", "label", csv_bytes(X.assign(label=y)))
    db, files = resources.db, store.bucket(resources.db)
    version = await db[DATASET_VERSIONS].find_one({"name": "legacy"})
    assert version is not None
    stream = await files.open_download_stream(version["normalised_file_id"])
    table = pq.read_table(io.BytesIO(await stream.read()))
    buffer = io.BytesIO()
    pq.write_table(table.select([*version["features"], "label"]), buffer)
    old_copy = await files.upload_from_stream("legacy-v1.parquet", buffer.getvalue())
    await db[DATASET_VERSIONS].update_one(
        {"_id": version["_id"]},
        {"$set": {"normalised_file_id": old_copy}, "$unset": {"normalised_columns": ""}},
    )
    result = await evaluated(
        client, f"/api/v1/models/{models['gate']}/evaluations", dataset_name="legacy"
    )
    assert result["status"] == "succeeded" and result["metrics"]["n"] == 200
