"""The arq worker's definition: its functions, cron, start-up and shut-down.

Start-up opens the clients and the fit pool into one typed `WorkerContext`; shut-down closes it.
The training function is registered under the queue contract in app/training/queue.py, which
the API enqueues against. `python -m workers` (workers/__main__.py) runs what this builds.
"""

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from arq import Worker, cron
from arq.cron import CronJob
from arq.typing import WorkerCoroutine

from app.batch.files import sweep_prediction_files
from app.config import Settings
from app.datasets.sweep import sweep_dataset_files
from app.resources import ensure_indexes, open_resources, redis_settings
from app.storage import INDEXES
from app.training.queue import (
    arq_timeout_seconds,
    batch_prediction_function,
    delivery_function,
    evaluation_function,
    ingest_function,
    training_function,
    tuning_functions,
)
from workers.batch import batch_predict
from workers.context import CONTEXT_KEY, WorkerContext, worker_context
from workers.drift import check_drift
from workers.evaluation import evaluate_model
from workers.health import health_key
from workers.ingest import ingest_dataset
from workers.polling import PromptWorker
from workers.pool import FitPool, default_threads_per_fit
from workers.requeue import requeue_lost_jobs
from workers.training import train_model
from workers.tuning import tuning_step, tuning_trial
from workers.tuning_refit import tuning_refit
from workers.webhooks import deliver_webhook, sweep_deliveries

logger = logging.getLogger(__name__)
HEALTH_CHECK_INTERVAL_SECONDS = 10
SWEEP_MINUTES = set(range(0, 60, 10))
# Hourly: the prediction sweep's distinct over the chunks reads every chunk on FerretDB v1.24
# (an index-only scan on MongoDB), and what it removes is an hour old at least anyway.
PREDICTION_SWEEP_MINUTES = {15}
DRIFT_CHECK_TIMEOUT_SECONDS = 600


def make_startup(settings: Settings) -> Callable[[dict[str, Any]], Awaitable[None]]:
    async def startup(ctx: dict[str, Any]) -> None:
        resources = await open_resources(settings)
        try:
            await ensure_indexes(resources.db, INDEXES)
        except BaseException:
            await resources.close()
            raise
        threads = settings.fit_threads or default_threads_per_fit(
            settings.worker_max_jobs, settings.worker_cpus
        )
        pool = FitPool(settings.worker_max_jobs, threads, settings.fit_memory_limit_mb)
        ctx[CONTEXT_KEY] = WorkerContext(resources, pool)  # before start: shutdown closes it
        await pool.start()
        logger.info(
            "worker ready: queue %s, %d concurrent jobs",
            settings.queue_name,
            settings.worker_max_jobs,
        )

    return startup


async def shutdown(ctx: dict[str, Any]) -> None:
    """Close what startup opened; safe to call twice."""
    context: WorkerContext | None = ctx.pop(CONTEXT_KEY, None)
    if context is not None:
        await context.close()


async def sweep_datasets(ctx: dict[str, Any]) -> int:
    """Remove what crashed uploads and ingests left behind (app/datasets/sweep.py)."""
    resources = worker_context(ctx).resources
    grace = resources.settings.orphan_grace_seconds
    return await sweep_dataset_files(resources.db, grace_seconds=grace)


async def sweep_predictions(ctx: dict[str, Any]) -> int:
    """Remove what batch predictions that did not succeed left in GridFS (app/batch/files.py)."""
    resources = worker_context(ctx).resources
    grace = resources.settings.orphan_grace_seconds
    return await sweep_prediction_files(resources.db, grace_seconds=grace)


def capped_cron(
    coroutine: WorkerCoroutine, settings: Settings, *, timeout: int, **when: Any
) -> CronJob:
    """A cron job whose timeout never passes the jobs' own. arq re-runs a job whose worker died
    once its in-progress key expires, and sets that expiry from the LARGEST timeout of all its
    functions, crons included: a 600 s cron made a lost training job wait ten minutes."""
    return cron(coroutine, timeout=min(timeout, arq_timeout_seconds(settings)), **when)


def drift_cron(settings: Settings) -> list[CronJob]:
    """The drift check at minutes divisible by DRIFT_CHECK_MINUTES (none when 0)."""
    every = settings.drift_check_minutes
    if not every:
        return []
    minutes = set(range(0, 60, every))
    timeout = DRIFT_CHECK_TIMEOUT_SECONDS
    return [capped_cron(check_drift, settings, minute=minutes, second={15}, timeout=timeout)]


def build_worker(settings: Settings, **overrides: Any) -> Worker:
    """A Worker for these settings; tests pass burst=True, handle_signals=False and the like."""
    options: dict[str, Any] = {
        "functions": [
            training_function(train_model, settings),
            ingest_function(ingest_dataset, settings),
            delivery_function(deliver_webhook, settings),
            *tuning_functions(tuning_step, tuning_trial, tuning_refit, settings),
            batch_prediction_function(batch_predict, settings),
            evaluation_function(evaluate_model, settings),
        ],
        "cron_jobs": [
            capped_cron(requeue_lost_jobs, settings, second={0}, run_at_startup=True, timeout=10),
            capped_cron(sweep_deliveries, settings, second={30}, timeout=30),
            capped_cron(
                sweep_predictions,
                settings,
                minute=PREDICTION_SWEEP_MINUTES,
                second={45},
                timeout=120,
            ),
            capped_cron(sweep_datasets, settings, minute=SWEEP_MINUTES, second={50}, timeout=60),
            *drift_cron(settings),
        ],
        "queue_name": settings.queue_name,
        "redis_settings": redis_settings(settings),
        "on_startup": make_startup(settings),
        "on_shutdown": shutdown,
        "max_jobs": settings.worker_max_jobs,
        "poll_delay": settings.worker_poll_delay_seconds,
        "allow_abort_jobs": True,
        "health_check_interval": HEALTH_CHECK_INTERVAL_SECONDS,
        "health_check_key": health_key(settings.queue_name),
        "keep_result": 3600,
    }
    return PromptWorker(**(options | overrides))
