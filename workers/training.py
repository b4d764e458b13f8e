"""The arq job that trains a model: load data, fit off the event loop, publish, record.

Jobs are at-least-once (arq re-runs a job whose worker died), so each step is idempotent: a job
that already ended is left alone, and a job whose model was already published is just marked
succeeded.
"""

import asyncio
import logging
import time
from collections.abc import Awaitable, Coroutine
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any, TypeVar

from arq import Retry
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import ConnectionFailure, ExecutionTimeout

from app.config import Settings
from app.datasets import store
from app.drift.publishing import publish_with_reference
from app.explanations.insights import store_insights
from app.explanations.training import ImportanceOptions
from app.registry.publish import unpublish_model
from app.storage import MODELS
from app.training import jobs
from app.training.fitting import FitResult, FitSpec, fit_normalised, library_versions
from app.training.pipeline import Preprocessing
from app.training.tasks import Task
from tensorfleet.schemas.training import JobStatus, TrainRequest
from workers.context import WorkerContext, job_attempt, worker_context
from workers.lease import holding_lease
from workers.metrics import MODEL_ACCURACY, record_outcome

logger = logging.getLogger(__name__)
DATASET_CACHE_SIZE = 16
# The store unreachable or too slow to answer: what it did with the last write is unknown.
STORE_UNAVAILABLE = (ConnectionFailure, ExecutionTimeout)
STORE_RETRY_SECONDS = 10
T = TypeVar("T")


class Outcome(StrEnum):
    """How one run of the job function ended (the `outcome` label of the worker's metrics)."""

    succeeded = "succeeded"
    failed = "failed"
    cancelled = "cancelled"  # while it fitted: the fitted model is withdrawn
    skipped = "skipped"  # nothing to do: the job is gone or had ended already
    interrupted = "interrupted"  # aborted, or the worker stopped: arq queues it again


class DatasetGone(RuntimeError):
    pass


@dataclass(frozen=True, slots=True)
class StoredJob:
    """A job document as the worker reads it: its request parsed once into its schema."""

    id: str
    request: TrainRequest

    @classmethod
    def from_document(cls, document: dict[str, Any]) -> "StoredJob":
        return cls(document["_id"], TrainRequest.model_validate(document["request"]))


async def find_version(db: AsyncDatabase, name: str, version: int | None) -> dict[str, Any]:
    """The version the job pinned (a job queued before versions: the latest ready one)."""
    if version is None:
        document = await store.latest_ready(db, name)
    else:
        document = await store.get_version(db, name, version)
    if document is None or document["status"] != "ready":
        raise DatasetGone(f"dataset {name!r} version {version} no longer exists")
    return document


async def load_dataset(
    worker: WorkerContext, name: str, version: int | None
) -> tuple[dict[str, Any], bytes]:
    """The version's document and its normalised copy, cached per file."""
    document = await find_version(worker.resources.db, name, version)
    return document, await normalised_copy(worker, document)


async def normalised_copy(worker: WorkerContext, document: dict[str, Any]) -> bytes:
    """A ready version's normalised copy (Parquet bytes), read once per worker and file."""
    cache = worker.dataset_cache
    key = str(document["normalised_file_id"])
    if key not in cache:
        if len(cache) >= DATASET_CACHE_SIZE:
            cache.pop(next(iter(cache)))
        chunks = store.file_chunks(worker.resources.db, document["normalised_file_id"])
        cache[key] = b"".join([chunk async for chunk in chunks])
    return cache[key]


async def fit(
    worker: WorkerContext, spec: FitSpec, document: dict[str, Any], payload: bytes
) -> FitResult:
    """Parse and fit in the pool process: the worker's event loop parses nothing."""
    features, target = document["features"], document["target_column"]
    result: FitResult = await worker.pool.run(fit_normalised, spec, payload, features, target)
    return result


def feature_types(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {"name": c["name"], "type": c["type"]} for c in document["columns"] if not c["excluded"]
    ]


