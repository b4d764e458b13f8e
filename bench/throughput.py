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
POLL_SECONDS = 0.05
TIMEOUT_SECONDS = 600.0


async def succeeded_total(client: httpx.AsyncClient) -> tuple[int, int]:
    done = (await client.get("/jobs", params={"status": "succeeded", "limit": 1})).json()
    failed = (await client.get("/jobs", params={"status": "failed", "limit": 1})).json()
    return done["total"], failed["total"]


async def submit_all(client: httpx.AsyncClient, count: int, tag: str) -> None:
    gate = asyncio.Semaphore(SUBMIT_CONCURRENCY)

    async def submit(number: int) -> None:
        async with gate:
            body = train_body(CASE, f"throughput-{tag}-{number % 50}")
            (await client.post("/train", json=body)).raise_for_status()

    await asyncio.gather(*(submit(n) for n in range(count)))


async def wait_until(client: httpx.AsyncClient, target: int, failed_before: int) -> None:
    deadline = time.monotonic() + TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        done, failed = await succeeded_total(client)
        if failed > failed_before:
            raise RuntimeError(f"{failed - failed_before} throughput jobs failed")
        if done >= target:
            return
        await asyncio.sleep(POLL_SECONDS)
    raise RuntimeError(f"throughput jobs did not finish within {TIMEOUT_SECONDS}s")


async def burst(base_url: str, count: int, tag: str) -> dict[str, float]:
    limits = httpx.Limits(max_connections=SUBMIT_CONCURRENCY + 2)
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=60) as client:
        done_before, failed_before = await succeeded_total(client)
        started = time.perf_counter()
        await submit_all(client, count, tag)
        submitted = time.perf_counter() - started
        await wait_until(client, done_before + count, failed_before)
        elapsed = time.perf_counter() - started
    return {
        "jobs": count,
        "seconds": round(elapsed, 3),
        "submit_seconds": round(submitted, 3),
        "jobs_per_second": round(count / elapsed, 2),
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


def run(stack: Stack, config: dict[str, Any], work_dir: Path) -> dict[str, Any]:
    count = config["throughput_jobs"]
    results: dict[str, Any] = {"jobs": count, "case": CASE}
    for workers in (1, 2):
        stack.stop_workers()
        stack.start_workers(workers)
        asyncio.run(burst(stack.base_url, config["throughput_warmup"] * workers, f"warm{workers}"))
        results[f"workers_{workers}"] = asyncio.run(burst(stack.base_url, count, f"w{workers}"))
    results["floor"] = floor_rate(config["floor_fits"], work_dir)
    for workers in (1, 2):
        results[f"workers_{workers}"]["over_floor"] = round(
            results[f"workers_{workers}"]["jobs_per_second"] / results["floor"]["fits_per_second"],
            4,
        )
    return results
