"""Redis restarts while jobs are queued and one runs: /health says 503 meanwhile, submissions
are refused cleanly, the API recovers by itself, and every job acknowledged with 202 ends.

arq's worker ends when it loses Redis; `python -m workers` then starts a new one in the same
process once Redis answers, so the worker process must live through the restart. A job that was
running then is re-run once arq's in-progress key expires (job timeout + 15 s)."""

import asyncio
from pathlib import Path

import httpx

from app.config import Settings
from tests.samples import FAULTS_AUTH as AUTH
from tests.support import ENDED, PrivateStack, job_states, run_api, run_worker, wait_for

JOBS_BEFORE = 12


def body(n: int) -> dict:
    """A job of a few hundred milliseconds, so most are still queued when Redis stops."""
    return {
        "dataset_name": "wine",
        "algorithm": "random_forest",
        "model_name": f"redis-fault-{n}",
        "hyperparameters": {"n_estimators": 300},
    }


async def test_redis_restart_loses_no_acknowledged_job(
    private: PrivateStack, fault_settings: Settings, tmp_path: Path
) -> None:
    worker_log = tmp_path / "worker.log"
    with (
        run_api(fault_settings, tmp_path / "api.log") as api,
        run_worker(fault_settings, worker_log) as worker,
    ):
        async with httpx.AsyncClient(base_url=api.url, timeout=30, headers=AUTH) as http:
            accepted = []
            for n in range(JOBS_BEFORE):
                response = await http.post("/train", json=body(n), headers=AUTH)
                assert response.status_code == 202, response.text
                accepted.append(response.json()["job_id"])

            # Stop Redis while one job runs and others wait: the hardest moment.
            await wait_for(lambda: running_and_queued(http, accepted), timeout=30, interval=0.05)
            private.redis.stop()
            health = await wait_for(lambda: unhealthy(http), timeout=15)
            assert health["dependencies"]["redis"]["status"] == "down"
            during = await http.post("/train", json=body(99), headers=AUTH)
            assert during.status_code == 503, during.text
            assert "Traceback" not in during.text
            assert (await http.get("/api/v1/models", headers=AUTH)).status_code == 200

            private.redis.start()
            await wait_for(lambda: healthy(http), timeout=30)
            after = await http.post("/train", json=body(100), headers=AUTH)
            assert after.status_code == 202, after.text
            accepted.append(after.json()["job_id"])
            try:
                await wait_for(lambda: all_ended(http, accepted), timeout=120, interval=0.5)
            finally:
                states = await job_states(http, accepted)
                print(f"\njob states: {states}")
        assert worker.process.poll() is None, "the worker process died with Redis"
        assert "lost Redis" in worker.output()
    assert set(states.values()) <= ENDED and len(states) == JOBS_BEFORE + 1
    assert list(states.values()).count("succeeded") == len(states), states
    assert "Traceback" not in api.output(), api.output()


async def running_and_queued(http: httpx.AsyncClient, job_ids: list[str]) -> bool:
    states = set((await job_states(http, job_ids)).values())
    return {"running", "queued"} <= states


async def unhealthy(http: httpx.AsyncClient) -> dict | None:
    response = await http.get("/health")
    return response.json() if response.status_code == 503 else None


async def healthy(http: httpx.AsyncClient) -> bool:
    return (await http.get("/health")).status_code == 200


async def all_ended(http: httpx.AsyncClient, job_ids: list[str]) -> bool:
    await asyncio.sleep(0)
    return set((await job_states(http, job_ids)).values()) <= ENDED
