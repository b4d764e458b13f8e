"""`python -m workers`: what it imports, and its `--check` health probe run for real."""

import asyncio
import subprocess
import sys
from pathlib import Path

from app.config import Settings
from tests.support import PROJECT, clean_env, run_worker, wait_for

SERVER_ONLY = ("uvicorn", "fastapi", "starlette")


def test_the_worker_imports_no_web_server() -> None:
    """The worker image runs the same code as the API; it must not load the API's server."""
    probe = (
        "import sys, workers.__main__, workers.worker; "
        f"print(sorted(m for m in {SERVER_ONLY!r} if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=PROJECT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def check(settings: Settings) -> int:
    done = subprocess.run(
        [sys.executable, "-m", "workers", "--check"],
        cwd=PROJECT,
        env=clean_env(settings),
        capture_output=True,
        timeout=120,
    )
    return done.returncode


async def test_check_fails_with_no_worker_and_passes_once_one_runs(
    settings: Settings, tmp_path: Path
) -> None:
    assert check(settings) == 1
    with run_worker(settings, tmp_path / "worker.log") as worker:

        async def healthy() -> bool:
            assert worker.process.poll() is None, worker.output()
            return await asyncio.to_thread(check, settings) == 0

        await wait_for(healthy, timeout=120, interval=0.5)
