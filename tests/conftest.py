"""Shared fixtures: real Redis and FerretDB for the session, an isolated namespace per module.

Set TEST_MONGODB_URL and TEST_REDIS_URL to run against servers you started yourself (a real
MongoDB 7, say); otherwise the session starts redis-server and FerretDB on free loopback ports
with throwaway data.
"""

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
import redis.asyncio as aioredis
from arq import Worker
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from pymongo import AsyncMongoClient

from app.config import Settings
from app.main import create_app
from app.resources import Resources
from devstack.services import ferretdb_service, free_port, redis_service
from tests.samples import FAULTS_BOOTSTRAP_KEY
from tests.support import (
    REDIS_DATABASES,
    PrivateStack,
    SettingsFactory,
    Stack,
    opened_resources,
    private_stack,
    start_worker,
    stop_worker,
)
from workers.context import CONTEXT_KEY, WorkerContext
from workers.pool import FitPool


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    mongodb_url, redis_url = os.environ.get("TEST_MONGODB_URL"), os.environ.get("TEST_REDIS_URL")
    if mongodb_url and redis_url:
        yield Stack(mongodb_url, redis_url.rstrip("/"))
        return
    root = tmp_path_factory.mktemp("stack")
    redis = redis_service(free_port(), root / "redis", databases=REDIS_DATABASES).start()
    ferretdb = ferretdb_service(free_port(), root / "ferretdb").start()
    try:
        yield Stack(
            f"mongodb://127.0.0.1:{ferretdb.port}/",
            f"redis://127.0.0.1:{redis.port}",
            {"redis": redis, "ferretdb": ferretdb},
        )
    finally:
        ferretdb.stop()
        redis.stop()


@pytest.fixture(scope="module")
async def settings_factory(stack: Stack) -> AsyncIterator[SettingsFactory]:
    """Makes Settings for a fresh namespace (database, Redis db, queue); drops them afterwards."""
    made: list[Settings] = []

    def make(**overrides: object) -> Settings:
        tag = uuid.uuid4().hex[:10]
        values = {
            "mongodb_url": stack.mongodb_url,
            "mongodb_db": f"test_{tag}",
            "redis_url": f"{stack.redis_url}/{stack.next_redis_db()}",
            "queue_name": f"test:{tag}",
            "worker_metrics_port": 0,
            "orphan_grace_seconds": 0,
        } | overrides
        settings = Settings(_env_file=None, **values)
        made.append(settings)
        return settings

    yield make
    mongo = AsyncMongoClient(stack.mongodb_url)
    try:
        for settings in made:
            await mongo.drop_database(settings.mongodb_db)
            redis = aioredis.from_url(str(settings.redis_url))
            await redis.flushdb()
            await redis.aclose()
    finally:
        await mongo.close()


@pytest.fixture(scope="module")
def settings(settings_factory: SettingsFactory) -> Settings:
    return settings_factory()


@pytest.fixture(scope="module")
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    application = create_app(settings)
    async with LifespanManager(application, startup_timeout=60) as manager:
        application.state.asgi = manager.app
        yield application


@pytest.fixture(scope="module")
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app.state.asgi)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


@pytest.fixture
def project_root() -> Path:
    return Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
async def resources(settings: Settings) -> AsyncIterator[Resources]:
    """Direct clients on this module's namespace, to look behind the API."""
    async with opened_resources(settings) as opened:
        yield opened


@pytest.fixture(scope="module")
async def worker(app: FastAPI, settings: Settings) -> AsyncIterator[Worker]:
    """An arq worker in this event loop, consuming this module's queue for the whole module."""
    running, task = await start_worker(settings)
    yield running
    await stop_worker(running, task)


@pytest.fixture
async def ctx(resources: Resources) -> AsyncIterator[dict[str, object]]:
    """arq's ctx as the worker's start-up leaves it, for calling a job or cron function directly
    (the pool is made but not used by the requeue tests)."""
    pool = FitPool(1, 1)
    yield {CONTEXT_KEY: WorkerContext(resources, pool)}
    pool.shutdown()


# The fault and load tests: the API and a worker as real processes on a private Redis and
# FerretDB that each test may stop and start; nothing there touches the session's stack.


@pytest.fixture
def private(tmp_path: Path) -> Iterator[PrivateStack]:
    with private_stack(tmp_path / "stack") as stack:
        yield stack


@pytest.fixture
def fault_settings(private: PrivateStack) -> Settings:
    return Settings(
        _env_file=None,
        mongodb_url=private.mongodb_url,
        redis_url=private.redis_url,
        mongodb_db="faults",
        queue_name="faults:train",
        auth_enabled=True,
        bootstrap_admin_key=FAULTS_BOOTSTRAP_KEY,
        worker_metrics_port=0,
        job_timeout_seconds=20,  # a job whose worker died is re-run after 20 + 15 s
        job_requeue_after_seconds=5,
    )
