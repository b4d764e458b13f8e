"""No lost jobs: re-queue active jobs the queue no longer knows, settle ones it finished.

A job is recorded in MongoDB before it is queued in Redis. If the API died between the two, or
Redis lost its data, the record would wait forever; this check (at worker start and every
minute) puts such jobs back on the queue. A job arq gave up on without our function settling
it (its retries ran out, say while MongoDB was down) is settled from what is stored: succeeded
with its model if one was published, failed otherwise.

Searches (tuning jobs) are driven by a chain of steps on the queue; should Redis lose the chain,
this check queues a step for each active search (one per search per minute), which takes it up.

Batch prediction jobs and evaluations get the same care (with nothing published to settle
from: a job the queue gave up on ends failed). Dataset versions too: one still `ingesting`
long after its upload whose ingest job the queue has lost is queued again, and one whose job
arq gave up on ends `failed`.

It looks only at jobs that showed no sign of life for JOB_REQUEUE_AFTER_SECONDS: a running
job's worker renews its lease (workers/lease.py), so a job still being fitted is never queued
twice, even when Redis lost its keys.
"""

import logging
from datetime import timedelta
from typing import Any

from arq.connections import ArqRedis
from arq.jobs import JobStatus
from pymongo.asynchronous.database import AsyncDatabase

from app.batch import jobs as batch_jobs
from app.datasets import store
from app.evaluation import store as evaluation_store
from app.storage import MODELS
from app.training import jobs
from app.training.queue import (
    batch_prediction_status,
    enqueue_batch_prediction,
    enqueue_evaluation,
    enqueue_ingest,
    enqueue_training,
    enqueue_tuning_step,
    evaluation_status,
    ingest_status,
    training_status,
)
from app.tuning.store import active_tuning_ids, now
from workers.context import worker_context
from workers.ingest import fail

logger = logging.getLogger(__name__)


async def requeue_lost_jobs(ctx: dict[str, Any]) -> int:
    resources = worker_context(ctx).resources
    db, redis = resources.db, resources.redis
    quiet_for = timedelta(seconds=resources.settings.job_requeue_after_seconds)
    requeued = 0
    for job_id in await jobs.stale_active_jobs(db, quiet_for=quiet_for):
        status = await training_status(redis, job_id)
        if status is JobStatus.not_found:
            if await enqueue_training(redis, job_id):
                logger.warning("job %s was not in the queue; queued it again", job_id)
                requeued += 1
        elif status is JobStatus.complete:  # arq gave up on it: settle from what is stored
            published = await db[MODELS].find_one({"job_id": job_id})
            if published is not None:
                await jobs.mark_succeeded(resources, job_id, published, [])
            else:
                await jobs.mark_failed(
                    resources, job_id, "WorkerLost", "the queue gave up on this job"
                )
    await restart_tunings(db, redis)
    requeued += await requeue_lost_batch_predictions(db, redis, quiet_for=quiet_for)
    requeued += await requeue_lost_evaluations(db, redis, quiet_for=quiet_for)
    return requeued + await requeue_lost_ingests(db, redis, quiet_for=quiet_for)


async def requeue_lost_batch_predictions(
    db: AsyncDatabase, redis: ArqRedis, *, quiet_for: timedelta
) -> int:
    requeued = 0
    for job_id in await batch_jobs.stale_active(db, quiet_for=quiet_for):
        status = await batch_prediction_status(redis, job_id)
        if status is JobStatus.not_found and await enqueue_batch_prediction(redis, job_id):
            logger.warning("batch prediction %s was not in the queue; queued it again", job_id)
            requeued += 1
        elif status is JobStatus.complete:
            await batch_jobs.mark_failed(db, job_id, "WorkerLost", "the queue gave up on this job")
    return requeued


async def requeue_lost_evaluations(
    db: AsyncDatabase, redis: ArqRedis, *, quiet_for: timedelta
) -> int:
    requeued = 0
    for evaluation_id in await evaluation_store.stale_active(db, quiet_for=quiet_for):
        status = await evaluation_status(redis, evaluation_id)
        if status is JobStatus.not_found and await enqueue_evaluation(redis, evaluation_id):
            logger.warning("evaluation %s was not in the queue; queued it again", evaluation_id)
            requeued += 1
        elif status is JobStatus.complete:
            message = "the queue gave up on this evaluation"
            await evaluation_store.mark_failed(db, evaluation_id, "WorkerLost", message)
    return requeued


async def restart_tunings(db: AsyncDatabase, redis: ArqRedis) -> None:
    """A step for each active search, this minute's (so at most one a minute): a search whose
    chain is alive ignores it, one whose chain the queue lost starts again from its trials."""
    minute = int(now().timestamp() // 60)
    for tuning_id in await active_tuning_ids(db):
        await enqueue_tuning_step(redis, tuning_id, reason=f"check:{minute}")


async def requeue_lost_ingests(db: AsyncDatabase, redis: ArqRedis, *, quiet_for: timedelta) -> int:
    """Queue again the ingests the queue lost; fail the ones it gave up on. An ingest ends a
    version once (store.finish), so a second run of a live one only wastes its work."""
    requeued = 0
    for version in await store.stale_ingests(db, older_than=store.now() - quiet_for):
        name, number = version["name"], version["version"]
        status = await ingest_status(redis, name, number)
        if status is JobStatus.not_found and await enqueue_ingest(redis, name, number):
            logger.warning("ingest of %s v%d was not in the queue; queued it again", name, number)
            requeued += 1
        elif status is JobStatus.complete:
            error = {"message": "the worker ingesting this version was lost; upload it again"}
            await fail(db, version, error)
    return requeued
