"""A worker killed mid-fit loses no job and leaves no orphan file."""

import asyncio
from pathlib import Path

import httpx
import psutil
import pytest
from arq.jobs import JobStatus

from app.config import Settings
from app.resources import Resources
from app.training import queue
from tests.support import (
    Process,
    SettingsFactory,
    spawn,
    start_worker,
    stop_worker,
    wait_for_job,
    wait_for_stage,
)

JOB_TIMEOUT_SECONDS = 60  # the retried fit must end in time even on a busy machine
# A worker process needs a minute or more to start on a busy 2-CPU machine (imports, then a
# forkserver that imports scikit-learn again): waits that include a start allow for that.
START_ALLOWANCE_SECONDS = 180


async def fitting_in_a_worker_process(
    client: httpx.AsyncClient,
    settings: Settings,
    tmp_path: Path,
    model_name: str,
    n_estimators: int = 1500,
) -> tuple[Process, str]:
    """A worker process, and the id of a job that it is fitting right now (1,500 trees take a
    few seconds)."""
    worker = spawn("workers", settings, tmp_path / "worker1.log")
    body = {
        "dataset_name": "wine",
        "algorithm": "random_forest",
        "model_name": model_name,
        "hyperparameters": {"n_estimators": n_estimators},
    }
    try:
        job_id = (await client.post("/train", json=body)).json()["job_id"]
        job = await wait_for_stage(client, job_id, "fitting", timeout=START_ALLOWANCE_SECONDS)
        assert job["status"] == "running", job
    except BaseException:
        worker.kill()
        raise
    return worker, job_id


@pytest.fixture(scope="module")
def settings(settings_factory: SettingsFactory) -> Settings:
    return settings_factory(
        job_timeout_seconds=JOB_TIMEOUT_SECONDS,
        hyperparameter_bounds={"random_forest": {"n_estimators": {"maximum": 100_000}}},
    )


async def test_killed_worker_mid_fit_the_job_is_run_again_and_ends(
    client: httpx.AsyncClient, resources: Resources, settings: Settings, tmp_path: Path
) -> None:
    first, job_id = await fitting_in_a_worker_process(client, settings, tmp_path, "survivor")
    fit_processes = psutil.Process(first.process.pid).children(recursive=True)
    first.kill()
    await wait_until_gone(fit_processes)  # a fit does not outlive its worker, even on SIGKILL

    second = spawn("workers", settings, tmp_path / "worker2.log")
    try:  # arq re-runs the job once the dead worker's claim expires (its timeout + 10 s)
        job = await wait_for_job(
            client, job_id, timeout=JOB_TIMEOUT_SECONDS + 30 + START_ALLOWANCE_SECONDS
        )
    finally:
        second.stop()
    assert (job["status"], job["attempts"]) == ("succeeded", 2), job
    await assert_no_orphans(resources)


def alive(process: psutil.Process) -> bool:
    try:
        return process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


async def wait_until_gone(processes: list[psutil.Process], timeout: float = 30) -> None:
    async with asyncio.timeout(timeout):
        while True:
            if not any(alive(p) for p in processes):
                return
            await asyncio.sleep(0.1)


async def assert_no_orphans(resources: Resources) -> None:
    models = await resources.db["models"].find({}, {"file_id": 1, "job_id": 1}).to_list()
    named = {m["file_id"] for m in models}
    files = {f["_id"] async for f in resources.db["fs.files"].find({}, {"_id": 1})}
    assert files == named, "every GridFS file is named by a model, and every model has its file"
    for model in models:
        assert await resources.db["jobs"].count_documents({"_id": model["job_id"]}) == 1


async def test_a_failing_fit_does_not_stop_the_worker(
    client: httpx.AsyncClient, settings: Settings, tmp_path: Path
) -> None:
    worker = spawn("workers", settings, tmp_path / "worker.log")
    try:
        bad = {
            "dataset_name": "iris",
            "algorithm": "svm",
            "model_name": "bad",
            "hyperparameters": {"kernel": "precomputed"},
        }
        good = {"dataset_name": "iris", "algorithm": "svm", "model_name": "good"}
        failed_id = (await client.post("/train", json=bad)).json()["job_id"]
        good_id = (await client.post("/train", json=good)).json()["job_id"]
        failed = await wait_for_job(client, failed_id, timeout=START_ALLOWANCE_SECONDS)
        assert failed["status"] == "failed"
        assert (await wait_for_job(client, good_id))["status"] == "succeeded"
        await asyncio.sleep(0)
        assert worker.process.poll() is None
    finally:
        worker.stop()


def pool_processes() -> list[psutil.Process]:
    """This process's fit-pool processes: the children of its forkserver."""
    servers = [
        p
        for p in psutil.Process().children()
        if "multiprocessing.forkserver" in " ".join(p.cmdline())
    ]
    return [child for server in servers for child in server.children()]


async def test_a_dead_fit_process_fails_its_job_and_the_pool_is_replaced(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    worker, task = await start_worker(settings)
    try:
        slow = {
            "dataset_name": "wine",
            "algorithm": "random_forest",
            "model_name": "oom",
            "hyperparameters": {"n_estimators": 4000},
        }
        job_id = (await client.post("/train", json=slow)).json()["job_id"]
        await wait_for_stage(client, job_id, "fitting")
        for process in pool_processes():
            process.kill()
        job = await wait_for_job(client, job_id)
        assert job["status"] == "failed"
        assert job["error"] == {
            "type": "FitProcessDied",
            "message": "the fit process died (killed or out of memory)",
        }
        after = {"dataset_name": "iris", "algorithm": "decision_tree", "model_name": "after"}
        next_job = await wait_for_job(
            client, (await client.post("/train", json=after)).json()["job_id"]
        )
        assert next_job["status"] == "succeeded", next_job["error"]
    finally:
        await stop_worker(worker, task)


async def test_a_worker_stopped_mid_fit_hands_the_job_back_to_the_queue(
    client: httpx.AsyncClient, settings: Settings, tmp_path: Path
) -> None:
    """SIGTERM (a rolling update, a scale-down) interrupts the job; it is not cancelled but
    queued again, and the next worker runs it to the end."""
    first, job_id = await fitting_in_a_worker_process(client, settings, tmp_path, "handed_back")
    first.stop()
    assert first.process.returncode == 0
    second = spawn("workers", settings, tmp_path / "worker2.log")
    try:
        job = await wait_for_job(client, job_id, timeout=START_ALLOWANCE_SECONDS)
    finally:
        second.stop()
    assert (job["status"], job["attempts"]) == ("succeeded", 2), job


async def test_sigterm_mid_fit_kills_the_fit_and_the_worker_exits_at_once(
    client: httpx.AsyncClient, resources: Resources, settings: Settings, tmp_path: Path
) -> None:
    """A fit of a minute or more does not hold a shutdown: its process is killed, the worker
    exits 0 well within the 20 s allowed, and the job is back on the queue for the next one."""
    worker, job_id = await fitting_in_a_worker_process(
        client, settings, tmp_path, "long", n_estimators=20_000
    )
    descendants = psutil.Process(worker.process.pid).children(recursive=True)
    assert descendants, "no fit processes found"
    worker.stop(timeout=20)
    assert worker.process.returncode == 0, worker.output()
    await wait_until_gone(descendants, timeout=10)  # the forkserver and resource tracker too
    assert await queue.training_status(resources.redis, job_id) is JobStatus.queued
    assert (await client.post(f"/jobs/{job_id}/cancel")).status_code == 200
