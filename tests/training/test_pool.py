"""The fit pool caps each fit's BLAS and OpenMP threads, so concurrent fits share the CPUs."""

import pytest
from threadpoolctl import threadpool_info

from workers.pool import FitPool, default_threads_per_fit


def pool_thread_counts() -> list[int]:
    return [pool["num_threads"] for pool in threadpool_info()]


@pytest.mark.parametrize("threads", [1, 3])
async def test_every_thread_pool_in_a_fit_process_is_capped(threads: int) -> None:
    pool = FitPool(2, threads_per_fit=threads)
    try:
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
