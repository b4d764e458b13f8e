"""What the events test modules share: the type of the `make_webhook` fixture, and a queued
training job made straight in the store (to drive its states by hand)."""

from collections.abc import Awaitable, Callable
from typing import Any

from app.resources import Resources
from app.training import jobs
from tensorfleet.schemas.training import TrainRequest
from tests.samples import SEED_BODY

MakeWebhook = Callable[..., Awaitable[dict[str, Any]]]  # tests/events' `make_webhook` fixture
MODEL = {
    "_id": "m" * 24,
    "version": 1,
    "metrics": {"test_accuracy": 1.0},
}  # as mark_succeeded reads it


async def queued_job(resources: Resources, job_id: str) -> None:
    request = TrainRequest.model_validate(SEED_BODY | {"job_id": job_id})
    await jobs.insert_job(resources.db, jobs.new_job_document(job_id, request))
