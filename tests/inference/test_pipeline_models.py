"""Models that are pipelines (trained since input schemas): rows by column name, with missing
values, unseen categories and booleans, checked against the stored input_schema; regressors
answer numbers. Needs pandas, which such models need to load at all."""

import io
from typing import Any

import httpx
import joblib
import numpy as np
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from tests.samples import MakeModel

pd = pytest.importorskip("pandas")

SCHEMA = [
    {"name": "age", "type": "numeric"},
    {"name": "colour", "type": "categorical", "categories": ["blue", "red"]},
    {"name": "member", "type": "boolean", "categories": ["False", "True"]},
]
FRAME = {
    "age": [20.0, 35.0, np.nan, 50.0, 61.0, 18.0, 44.0, 30.0],
    "colour": ["red", "blue", "red", np.nan, "blue", "red", "blue", "red"],
    "member": [True, False, True, False, True, False, np.nan, True],
}
LABELS = ["no", "yes", "no", "yes", "yes", "no", "yes", "no"]


def pipeline(estimator: Any) -> Pipeline:
    preprocess = ColumnTransformer(
        [
            ("numeric", make_pipeline(SimpleImputer(), StandardScaler()), ["age"]),
            ("categorical", OneHotEncoder(handle_unknown="ignore"), ["colour", "member"]),
        ]
    )
    return Pipeline([("preprocess", preprocess), ("model", estimator)])


def frame() -> Any:
    data = pd.DataFrame(FRAME)
    for name in ("colour", "member"):
        data[name] = data[name].astype(object).where(data[name].notna(), np.nan)
    return data


def payload(model: Pipeline) -> bytes:
    buffer = io.BytesIO()
    joblib.dump(model, buffer)
    return buffer.getvalue()


@pytest.fixture
async def classifier(make_model: MakeModel, db) -> tuple[dict, Pipeline]:
    model = pipeline(LogisticRegression()).fit(frame(), LABELS)
    document = await make_model(name="members", payload=payload(model))
    update = {
        "input_schema": SCHEMA,
        "task": "classification",
        "features": ["age", "colour", "member"],
    }
    await db["models"].update_one({"_id": document["_id"]}, {"$set": update})
    return document, model


ROWS = [
    {"age": 33.0, "colour": "red", "member": True},
    {"age": None, "colour": "green", "member": None},  # missing values, an unseen category
]


async def test_named_rows_with_gaps_match_the_pipeline(
    client: httpx.AsyncClient, classifier: tuple[dict, Pipeline]
) -> None:
    document, model = classifier
    path = f"/api/v1/models/{document['_id']}/predict"
    response = await client.post(path, json={"instances": ROWS, "probabilities": True})
    assert response.status_code == 200, response.text
    expected_frame = pd.DataFrame(
        {"age": [33.0, np.nan], "colour": ["red", np.nan], "member": [True, np.nan]}
    ).astype({"colour": object, "member": object})
    expected_frame.loc[1, "colour"] = "green"
    assert response.json()["predictions"] == list(model.predict(expected_frame))
    assert set(response.json()["probabilities"][0]) == {"no", "yes"}


@pytest.mark.parametrize(
    ("row", "column", "message"),
    [
        ({"age": "old", "colour": "red", "member": True}, "age", "number"),
        ({"age": 3.0, "colour": "red", "member": "yes"}, "member", "true or false"),
        ({"age": 3.0, "colour": {"a": 1}, "member": True}, "colour", "category"),
    ],
)
async def test_values_of_the_wrong_type_are_named(
    client: httpx.AsyncClient,
    classifier: tuple[dict, Pipeline],
    row: dict,
    column: str,
    message: str,
) -> None:
    document, _ = classifier
    response = await client.post(
        f"/api/v1/models/{document['_id']}/predict", json={"instances": [row]}
    )
    assert response.status_code == 422
    (error,) = response.json()["detail"]
    assert error["loc"] == ["body", "instances", 0, column] and message in error["msg"]


async def test_a_regressor_answers_numbers(
    client: httpx.AsyncClient, make_model: MakeModel, db
) -> None:
    model = pipeline(LinearRegression()).fit(frame(), np.arange(8.0))
    document = await make_model(name="ages", payload=payload(model))
    update = {"input_schema": SCHEMA, "task": "regression", "classes": []}
    await db["models"].update_one({"_id": document["_id"]}, {"$set": update})
    body = {"inputs": [[33.0, "red", True]]}
    answer = (await client.post(f"/api/v1/models/{document['_id']}/predict", json=body)).json()
    (prediction,) = answer["predictions"]
    assert isinstance(prediction, float)
