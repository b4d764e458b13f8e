"""The arq worker: clients in ctx opened on start-up and closed on shut-down, fits in a pool."""

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from arq import Worker, cron, func

from app.config import Settings
from app.indexes import INDEXES
from app.resources import ensure_indexes, open_resources, redis_settings
from workers.pool import FitPool
from workers.requeue import requeue_lost_jobs
from workers.training import train_model

logger = logging.getLogger(__name__)
# Our own timeout (JOB_TIMEOUT_SECONDS) bounds the whole job; arq's is a backstop just above it,
# and a job whose worker died is re-run once arq's in-progress key expires (its timeout + 10 s).
ARQ_TIMEOUT_MARGIN_SECONDS = 5
HEALTH_CHECK_INTERVAL_SECONDS = 10


def make_startup(settings: Settings) -> Callable[[dict[str, Any]], Awaitable[None]]:
    async def startup(ctx: dict[str, Any]) -> None:
        ctx["resources"] = await open_resources(settings)
        ctx["dataset_cache"] = {}  # made here: arq gives each job a copy of ctx
        await ensure_indexes(ctx["resources"].db, INDEXES)
        ctx["pool"] = FitPool(settings.worker_max_jobs, settings.fit_threads)
        await ctx["pool"].warm_up()
        logger.info(
            "worker ready: queue %s, %d concurrent jobs",
            settings.queue_name,
            settings.worker_max_jobs,
        )

    return startup


async def shutdown(ctx: dict[str, Any]) -> None:
    """Close what startup opened; safe to call twice."""
    if pool := ctx.pop("pool", None):
        pool.shutdown()
    if resources := ctx.pop("resources", None):
        await resources.close()


def build_worker(settings: Settings, **overrides: Any) -> Worker:
    """A Worker for these settings; tests pass burst=True, handle_signals=False and the like."""
    train = func(
        train_model,
        name="train_model",
        timeout=settings.job_timeout_seconds + ARQ_TIMEOUT_MARGIN_SECONDS,
        max_tries=settings.job_max_tries + 1,
    )  # the extra try settles the job as failed
    options: dict[str, Any] = {
        "functions": [train],
        "cron_jobs": [cron(requeue_lost_jobs, second={0}, run_at_startup=True, timeout=10)],
        "queue_name": settings.queue_name,
        "redis_settings": redis_settings(settings),
        "on_startup": make_startup(settings),
        "on_shutdown": shutdown,
        "max_jobs": settings.worker_max_jobs,
        "poll_delay": settings.worker_poll_delay_seconds,
        "allow_abort_jobs": True,
        "health_check_interval": HEALTH_CHECK_INTERVAL_SECONDS,
        "keep_result": 3600,
    }
    return Worker(**(options | overrides))
