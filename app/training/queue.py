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
from arq.constants import in_progress_key_prefix
from arq.jobs import Job, JobStatus
from arq.utils import timestamp_ms
from arq.worker import Function

from app.config import Settings

TRAIN_FUNCTION = "train_model"
INGEST_FUNCTION = "ingest_dataset"
EVALUATE_FUNCTION = "evaluate_model"
DELIVER_FUNCTION = "deliver_webhook"
# A delivery's own tries are counted in its document (WEBHOOK_MAX_ATTEMPTS); arq also counts
# the short waits for an earlier delivery to the same webhook, so its bound is only a backstop.
DELIVERY_ARQ_MAX_TRIES = 500
TUNING_STEP_FUNCTION = "tuning_step"
TUNING_TRIAL_FUNCTION = "tuning_trial"
TUNING_REFIT_FUNCTION = "tuning_refit"
# A tuning step only reads and writes a few documents and queues jobs: it never waits.
TUNING_STEP_TIMEOUT_SECONDS = 60
TUNING_STEP_MAX_TRIES = 20
BATCH_PREDICT_FUNCTION = "batch_predict"
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


def batch_job_id(job_id: str) -> str:
    """The queue's id of a batch prediction job: its own namespace beside training job ids."""
    return f"batch:{job_id}"


async def enqueue_batch_prediction(redis: ArqRedis, job_id: str) -> bool:
    """Queue a batch prediction job; False when the queue still holds it."""
    queued = await redis.enqueue_job(BATCH_PREDICT_FUNCTION, job_id, _job_id=batch_job_id(job_id))
    return queued is not None


async def abort_batch_prediction(redis: ArqRedis, job_id: str) -> None:
    await _queued_job(redis, batch_job_id(job_id)).abort(timeout=0)


async def batch_prediction_status(redis: ArqRedis, job_id: str) -> JobStatus:
    return await _queued_job(redis, batch_job_id(job_id)).status()


def evaluation_job_id(evaluation_id: str) -> str:
    return f"evaluate:{evaluation_id}"


async def enqueue_evaluation(redis: ArqRedis, evaluation_id: str) -> bool:
    """Queue an evaluation (one job per evaluation id); False when queued already."""
    job_id = evaluation_job_id(evaluation_id)
    return await redis.enqueue_job(EVALUATE_FUNCTION, evaluation_id, _job_id=job_id) is not None


async def evaluation_status(redis: ArqRedis, evaluation_id: str) -> JobStatus:
    return await _queued_job(redis, evaluation_job_id(evaluation_id)).status()


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


# --- tuning: a search is a chain of short steps, its trials and its refit are jobs of their own


def tuning_trial_job_id(tuning_id: str, number: int, run: int = 0) -> str:
    """A trial's first job; a trial whose worker died is queued again as run 1, 2, ...: arq
    re-runs a dead worker's job only once its in-progress key expires (after the largest
    function timeout of the worker, crons included), and a search need not wait that long."""
    return f"tune:{tuning_id}:trial:{number}" + (f":{run}" if run else "")


async def enqueue_tuning_step(
    redis: ArqRedis, tuning_id: str, *, reason: str, defer_seconds: float | None = None
) -> bool:
    """Queue a step of the search; `reason` makes its id (`start`, `after:<n>`, `beat:<slot>`),
    so a step asked for twice for the same reason runs once."""
    return (
        await redis.enqueue_job(
            TUNING_STEP_FUNCTION,
            tuning_id,
            _job_id=f"tune:{tuning_id}:step:{reason}",
            _defer_by=defer_seconds,
        )
        is not None
    )


async def enqueue_tuning_trial(redis: ArqRedis, tuning_id: str, number: int, run: int = 0) -> bool:
    """Queue a trial (its `run`); harmless when that job is queued, running or done already."""
    job_id = tuning_trial_job_id(tuning_id, number, run)
    return (
        await redis.enqueue_job(TUNING_TRIAL_FUNCTION, tuning_id, number, _job_id=job_id)
        is not None
    )


