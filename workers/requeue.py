"""No lost jobs: re-queue active jobs the queue no longer knows, settle ones it finished.

A job is recorded in MongoDB before it is queued in Redis. If the API died between the two, or
Redis lost its data, the record would wait forever; this check (at worker start and every
minute) puts such jobs back on the queue. A job arq gave up on without our function settling
it (its retries ran out, say while MongoDB was down) is settled from what is stored: succeeded
with its model if one was published, failed otherwise.

It looks only at jobs that showed no sign of life for JOB_REQUEUE_AFTER_SECONDS: a running
job's worker renews its lease (workers/lease.py), so a job still being fitted is never queued
twice, even when Redis lost its keys.
"""

import logging
from datetime import timedelta
from typing import Any

from arq.jobs import JobStatus

from app.storage import MODELS
from app.training import jobs
from app.training.queue import enqueue_training, training_status
from workers.context import worker_context

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
                await jobs.mark_succeeded(db, job_id, published, [])
            else:
                await jobs.mark_failed(db, job_id, "WorkerLost", "the queue gave up on this job")
    return requeued
