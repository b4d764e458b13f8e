"""Through the real worker and store: a trained model's record holds its importances per
original column, a regressor's residual sample is stored beside it and drawn on its page, and
a model stored before explanations still lists, reads and renders."""

from typing import Any

import httpx
import pytest
from arq.worker import Worker
from bson import ObjectId

from app.config import Settings
from app.resources import Resources
from app.storage import MODEL_INSIGHTS
from tests.datasets.support import csv_bytes, ingested, train
from tests.explanations.tables import decided_by_signal, level_decides
from tests.samples import iris_model_bytes, publish
from tests.support import SettingsFactory


@pytest.fixture(scope="module")
def settings(settings_factory: SettingsFactory) -> Settings:
    return settings_factory(auth_enabled=False)


@pytest.fixture(scope="module")
async def tables(client: httpx.AsyncClient) -> None:
    X, y = decided_by_signal()
    await ingested(client, "signals", "label", csv_bytes(X.assign(label=y)))
    X, y = level_decides()
    await ingested(client, "levels", "amount", csv_bytes(X.assign(amount=y)))


async def trained(client: httpx.AsyncClient, dataset: str, algorithm: str, **body: Any) -> dict:
    job = await train(client, dataset_name=dataset, algorithm=algorithm, model_name=dataset, **body)
    assert job["status"] == "succeeded", job
    response = await client.get(f"/api/v1/models/{job['model_id']}")
    assert response.status_code == 200
    return response.json()


async def test_importances_are_stored_per_original_column(
    client: httpx.AsyncClient, worker: Worker, tables: None
) -> None:
    model = await trained(client, "signals", "random_forest")
    importances = model["importances"]
    assert importances["permutation"][0]["column"] == "signal"
    assert importances["model"]["values"][0]["column"] == "signal"
    assert {row["column"] for row in importances["permutation"]} == {
        "signal",
        "noise",
        "city",
        "level",
    }
    page = await client.get(f"/ui/models/{model['id']}")
    assert 'aria-label="Permutation importance"' in page.text
    assert 'aria-label="Estimator importances"' in page.text
    assert 'id="residuals"' not in page.text  # a classifier has no residual plot


async def test_a_request_turns_permutation_importance_off(
    client: httpx.AsyncClient, worker: Worker, tables: None
) -> None:
    model = await trained(client, "signals", "decision_tree", importances=False)
    assert model["importances"]["permutation"] is None
    assert model["importances"]["permutation_skipped"] == "turned off"
    assert model["importances"]["model"]["values"][0]["column"] == "signal"


async def test_a_regressor_s_residual_sample_is_stored_and_drawn(
    client: httpx.AsyncClient, worker: Worker, tables: None, resources: Resources
) -> None:
    model = await trained(client, "levels", "ridge")
    insights = await resources.db[MODEL_INSIGHTS].find_one({"_id": ObjectId(model["id"])})
    assert insights is not None and len(insights["residuals"]) == model["metrics"]["n_test"]
    assert set(model["metrics"]["residual_quantiles"]) == {"p05", "p25", "p50", "p75", "p95"}
    page = await client.get(f"/ui/models/{model['id']}")
    assert page.text.count('class="dot"') == len(insights["residuals"])
    assert 'aria-label="Residuals"' in page.text
    deleted = await client.delete(f"/api/v1/models/{model['id']}")
    assert deleted.status_code == 204
    assert await resources.db[MODEL_INSIGHTS].find_one({"_id": ObjectId(model["id"])}) is None


async def test_a_model_stored_before_explanations_still_reads_and_renders(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    old = await publish(settings, iris_model_bytes(), name="before-explanations")
    assert "importances" not in old
    read = await client.get(f"/api/v1/models/{old['_id']}")
    assert read.status_code == 200 and read.json()["importances"] is None
    listed = await client.get("/api/v1/models", params={"name": "before-explanations"})
    assert listed.json()["total"] == 1
    page = await client.get(f"/ui/models/{old['_id']}")
    assert page.status_code == 200 and 'id="importances"' not in page.text
