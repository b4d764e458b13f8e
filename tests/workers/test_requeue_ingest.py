"""The lost-job check for dataset ingests: a version left `ingesting` because the queue lost its
job is ingested after all, and one whose job the queue gave up on ends `failed` with its upload
removed, so no version waits forever."""

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

from arq.constants import job_key_prefix
from arq.jobs import JobStatus

from app.datasets import store
from app.datasets.reading import limits_from
from app.datasets.service import upload_dataset
from app.resources import Resources
from app.storage import DATASET_BUCKET, DATASET_VERSIONS
from app.training import queue
from tests.support import run_burst
from workers.requeue import requeue_lost_jobs

CSV = b"x,colour,label\n" + b"".join(
    f"{i},{'red' if i % 3 else 'blue'},{'yes' if i % 2 else 'no'}\n".encode() for i in range(40)
)


async def chunks() -> AsyncIterator[bytes]:
    yield CSV


async def an_old_upload(resources: Resources, name: str) -> dict[str, Any]:
    """A version uploaded long ago whose ingest job Redis then lost."""
    version, created = await upload_dataset(
        db=resources.db,
        redis=resources.redis,
        name=name,
        target="label",
        task=None,
        description="",
        chunks=chunks(),
        max_bytes=1 << 20,
        limits=limits_from(resources.settings),
    )
    assert created
    await resources.redis.delete(job_key_prefix + queue.ingest_job_id(name, version["version"]))
    await resources.redis.zrem(
        resources.settings.queue_name, queue.ingest_job_id(name, version["version"])
    )
    long_ago = version["created_at"] - timedelta(hours=1)
    await resources.db[DATASET_VERSIONS].update_one(
        {"_id": version["_id"]}, {"$set": {"created_at": long_ago}}
    )
    return version


async def test_an_ingest_the_queue_lost_is_queued_again_and_ends_ready(
    ctx: dict[str, Any], resources: Resources
) -> None:
    version = await an_old_upload(resources, "lost")
    status = await queue.ingest_status(resources.redis, "lost", version["version"])
    assert status is JobStatus.not_found
    assert await requeue_lost_jobs(ctx) == 1
    await run_burst(resources.settings)
    stored = await store.get_version(resources.db, "lost", version["version"])
    assert stored is not None and stored["status"] == "ready", stored


async def test_an_ingest_the_queue_gave_up_on_ends_failed_without_its_upload(
    ctx: dict[str, Any], resources: Resources
) -> None:
    version = await an_old_upload(resources, "abandoned")
    # arq holds a result for the id while the version still says ingesting, as after the last
    # try of a worker that kept dying: here a run that found a version of another name.
    job_id = queue.ingest_job_id("abandoned", version["version"])
    await resources.redis.enqueue_job(queue.INGEST_FUNCTION, "nobody", 1, _job_id=job_id)
    await run_burst(resources.settings)
    status = await queue.ingest_status(resources.redis, "abandoned", version["version"])
    assert status is JobStatus.complete
    assert await requeue_lost_jobs(ctx) == 0
    stored = await store.get_version(resources.db, "abandoned", version["version"])
    assert stored is not None and stored["status"] == "failed", stored
    assert "lost" in stored["error"]["message"] and stored["file_id"] is None
    uploads = resources.db[f"{DATASET_BUCKET}.files"]
    assert await uploads.count_documents({"_id": version["file_id"]}) == 0
