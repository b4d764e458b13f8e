"""Starting the service for tests, and waiting on it: the one place for both.

- real processes: `python -m app` and `python -m workers`, configured only through a clean,
  explicit environment (every setting spelled out, nothing inherited but what runs Python), so
  a developer's `.env` or exported settings never reach them;
- a private Redis and FerretDB a test may stop, kill and restart without touching the
  session's stack;
- an arq worker running in the test's own event loop;
- polling: until healthy, until a job ends or reaches a stage, until a condition holds.
"""

import asyncio
import contextlib
import itertools
import json
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx
import psutil
from arq import Worker
from asgi_lifespan import LifespanManager

from app.config import Settings
from app.main import create_app
from app.resources import Resources, open_resources
from devstack.services import Service, ferretdb_service, free_port, redis_service, stop_process
from workers.pool import FitPool
from workers.worker import build_worker

PROJECT = Path(__file__).resolve().parents[1]  # the repository root
ENDED = {"succeeded", "failed", "cancelled"}
# What a Python process needs from the parent's environment to start at all; nothing else
# passes. PYTHONPATH lets a checkout that is not the installed one run its own code.
PASSED_THROUGH = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "PYTHONPATH")
T = TypeVar("T")
REDIS_DATABASES = 1024


# --- the session's stores ---------------------------------------------------------------------


@dataclass
class Stack:
    mongodb_url: str
    redis_url: str  # without a database number
    services: dict[str, Service] = field(default_factory=dict)
    _redis_db: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def next_redis_db(self) -> int:
        number = next(self._redis_db)
        assert number < REDIS_DATABASES, "more test modules than Redis databases"
        return number


SettingsFactory = Callable[..., Settings]


# --- environments and processes ---------------------------------------------------------------


def settings_env(settings: Settings) -> dict[str, str]:
    """Every setting as its environment variable, so no `.env` in the tree can leak in."""
    env = {}
    for name, value in settings.model_dump().items():
        if value is None:
            value = ""
        elif hasattr(value, "get_secret_value"):
            value = value.get_secret_value()
        elif isinstance(value, dict | list):  # complex settings are JSON in the environment
            value = json.dumps(value)
        env[name.upper()] = str(value).lower() if isinstance(value, bool) else str(value)
    return env


def base_env() -> dict[str, str]:
    """What passes from this process's environment to a test subprocess: no setting."""
    return {name: os.environ[name] for name in PASSED_THROUGH if name in os.environ}


def clean_env(settings: Settings, **extra: str) -> dict[str, str]:
    """The whole environment of a test subprocess: the basics, every setting, then `extra`."""
    return base_env() | settings_env(settings) | {"HOST": "127.0.0.1"} | extra


@dataclass
class Process:
    name: str
    process: subprocess.Popen
    log: Path
    url: str = ""

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    @property
    def port(self) -> int:
        port = httpx.URL(self.url).port
        assert port is not None, self.url
        return port

    def stop(self, timeout: float = 30) -> None:
        stop_process(self.process, timeout)

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def spawn(module: str, settings: Settings, log: Path, **env: str) -> Process:
    """`python -m module` in the repository, configured by `settings` (and `env`) alone."""
    with log.open("ab") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", module],
            cwd=PROJECT,
            env=clean_env(settings, **env),
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    return Process(module, process, log)


@contextmanager
def run_api(
    settings: Settings, log: Path, *, ready_timeout: float = 60, **env: str
) -> Iterator[Process]:
    port = free_port()
    api = spawn("app", settings, log, PORT=str(port), **env)
    api.url = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(api, ready_timeout)
        yield api
    finally:
        api.stop()


@contextmanager
def run_worker(settings: Settings, log: Path, **env: str) -> Iterator[Process]:
    worker = spawn("workers", settings, log, WORKER_METRICS_PORT="0", **env)
    try:
        yield worker
    finally:
        worker.stop(timeout=60)


@dataclass
class PrivateStack:
    redis: Service
    ferretdb: Service

    @property
    def mongodb_url(self) -> str:
        return f"mongodb://127.0.0.1:{self.ferretdb.port}/"

    @property
    def redis_url(self) -> str:
        return f"redis://127.0.0.1:{self.redis.port}/0"


@contextmanager
def private_stack(root: Path) -> Iterator[PrivateStack]:
    """Redis and FerretDB for one test only, so it may stop them at will."""
    redis = redis_service(free_port(), root / "redis").start()
    try:
        ferretdb = ferretdb_service(free_port(), root / "ferretdb").start()
    except Exception:
        redis.stop()
        raise
    try:
        yield PrivateStack(redis, ferretdb)
    finally:
        ferretdb.stop()
        redis.stop()


