"""A fit beyond its memory cap fails with a clear error; the fit beside it succeeds."""

import asyncio

import httpx
import pytest
from arq import Worker

from app.config import Settings
from tests.support import SettingsFactory, wait_for_job

CAP_MB = 8
# A tree grown best-first reserves room for every leaf it may grow: 200,000 nodes, 13 MB.
HUNGRY = {
    "dataset_name": "wine",
    "algorithm": "decision_tree",
    "model_name": "hungry",
    "hyperparameters": {"max_leaf_nodes": 100_000},
}
MODEST = {"dataset_name": "iris", "algorithm": "decision_tree", "model_name": "modest"}


@pytest.fixture(scope="module")
def settings(settings_factory: SettingsFactory) -> Settings:
    return settings_factory(fit_memory_limit_mb=CAP_MB)


async def test_a_fit_beyond_its_memory_cap_fails_and_the_one_beside_it_succeeds(
    client: httpx.AsyncClient, worker: Worker
) -> None:
    hungry, modest = [
        (await client.post("/train", json=body)).json()["job_id"] for body in (HUNGRY, MODEST)
    ]
    failed, succeeded = await asyncio.gather(
        wait_for_job(client, hungry), wait_for_job(client, modest)
    )
    assert failed["status"] == "failed", failed
    assert failed["error"]["type"] == "FitMemoryExceeded"
    assert f"cap of {CAP_MB} MiB (FIT_MEMORY_LIMIT_MB)" in failed["error"]["message"]
    assert succeeded["status"] == "succeeded", succeeded
    again = (await client.post("/train", json=MODEST | {"model_name": "after"})).json()["job_id"]
    assert (await wait_for_job(client, again))["status"] == "succeeded"
