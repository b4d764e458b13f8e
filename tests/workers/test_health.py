"""`python -m workers --check`, the workers' container probe: it passes only while the worker in
its own pod is alive, and it stays cheap (no scikit-learn import)."""

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest
import redis
import redis.asyncio

from app.config import Settings
from devstack.services import free_port
from tests.support import PROJECT, clean_env, start_worker, stop_worker
from workers.health import check, health_key

CHECK = [sys.executable, "-m", "workers", "--check"]


def probe(settings: Settings, *command: str) -> subprocess.CompletedProcess[str]:
    env = clean_env(settings)
    return subprocess.run(
        list(command) or CHECK, cwd=PROJECT, env=env, capture_output=True, text=True, timeout=60
    )


async def wait_for_check(settings: Settings, code: int, timeout: float = 30) -> None:
    async with asyncio.timeout(timeout):
        while True:
            if (await asyncio.to_thread(probe, settings)).returncode == code:
                return
            await asyncio.sleep(0.5)


async def test_another_pods_healthy_worker_does_not_pass_this_pods_probe(
    settings: Settings,
) -> None:
    elsewhere, task = await start_worker(
        settings, health_check_key=health_key(settings.queue_name, "another-pod")
    )
    try:
        await wait_for_key(settings, elsewhere.health_check_key)
        result = await asyncio.to_thread(probe, settings)
        assert result.returncode == 1, result.stderr
        assert "missing or expired" in result.stderr
    finally:
        await stop_worker(elsewhere, task)


async def test_this_pods_worker_passes_its_probe(settings: Settings) -> None:
    here, task = await start_worker(settings)
    try:
        await wait_for_check(settings, 0)
    finally:
        await stop_worker(here, task)


async def wait_for_key(settings: Settings, key: str, timeout: float = 30) -> None:
    client = redis.asyncio.Redis.from_url(str(settings.redis_url))
    try:
        async with asyncio.timeout(timeout):
            while True:
                if await client.exists(key):
                    return
                await asyncio.sleep(0.1)
    finally:
        await client.aclose()


def test_probe_does_not_import_the_training_stack(settings: Settings, tmp_path: Path) -> None:
    code = (
        "import sys; from workers.__main__ import main; main(['--check']); "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'sklearn', 'numpy', 'fastapi'}))"
    )
    result = probe(settings, sys.executable, "-c", code)
    assert result.stdout.strip() == "[]", result.stdout + result.stderr


def test_check_reads_this_hosts_key_and_fails_closed(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REDIS_URL", str(settings.redis_url))
    monkeypatch.setenv("QUEUE_NAME", settings.queue_name)
    assert check() == 1, "no worker ran on this host"
    client = redis.Redis.from_url(str(settings.redis_url))
    try:
        client.set(health_key(settings.queue_name), "alive", px=2000)
        assert check() == 0
    finally:
        client.delete(health_key(settings.queue_name))
        client.close()
    monkeypatch.setenv("REDIS_URL", f"redis://127.0.0.1:{free_port()}/0")
    assert check() == 1, "Redis unreachable"
