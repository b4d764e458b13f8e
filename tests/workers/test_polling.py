"""A worker takes its next queued job as soon as one of its jobs ends, not at its next poll
(workers/polling.py): with a poll delay far longer than the wait below, the second of two
queued jobs on a one-slot worker runs only if the end of the first wakes the worker. And the
queue tells a job that waits for a slot from one a worker runs (`job_waiting`, which the step
after a tuning trial asks before it waits for the worker's next fit)."""

import asyncio
from typing import Any

from arq import create_pool
from arq.jobs import Job, JobStatus

from app.resources import redis_settings
from app.training.queue import job_waiting
from tests.support import SettingsFactory, wait_for
from workers.polling import PromptWorker

POLL_DELAY_SECONDS = 120.0  # a worker that waited for its next poll would not run job two


async def quick(ctx: dict[str, Any], n: int) -> int:
    return n


RELEASE = asyncio.Event()


async def held(ctx: dict[str, Any]) -> None:
    await RELEASE.wait()


def one_slot_worker(settings: Any, *functions: Any) -> PromptWorker:
    return PromptWorker(
        functions=list(functions),
        queue_name=settings.queue_name,
        redis_settings=redis_settings(settings),
        max_jobs=1,
        poll_delay=POLL_DELAY_SECONDS,
        handle_signals=False,
    )


async def test_a_one_slot_worker_runs_queued_jobs_back_to_back(
    settings_factory: SettingsFactory,
) -> None:
    settings = settings_factory()
    pool = await create_pool(redis_settings(settings), default_queue_name=settings.queue_name)
    jobs: list[Job] = [j for n in (1, 2) if (j := await pool.enqueue_job("quick", n)) is not None]
    worker = one_slot_worker(settings, quick)
    task = asyncio.create_task(worker.main())
    try:
        results = [await job.result(timeout=30, poll_delay=0.05) for job in jobs]
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await worker.close()
        await pool.aclose()
    assert results == [1, 2]


async def test_the_queue_tells_a_job_waiting_for_a_slot_from_one_running(
    settings_factory: SettingsFactory,
) -> None:
    settings = settings_factory()
    pool = await create_pool(redis_settings(settings), default_queue_name=settings.queue_name)
    empty = await job_waiting(pool)
    job = await pool.enqueue_job("held")
    assert job is not None
    waiting = await job_waiting(pool)
    worker = one_slot_worker(settings, held)
    task = asyncio.create_task(worker.main())
    try:

        async def started() -> bool:
            return await job.status() == JobStatus.in_progress

        await wait_for(started, 30, interval=0.02)
        running = await job_waiting(pool)
        RELEASE.set()
        await job.result(timeout=30, poll_delay=0.05)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await worker.close()
        await pool.aclose()
    assert (empty, waiting, running) == (False, True, False)
