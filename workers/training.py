"""The arq job that trains a model: load data, fit off the event loop, publish, record.

Jobs are at-least-once (arq re-runs a job whose worker died), so each step is idempotent: a job
that already ended is left alone, and a job whose model was already published is just marked
succeeded.
"""

import asyncio
import logging
import time
from collections.abc import Awaitable, Coroutine
from typing import Any, TypeVar

from app.registry.publish import MODELS, publish_model, unpublish_model
from app.resources import Resources
from app.training import jobs
from app.training.datasets import Dataset, get_dataset_document, read_dataset
from app.training.fitting import FitResult, FitSpec, fit_and_evaluate, library_versions
from workers.metrics import MODEL_ACCURACY, record_outcome
from workers.pool import FitPool

logger = logging.getLogger(__name__)
DATASET_CACHE_SIZE = 16
T = TypeVar("T")


class DatasetGone(RuntimeError):
    pass


async def load_dataset(ctx: dict[str, Any], name: str) -> tuple[dict[str, Any], Dataset]:
    """The dataset's document and data; the data is cached per content hash."""
    resources: Resources = ctx["resources"]
    document = await get_dataset_document(resources.db, name)
    if document is None:
        raise DatasetGone(f"dataset {name!r} no longer exists")
    cache: dict[str, Dataset] = ctx["dataset_cache"]
    if document["sha256"] not in cache:
        if len(cache) >= DATASET_CACHE_SIZE:
            cache.pop(next(iter(cache)))
        cache[document["sha256"]] = await read_dataset(resources.db, document)
    return document, cache[document["sha256"]]


async def fit(ctx: dict[str, Any], spec: FitSpec, dataset: Dataset) -> FitResult:
    pool: FitPool = ctx["pool"]
    return await pool.run(fit_and_evaluate, spec, dataset.X, dataset.y)


async def alongside(side: Coroutine[Any, Any, Any], main: Awaitable[T]) -> T:
    """Await `main` while `side`, a progress write, goes on beside it, then wait for `side`:
    the write costs no time of its own. Should `main` fail, `side` is cancelled; a progress
    write touches only `progress`, so one cut short leaves the job's state intact."""
    side_task = asyncio.create_task(side)
    try:
        result = await main
    except BaseException:
        side_task.cancel()
        await asyncio.gather(side_task, return_exceptions=True)
        raise
    await side_task
    return result


def model_metadata(job: dict[str, Any], result: FitResult, features: list[str]) -> dict[str, Any]:
    request = job["request"]
    return {
        "name": request["model_name"],
        "algorithm": request["algorithm"],
        "hyperparameters": result.hyperparameters,
        "metrics": result.metrics,
        "dataset_name": request["dataset_name"],
        "features": features,
        "classes": result.classes,
        "job_id": job["_id"],
        "library_versions": library_versions(),
    }


async def run_training(ctx: dict[str, Any], job: dict[str, Any]) -> str:
    resources: Resources = ctx["resources"]
    db, job_id, request = resources.db, job["_id"], job["request"]
    document, dataset = await load_dataset(ctx, request["dataset_name"])
    spec = FitSpec(
        request["algorithm"],
        request["hyperparameters"],
        request["test_size"],
        request["random_state"],
    )
    result = await alongside(jobs.set_stage(db, job_id, "fitting"), fit(ctx, spec, dataset))
    publishing = publish_model(
        db,
        resources.gridfs,
        payload=result.payload,
        metadata=model_metadata(job, result, document["features"]),
    )
    model = await alongside(jobs.set_stage(db, job_id, "saving"), publishing)
    if await jobs.mark_succeeded(db, job_id, model, result.warnings) is None:
        await unpublish_model(db, resources.gridfs, model)  # cancelled while we fitted
        return "cancelled"
    MODEL_ACCURACY.labels(algorithm=request["algorithm"], dataset=request["dataset_name"]).set(
        result.metrics["test_accuracy"]
    )
    logger.info(
        "job %s: %s v%d test_accuracy=%.4f",
        job_id,
        model["name"],
        model["version"],
        result.metrics["test_accuracy"],
    )
    return "succeeded"


async def finish_unfinished(ctx: dict[str, Any], job_id: str) -> str | None:
    """Settle a job that needs no fit: gone, ended, already published, or out of attempts."""
    resources: Resources = ctx["resources"]
    db, attempt = resources.db, ctx["job_try"]
    job = await jobs.get_job(db, job_id)
    if job is None or job["status"] not in jobs.ACTIVE:
        return "skipped"
    # Only an attempt that started can have published (and the lookup is not by _id).
    published = await db[MODELS].find_one({"job_id": job_id}) if job["attempts"] else None
    if published is not None:
        await jobs.mark_succeeded(db, job_id, published, job.get("warnings", []))
        return "succeeded"
    if attempt > resources.settings.job_max_tries:
        await jobs.mark_failed(
            db, job_id, "WorkerLost", f"the worker stopped during each of {attempt - 1} attempts"
        )
        return "failed"
    return None


async def attempt_training(ctx: dict[str, Any], job: dict[str, Any]) -> str:
    resources: Resources = ctx["resources"]
    db, job_id = resources.db, job["_id"]
    timeout = resources.settings.job_timeout_seconds
    try:
        async with asyncio.timeout(timeout):
            return await run_training(ctx, job)
    except TimeoutError:
        await jobs.mark_failed(db, job_id, "JobTimeout", f"training took longer than {timeout}s")
    except Exception as exc:
        logger.info("job %s failed: %s: %s", job_id, type(exc).__name__, exc)
        await jobs.mark_failed(db, job_id, type(exc).__name__, str(exc))
    return "failed"


async def train_model(ctx: dict[str, Any], job_id: str) -> str:
    """arq entry point: train the job's model and record how it ended."""
    settled = await finish_unfinished(ctx, job_id)
    if settled is not None:
        return settled
    job = await jobs.mark_running(ctx["resources"].db, job_id, ctx["job_try"])
    if job is None:
        return "skipped"
    # Cancellation of this coroutine is either an abort (the API marked the job cancelled
    # already) or a worker shutting down (arq queues the job again): nothing to record here.
    started, outcome = time.perf_counter(), "interrupted"
    try:
        outcome = await attempt_training(ctx, job)
    finally:
        record_outcome(job["request"]["algorithm"], outcome, time.perf_counter() - started)
    return outcome
