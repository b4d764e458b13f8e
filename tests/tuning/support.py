"""Submitting a search and waiting for it, as a client does."""

from typing import Any

import httpx

from tests.support import read_state, wait_until_ended

TREE_SPACE = {
    "max_depth": {"type": "int", "low": 1, "high": 8},
    "criterion": {"type": "categorical", "choices": ["gini", "entropy"]},
}


def search(**fields: Any) -> dict[str, Any]:
    """A small search on Iris: decision trees, 3 folds, 4 trials, unless `fields` say else."""
    return {
        "dataset_name": "iris",
        "algorithm": "decision_tree",
        "space": TREE_SPACE,
        "cv": 3,
        "max_trials": 4,
        "strategy": "random",
        "seed": 7,
    } | fields


async def submit(client: httpx.AsyncClient, body: dict[str, Any]) -> str:
    response = await client.post("/tuning", json=body)
    assert response.status_code == 202, response.text
    tuning_id: str = response.json()["tuning_id"]
    return tuning_id


async def read_tuning(client: httpx.AsyncClient, tuning_id: str) -> dict[str, Any]:
    return await read_state(client, f"/tuning/{tuning_id}")


async def wait_for_tuning(
    client: httpx.AsyncClient, tuning_id: str, timeout: float = 180
) -> dict[str, Any]:
    return await wait_until_ended(client, f"/tuning/{tuning_id}", timeout, interval=0.2)


def params_by_number(tuning: dict[str, Any]) -> dict[int, tuple[str, dict[str, Any]]]:
    return {t["number"]: (t["algorithm"], t["params"]) for t in tuning["trials"]}
