"""Figure 2: many small jobs (decision tree on Iris) submitted at once, with 1 and 2 workers.

Jobs per second from the first submission until the client sees every job succeeded; beside it
the floor: in-process decision-tree fits plus `joblib.dump`, one after another, per second.
"""

import asyncio
import time
from pathlib import Path
from typing import Any

import httpx

from bench.stack import Stack
from bench.train import floor_data, floor_once, train_body

CASE = {"dataset": "iris", "algorithm": "decision_tree"}
SUBMIT_CONCURRENCY = 32
POLL_SECONDS = 0.02
TIMEOUT_SECONDS = 600.0


async def submit_all(client: httpx.AsyncClient, count: int, tag: str) -> list[str]:
    """Submit `count` jobs, at most SUBMIT_CONCURRENCY in flight; their ids in order."""
    gate = asyncio.Semaphore(SUBMIT_CONCURRENCY)

    async def submit(number: int) -> str:
        async with gate:
            body = train_body(CASE, f"throughput-{tag}-{number % 50}")
            response = await client.post("/train", json=body)
            response.raise_for_status()
            return response.json()["job_id"]

    return list(await asyncio.gather(*(submit(n) for n in range(count))))


async def wait_for_all(client: httpx.AsyncClient, job_ids: list[str], cap: float) -> int:
    """Poll the oldest job not yet seen succeeded (jobs run roughly in queue order), one
    `GET /jobs/{id}` at a time; returns how many succeeded before `cap` seconds. Not
    `GET /jobs?status=...`: on FerretDB v1.24 that sorts and counts the whole jobs collection,
    and polling it would load the store the workers use."""
    deadline, pending = time.monotonic() + cap, list(job_ids)
    while pending and time.monotonic() < deadline:
        job = (await client.get(f"/jobs/{pending[0]}")).json()
        if job["status"] == "succeeded":
            pending.pop(0)
            continue
        if job["status"] in ("failed", "cancelled"):
            raise RuntimeError(f"throughput job {pending[0]} {job['status']}: {job.get('error')}")
        await asyncio.sleep(POLL_SECONDS)
    return len(job_ids) - len(pending)


async def burst(base_url: str, count: int, tag: str, cap: float) -> dict[str, Any]:
    """Submit `count` jobs at once and wait for them, at most `cap` seconds; a capped burst
    reports the jobs that succeeded by then, over the time it waited."""
    limits = httpx.Limits(max_connections=SUBMIT_CONCURRENCY + 2)
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=60) as client:
        started = time.perf_counter()
        job_ids = await submit_all(client, count, tag)
        submitted = time.perf_counter() - started
        done = await wait_for_all(client, job_ids, cap)
        elapsed = time.perf_counter() - started
    return {
        "jobs": count,
        "succeeded": done,
        "complete": done == count,
        "seconds": round(elapsed, 3),
        "submit_seconds": round(submitted, 3),
        "jobs_per_second": round(done / elapsed, 2),
    }


def floor_rate(fits: int, work_dir: Path) -> dict[str, float]:
    data = floor_data(CASE)
    path = work_dir / "throughput-floor.joblib"
    floor_once(CASE, data, path)
    started = time.perf_counter()
    for _ in range(fits):
        floor_once(CASE, data, path)
    elapsed = time.perf_counter() - started
    path.unlink(missing_ok=True)
    return {"fits": fits, "seconds": round(elapsed, 3), "fits_per_second": round(fits / elapsed, 2)}


def cpu_ms_per_job(
    before: dict[str, float], after: dict[str, float], result: dict[str, Any]
) -> dict[str, float]:
    """Where the CPU went: milliseconds of each part of the stack per succeeded job (worker
    processes stopped meanwhile are not counted)."""
    done = max(result["succeeded"], 1)
    return {name: round((after[name] - before.get(name, 0.0)) * 1000 / done, 1) for name in after}


def run(stack: Stack, config: dict[str, Any], work_dir: Path) -> dict[str, Any]:
    count = config["throughput_jobs"]
    results: dict[str, Any] = {
        "jobs": count,
        "case": CASE,
        "cap_seconds": config["throughput_cap_seconds"],
    }
    for workers in (1, 2):
        stack.stop_workers()
        stack.clear_jobs_and_models()
        stack.start_workers(workers)
        warmup = config["throughput_warmup"] * workers
        asyncio.run(burst(stack.base_url, warmup, f"warm{workers}", TIMEOUT_SECONDS))
        before = stack.cpu_seconds()
        result = asyncio.run(
            burst(stack.base_url, count, f"w{workers}", config["throughput_cap_seconds"])
        )
        result["cpu_ms_per_job"] = cpu_ms_per_job(before, stack.cpu_seconds(), result)
        results[f"workers_{workers}"] = result
    results["floor"] = floor_rate(config["floor_fits"], work_dir)
    for workers in (1, 2):
        results[f"workers_{workers}"]["over_floor"] = round(
            results[f"workers_{workers}"]["jobs_per_second"] / results["floor"]["fits_per_second"],
            4,
        )
    return results
