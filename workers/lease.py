"""A running job's lease: a live worker's sign that it is still on the job.

The requeue check (workers/requeue.py) looks only at active jobs that showed no sign of life
for JOB_REQUEUE_AFTER_SECONDS. A worker renews the lease of each job it runs every third of
that, so a job that is still being fitted is never queued a second time (which going by its
creation time did, once Redis had lost the job's keys), while the lease of a job whose worker
died lapses and the check takes the job up.
"""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from pymongo.errors import PyMongoError

from app.training import jobs
from workers.context import WorkerContext

logger = logging.getLogger(__name__)


async def renew_forever(worker: WorkerContext, job_id: str, kind: jobs.JobKind) -> None:
    seconds = worker.settings.job_requeue_after_seconds
    while True:
        await asyncio.sleep(seconds / 3)
        try:
            await jobs.renew_lease(worker.resources.db, job_id, seconds, kind)
        except PyMongoError as exc:  # the next renewal makes up for a missed one
            logger.warning("job %s: could not renew its lease: %s", job_id, exc)


@contextlib.asynccontextmanager
async def holding_lease(
    worker: WorkerContext, job_id: str, kind: jobs.JobKind = jobs.TRAINING
) -> AsyncIterator[None]:
    """Renew the job's lease (taken when it was marked running) while the block runs."""
    renewing = asyncio.create_task(renew_forever(worker, job_id, kind))
    try:
        yield
    finally:
        renewing.cancel()
        await asyncio.gather(renewing, return_exceptions=True)
