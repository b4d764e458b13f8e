"""The end of a search: refit the best configuration on the whole training split, publish it
as a model version (the training job's publish path) and settle the search.

At-least-once like every job: a refit whose model was published already (the worker died
before settling) settles the search from that model; a search cancelled meanwhile gets its
model withdrawn. Its hold-out metrics are the model's, computed as for any training job, and
the search reports its metric's hold-out value beside the best cross-validation score.
"""

import asyncio
import logging
from typing import Any

from pymongo.errors import PyMongoError

from app.drift.publishing import publish_with_reference
from app.events import emit_event
from app.registry.publish import unpublish_model
from app.storage import MODELS
from app.training.fitting import FitResult, fit_normalised
from app.tuning import store
from app.tuning.metrics import METRICS
from app.tuning.results import best_trial
from tensorfleet.schemas.tuning import TrialState
from workers.context import WorkerContext, worker_context
from workers.training import library_versions, load_dataset, uninterrupted
from workers.tuning import fit_spec

logger = logging.getLogger(__name__)


def model_metadata(
    document: dict[str, Any], version: dict[str, Any], best: dict[str, Any], result: FitResult
) -> dict[str, Any]:
    """The model's record, as a training job writes it, linked to its search."""
    return {
        "name": document["model_name"],
        "algorithm": best["algorithm"],
        "hyperparameters": result.hyperparameters,
        "metrics": result.metrics,
        "dataset_name": version["name"],
        "dataset_version": version["version"],
        "dataset_sha256": version["sha256"],
        "features": [column["name"] for column in result.input_schema],
        "classes": result.classes,
        "task": document["task"],
        "target": version["target_column"],
        "input_schema": result.input_schema,
        "preprocessing": document["request"]["preprocessing"],
        "job_id": document["_id"],
        "tuning_job_id": document["_id"],
        "library_versions": library_versions(),
    }


def failure_summary(trials: list[dict[str, Any]]) -> str:
    errors = sorted({t.get("error") or "" for t in trials if t["state"] == TrialState.failed})
    detail = f"; errors: {' | '.join(e for e in errors if e)[:1500]}" if errors else ""
    return f"none of the {len(trials)} trials completed{detail}"


async def tuning_refit(ctx: dict[str, Any], tuning_id: str) -> str:
    """arq entry point: refit, publish and settle the search (once)."""
    worker = worker_context(ctx)
    db = worker.resources.db
    document = await store.get_tuning(db, tuning_id)
    if document is None or document["status"] not in store.ACTIVE:
        return "skipped"
    published = await db[MODELS].find_one({"tuning_job_id": tuning_id})
    if published is not None:
        await settle(worker, document, published)
        return "succeeded"
    trials = await store.list_trials(db, tuning_id)
    best = best_trial(trials, document["direction"])
    if best is None:
        await store.mark_failed(db, tuning_id, "NoTrialCompleted", failure_summary(trials))
        return "failed"
    try:
        async with asyncio.timeout(worker.settings.job_timeout_seconds):
            version, result = await refit(worker, document, best)
    except Exception as exc:
        await store.mark_failed(db, tuning_id, type(exc).__name__, f"refit of the best: {exc}")
        return "failed"
    metadata = model_metadata(document, version, best, result)
    published = publish_and_settle(worker, document, result.payload, metadata, result.reference)
    await uninterrupted(published)
    return "succeeded"


async def refit(
    worker: WorkerContext, document: dict[str, Any], best: dict[str, Any]
) -> tuple[dict[str, Any], FitResult]:
    request = document["request"]
    version, payload = await load_dataset(
        worker, request["dataset_name"], request["dataset_version"]
    )
    spec = fit_spec(document, version, best)
    features, target = version["features"], version["target_column"]
    result: FitResult = await worker.pool.run(fit_normalised, spec, payload, features, target)
    return version, result


async def publish_and_settle(
    worker: WorkerContext,
    document: dict[str, Any],
    payload: bytes,
    metadata: dict[str, Any],
    reference: dict[str, Any] | None = None,
) -> None:
    """Publish the refitted best with its drift reference (app/drift/publishing.py), then
    settle the search."""
    db, bucket = worker.resources.db, worker.resources.gridfs
    redis = worker.resources.redis  # model.published, as for a training job's model
    model = await publish_with_reference(
        db, bucket, payload=payload, metadata=metadata, reference=reference, redis=redis
    )
    await settle(worker, document, model)


async def settle(worker: WorkerContext, document: dict[str, Any], model: dict[str, Any]) -> None:
    """Mark the search succeeded with its model; withdraw the model of a search that ended
    (cancelled) meanwhile."""
    db = worker.resources.db
    holdout = model["metrics"].get(METRICS[document["metric"]].holdout_key)
    ended = await store.mark_succeeded(db, document["_id"], model, holdout)
    if ended is None:
        await unpublish_model(db, worker.resources.gridfs, model)
        return
    logger.info(
        "tuning %s: %s v%d, %s hold-out %s",
        document["_id"],
        model["name"],
        model["version"],
        document["metric"],
        holdout,
    )
    await tuning_succeeded(worker, ended, model)


def event_data(ended: dict[str, Any], model: dict[str, Any], best: dict | None) -> dict:
    """The `tuning.succeeded` payload (docs/tuning.md, Events)."""
    request = ended["request"]
    return {
        "tuning_job_id": ended["_id"],
        "model_id": str(model["_id"]),
        "model_name": model["name"],
        "model_version": model["version"],
        "algorithm": model["algorithm"],
        "hyperparameters": best["params"] if best else {},
        "metric": ended["metric"],
        "cv_score": best["score"] if best else None,
        "holdout_score": ended.get("holdout_score"),
        "dataset_name": request["dataset_name"],
        "dataset_version": request["dataset_version"],
        "finished_at": ended["finished_at"],
    }


async def tuning_succeeded(
    worker: WorkerContext, ended: dict[str, Any], model: dict[str, Any]
) -> None:
    """Tell the webhooks; the search has succeeded whatever they are told (the event is lost
    only if its deliveries cannot be recorded, which is logged)."""
    db = worker.resources.db
    best = best_trial(await store.list_trials(db, ended["_id"]), ended["direction"])
    try:
        await emit_event(
            worker.resources.redis, db, "tuning.succeeded", event_data(ended, model, best)
        )
    except PyMongoError as exc:
        logger.warning("tuning %s: tuning.succeeded not recorded: %s", ended["_id"], exc)
