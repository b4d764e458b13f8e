"""No lost jobs: re-queue active jobs the queue no longer knows, settle ones it finished.

A job is recorded in MongoDB before it is queued in Redis. If the API died between the two, or
Redis lost its data, the record would wait forever; this check (at worker start and every
minute) puts such jobs back on the queue. A job arq gave up on without our function settling
it (its retries ran out) is marked failed.
"""

import logging
from datetime import timedelta
from typing import Any

from arq.jobs import JobStatus

from app.training import jobs
from app.training.queue import enqueue_training, training_status
from workers.context import worker_context

logger = logging.getLogger(__name__)


async def requeue_lost_jobs(ctx: dict[str, Any]) -> int:
    resources = worker_context(ctx).resources
    db, redis = resources.db, resources.redis
    older_than = jobs.now() - timedelta(seconds=resources.settings.job_requeue_after_seconds)
    requeued = 0
    for job_id in await jobs.stale_active_jobs(db, older_than=older_than):
        status = await training_status(redis, job_id)
        if status is JobStatus.not_found:
            if await enqueue_training(redis, job_id):
                logger.warning("job %s was not in the queue; queued it again", job_id)
                requeued += 1
        elif status is JobStatus.complete:
            await jobs.mark_failed(db, job_id, "WorkerLost", "the queue gave up on this job")
    return requeued
