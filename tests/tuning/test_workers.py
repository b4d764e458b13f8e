"""Trials spread over the workers, and a search outlives a worker that dies in the middle."""

from pathlib import Path

import httpx
import pytest

from app.config import Settings
from tests.support import SettingsFactory, spawn, start_worker, stop_worker, wait_for
from tests.tuning.support import read_tuning, search, submit, wait_for_tuning

JOB_TIMEOUT_SECONDS = 20
LEASE_SECONDS = 5  # a running trial's lease: lapsed, the next step queues the trial again
START_ALLOWANCE_SECONDS = 180  # a worker process starts slowly on a busy 2-CPU machine
FOREST = {"n_estimators": {"type": "int", "low": 150, "high": 250}}


@pytest.fixture(scope="module")
def settings(settings_factory: SettingsFactory) -> Settings:
    return settings_factory(
        job_timeout_seconds=JOB_TIMEOUT_SECONDS,
        job_requeue_after_seconds=LEASE_SECONDS,
        tuning_heartbeat_seconds=1,
        tuning_max_in_flight=2,
        worker_max_jobs=1,
    )


async def test_two_workers_both_run_trials(client: httpx.AsyncClient, settings: Settings) -> None:
    workers = [await start_worker(settings) for _ in range(2)]
    try:
        body = search(algorithm="random_forest", space=FOREST, max_trials=6)
        tuning = await wait_for_tuning(client, await submit(client, body))
    finally:
        for running, task in workers:
            await stop_worker(running, task)
    assert tuning["status"] == "succeeded", tuning["error"]
    assert len({t["worker"] for t in tuning["trials"]}) == 2, tuning["trials"]


async def test_a_search_resumes_after_its_worker_dies_keeping_finished_trials(
    client: httpx.AsyncClient, settings: Settings, tmp_path: Path
) -> None:
    first = spawn("workers", settings, tmp_path / "worker1.log", WORKER_MAX_JOBS="2")
    try:
        body = search(algorithm="random_forest", space=FOREST, max_trials=6, cv=4)
        tuning_id = await submit(client, body)

        async def two_done_one_running() -> dict | None:
            tuning = await read_tuning(client, tuning_id)
            states = [t["state"] for t in tuning["trials"]]
            return tuning if states.count("complete") >= 2 and "running" in states else None

        await wait_for(two_done_one_running, START_ALLOWANCE_SECONDS)
    finally:
        first.kill()
    before = {t["number"]: t for t in (await read_tuning(client, tuning_id))["trials"]}
    second = spawn("workers", settings, tmp_path / "worker2.log")
    try:
        tuning = await wait_for_tuning(
            client, tuning_id, timeout=JOB_TIMEOUT_SECONDS + 60 + START_ALLOWANCE_SECONDS
        )
    finally:
        second.stop()
    assert tuning["status"] == "succeeded", (tuning["error"], second.output())
    after = {t["number"]: t for t in tuning["trials"]}
    assert sorted(after) == list(range(6))
    for number, trial in before.items():
        if trial["state"] == "complete":  # finished before the kill: kept, not run again
            assert after[number] == trial
        elif trial["state"] == "running":  # cut short by the kill: run again to its end
            assert (after[number]["state"], after[number]["attempts"]) == ("complete", 2)