def importance_options(request: TrainRequest, settings: Settings) -> ImportanceOptions:
    seconds = settings.importance_seconds if request.importances else 0.0
    return ImportanceOptions(seconds, settings.importance_max_columns, request.random_state)


def fit_spec(request: TrainRequest, document: dict[str, Any], settings: Settings) -> FitSpec:
    """What to fit: the job's request and the dataset version's task and feature types."""
    return FitSpec(
        request.algorithm,
        request.hyperparameters,
        request.test_size,
        request.random_state,
        task=Task(document["task"]),
        columns=feature_types(document),
        preprocessing=Preprocessing(**request.preprocessing.model_dump()),
        cv=request.cv,
        importances=importance_options(request, settings),
    )


def headline(task: Task) -> str:
    """The metric a gauge and the log show: accuracy for a classifier, R² for a regressor."""
    return "test_accuracy" if task is Task.classification else "test_r2"


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


def model_metadata(
    job: StoredJob, result: FitResult, spec: FitSpec, document: dict[str, Any]
) -> dict[str, Any]:
    """The model's record: what it is, what it takes and predicts, and which data made it."""
    return {
        "name": job.request.model_name,
        "algorithm": job.request.algorithm,
        "hyperparameters": result.hyperparameters,
        "metrics": result.metrics,
        "dataset_name": job.request.dataset_name,
        "dataset_version": document["version"],
        "dataset_sha256": document["sha256"],
        "features": [column["name"] for column in result.input_schema],
        "classes": result.classes,
        "task": spec.task.value,
        "target": document["target_column"],
        "input_schema": result.input_schema,
        "preprocessing": asdict(spec.preprocessing),
        "job_id": job.id,
        "library_versions": library_versions(),
        "importances": result.importances,
    }


@dataclass(frozen=True, slots=True)
class Fitted:
    """What a fit made, with what it was made from: the spec and the dataset version."""

    spec: FitSpec
    document: dict[str, Any]
    result: FitResult


async def load_and_fit(worker: WorkerContext, job: StoredJob) -> Fitted:
    """The fit's result and what it came from; cancelling this kills the fit's process."""
    request = job.request
    document, payload = await load_dataset(worker, request.dataset_name, request.dataset_version)
    spec = fit_spec(request, document, worker.settings)
    fitting = fit(worker, spec, document, payload)
    result = await alongside(jobs.set_stage(worker.resources, job.id, "fitting"), fitting)
    return Fitted(spec, document, result)


async def publish_and_settle(worker: WorkerContext, job: StoredJob, fitted: Fitted) -> Outcome:
    """Publish the model and mark the job succeeded; a job cancelled meanwhile gets its model
    withdrawn. Should the store fail here, the job is tried again later (arq Retry): whether the
    model was stored is unknown, and the next attempt settles the job from what is stored."""
    db, request = worker.resources.db, job.request
    spec, document, result = fitted.spec, fitted.document, fitted.result
    publishing = publish_with_reference(
        db,
        worker.resources.gridfs,
        payload=result.payload,
        metadata=model_metadata(job, result, spec, document),
        redis=worker.resources.redis,
        reference=result.reference,
    )
    try:
        model = await alongside(jobs.set_stage(worker.resources, job.id, "saving"), publishing)
        await store_insights(db, model["_id"], result.insights)
        if await jobs.mark_succeeded(worker.resources, job.id, model, result.warnings) is None:
            await unpublish_model(db, worker.resources.gridfs, model)  # cancelled meanwhile
            return Outcome.cancelled
    except STORE_UNAVAILABLE as exc:
        raise store_retry(job.id, exc) from exc
    score = result.metrics.get(headline(spec.task))
    if spec.task is Task.classification and score is not None:
        MODEL_ACCURACY.labels(algorithm=request.algorithm, dataset=request.dataset_name).set(score)
    logger.info(
        "job %s: %s v%d %s=%s", job.id, model["name"], model["version"], headline(spec.task), score
    )
    return Outcome.succeeded


def store_retry(job_id: str, exc: BaseException) -> Retry:
    logger.warning("job %s: the store failed (%s); trying the job again later", job_id, exc)
    return Retry(defer=STORE_RETRY_SECONDS)


