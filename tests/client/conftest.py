"""The real service for the client and CLI tests.

`live` is `python -m app` plus `python -m workers` as subprocesses on the module's namespace (the
sync client and the CLI talk to it over TCP); `idle` is an API with no worker, so its jobs stay
queued (cancel, wait timeouts); `worker` runs in this event loop for the async client's
in-process app. `tensorfleet` runs the CLI's entry point and captures its output.
"""

import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from arq import Worker

from app.cli import run
from app.config import Settings
from devstack.services import free_port
from tests.conftest import SettingsFactory
from tests.training.conftest import start_worker, stop_worker

PROJECT = Path(__file__).resolve().parents[2]
FAILING_SVM = {"kernel": "precomputed"}  # passes validation, fails in fit ("square matrix")


@dataclass
class Server:
    url: str
    logs: Path

    def output(self) -> str:
        return "".join(p.read_text() for p in sorted(self.logs.glob("*.log")))


def environment(settings: Settings, port: int) -> dict[str, str]:
    return os.environ | {
        "MONGODB_URL": str(settings.mongodb_url),
        "MONGODB_DB": settings.mongodb_db,
        "REDIS_URL": str(settings.redis_url),
        "QUEUE_NAME": settings.queue_name,
        "PORT": str(port),
        "HOST": "127.0.0.1",
        "WORKER_METRICS_PORT": "0",
    }


def spawn(module: str, env: dict[str, str], logs: Path) -> subprocess.Popen:
    with (logs / f"{module}.log").open("wb") as sink:
        return subprocess.Popen(
            [sys.executable, "-m", module], cwd=PROJECT, env=env, stdout=sink, stderr=sink
        )


def wait_until_healthy(server: Server, api: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert api.poll() is None, server.output()
        try:
            if httpx.get(f"{server.url}/health").status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"the API did not become healthy:\n{server.output()}")


@contextmanager
def serve(settings: Settings, logs: Path, *, with_worker: bool) -> Iterator[Server]:
    port = free_port()
    env = environment(settings, port)
    processes = [spawn("app", env, logs)] + ([spawn("workers", env, logs)] if with_worker else [])
    server = Server(f"http://127.0.0.1:{port}", logs)
    try:
        wait_until_healthy(server, processes[0])
        yield server
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=30)


@pytest.fixture(scope="module")
def live(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with serve(settings, tmp_path_factory.mktemp("live"), with_worker=True) as server:
        yield server


@pytest.fixture(scope="module")
def idle(
    settings_factory: SettingsFactory, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    with serve(settings_factory(), tmp_path_factory.mktemp("idle"), with_worker=False) as server:
        yield server


@pytest.fixture(scope="module")
async def worker(app: object, settings: Settings) -> AsyncIterator[Worker]:
    running, task = await start_worker(settings)
    yield running
    await stop_worker(running, task)


@dataclass
class CliResult:
    code: int
    stdout: str
    stderr: str


Tensorfleet = Callable[..., CliResult]


@pytest.fixture
def tensorfleet(capsys: pytest.CaptureFixture[str]) -> Tensorfleet:
    """Run `tensorfleet ARGS...` in this process, as the console script does."""

    def invoke(*args: str) -> CliResult:
        capsys.readouterr()
        code = run(list(args))
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return invoke
