"""The training queue's contract, owned here and imported by both the API and the worker.

The API queues a job under the function name the worker registers, with the job id as arq's
job id (so a second enqueue of a live job is refused), and aborts it by that id; the worker
registers the function with the retry count and timeout below. Change any of them here and
both sides change together.
"""

from collections.abc import Callable, Coroutine
from datetime import datetime, timedelta
from typing import Any

from arq import func
from arq.connections import ArqRedis
from arq.jobs import Job, JobStatus
from arq.worker import Function

from app.config import Settings

TRAIN_FUNCTION = "train_model"
INGEST_FUNCTION = "ingest_dataset"
DELIVER_FUNCTION = "deliver_webhook"
# A delivery's own tries are counted in its document (WEBHOOK_MAX_ATTEMPTS); arq also counts
# the short waits for an earlier delivery to the same webhook, so its bound is only a backstop.
DELIVERY_ARQ_MAX_TRIES = 500
# Our own timeout (JOB_TIMEOUT_SECONDS) bounds the whole job; arq's is a backstop just above it,
# and a job whose worker died is re-run once arq's in-progress key expires (its timeout + 10 s).
ARQ_TIMEOUT_MARGIN_SECONDS = 5
ENQUEUE_CLOCK_SLACK = timedelta(seconds=1)  # two API replicas' clocks may differ a little


async def enqueue_training(redis: ArqRedis, job_id: str) -> bool:
    """Queue the job; False when the queue still holds a job of that id (an earlier life)."""
    return await redis.enqueue_job(TRAIN_FUNCTION, job_id, _job_id=job_id) is not None


def ingest_job_id(name: str, version: int) -> str:
    return f"ingest:{name}:{version}"


async def enqueue_ingest(redis: ArqRedis, name: str, version: int) -> bool:
    """Queue the ingest of a dataset version (one job per version); False when queued already."""
    job_id = ingest_job_id(name, version)
    return await redis.enqueue_job(INGEST_FUNCTION, name, version, _job_id=job_id) is not None


async def enqueue_delivery(redis: ArqRedis, delivery_id: str) -> bool:
    """Queue a webhook delivery (app/events); False when the queue holds it already."""
    job = await redis.enqueue_job(DELIVER_FUNCTION, delivery_id, _job_id=delivery_id)
    return job is not None


def _queued_job(redis: ArqRedis, job_id: str) -> Job:
    # On the pool's own queue (QUEUE_NAME): arq's Job defaults to "arq:queue", where a job
    # queued on any other queue always looks not found.
    return Job(job_id, redis, _queue_name=redis.default_queue_name)


async def enqueued_since(redis: ArqRedis, job_id: str, since: datetime) -> bool:
    """Whether the queue's job of this id was enqueued at `since` or later: ours, whose reply
    was lost and which redis-py then sent again (finding it there), not one of an earlier life.
    Both times come from the API's clock (arq stamps the enqueue on the client side)."""
    info = await _queued_job(redis, job_id).info()
    return info is not None and info.enqueue_time >= since - ENQUEUE_CLOCK_SLACK


async def abort_training(redis: ArqRedis, job_id: str) -> None:
    """Ask the worker running the job to stop it; returns at once (no wait for the answer)."""
    await _queued_job(redis, job_id).abort(timeout=0)


async def training_status(redis: ArqRedis, job_id: str) -> JobStatus:
    """What the queue knows of the job: queued, in progress, complete or not found."""
    return await _queued_job(redis, job_id).status()


async def ingest_status(redis: ArqRedis, name: str, version: int) -> JobStatus:
    """What the queue knows of a dataset version's ingest job."""
    return await _queued_job(redis, ingest_job_id(name, version)).status()


def arq_timeout_seconds(settings: Settings) -> int:
    return settings.job_timeout_seconds + ARQ_TIMEOUT_MARGIN_SECONDS


def arq_max_tries(settings: Settings) -> int:
    """JOB_MAX_TRIES attempts, and one more that only settles the job as failed (WorkerLost)."""
    return settings.job_max_tries + 1


def training_function(
    coroutine: Callable[..., Coroutine[Any, Any, Any]], settings: Settings
) -> Function:
    """The worker's registration of the training job under this contract."""
    return func(
        coroutine,
        name=TRAIN_FUNCTION,
        timeout=arq_timeout_seconds(settings),
        max_tries=arq_max_tries(settings),
    )


def ingest_function(
    coroutine: Callable[..., Coroutine[Any, Any, Any]], settings: Settings
) -> Function:
    """The worker's registration of the dataset ingest job: the same timeout as training, and
    JOB_MAX_TRIES attempts (a version whose worker kept dying stays `ingesting`)."""
    return func(
        coroutine,
        name=INGEST_FUNCTION,
        timeout=arq_timeout_seconds(settings),
        max_tries=settings.job_max_tries,
    )


def delivery_function(
    coroutine: Callable[..., Coroutine[Any, Any, Any]], settings: Settings
) -> Function:
    """The worker's registration of a webhook delivery: one try is a name lookup and a POST,
    each bounded by WEBHOOK_TIMEOUT_SECONDS."""
    return func(
        coroutine,
        name=DELIVER_FUNCTION,
        timeout=int(settings.webhook_timeout_seconds * 4) + ARQ_TIMEOUT_MARGIN_SECONDS,
        max_tries=DELIVERY_ARQ_MAX_TRIES,
    )
