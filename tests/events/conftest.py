"""The events tests: webhooks may reach loopback (their receiver runs on 127.0.0.1), retries
come quickly, and each test's webhooks are deleted after it."""

from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from app.config import Settings
from tests.events.receiver import Receiver, running_receiver
from tests.events.support import MakeWebhook
from tests.support import SettingsFactory


@pytest.fixture(scope="module")
def settings(settings_factory: SettingsFactory) -> Settings:
    return settings_factory(
        webhook_allow_private_targets=True,
        webhook_retry_base_seconds=0.05,
        webhook_max_attempts=3,
        webhook_timeout_seconds=2,
    )


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as running:
        yield running


@pytest.fixture
async def make_webhook(client: httpx.AsyncClient) -> AsyncIterator[MakeWebhook]:
    made: list[str] = []

    async def make(url: str, events: list[str]) -> dict[str, Any]:
        response = await client.post("/api/v1/webhooks", json={"url": url, "events": events})
        assert response.status_code == 201, response.text
        made.append(response.json()["id"])
        return response.json()

    yield make
    for webhook_id in made:
        await client.delete(f"/api/v1/webhooks/{webhook_id}")
