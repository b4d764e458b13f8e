"""Bad predict requests: a 4xx naming the problem (and the row and column), never a 5xx."""

from typing import Any

import httpx
import pytest
from sklearn.datasets import load_iris

from tests.samples import MakeModel

FEATURES = list(load_iris().feature_names)
ROW = [5.1, 3.5, 1.4, 0.2]


@pytest.fixture
async def predict_path(make_model: MakeModel) -> str:
    model = await make_model(name="iris-checked")
    return f"/api/v1/models/{model['_id']}/predict"


def record(**changes: Any) -> dict[str, Any]:
    return dict(zip(FEATURES, ROW, strict=True)) | changes


async def errors(client: httpx.AsyncClient, path: str, **request: Any) -> list[dict]:
    response = await client.post(path, **request)
    assert response.status_code == 422, response.text
    return response.json()["detail"]


@pytest.mark.parametrize(
    ("body", "loc", "message"),
    [
        ({}, ["body"], "exactly one of"),
        ({"inputs": [ROW], "instances": [record()]}, ["body"], "got instances, inputs"),
        ({"inputs": []}, ["body", "inputs"], "no rows"),
        ({"inputs": [ROW, ROW[:3]]}, ["body", "inputs", 1], "row has 3 values"),
        ({"inputs": [ROW, "abc"]}, ["body", "inputs", 1], "array"),
        ({"instances": [record(), {}]}, ["body", "instances", 1, FEATURES[0]], "missing column"),
        ({"instances": [record(colour=1)]}, ["body", "instances", 0, "colour"], "unknown column"),
        ({"inputs": [[5.1, "x", 1.4, 0.2]]}, ["body", "inputs", 0, FEATURES[1]], "number"),
        ({"inputs": [[5.1, True, 1.4, 0.2]]}, ["body", "inputs", 0, FEATURES[1]], "number"),
        ({"inputs": [[5.1, None, 1.4, 0.2]]}, ["body", "inputs", 0, FEATURES[1]], "required"),
        ({"inputs": [[5.1, 10**400, 1, 2]]}, ["body", "inputs", 0, FEATURES[1]], "finite"),
        ({"inputs": [[5.1, -1e308, 1, 2]]}, ["body", "inputs", 0, FEATURES[1]], "±3.4e38"),
        ({"inputs": [[5.1, [1], 1.4, 0.2]]}, ["body", "inputs", 0, FEATURES[1]], "number"),
        (
            {"dataframe_split": {"columns": FEATURES[:3], "data": [ROW[:3]]}},
            ["body", "dataframe_split", "columns", FEATURES[3]],
            "missing column",
        ),
        (
            {"dataframe_split": {"columns": [*FEATURES, FEATURES[0]], "data": [[*ROW, 1.0]]}},
            ["body", "dataframe_split", "columns", FEATURES[0]],
            "repeated",
        ),
        ({"dataframe_split": {"data": [ROW]}}, ["body", "dataframe_split", "columns"], "names"),
        ({"inputs": [ROW], "colour": 1}, ["body", "colour"], "Extra inputs"),
    ],
)
async def test_rows_that_do_not_fit_are_named(
    client: httpx.AsyncClient, predict_path: str, body: dict, loc: list, message: str
) -> None:
    found = await errors(client, predict_path, json=body)
    assert any(e["loc"] == loc and message in e["msg"] for e in found), found


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
async def test_non_finite_numbers_are_refused(
    client: httpx.AsyncClient, predict_path: str, literal: str
) -> None:
    body = '{"inputs": [[5.1, ' + literal + ", 1.4, 0.2]]}"
    headers = {"content-type": "application/json"}
    found = await errors(client, predict_path, content=body, headers=headers)
    assert found[0]["loc"] == ["body", "inputs", 0, FEATURES[1]]
    assert "finite" in found[0]["msg"]


async def test_too_many_rows(client: httpx.AsyncClient, predict_path: str) -> None:
    found = await errors(client, predict_path, json={"inputs": [ROW] * 1001})  # default 1000
    assert found[0]["loc"] == ["body", "inputs"]
    assert "1001 rows; at most 1000" in found[0]["msg"]


async def test_malformed_json(client: httpx.AsyncClient, predict_path: str) -> None:
    found = await errors(client, predict_path, content=b"{", headers={"content-type": "x"})
    assert found[0]["type"] == "json_invalid"


@pytest.mark.parametrize("model_id", ["nope", "0" * 24, "6" * 64])
async def test_unknown_or_malformed_id_is_404(client: httpx.AsyncClient, model_id: str) -> None:
    response = await client.post(f"/api/v1/models/{model_id}/predict", json={"inputs": [ROW]})
    assert response.status_code == 404
    assert model_id in response.json()["detail"]


async def test_unknown_name_or_version_is_404(
    client: httpx.AsyncClient, make_model: MakeModel
) -> None:
    await make_model(name="iris-known")
    body = {"inputs": [ROW]}
    for path in ("by-name/nobody/latest", "by-name/iris-known/versions/999"):
        response = await client.post(f"/api/v1/models/{path}/predict", json=body)
        assert response.status_code == 404, path


async def test_errors_stop_at_twenty(client: httpx.AsyncClient, predict_path: str) -> None:
    found = await errors(client, predict_path, json={"inputs": [["x"] * 4] * 50})
    assert len(found) == 20
