"""An enqueue whose reply is lost after Redis stored the job: a 503, then the client's retry
with the same job_id succeeds, and the job runs once.

The API talks to Redis through a proxy the test controls (tests/proxy.py), which forwards the
enqueue and drops Redis's reply; the worker and the test's checks talk to Redis directly.
"""

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from arq import Worker
from asgi_lifespan import LifespanManager

from app.config import Settings
from app.main import create_app
from app.resources import Resources
from tests.proxy import REDIS_ENQUEUE, FaultProxy
from tests.support import wait_for_job

BODY = {
    "job_id": "retried",
    "dataset_name": "iris",
    "algorithm": "decision_tree",
    "model_name": "retried",
}


@pytest.fixture(scope="module")
async def proxy(settings: Settings) -> AsyncIterator[FaultProxy]:
    fault_proxy = FaultProxy(settings.redis_url.port or 6379)
    await fault_proxy.start()
    yield fault_proxy
    await fault_proxy.close()


@pytest.fixture(scope="module")
async def proxied_client(
    settings: Settings, proxy: FaultProxy, worker: Worker
) -> AsyncIterator[httpx.AsyncClient]:
    """An API whose Redis is behind the proxy (same database, same queue)."""
    url = f"redis://127.0.0.1:{proxy.port}{settings.redis_url.path}"
    application = create_app(settings.model_copy(update={"redis_url": url}))
    async with LifespanManager(application, startup_timeout=60) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http


async def test_a_retry_after_a_lost_enqueue_reply_succeeds_and_the_job_runs_once(
    proxied_client: httpx.AsyncClient, resources: Resources, proxy: FaultProxy
) -> None:
    fault = proxy.arm(REDIS_ENQUEUE, "cut", seconds=3)  # then Redis looks down for 3 s
    first = await proxied_client.post("/train", json=BODY)
    assert fault.fired.is_set(), "the enqueue never went through the proxy"
    assert first.status_code == 503, first.text
    assert "submit it again with the same job_id" in first.text
    await asyncio.sleep(fault.seconds)  # the client retries once Redis is back
    retry = await proxied_client.post("/train", json=BODY)
    assert retry.status_code == 202, retry.text
    assert retry.json()["job_id"] == "retried"
    job = await wait_for_job(proxied_client, "retried")
    assert (job["status"], job["attempts"]) == ("succeeded", 1), job
    assert await resources.db["models"].count_documents({"job_id": "retried"}) == 1
    again = await proxied_client.post("/train", json=BODY)
    assert again.status_code == 409, "a confirmed job is not submitted twice"


async def test_a_different_request_under_an_unconfirmed_job_id_is_409(
    proxied_client: httpx.AsyncClient, proxy: FaultProxy
) -> None:
    body = BODY | {"job_id": "unconfirmed"}
    fault = proxy.arm(REDIS_ENQUEUE, "cut", seconds=3)
    assert (await proxied_client.post("/train", json=body)).status_code == 503
    await asyncio.sleep(fault.seconds)
    other = await proxied_client.post("/train", json=body | {"model_name": "other"})
    assert other.status_code == 409, other.text


async def test_an_enqueue_resent_after_a_dropped_connection_is_accepted_once(
    proxied_client: httpx.AsyncClient, resources: Resources, proxy: FaultProxy
) -> None:
    """redis-py sends the enqueue again on a new connection and finds the job it stored: that
    is our job, not one of an earlier life, so the answer is a 202, not a 409."""
    fault = proxy.arm(REDIS_ENQUEUE, "cut")
    response = await proxied_client.post("/train", json=BODY | {"job_id": "resent"})
    assert fault.fired.is_set()
    assert response.status_code == 202, response.text
    job = await wait_for_job(proxied_client, "resent")
    assert (job["status"], job["attempts"]) == ("succeeded", 1), job
    assert await resources.db["models"].count_documents({"job_id": "resent"}) == 1
