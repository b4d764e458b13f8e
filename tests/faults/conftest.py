"""Fault tests run the API and a worker as real processes on a private Redis and FerretDB
that each test may stop and start; nothing here touches the session's stack."""

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from app.config import Settings
from tests.processes import PrivateStack, private_stack

BOOTSTRAP_KEY = "tf_faults-" + "f4ult" * 8
AUTH = {"Authorization": f"Bearer {BOOTSTRAP_KEY}"}
ENDED = {"succeeded", "failed", "cancelled"}


@pytest.fixture
def stack_root(tmp_path: Path) -> Path:
    return tmp_path


@pytest.fixture
def private(stack_root: Path) -> Iterator[PrivateStack]:
    with private_stack(stack_root / "stack") as stack:
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
        bootstrap_admin_key=BOOTSTRAP_KEY,
        worker_metrics_port=0,
        job_timeout_seconds=20,  # a job whose worker died is re-run after 20 + 15 s
        job_requeue_after_seconds=5,
    )


async def wait_for(check, timeout: float, interval: float = 0.2):
    """Poll `check()` (async, truthy when done) until it is, or fail after `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        result = await check()
        if result:
            return result
        assert time.monotonic() < deadline, f"not within {timeout} s"
        await asyncio.sleep(interval)


async def job_states(http: httpx.AsyncClient, job_ids: list[str]) -> dict[str, str]:
    states = {}
    for job_id in job_ids:
        response = await http.get(f"/jobs/{job_id}", headers=AUTH)
        assert response.status_code == 200, response.text
        states[job_id] = response.json()["status"]
    return states
