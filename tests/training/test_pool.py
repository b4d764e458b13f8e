"""The fit pool: capped threads and memory per fit, and a fit that stops when its caller does."""

import asyncio
import os
import time
from collections.abc import AsyncIterator
from pathlib import Path

import psutil
import pytest
from threadpoolctl import threadpool_info

from tests.support import wait_until_pool_idle
from workers.fit_process import FitMemoryExceeded
from workers.pool import FitPool, FitProcessDied, default_threads_per_fit


def pool_thread_counts() -> list[int]:
    return [pool["num_threads"] for pool in threadpool_info()]


def spin(pid_file: Path, seconds: float) -> int:
    """A fit stand-in that keeps a CPU busy for `seconds`, after saying which process it is."""
    pid_file.write_text(str(os.getpid()))
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        pass
    return os.getpid()


def allocate(mib: int) -> int:
    return len(bytearray(mib * 2**20))


@pytest.fixture
async def pool() -> AsyncIterator[FitPool]:
    fit_pool = FitPool(2, threads_per_fit=1, memory_limit_mb=64)
    await fit_pool.start()
    yield fit_pool
    fit_pool.shutdown()


def written_pid(pid_file: Path) -> int | None:
    text = pid_file.read_text() if pid_file.exists() else ""
    return int(text) if text else None


async def spinning(pool: FitPool, pid_file: Path) -> tuple[asyncio.Task, int]:
    """A call that would spin for ten minutes, and the pid of the process running it."""
    task = asyncio.create_task(pool.run(spin, pid_file, 600))
    async with asyncio.timeout(60):
        while True:
            if pid := written_pid(pid_file):
                return task, pid
            await asyncio.sleep(0.05)


@pytest.mark.parametrize("threads", [1, 3])
async def test_every_thread_pool_in_a_fit_process_is_capped(threads: int) -> None:
    pool = FitPool(2, threads_per_fit=threads)
    try:
        await pool.start()
        for counts in [await pool.run(pool_thread_counts) for _ in range(4)]:
            assert counts, "no BLAS/OpenMP thread pool found in the fit process"
            assert set(counts) == {threads}
    finally:
        pool.shutdown()


def test_the_default_shares_the_cpus_between_the_concurrent_fits(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("os.sched_getaffinity", lambda pid: set(range(8)))
    assert default_threads_per_fit(2) == 4
    assert default_threads_per_fit(3) == 2
    assert default_threads_per_fit(16) == 1


def test_the_pods_cpu_request_not_the_nodes_cpus_sets_the_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """In Kubernetes the container sees every CPU of the node; the chart passes the pod's CPU
    request as WORKER_CPUS, and the fits share that."""
    monkeypatch.setattr("os.sched_getaffinity", lambda pid: set(range(64)))
    assert default_threads_per_fit(2, cpus=4) == 2
    assert default_threads_per_fit(2, cpus=1) == 1


async def test_a_cancelled_call_kills_its_process_and_the_next_call_runs(
    pool: FitPool, tmp_path: Path
) -> None:
    task, pid = await spinning(pool, tmp_path / "pid")
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert not psutil.pid_exists(pid), "the cancelled fit's process is still there"
    await wait_until_pool_idle(pool)
    pids = await asyncio.gather(pool.run(os.getpid), pool.run(os.getpid))
    assert pid not in pids and len(set(pids)) == 2


async def test_a_call_beyond_the_memory_cap_fails_alone(pool: FitPool) -> None:
    too_much, beside = await asyncio.gather(
        pool.run(allocate, 512), pool.run(allocate, 16), return_exceptions=True
    )
    assert isinstance(too_much, FitMemoryExceeded)
    assert "cap of 64 MiB (FIT_MEMORY_LIMIT_MB)" in str(too_much)
    assert beside == 16 * 2**20
    assert await asyncio.gather(*(pool.run(allocate, 16) for _ in range(4))) == [16 * 2**20] * 4


async def test_arguments_beyond_the_memory_cap_fail_alone(pool: FitPool) -> None:
    with pytest.raises(FitMemoryExceeded):
        await pool.run(len, b"x" * (256 * 2**20))
    assert await pool.run(allocate, 16) == 16 * 2**20


async def test_a_process_killed_from_outside_fails_only_its_call(
    pool: FitPool, tmp_path: Path
) -> None:
    task, pid = await spinning(pool, tmp_path / "pid")
    psutil.Process(pid).kill()
    with pytest.raises(FitProcessDied):
        await task
    assert await pool.run(allocate, 1) == 2**20


async def test_shutdown_kills_a_busy_process(tmp_path: Path) -> None:
    pool = FitPool(1, threads_per_fit=1)
    await pool.start()
    task, pid = await spinning(pool, tmp_path / "pid")
    pool.shutdown()
    assert not psutil.pid_exists(pid)
    with pytest.raises(FitProcessDied):
        await task
