"""Evaluation use cases: submit (checked, recorded, queued), read, list. The router calls only
these; the worker (workers/evaluation.py) runs what they queue."""

import uuid
from typing import Any

from arq.connections import ArqRedis
from pymongo.asynchronous.database import AsyncDatabase
from redis.exceptions import RedisError

from app.config import Settings
from app.datasets import store as store_of_datasets
from app.datasets.service import resolve_labeled
from app.evaluation import store
from app.evaluation.exceptions import EvaluationNotFound
from app.evaluation.schema import check_fit
from app.registry.service import resolve_model
from app.training import queue
from app.training.exceptions import QueueUnavailable, TooManyActiveJobs
from tensorfleet.schemas.evaluation import EvaluationRequest
from tensorfleet.schemas.inference import ModelRef
from tensorfleet.schemas.training import JobStatus


def new_document(
    model: dict[str, Any], dataset: dict[str, Any], request: EvaluationRequest, owner: str
) -> dict[str, Any]:
    thresholds = [
        {"metric": metric, "min": bound.min, "max": bound.max}
        for metric, bound in request.thresholds.items()
    ]
    return {
        "_id": uuid.uuid4().hex,
        "model_id": str(model["_id"]),
        "model_name": model["name"],
        "model_version": model["version"],
        "task": dataset["task"],
        "dataset_name": dataset["name"],
        "dataset_version": dataset["version"],
        "thresholds": thresholds,
        "promote": request.promote,
        "owner": owner,
        "status": JobStatus.queued.value,
        "progress": store.progress("queued"),
        "attempts": 0,
        "created_at": store.now(),
        "started_at": None,
        "finished_at": None,
        "error": None,
        "metrics": None,
        "passed": None,
        "reasons": [],
        "promoted": None,
    }


async def enforce_cap(db: AsyncDatabase, document: dict[str, Any], cap: int) -> None:
    """Withdraw the just-recorded evaluation when its owner now has more than `cap` active
    evaluations (MAX_ACTIVE_JOBS_PER_KEY, counted apart from training jobs)."""
    if cap and await store.count_active(db, document["owner"]) > cap:
        await store.delete_evaluation(db, document["_id"])
        raise TooManyActiveJobs(cap)


async def submit_evaluation(
    *,
    db: AsyncDatabase,
    redis: ArqRedis,
    settings: Settings,
    ref: ModelRef,
    request: EvaluationRequest,
    owner: str,
) -> dict[str, Any]:
    """Resolve the model and the dataset version, check they fit, record, queue. A queue that
    does not answer fails the evaluation (it is never left queued with nothing to run it)."""
    model = await resolve_model(db, ref)
    chosen = await resolve_labeled(db, request.dataset_name, request.dataset_version)
    dataset = await store_of_datasets.get_version(db, chosen["name"], chosen["version"]) or chosen
    check_fit(model, dataset, list(request.thresholds))
    document = new_document(model, dataset, request, owner)
    await store.insert_evaluation(db, document)
    await enforce_cap(db, document, settings.max_active_jobs_per_key)
    try:
        await queue.enqueue_evaluation(redis, document["_id"])
    except (RedisError, OSError) as exc:
        await store.mark_failed(db, document["_id"], "QueueUnavailable", str(exc))
        raise QueueUnavailable(f"the job queue is unavailable ({exc}); submit again") from None
    return document


async def get_evaluation(db: AsyncDatabase, evaluation_id: str) -> dict[str, Any]:
    document = await store.get_evaluation(db, evaluation_id)
    if document is None:
        raise EvaluationNotFound(f"no evaluation with id {evaluation_id!r}")
    return document


async def list_evaluations(
    db: AsyncDatabase, ref: ModelRef, *, limit: int
) -> tuple[list[dict[str, Any]], int]:
    model = await resolve_model(db, ref)
    return await store.list_evaluations(db, str(model["_id"]), limit=limit)