# --- clients and a worker in this event loop -------------------------------------------------


@asynccontextmanager
async def opened_resources(settings: Settings) -> AsyncIterator[Resources]:
    """Direct clients on the settings' stores, to set up or look behind the API."""
    resources = await open_resources(settings)
    try:
        yield resources
    finally:
        await resources.close()


@asynccontextmanager
async def replica(
    settings: Settings, address: str = "10.0.0.1"
) -> AsyncIterator[httpx.AsyncClient]:
    """One API replica on the given settings, in this process, as a client from `address`."""
    app = create_app(settings)
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app, client=(address, 5000))
        async with httpx.AsyncClient(transport=transport, base_url="http://replica") as http:
            yield http


async def start_worker(settings: Settings, **overrides: Any) -> tuple[Worker, asyncio.Task]:
    worker = build_worker(settings, handle_signals=False, **overrides)
    task = asyncio.create_task(worker.main())
    return worker, task


async def stop_worker(worker: Worker, task: asyncio.Task) -> None:
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    with contextlib.suppress(asyncio.CancelledError):  # arq re-raises its cancelled job tasks
        await worker.close()


async def run_burst(settings: Settings) -> None:
    """A worker that runs every job queued now, then stops."""
    worker, task = await start_worker(settings, burst=True, poll_delay=0)
    try:
        await task
    finally:
        await worker.close()


# --- polling ----------------------------------------------------------------------------------


def wait_until_healthy(api: Process, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert api.process.poll() is None, api.output()
        try:
            if httpx.get(f"{api.url}/health", timeout=5).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"the API did not become healthy:\n{api.output()}")


async def wait_for(check: Callable[[], Awaitable[T]], timeout: float, interval: float = 0.2) -> T:
    """Poll `check()` until it returns something truthy, and return that; fail after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        result = await check()
        if result:
            return result
        assert time.monotonic() < deadline, f"not within {timeout} s"
        await asyncio.sleep(interval)


async def read_state(client: httpx.AsyncClient, url: str) -> dict[str, Any]:
    """GET `url` (a job, search, batch prediction or evaluation), which must answer 200."""
    response = await client.get(url)
    assert response.status_code == 200, response.text
    state: dict[str, Any] = response.json()
    return state


async def wait_until_ended(
    client: httpx.AsyncClient, url: str, timeout: float, interval: float = 0.05
) -> dict[str, Any]:
    """Poll `url` until what it reads has ended, as a client would; its last state."""

    async def ended() -> dict[str, Any] | None:
        state = await read_state(client, url)
        return state if state["status"] in ENDED else None

    return await wait_for(ended, timeout, interval=interval)


async def read_job(client: httpx.AsyncClient, job_id: str) -> dict[str, Any]:
    return await read_state(client, f"/jobs/{job_id}")


async def wait_for_job(
    client: httpx.AsyncClient, job_id: str, timeout: float = 60
) -> dict[str, Any]:
    """Poll the job until it ends, as a client would; its last state."""
    return await wait_until_ended(client, f"/jobs/{job_id}", timeout)


async def wait_for_stage(
    client: httpx.AsyncClient, job_id: str, stage: str, timeout: float = 60
) -> dict[str, Any]:
    """Poll the job until it reaches `stage` (or ends before it)."""

    async def reached() -> dict[str, Any] | None:
        job = await read_job(client, job_id)
        done = job["progress"]["stage"] == stage or job["status"] in ENDED
        return job if done else None

    return await wait_for(reached, timeout, interval=0.02)


async def job_states(http: httpx.AsyncClient, job_ids: list[str]) -> dict[str, str]:
    return {job_id: (await read_job(http, job_id))["status"] for job_id in job_ids}


def pool_cpu_seconds(pool: FitPool) -> dict[int, float]:
    """CPU seconds used so far by each live process of a fit pool."""
    used = {}
    for slot in list(pool.slots):
        with contextlib.suppress(psutil.NoSuchProcess, ValueError):
            used[slot.process.pid] = sum(psutil.Process(slot.process.pid).cpu_times()[:2])
    return used


async def wait_until_pool_idle(pool: FitPool, timeout: float = 20) -> None:
    """Returns once a whole second passes in which the pool's processes together use under
    0.05 s of CPU. A fit never pauses, so one still running never gives such a second; a
    replacement slot may spend a moment starting (imports, BLAS buffers) before it waits idle
    on its pipe. Fails with TimeoutError when the pool stays busy."""
    async with asyncio.timeout(timeout):
        while True:
            before = pool_cpu_seconds(pool)
            await asyncio.sleep(1)
            after = pool_cpu_seconds(pool)
            if sum(after[pid] - seconds for pid, seconds in before.items() if pid in after) < 0.05:
                return
