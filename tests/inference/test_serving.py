"""Serving from the real store: sha256 checked before loading, one load for concurrent first
requests, a deleted model stops answering on every API process, and a cache that missed
deletions (its listener down) asks the store first."""

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import httpx
import pytest
import redis.asyncio as aioredis
from asgi_lifespan import LifespanManager
from pymongo.asynchronous.database import AsyncDatabase

from app.config import Settings
from app.inference.service import Inference
from app.main import create_app
from app.metrics import MODEL_CACHE_EVENTS
from tests.samples import MakeModel

BODY = {"inputs": [[5.1, 3.5, 1.4, 0.2]]}


@asynccontextmanager
async def api_process(settings: Settings) -> AsyncIterator[tuple[httpx.AsyncClient, Inference]]:
    """Another API process on the same stores: its own app, cache and deletion listener."""
    application = create_app(settings)
    async with LifespanManager(application, startup_timeout=60) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://other") as http:
            yield http, manager._state["inference"]


async def until(check: Callable[[], object], seconds: float = 10.0) -> float:
    """Seconds until `check()` (awaited) is true; fails after `seconds`."""
    started = time.perf_counter()
    while time.perf_counter() - started < seconds:
        if await check():  # type: ignore[misc]
            return time.perf_counter() - started
        await asyncio.sleep(0.01)
    pytest.fail(f"not within {seconds} s")


def loads() -> float:
    return MODEL_CACHE_EVENTS.labels("load")._value.get()


async def test_a_file_that_fails_its_checksum_is_never_loaded(
    client: httpx.AsyncClient, make_model: MakeModel, db: AsyncDatabase
) -> None:
    model = await make_model()
    await db["models"].update_one({"_id": model["_id"]}, {"$set": {"sha256": "0" * 64}})
    before = loads()
    response = await client.post(f"/api/v1/models/{model['_id']}/predict", json=BODY)
    assert response.status_code == 500
    assert "does not match its recorded sha256" in response.json()["detail"]
    assert loads() == before


async def test_a_model_whose_file_is_gone_is_404(
    client: httpx.AsyncClient, make_model: MakeModel, db: AsyncDatabase, bucket
) -> None:
    model = await make_model()
    await bucket.delete(model["file_id"])
    response = await client.post(f"/api/v1/models/{model['_id']}/predict", json=BODY)
    assert response.status_code == 404


async def test_concurrent_first_requests_read_the_store_once(
    client: httpx.AsyncClient, make_model: MakeModel
) -> None:
    model = await make_model()
    before = loads()
    path = f"/api/v1/models/{model['_id']}/predict"
    answers = await asyncio.gather(*(client.post(path, json=BODY) for _ in range(10)))
    assert {response.status_code for response in answers} == {200}
    assert loads() == before + 1


async def test_a_model_larger_than_the_cache_is_refused_by_name(
    make_model: MakeModel, settings: Settings
) -> None:
    model = await make_model()
    tiny = settings.model_copy(update={"model_cache_bytes": model["size"] - 1})
    async with api_process(tiny) as (other, _):
        response = await other.post(f"/api/v1/models/{model['_id']}/predict", json=BODY)
    assert response.status_code == 507
    assert "MODEL_CACHE_BYTES" in response.json()["detail"]


async def test_deleted_model_stops_answering_on_every_process(
    client: httpx.AsyncClient, make_model: MakeModel, settings: Settings
) -> None:
    model = await make_model()
    path = f"/api/v1/models/{model['_id']}/predict"
    async with api_process(settings) as (other, _):
        assert (await other.post(path, json=BODY)).status_code == 200  # cached there
        assert (await client.post(path, json=BODY)).status_code == 200  # and here
        assert (await client.delete(f"/api/v1/models/{model['_id']}")).status_code == 204
        assert (await client.post(path, json=BODY)).status_code == 404

        async def gone() -> bool:
            return (await other.post(path, json=BODY)).status_code == 404

        await until(gone)


async def test_without_its_listener_a_cache_asks_the_store_first(
    make_model: MakeModel, settings: Settings, db: AsyncDatabase
) -> None:
    model = await make_model()
    path = f"/api/v1/models/{model['_id']}/predict"
    async with api_process(settings) as (other, inference):
        assert (await other.post(path, json=BODY)).status_code == 200
        assert inference.cache.trusted and str(model["_id"]) in inference.cache
        inference.cache.trusted = False  # as while its Redis subscription is down
        await db["models"].delete_one({"_id": model["_id"]})  # a deletion nobody announced
        assert (await other.post(path, json=BODY)).status_code == 404
        assert str(model["_id"]) not in inference.cache


async def test_a_listener_that_lost_redis_resubscribes_and_forgets_what_it_may_have_missed(
    client: httpx.AsyncClient, make_model: MakeModel, settings: Settings
) -> None:
    model = await make_model()
    path = f"/api/v1/models/{model['_id']}/predict"
    async with api_process(settings) as (other, inference):
        assert (await other.post(path, json=BODY)).status_code == 200
        assert str(model["_id"]) in inference.cache
        redis = aioredis.from_url(str(settings.redis_url))
        try:
            assert await redis.client_kill_filter(_type="pubsub") >= 1
        finally:
            await redis.aclose()

        async def resubscribed() -> bool:
            return inference.cache.trusted and str(model["_id"]) not in inference.cache

        await until(resubscribed)
        assert (await other.post(path, json=BODY)).status_code == 200  # loaded again
        assert (await client.delete(f"/api/v1/models/{model['_id']}")).status_code == 204

        async def gone() -> bool:
            return (await other.post(path, json=BODY)).status_code == 404

        await until(gone)  # the new subscription hears deletions
