"""Real processes for the security, fault and load tests: `python -m app` and `python -m
workers` configured only through environment variables, and a private Redis and FerretDB a
test can stop, kill and restart without touching the session's stack."""

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from app.config import Settings
from devstack.services import Service, ferretdb_service, free_port, redis_service, stop_process

PROJECT = Path(__file__).resolve().parents[2]


def settings_env(settings: Settings) -> dict[str, str]:
    """Every setting as its environment variable, so no `.env` in the tree can leak in."""
    env = {}
    for name, value in settings.model_dump().items():
        if value is None:
            value = ""
        elif hasattr(value, "get_secret_value"):
            value = value.get_secret_value()
        env[name.upper()] = str(value).lower() if isinstance(value, bool) else str(value)
    return env


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
        return httpx.URL(self.url).port

    def stop(self, timeout: float = 30) -> None:
        stop_process(self.process, timeout)

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def spawn(module: str, settings: Settings, log: Path, **env: str) -> Process:
    environment = os.environ | settings_env(settings) | {"HOST": "127.0.0.1"} | env
    with log.open("ab") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", module],
            cwd=PROJECT,
            env=environment,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    return Process(module, process, log)


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


@contextmanager
def run_api(settings: Settings, log: Path, **env: str) -> Iterator[Process]:
    port = free_port()
    api = spawn("app", settings, log, PORT=str(port), **env)
    api.url = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(api)
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
    """Redis and FerretDB for one test module only, so it may stop them at will."""
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
