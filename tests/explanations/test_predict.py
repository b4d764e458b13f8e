"""`explain: true` on the predict route, against models the real worker trained: one
contribution per original column per row, adding up to what the method promises; refused with
a 422 naming `explain` beyond EXPLAIN_MAX_ROWS or for a model no method covers."""

import math
from typing import Any

import httpx
import pytest
from arq.worker import Worker

from app.config import Settings
from tests.datasets.support import csv_bytes, ingested, train
from tests.explanations.tables import decided_by_signal, level_decides
from tests.samples import iris_model_bytes, publish
from tests.support import SettingsFactory

MAX_ROWS = 5
NAMES = ["signal", "noise", "city", "level"]


@pytest.fixture(scope="module")
def settings(settings_factory: SettingsFactory) -> Settings:
    return settings_factory(auth_enabled=False, explain_max_rows=MAX_ROWS, importance_seconds=0)


@pytest.fixture(scope="module")
async def models(client: httpx.AsyncClient, worker: Worker) -> dict[str, str]:
    """Model ids by algorithm, trained on `signals` (classifiers) and `levels` (ridge)."""
    X, y = decided_by_signal()
    await ingested(client, "signals", "label", csv_bytes(X.assign(label=y)))
    X, y = level_decides()
    await ingested(client, "levels", "amount", csv_bytes(X.assign(amount=y)))
    ids = {}
    for dataset, algorithm in [
        ("signals", "random_forest"),
        ("signals", "logistic_regression"),
        ("signals", "svm"),
        ("levels", "ridge"),
    ]:
        job = await train(client, dataset_name=dataset, algorithm=algorithm, model_name=algorithm)
        assert job["status"] == "succeeded", job
        ids[algorithm] = job["model_id"]
    return ids


def rows(count: int) -> list[dict[str, Any]]:
    X, _ = decided_by_signal(count, seed=7)
    return X.to_dict(orient="records")


async def explained(client: httpx.AsyncClient, model_id: str, **body: Any) -> dict[str, Any]:
    response = await client.post(
        f"/api/v1/models/{model_id}/predict", json={"explain": True} | body
    )
    assert response.status_code == 200, response.text
    return response.json()


def total(row: dict[str, Any]) -> float:
    return row["base"] + sum(row["contributions"].values())


async def test_a_forest_s_contributions_add_up_to_the_predicted_class_probability(
    client: httpx.AsyncClient, models: dict[str, str]
) -> None:
    answer = await explained(
        client, models["random_forest"], instances=rows(MAX_ROWS), probabilities=True
    )
    assert answer["explanation_method"] == "tree_path"
    for label, probabilities, row in zip(
        answer["predictions"], answer["probabilities"], answer["explanations"], strict=True
    ):
        assert row["explained"] == label and list(row["contributions"]) == NAMES
        assert total(row) == pytest.approx(probabilities[label])
        shares = row["contributions"]
        assert max(shares, key=lambda name: abs(shares[name])) == "signal"


async def test_a_logistic_regression_s_add_up_to_the_predicted_class_log_odds(
    client: httpx.AsyncClient, models: dict[str, str]
) -> None:
    answer = await explained(
        client, models["logistic_regression"], instances=rows(3), probabilities=True
    )
    assert answer["explanation_method"] == "linear"
    for label, probabilities, row in zip(
        answer["predictions"], answer["probabilities"], answer["explanations"], strict=True
    ):
        p = probabilities[label]
        assert total(row) == pytest.approx(math.log(p / (1 - p)), rel=1e-6)


async def test_a_regressor_s_add_up_to_the_prediction_in_any_format(
    client: httpx.AsyncClient, models: dict[str, str]
) -> None:
    records = rows(2)
    split = {"columns": NAMES, "data": [[r[n] for n in NAMES] for r in records]}
    answer = await explained(client, models["ridge"], dataframe_split=split)
    for prediction, row in zip(answer["predictions"], answer["explanations"], strict=True):
        assert row["explained"] is None and total(row) == pytest.approx(prediction)


async def test_without_explain_the_answer_has_none(
    client: httpx.AsyncClient, models: dict[str, str]
) -> None:
    response = await client.post(
        f"/api/v1/models/{models['ridge']}/predict", json={"instances": rows(1)}
    )
    assert response.json()["explanations"] is None


@pytest.mark.parametrize(
    ("algorithm", "count", "message"),
    [
        ("random_forest", MAX_ROWS + 1, f"at most {MAX_ROWS} rows"),
        ("svm", 1, "tree, boosting and linear models; this model is a SVC"),
    ],
)
async def test_what_cannot_be_explained_is_a_422_naming_explain(
    client: httpx.AsyncClient, models: dict[str, str], algorithm: str, count: int, message: str
) -> None:
    response = await client.post(
        f"/api/v1/models/{models[algorithm]}/predict",
        json={"explain": True, "instances": rows(count)},
    )
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == ["body", "explain"] and message in error["msg"]


async def test_a_model_stored_before_pipelines_explains_by_position(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    old = await publish(settings, iris_model_bytes(), name="old-tree")
    answer = await explained(
        client, str(old["_id"]), inputs=[[5.1, 3.5, 1.4, 0.2]], probabilities=True
    )
    [row] = answer["explanations"]
    label = answer["predictions"][0]
    assert total(row) == pytest.approx(answer["probabilities"][0][label])
    assert list(row["contributions"]) == old["features"]
