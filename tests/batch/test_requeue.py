"""No lost batch prediction: the workers' minute check queues again one the queue lost, fails
one the queue gave up on, and the job itself ends failed once its attempts ran out; an ended
job is left alone (at-least-once, ended once); a job whose model was deleted since it was
submitted ends failed, naming it."""

from datetime import timedelta
from typing import Any

from arq.jobs import JobStatus

from app.batch import jobs
from app.config import Settings
from app.resources import Resources
from app.training import queue
from tensorfleet.schemas.batch import BatchPredictRequest
from tests.support import run_burst
from workers.batch import batch_predict
from workers.requeue import requeue_lost_jobs

MODEL = {"_id": "6650a1b2c3d4e5f6a7b8c9d0", "name": "churn", "version": 1}
REQUEST = BatchPredictRequest(dataset_name="customers", dataset_version=1)


async def an_active_job(resources: Resources, job_id: str, *, age_seconds: float) -> None:
    document = jobs.new_document(job_id, MODEL, REQUEST, 600, None)
    document["created_at"] -= timedelta(seconds=age_seconds)
    await jobs.insert(resources.db, document)


async def test_a_stale_job_the_queue_lost_is_queued_again(
    ctx: dict[str, Any], resources: Resources, settings: Settings
) -> None:
    await an_active_job(resources, "lost", age_seconds=settings.job_requeue_after_seconds + 1)
    await an_active_job(resources, "young", age_seconds=0)  # its enqueue may be on its way
    assert await requeue_lost_jobs(ctx) == 1
    assert await queue.batch_prediction_status(resources.redis, "lost") == JobStatus.queued
    assert await queue.batch_prediction_status(resources.redis, "young") == JobStatus.not_found


async def test_a_job_the_queue_gave_up_on_ends_failed(
    ctx: dict[str, Any], resources: Resources, settings: Settings
) -> None:
    # arq holds a result for the id (a run that found no job) while the record is active.
    assert await queue.enqueue_batch_prediction(resources.redis, "given_up")
    await run_burst(settings)
    await an_active_job(resources, "given_up", age_seconds=settings.job_requeue_after_seconds + 1)
    await requeue_lost_jobs(ctx)
    job = await jobs.get(resources.db, "given_up")
    assert job is not None and job["status"] == "failed"
    assert job["error"] == {"type": "WorkerLost", "message": "the queue gave up on this job"}


async def test_the_attempt_after_the_last_ends_the_job_and_an_ended_job_is_left_alone(
    ctx: dict[str, Any], resources: Resources, settings: Settings
) -> None:
    await an_active_job(resources, "crashing", age_seconds=0)
    last = settings.job_max_tries + 1
    assert await batch_predict(ctx | {"job_try": last}, "crashing") == "skipped"
    job = await jobs.get(resources.db, "crashing")
    assert job is not None and job["status"] == "failed"
    assert job["error"]["type"] == "WorkerLost"
    await an_active_job(resources, "cancelled", age_seconds=0)
    assert await jobs.mark_cancelled(resources.db, "cancelled") is not None
    assert await batch_predict(ctx | {"job_try": 1}, "cancelled") == "skipped"
    assert await jobs.mark_failed(resources.db, "cancelled", "Late", "a late writer") is None
    job = await jobs.get(resources.db, "cancelled")
    assert job is not None and job["status"] == "cancelled" and job["attempts"] == 0


async def test_a_model_deleted_after_submission_fails_the_job_naming_it(
    ctx: dict[str, Any], resources: Resources
) -> None:
    await an_active_job(resources, "orphaned", age_seconds=0)  # its model is not in the store
    assert await batch_predict(ctx | {"job_try": 1}, "orphaned") == "failed"
    job = await jobs.get(resources.db, "orphaned")
    assert job is not None and (job["status"], job["file_id"]) == ("failed", None)
    assert job["error"]["type"] == "ModelNotFound" and MODEL["_id"] in job["error"]["message"]
