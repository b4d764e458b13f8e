"""A search that succeeds tells the webhooks subscribed to `tuning.succeeded`."""

import json
from collections.abc import Iterator

import httpx
import pytest
from arq import Worker

from app.config import Settings
from tests.events.receiver import Receiver, running_receiver
from tests.support import SettingsFactory, wait_for
from tests.tuning.support import search, submit, wait_for_tuning


@pytest.fixture(scope="module")
def settings(settings_factory: SettingsFactory) -> Settings:
    return settings_factory(webhook_allow_private_targets=True)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as running:
        yield running


async def test_a_search_that_succeeds_emits_tuning_succeeded(
    client: httpx.AsyncClient, worker: Worker, receiver: Receiver
) -> None:
    hook = {"url": receiver.url, "events": ["tuning.succeeded"]}
    assert (await client.post("/api/v1/webhooks", json=hook)).status_code == 201
    tuning = await wait_for_tuning(client, await submit(client, search(max_trials=2)))
    assert tuning["status"] == "succeeded", tuning["error"]

    async def delivered() -> list:
        return receiver.received()

    [received] = await wait_for(delivered, 60)
    event = json.loads(received.body)
    assert event["type"] == "tuning.succeeded"
    data = event["data"]
    assert (data["tuning_job_id"], data["model_id"]) == (tuning["tuning_id"], tuning["model_id"])
    assert data["cv_score"] == tuning["cv_score"]
    assert data["holdout_score"] == tuning["holdout_score"]
    assert data["hyperparameters"] == tuning["best"]["params"]
