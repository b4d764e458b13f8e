"""No lost evaluation: the workers' lost-job check queues again an active evaluation the queue
no longer knows (Redis lost it, or the API stopped between record and enqueue), leaves a young
one to its enqueue, and ends failed one the queue gave up on."""

from datetime import timedelta
from typing import Any

from arq.jobs import JobStatus

from app.config import Settings
from app.evaluation import store
from app.evaluation.service import new_document
from app.resources import Resources
from app.training import queue
from tensorfleet.schemas.evaluation import EvaluationRequest
from tests.support import run_burst
from workers.requeue import requeue_lost_jobs

MODEL = {"_id": "m", "name": "gate", "version": 1}
DATASET = {"name": "signals", "version": 1, "task": "classification"}


async def an_evaluation(resources: Resources, age_seconds: float, at: str | None = None) -> str:
    document = new_document(MODEL, DATASET, EvaluationRequest(dataset_name="signals"), "ip:x")
    document["created_at"] -= timedelta(seconds=age_seconds)
    document["_id"] = at or document["_id"]
    await store.insert_evaluation(resources.db, document)
    return str(document["_id"])


async def test_a_lost_evaluation_is_queued_again_and_a_young_one_left_alone(
    ctx: dict[str, Any], resources: Resources, settings: Settings
) -> None:
    lost = await an_evaluation(resources, settings.job_requeue_after_seconds + 1)
    young = await an_evaluation(resources, 0)
    await requeue_lost_jobs(ctx)
    assert await queue.evaluation_status(resources.redis, lost) is JobStatus.queued
    assert await queue.evaluation_status(resources.redis, young) is JobStatus.not_found
    await requeue_lost_jobs(ctx)  # a second check finds it queued: nothing more
    assert await queue.evaluation_status(resources.redis, lost) is JobStatus.queued


async def test_one_the_queue_gave_up_on_ends_failed(
    ctx: dict[str, Any], resources: Resources, settings: Settings
) -> None:
    # arq holds a result for the id (a run that found nothing to evaluate) while the record
    # says queued, as when arq gave up on the job after its last try.
    assert await queue.enqueue_evaluation(resources.redis, "given-up")
    await run_burst(settings)
    await an_evaluation(resources, settings.job_requeue_after_seconds + 1, "given-up")
    await requeue_lost_jobs(ctx)
    ended = await store.get_evaluation(resources.db, "given-up")
    assert ended is not None and ended["status"] == "failed"
    assert ended["error"]["type"] == "WorkerLost"
