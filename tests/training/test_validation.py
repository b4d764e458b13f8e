"""Every invalid training request is a 4xx naming the field, and queues nothing."""

import httpx
import pytest

from app.config import Settings
from app.resources import Resources
from tests.samples import SEED_BODY


async def assert_nothing_queued(resources: Resources, settings: Settings) -> None:
    assert await resources.redis.zcard(settings.queue_name) == 0
    assert await resources.db["jobs"].count_documents({}) == 0


@pytest.mark.parametrize(
    ("change", "location", "message_part"),
    [
        ({"dataset_name": "mnist"}, ["body", "dataset_name"], "available: iris, wine"),
        ({"algorithm": "xgboost"}, ["body", "algorithm"], "'random_forest'"),
        (
            {"hyperparameters": {"n_trees": 10}},
            ["body", "hyperparameters", "n_trees"],
            "valid names: bootstrap",
        ),
        (
            {"hyperparameters": {"n_estimators": -1}},
            ["body", "hyperparameters", "n_estimators"],
            "must be an int in the range [1, inf)",
        ),
        (
            {"hyperparameters": {"criterion": "best"}},
            ["body", "hyperparameters", "criterion"],
            "'gini'",
        ),
        (
            {"hyperparameters": {"n_estimators": {"$gt": 1}}},
            ["body", "hyperparameters", "n_estimators"],
            "",
        ),
        ({"test_size": 1.5}, ["body", "test_size"], "less than 1"),
        ({"test_size": 0.01}, ["body", "test_size"], "at least 3"),
        ({"random_state": -1}, ["body", "random_state"], "greater than or equal to 0"),
        ({"model_name": "../etc/passwd"}, ["body", "model_name"], "pattern"),
        ({"model_name": ""}, ["body", "model_name"], "at least 1 character"),
        ({"job_id": "x" * 65}, ["body", "job_id"], "at most 64"),
        ({"epochs": 3}, ["body", "epochs"], "Extra inputs are not permitted"),
    ],
)
async def test_invalid_request_is_422_naming_the_field(
    client: httpx.AsyncClient,
    resources: Resources,
    settings: Settings,
    change: dict,
    location: list[str],
    message_part: str,
) -> None:
    response = await client.post("/train", json=SEED_BODY | change)
    assert response.status_code == 422, response.text
    errors = response.json()["detail"]
    matching = [e for e in errors if e["loc"][: len(location)] == location]
    assert matching, errors
    assert any(message_part in e["msg"] for e in matching), matching
    await assert_nothing_queued(resources, settings)


BASE = '{"dataset_name": "iris", "algorithm": "random_forest", "model_name": "m", '


@pytest.mark.parametrize(
    ("fields", "location", "message_part"),
    [
        (
            '"hyperparameters": {"n_estimators": 1000000000000000000000000000000}',
            "n_estimators",
            "int64",
        ),
        ('"hyperparameters": {"max_depth": 9223372036854775808}', "max_depth", "int64"),
        ('"hyperparameters": {"max_depth": -9223372036854775809}', "max_depth", "int64"),
        ('"hyperparameters": {"ccp_alpha": Infinity}', "ccp_alpha", "finite"),
        ('"hyperparameters": {"ccp_alpha": -Infinity}', "ccp_alpha", "finite"),
        ('"hyperparameters": {"ccp_alpha": NaN}', "ccp_alpha", "finite"),
        ('"hyperparameters": {"ccp_alpha": 1e999}', "ccp_alpha", "finite"),
        (
            '"hyperparameters": {"class_weight": [1, 18446744073709551616]}',
            "class_weight",
            "item 1",
        ),
        ('"hyperparameters": {"class_weight": [0.5, NaN]}', "class_weight", "item 1"),
        ('"test_size": NaN', "test_size", "finite"),
        ('"test_size": Infinity', "test_size", "finite"),
        ('"random_state": 100000000000000000000000', "random_state", "less than"),
    ],
)
async def test_numbers_bson_cannot_hold_are_422_naming_the_field(
    client: httpx.AsyncClient,
    resources: Resources,
    settings: Settings,
    fields: str,
    location: str,
    message_part: str,
) -> None:
    """JSON (as Python parses it) holds integers of any size, NaN and infinities; a stored
    document does not, so these are refused where the body is parsed, not at the insert."""
    response = await client.post(
        "/train", content=BASE + fields + "}", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422, response.text
    [error] = response.json()["detail"]
    assert location in error["loc"], error
    assert message_part in error["msg"], error
    await assert_nothing_queued(resources, settings)


async def test_missing_required_fields_are_each_named(
    client: httpx.AsyncClient, resources: Resources, settings: Settings
) -> None:
    response = await client.post("/train", json={})
    assert response.status_code == 422
    missing = {e["loc"][-1] for e in response.json()["detail"] if e["type"] == "missing"}
    assert missing == {"dataset_name", "algorithm", "model_name"}
    await assert_nothing_queued(resources, settings)


async def test_body_that_is_not_json_is_422(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/train", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422


async def test_unknown_job_is_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/jobs/nope")
    assert response.status_code == 404
    assert response.json()["detail"] == "job 'nope' not found"
