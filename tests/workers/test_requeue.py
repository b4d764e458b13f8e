"""The lost-job check, branch by branch: what it does with an active job the queue has lost,
still holds, or has finished without the job recording an end."""

from datetime import timedelta
from typing import Any

from arq.jobs import JobStatus

from app.config import Settings
from app.registry.publish import publish_model
from app.resources import Resources
from app.training import jobs, queue
from tensorfleet.schemas.training import TrainRequest
from tests.samples import iris_model_bytes, model_metadata
from tests.support import run_burst
from workers.requeue import requeue_lost_jobs

IRIS_TREE = TrainRequest(dataset_name="iris", algorithm="decision_tree", model_name="tree")


async def an_active_job(resources: Resources, job_id: str, *, age_seconds: float) -> None:
    document = jobs.new_job_document(job_id, IRIS_TREE)
    document["created_at"] -= timedelta(seconds=age_seconds)
    await jobs.insert_job(resources.db, document)


async def status_of(resources: Resources, job_id: str) -> tuple[str, JobStatus]:
    job = await jobs.get_job(resources.db, job_id)
    assert job is not None
    return job["status"], await queue.training_status(resources.redis, job_id)


async def test_a_stale_job_missing_from_the_queue_is_queued_again(
    ctx: dict[str, Any], resources: Resources, settings: Settings
) -> None:
    await an_active_job(resources, "missing", age_seconds=settings.job_requeue_after_seconds + 1)
    assert await requeue_lost_jobs(ctx) == 1
    assert await status_of(resources, "missing") == ("queued", JobStatus.queued)


async def test_a_recent_job_missing_from_the_queue_is_left_for_its_enqueue(
    ctx: dict[str, Any], resources: Resources, settings: Settings
) -> None:
    """The API records a job just before queueing it: a young job may be on its way."""
    await an_active_job(resources, "young", age_seconds=0)
    assert await requeue_lost_jobs(ctx) == 0
    assert await status_of(resources, "young") == ("queued", JobStatus.not_found)


async def test_a_stale_job_still_in_the_queue_is_left_alone(
    ctx: dict[str, Any], resources: Resources, settings: Settings
) -> None:
    await an_active_job(resources, "waiting", age_seconds=settings.job_requeue_after_seconds + 1)
    assert await queue.enqueue_training(resources.redis, "waiting")
    assert await requeue_lost_jobs(ctx) == 0
    assert await status_of(resources, "waiting") == ("queued", JobStatus.queued)


async def test_a_job_the_queue_finished_without_an_end_is_marked_worker_lost(
    ctx: dict[str, Any], resources: Resources, settings: Settings
) -> None:
    # arq holds a result for the id (here: a run that found no job to train) while the record
    # still says running, as when arq gave up on the job after its last try.
    assert await queue.enqueue_training(resources.redis, "given_up")
    await run_burst(settings)
    await an_active_job(resources, "given_up", age_seconds=settings.job_requeue_after_seconds + 1)
    assert await requeue_lost_jobs(ctx) == 0
    job = await jobs.get_job(resources.db, "given_up")
    assert job is not None and job["status"] == "failed"
    assert job["error"] == {"type": "WorkerLost", "message": "the queue gave up on this job"}


async def a_running_job(resources: Resources, job_id: str, *, lease_seconds: float) -> None:
    """A job created long ago that a worker marked running under a lease of `lease_seconds`
    (negative: a lease that lapsed), and that the queue has lost (Redis lost its keys)."""
    await an_active_job(resources, job_id, age_seconds=3600)
    assert await jobs.mark_running(resources, job_id, 1, lease_seconds=lease_seconds)


async def test_a_running_job_whose_lease_is_renewed_is_never_queued_twice(
    ctx: dict[str, Any], resources: Resources
) -> None:
    """Old, and unknown to the queue, but its worker is alive: going by age queued it again."""
    await a_running_job(resources, "still_fitting", lease_seconds=60)
    assert await requeue_lost_jobs(ctx) == 0
    assert await status_of(resources, "still_fitting") == ("running", JobStatus.not_found)


async def test_a_running_job_whose_lease_lapsed_is_queued_again(
    ctx: dict[str, Any], resources: Resources
) -> None:
    await a_running_job(resources, "worker_gone", lease_seconds=-1)
    assert await requeue_lost_jobs(ctx) == 1
    assert await status_of(resources, "worker_gone") == ("running", JobStatus.queued)


async def test_a_job_the_queue_gave_up_on_after_publishing_ends_with_its_model(
    ctx: dict[str, Any], resources: Resources, settings: Settings
) -> None:
    """arq ran out of tries while MongoDB was down after the model was stored: the check ends
    the job succeeded with that model, not failed beside it."""
    assert await queue.enqueue_training(resources.redis, "published")
    await run_burst(settings)
    await a_running_job(resources, "published", lease_seconds=-1)
    metadata = model_metadata(name="tree") | {"job_id": "published"}
    model = await publish_model(
        resources.db, resources.gridfs, payload=iris_model_bytes(), metadata=metadata
    )
    assert await requeue_lost_jobs(ctx) == 0
    job = await jobs.get_job(resources.db, "published")
    assert job is not None
    assert (job["status"], job["model_id"]) == ("succeeded", str(model["_id"]))
