"""Online predictions from a registered model: the four payload formats, one response shape,
by id and by name, against what the stored estimator itself answers."""

import io

import httpx
import joblib
import numpy as np
import pytest
from sklearn.datasets import load_iris

from tests.samples import MakeModel, stored_estimator

IRIS = load_iris()
FEATURES = list(IRIS.feature_names)
ROWS = IRIS.data[[0, 60, 120]].tolist()


def records(rows: list[list[float]]) -> list[dict[str, float]]:
    return [dict(zip(FEATURES, row, strict=True)) for row in rows]


def expected(rows: list[list[float]]) -> list[str]:
    return [str(label) for label in stored_estimator().predict(np.array(rows))]


@pytest.mark.parametrize(
    "body",
    [
        {"instances": records(ROWS)},
        {"inputs": ROWS},
        {"dataframe_split": {"columns": FEATURES[::-1], "data": [row[::-1] for row in ROWS]}},
        {"dataframe_records": records(ROWS)},
    ],
    ids=["instances", "inputs", "dataframe_split", "dataframe_records"],
)
async def test_each_format_gets_the_estimators_own_predictions(
    client: httpx.AsyncClient, make_model: MakeModel, body: dict
) -> None:
    model = await make_model(name="iris-formats")
    response = await client.post(f"/api/v1/models/{model['_id']}/predict", json=body)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["predictions"] == expected(ROWS)
    want = {"id": str(model["_id"]), "name": "iris-formats", "version": model["version"]}
    assert answer["model"] == want
    assert answer["probabilities"] is None


async def test_probabilities_name_their_classes(
    client: httpx.AsyncClient, make_model: MakeModel
) -> None:
    model = await make_model()
    body = {"inputs": ROWS, "probabilities": True}
    answer = (await client.post(f"/api/v1/models/{model['_id']}/predict", json=body)).json()
    estimator = stored_estimator()
    want = estimator.predict_proba(np.array(ROWS))
    classes = [str(c) for c in estimator.classes_]
    assert [list(row) for row in answer["probabilities"]] == [classes] * len(ROWS)
    assert [[row[c] for c in classes] for row in answer["probabilities"]] == want.tolist()


async def test_by_name_latest_and_by_version(
    client: httpx.AsyncClient, make_model: MakeModel
) -> None:
    first = await make_model(name="iris-named")
    second = await make_model(name="iris-named")
    body = {"inputs": ROWS[:1]}
    latest = await client.post("/api/v1/models/by-name/iris-named/latest/predict", json=body)
    path = f"/api/v1/models/by-name/iris-named/versions/{first['version']}/predict"
    one = await client.post(path, json=body)
    want = {"id": str(second["_id"]), "name": "iris-named", "version": second["version"]}
    assert latest.json()["model"] == want
    assert one.json()["model"]["id"] == str(first["_id"])
    assert one.json()["predictions"] == latest.json()["predictions"] == expected(ROWS[:1])


async def test_an_upper_case_id_is_the_same_model(
    client: httpx.AsyncClient, make_model: MakeModel
) -> None:
    model = await make_model()
    body = {"inputs": ROWS[:1]}
    response = await client.post(f"/api/v1/models/{str(model['_id']).upper()}/predict", json=body)
    assert response.json()["model"]["id"] == str(model["_id"])


async def test_metrics_count_predictions_and_time_each_stage(
    client: httpx.AsyncClient, make_model: MakeModel
) -> None:
    model = await make_model(name="iris-metered")
    for _ in range(2):
        await client.post(f"/api/v1/models/{model['_id']}/predict", json={"inputs": ROWS})
    await client.post(f"/api/v1/models/{model['_id']}/predict", json={"inputs": [[1.0]]})
    text = (await client.get("/metrics")).text
    labels = f'model="iris-metered",outcome="{{}}",version="{model["version"]}"'
    assert f"model_predictions_total{{{labels.format('ok')}}} 2.0" in text
    assert f"model_predictions_total{{{labels.format('invalid_input')}}} 1.0" in text
    for stage in ("parse", "predict", "serialise"):
        assert f'prediction_stage_seconds_count{{stage="{stage}"}}' in text
    assert 'model_cache_events_total{event="load"}' in text
    assert "model_cache_bytes " in text


async def test_a_model_larger_than_one_store_message_answers(
    client: httpx.AsyncClient, make_model: MakeModel
) -> None:
    """An 80 MB file. Read through GridOut, the cursor's first batch is 101 chunks (26 MB) and
    the next is all the rest, past FerretDB's 48 MB message: the read failed (ProtocolError).
    Read a few chunks per round trip, the model loads and answers."""
    estimator = stored_estimator()
    estimator.padding_ = np.random.default_rng(0).bytes(80 * 2**20)  # kept by pickle, not used
    buffer = io.BytesIO()
    joblib.dump(estimator, buffer)
    model = await make_model(name="iris-large", payload=buffer.getvalue())
    response = await client.post(f"/api/v1/models/{model['_id']}/predict", json={"inputs": ROWS})
    assert response.status_code == 200, response.text
    assert response.json()["predictions"] == expected(ROWS)
