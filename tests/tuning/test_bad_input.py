"""A search the service refuses gets a 422 naming the field, and nothing is stored or queued."""

from typing import Any

import httpx
import pytest

from app.config import Settings
from app.resources import Resources
from tests.support import SettingsFactory
from tests.tuning.support import search


@pytest.fixture(scope="module")
def settings(settings_factory: SettingsFactory) -> Settings:
    return settings_factory(tuning_max_trials=50, tuning_max_seconds=600, max_active_jobs_per_key=1)


def space(**dimensions: dict[str, Any]) -> dict[str, Any]:
    return {"space": dimensions}


CASES = [
    ({"algorithm": "xgboost"}, ["body", "algorithm"]),
    ({"dataset_name": "no-such-data"}, ["body", "dataset_name"]),
    ({"algorithm": "ridge", "space": None}, ["body", "algorithm"]),  # ridge: regression only
    (space(depth={"type": "int", "low": 1, "high": 3}), ["body", "space", "depth"]),
    (space(n_jobs={"type": "int", "low": 1, "high": 3}), ["body", "space", "n_jobs"]),
    (space(max_depth={"type": "int", "low": 3, "high": 3}), ["body", "space", "max_depth", "high"]),
    (space(max_depth={"type": "int", "low": 9, "high": 3}), ["body", "space", "max_depth", "high"]),
    (
        space(min_impurity_decrease={"type": "float", "low": 0.0, "high": 0.5, "log": True}),
        ["body", "space", "min_impurity_decrease", "low"],
    ),
    (
        space(criterion={"type": "categorical", "choices": ["gini", "purity"]}),
        ["body", "space", "criterion"],
    ),
    (space(max_depth={"type": "int", "low": 1, "high": 500}), ["body", "space", "max_depth"]),
    (space(splitter={"type": "categorical", "choices": []}), ["body", "space", "splitter"]),
    ({"metric": "r2"}, ["body", "metric"]),
    ({"metric": "auc"}, ["body", "metric"]),
    ({"cv": 40}, ["body", "cv"]),
    ({"cv": 10, "test_size": 0.9}, ["body", "cv"]),
    ({"max_trials": 51}, ["body", "max_trials"]),
    ({"max_seconds": 601}, ["body", "max_seconds"]),
    ({"strategy": "annealing"}, ["body", "strategy"]),
    ({"algorithm": "auto"}, ["body", "space"]),  # a space needs one algorithm
]


@pytest.mark.parametrize(("change", "location"), CASES)
async def test_a_bad_search_is_refused_naming_the_field(
    client: httpx.AsyncClient, resources: Resources, change: dict[str, Any], location: list[str]
) -> None:
    response = await client.post("/tuning", json=search(**change))
    assert response.status_code == 422, response.text
    locations = [error["loc"][: len(location)] for error in response.json()["detail"]]
    assert location in locations, response.json()
    assert await resources.db["tuning_jobs"].count_documents({}) == 0


async def test_an_unknown_or_ended_search_is_named(client: httpx.AsyncClient) -> None:
    assert (await client.get("/tuning/nope")).status_code == 404
    assert (await client.post("/tuning/nope/cancel")).status_code == 404


async def test_a_caller_with_its_cap_of_active_searches_gets_a_429(
    client: httpx.AsyncClient, resources: Resources
) -> None:
    first = await client.post("/tuning", json=search())  # no worker here: it stays queued
    assert first.status_code == 202, first.text
    second = await client.post("/tuning", json=search())
    assert second.status_code == 429 and second.json()["cap"] == 1
    assert await resources.db["tuning_jobs"].count_documents({}) == 1