async def uninterrupted(step: Awaitable[T]) -> T:
    """Run `step` to its end even when the job is cancelled meanwhile (a cancel, a shutdown),
    then let the cancellation go on: publishing and settling is short, and cut in half it
    would leave a model of a cancelled job or a job without its model."""
    task = asyncio.ensure_future(step)
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        await asyncio.gather(task, return_exceptions=True)
        raise


async def finish_unfinished(worker: WorkerContext, job_id: str, attempt: int) -> Outcome | None:
    """Settle a job that needs no fit: gone, ended, already published, or out of attempts."""
    db = worker.resources.db
    job = await jobs.get_job(db, job_id)
    if job is None or job["status"] not in jobs.ACTIVE:
        if job is not None and job["status"] != JobStatus.succeeded and job["attempts"]:
            await withdraw_models(worker, job_id)  # a worker died between publish and settle
        return Outcome.skipped
    # Only an attempt that started can have published (and the lookup is not by _id).
    published = await db[MODELS].find_one({"job_id": job_id}) if job["attempts"] else None
    if published is not None:
        await jobs.mark_succeeded(worker.resources, job_id, published, job.get("warnings", []))
        return Outcome.succeeded
    if attempt > worker.settings.job_max_tries:
        await jobs.mark_failed(
            worker.resources,
            job_id,
            "WorkerLost",
            f"the worker stopped during each of {attempt - 1} attempts",
        )
        return Outcome.failed
    return None


async def withdraw_models(worker: WorkerContext, job_id: str) -> None:
    """Remove what a job that did not succeed published: an ended job has at most its one
    model, and only when it succeeded."""
    db = worker.resources.db
    async for model in db[MODELS].find({"job_id": job_id}, {"_id": 1, "file_id": 1}):
        await unpublish_model(db, worker.resources.gridfs, model)


async def attempt_training(worker: WorkerContext, job: StoredJob) -> Outcome:
    """Fit within JOB_TIMEOUT_SECONDS (at the limit its process is killed), then publish."""
    timeout = worker.settings.job_timeout_seconds
    try:
        async with asyncio.timeout(timeout):
            fitted = await load_and_fit(worker, job)
        return await uninterrupted(publish_and_settle(worker, job, fitted))
    except Retry:
        raise
    except TimeoutError:
        await record_failure(worker, job.id, "JobTimeout", f"training took longer than {timeout}s")
    except Exception as exc:
        logger.info("job %s failed: %s: %s", job.id, type(exc).__name__, exc)
        await record_failure(worker, job.id, type(exc).__name__, str(exc))
    return Outcome.failed


async def record_failure(worker: WorkerContext, job_id: str, error_type: str, message: str) -> None:
    """Mark the job failed; with the store down, try the job again later rather than leave it
    `running` with no worker on it."""
    try:
        await jobs.mark_failed(worker.resources, job_id, error_type, message)
    except STORE_UNAVAILABLE as exc:
        raise store_retry(job_id, exc) from exc


async def train_model(ctx: dict[str, Any], job_id: str) -> str:
    """arq entry point: train the job's model and record how it ended (the outcome's name)."""
    worker, attempt = worker_context(ctx), job_attempt(ctx)
    settled = await finish_unfinished(worker, job_id, attempt)
    if settled is not None:
        return settled.value
    document = await jobs.mark_running(
        worker.resources,
        job_id,
        attempt,
        lease_seconds=worker.settings.job_requeue_after_seconds,
    )
    if document is None:
        return Outcome.skipped.value
    job = StoredJob.from_document(document)
    # Cancellation of this coroutine is either an abort (the API marked the job cancelled
    # already) or a worker shutting down (arq queues the job again): nothing to record here.
    started, outcome = time.perf_counter(), Outcome.interrupted
    try:
        async with holding_lease(worker, job.id):
            outcome = await attempt_training(worker, job)
    finally:
        record_outcome(job.request.algorithm, outcome, time.perf_counter() - started)
    return outcome.value
