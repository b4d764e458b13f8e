"""A job timeout or a cancel kills the fit's process: the CPU is free and the next job runs."""

import asyncio

import httpx
import psutil
import pytest
from arq import Worker
from arq.constants import in_progress_key_prefix, job_key_prefix

from app.config import Settings
from app.resources import Resources
from app.training import jobs
from tests.support import SettingsFactory, wait_for_job, wait_for_stage, wait_until_pool_idle
from workers.context import worker_context
from workers.pool import FitPool
from workers.requeue import requeue_lost_jobs

JOB_TIMEOUT_SECONDS = 10
LEASE_SECONDS = 2  # JOB_REQUEUE_AFTER_SECONDS: a running job's lease
# A minute or more of CPU (1,500 trees take about 5 s), far beyond the timeout.
LONG_FIT = {
    "dataset_name": "wine",
    "algorithm": "random_forest",
    "model_name": "long",
    "hyperparameters": {"n_estimators": 20_000},
}
QUICK_FIT = {"dataset_name": "iris", "algorithm": "decision_tree", "model_name": "quick"}
LONG_FITS_ALLOWED = {"random_forest": {"n_estimators": {"maximum": 100_000}}}


@pytest.fixture(scope="module")
def settings(settings_factory: SettingsFactory) -> Settings:
    return settings_factory(
        job_timeout_seconds=JOB_TIMEOUT_SECONDS,
        job_requeue_after_seconds=LEASE_SECONDS,
        hyperparameter_bounds=LONG_FITS_ALLOWED,
    )


def cpu_seconds(pid: int) -> float:
    try:
        return sum(psutil.Process(pid).cpu_times()[:2])
    except psutil.NoSuchProcess:
        return 0.0


async def fitting_pid(pool: FitPool) -> int:
    """The pool process that is using the CPU: the one fitting (idle ones wait on a pipe)."""
    async with asyncio.timeout(60):
        while True:
            before = {slot.process.pid: cpu_seconds(slot.process.pid) for slot in pool.slots}
            await asyncio.sleep(0.5)
            for pid, seconds in before.items():
                if pid and cpu_seconds(pid) - seconds > 0.01:
                    return pid


async def start_long_fit(client: httpx.AsyncClient, worker: Worker) -> tuple[str, int]:
    job_id = (await client.post("/train", json=LONG_FIT)).json()["job_id"]
    job = await wait_for_stage(client, job_id, "fitting")
    assert job["status"] == "running", job
    return job_id, await fitting_pid(worker_context(worker.ctx).pool)


async def assert_next_job_runs(client: httpx.AsyncClient) -> None:
    job_id = (await client.post("/train", json=QUICK_FIT)).json()["job_id"]
    job = await wait_for_job(client, job_id)
    assert job["status"] == "succeeded", job


async def test_a_job_past_its_timeout_has_its_fit_process_killed(
    client: httpx.AsyncClient, worker: Worker
) -> None:
    job_id, pid = await start_long_fit(client, worker)
    job = await wait_for_job(client, job_id, timeout=JOB_TIMEOUT_SECONDS + 60)
    assert job["status"] == "failed" and job["error"]["type"] == "JobTimeout", job
    assert not psutil.pid_exists(pid), "the fit went on after its job timed out"
    await wait_until_pool_idle(worker_context(worker.ctx).pool)
    await assert_next_job_runs(client)


async def test_a_cancelled_job_has_its_fit_process_killed(
    client: httpx.AsyncClient, worker: Worker
) -> None:
    job_id, pid = await start_long_fit(client, worker)
    assert (await client.post(f"/jobs/{job_id}/cancel")).status_code == 200
    async with asyncio.timeout(30):  # the worker sees the abort at its next poll
        while True:
            if not psutil.pid_exists(pid):
                break
            await asyncio.sleep(0.05)
    await wait_until_pool_idle(worker_context(worker.ctx).pool)
    assert (await client.get(f"/jobs/{job_id}")).json()["status"] == "cancelled"
    await assert_next_job_runs(client)


async def test_a_job_being_fitted_keeps_its_lease_and_is_never_queued_twice(
    client: httpx.AsyncClient, worker: Worker, resources: Resources
) -> None:
    """Redis loses the job's keys while it is fitted, far longer than a lease: the worker's
    renewals keep the requeue check from queueing it a second time."""
    job_id, _ = await start_long_fit(client, worker)
    await asyncio.sleep(3 * LEASE_SECONDS)
    await resources.redis.delete(job_key_prefix + job_id, in_progress_key_prefix + job_id)
    await resources.redis.zrem(resources.settings.queue_name, job_id)
    assert await requeue_lost_jobs(worker.ctx) == 0
    job = await resources.db["jobs"].find_one({"_id": job_id})
    assert job is not None and job["lease_until"] > jobs.now(), job
    assert (await client.post(f"/jobs/{job_id}/cancel")).status_code == 200