async def enqueue_tuning_refit(redis: ArqRedis, tuning_id: str) -> bool:
    job_id = f"tune:{tuning_id}:refit"
    return await redis.enqueue_job(TUNING_REFIT_FUNCTION, tuning_id, _job_id=job_id) is not None


# How far down the queue `job_waiting` looks: arq's own read of the queue at each poll.
QUEUE_READ_LIMIT = 100


async def job_waiting(redis: ArqRedis) -> bool:
    """Whether the queue holds a job due now that no worker runs yet: one the next free slot
    takes. A job stays in arq's queue while it runs, marked by its in-progress key, so the
    queue's due jobs are read as arq's poll reads them (its first 100), then each is checked,
    in one transaction, to be still queued and not in progress: a job that ended between the
    two reads (its key and its place in the queue go together) is neither."""
    queue_name = redis.default_queue_name
    due = await redis.zrangebyscore(
        queue_name, min="-inf", max=timestamp_ms(), start=0, num=QUEUE_READ_LIMIT
    )
    if not due:
        return False
    async with redis.pipeline(transaction=True) as pipe:
        for job_id in due:
            pipe.exists(in_progress_key_prefix + job_id.decode())
            pipe.zscore(queue_name, job_id)
        replies = await pipe.execute()
    states = zip(replies[::2], replies[1::2], strict=True)
    return any(not running and score is not None for running, score in states)


async def abort_job(redis: ArqRedis, job_id: str) -> None:
    """Ask the worker running this queue job to stop it (a fit's process is killed)."""
    await _queued_job(redis, job_id).abort(timeout=0)


def tuning_functions(
    step: Callable[..., Coroutine[Any, Any, Any]],
    trial: Callable[..., Coroutine[Any, Any, Any]],
    refit: Callable[..., Coroutine[Any, Any, Any]],
    settings: Settings,
) -> list[Function]:
    """The worker's registrations of a search's jobs: steps are short and idempotent (many
    tries); a trial and the refit fit, under the training job's timeout and tries."""
    return [
        func(
            step,
            name=TUNING_STEP_FUNCTION,
            # Never above the fits' own: arq re-runs a dead worker's jobs only after its
            # largest function timeout (+ 10 s), so a longer step would delay every job.
            timeout=min(TUNING_STEP_TIMEOUT_SECONDS, arq_timeout_seconds(settings)),
            max_tries=TUNING_STEP_MAX_TRIES,
        ),
        func(
            trial,
            name=TUNING_TRIAL_FUNCTION,
            timeout=arq_timeout_seconds(settings),
            max_tries=arq_max_tries(settings),
        ),
        func(
            refit,
            name=TUNING_REFIT_FUNCTION,
            timeout=arq_timeout_seconds(settings),
            max_tries=arq_max_tries(settings),
        ),
    ]


def batch_prediction_function(
    coroutine: Callable[..., Coroutine[Any, Any, Any]], settings: Settings
) -> Function:
    """The worker's registration of the batch prediction job: as training, JOB_MAX_TRIES
    attempts and one more that settles the job as failed (WorkerLost)."""
    return func(
        coroutine,
        name=BATCH_PREDICT_FUNCTION,
        timeout=arq_timeout_seconds(settings),
        max_tries=arq_max_tries(settings),
    )


def evaluation_function(
    coroutine: Callable[..., Coroutine[Any, Any, Any]], settings: Settings
) -> Function:
    """The worker's registration of the evaluation job: training's timeout and attempts, the
    last of which only settles an evaluation whose worker kept dying as failed (WorkerLost)."""
    return func(
        coroutine,
        name=EVALUATE_FUNCTION,
        timeout=arq_timeout_seconds(settings),
        max_tries=arq_max_tries(settings),
    )
