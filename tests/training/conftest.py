"""A real arq worker, running in this event loop, for the training tests."""

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from arq import Worker

from app.config import Settings
from app.resources import Resources, open_resources
from workers.main import build_worker

SEED_BODY = {
    "job_id": "job_001",
    "dataset_name": "iris",
    "algorithm": "random_forest",
    "model_name": "my_model",
    "hyperparameters": {},
}


async def start_worker(settings: Settings, **overrides: Any) -> tuple[Worker, asyncio.Task]:
    worker = build_worker(settings, handle_signals=False, **overrides)
    task = asyncio.create_task(worker.main())
    return worker, task


async def stop_worker(worker: Worker, task: asyncio.Task) -> None:
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    with contextlib.suppress(asyncio.CancelledError):  # arq re-raises its cancelled job tasks
        await worker.close()


@pytest.fixture(scope="module")
async def worker(app: Any, settings: Settings) -> AsyncIterator[Worker]:
    """A worker consuming this module's queue for the whole module."""
    running, task = await start_worker(settings)
    yield running
    await stop_worker(running, task)


@pytest.fixture(scope="module")
async def resources(settings: Settings) -> AsyncIterator[Resources]:
    """Direct clients on this module's namespace, to look behind the API."""
    opened = await open_resources(settings)
    yield opened
    await opened.close()


async def wait_for_job(client: httpx.AsyncClient, job_id: str, timeout: float = 60) -> dict:
    """Poll the job until it ends, as a client would."""
    async with asyncio.timeout(timeout):
        while True:
            response = await client.get(f"/jobs/{job_id}")
            assert response.status_code == 200, response.text
            job = response.json()
            if job["status"] in ("succeeded", "failed", "cancelled"):
                return job
            await asyncio.sleep(0.05)


async def wait_for_stage(
    client: httpx.AsyncClient, job_id: str, stage: str, timeout: float = 60
) -> dict:
    async with asyncio.timeout(timeout):
        while True:
            job = (await client.get(f"/jobs/{job_id}")).json()
            if job["progress"]["stage"] == stage or job["status"] not in ("queued", "running"):
                return job
            await asyncio.sleep(0.02)
