import asyncio
from pathlib import Path

import httpx
import pytest
import redis.asyncio as aioredis
from asgi_lifespan import LifespanManager
from pydantic import MongoDsn, RedisDsn

from app.config import Settings
from app.main import create_app
from devstack.services import ferretdb_service, free_port, redis_service
from tests.support import SettingsFactory, replica


async def test_health_reports_both_stores_up(client: httpx.AsyncClient) -> None:
    response = await client.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["dependencies"]["mongodb"]["status"] == "up"
    assert body["dependencies"]["redis"]["status"] == "up"


async def _wait_for_status(http: httpx.AsyncClient, code: int, timeout: float = 15.0) -> dict:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        response = await http.get("/health")
        if response.status_code == code:
            return response.json()
        assert asyncio.get_running_loop().time() < deadline, response.text
        await asyncio.sleep(0.2)


PRIVATE_STORES = {
    "mongodb": lambda port, data: (
        ferretdb_service(port, data),
        {"mongodb_url": MongoDsn(f"mongodb://127.0.0.1:{port}/")},
    ),
    "redis": lambda port, data: (
        redis_service(port, data),
        {"redis_url": RedisDsn(f"redis://127.0.0.1:{port}/0")},
    ),
}


@pytest.mark.parametrize(("down", "up"), [("mongodb", "redis"), ("redis", "mongodb")])
async def test_health_turns_503_while_a_store_is_down_and_recovers(
    settings_factory: SettingsFactory, tmp_path: Path, down: str, up: str
) -> None:
    store, url = PRIVATE_STORES[down](free_port(), tmp_path / down)
    store.start()
    settings = settings_factory(dependency_timeout_seconds=1.0).model_copy(update=url)
    app = create_app(settings)
    try:
        async with (
            LifespanManager(app) as manager,
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=manager.app), base_url="http://t"
            ) as http,
        ):
            await _wait_for_status(http, 200)
            store.stop()
            body = await _wait_for_status(http, 503, timeout=5.0)
            assert body["dependencies"][down]["status"] == "down"
            assert body["dependencies"][up]["status"] == "up"
            store.start()
            await _wait_for_status(http, 200)
    finally:
        store.stop()


async def redis_pings(settings: Settings) -> int:
    """PING commands the Redis server has answered so far (every client, every database)."""
    redis = aioredis.from_url(str(settings.redis_url))
    try:
        stats = await redis.info("commandstats")
    finally:
        await redis.aclose()
    return int(stats.get("cmdstat_ping", {}).get("calls", 0))


async def test_health_checks_the_stores_once_per_cache_period(
    settings_factory: SettingsFactory,
) -> None:
    settings = settings_factory(health_cache_seconds=60)
    async with replica(settings) as http:
        before = await redis_pings(settings)
        responses = await asyncio.gather(*(http.get("/health") for _ in range(50)))
        responses += [await http.get("/health") for _ in range(10)]
        after = await redis_pings(settings)
    assert {r.status_code for r in responses} == {200}
    # One ping for the 60 calls; the other pings are redis_pings' own connection checks, if any.
    assert after - before <= 1, after - before


async def test_without_a_cache_period_each_call_checks_again(
    settings_factory: SettingsFactory,
) -> None:
    settings = settings_factory(health_cache_seconds=0)
    async with replica(settings) as http:
        before = await redis_pings(settings)
        for _ in range(5):
            assert (await http.get("/health")).status_code == 200
        after = await redis_pings(settings)
    assert after - before == 5
