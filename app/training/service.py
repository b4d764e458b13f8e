"""Training use cases: validate and submit a job, read, list and cancel jobs, describe the
algorithms. The router calls only these; it never reaches into jobs itself."""

import asyncio
import contextlib
import math
import uuid
from typing import Any

from arq.connections import ArqRedis
from pymongo.asynchronous.database import AsyncDatabase
from redis.exceptions import RedisError

from app.config import Settings
from app.datasets.service import resolve_labeled
from app.paging import page_count
from app.training import jobs, queue
from app.training.algorithms import (
    ALGORITHMS,
    Algorithm,
    check_hyperparameters,
    hyperparameter_table,
)
from app.training.bounds import SERVICE_OWNED, AlgorithmBounds, check_cost, merged_bounds
from app.training.exceptions import (
    InvalidTrainingRequest,
    JobAlreadyEnded,
    JobAlreadyExists,
    JobNotFound,
    QueueUnavailable,
    TooManyActiveJobs,
)
from app.training.tasks import Task
from app.tuning.spaces import default_space
from tensorfleet.schemas.training import (
    AlgorithmRead,
    AlgorithmTask,
    HyperparameterRead,
    JobList,
    JobRead,
    JobStatus,
    TrainRequest,
)


def check_split(test_size: float, n_samples: int, n_classes: int) -> None:
    """A stratified split needs at least one sample of each class on both sides."""
    n_test = math.ceil(test_size * n_samples)
    if n_test < n_classes or n_samples - n_test < n_classes:
        raise InvalidTrainingRequest(
            ("body", "test_size"),
            f"test_size {test_size} leaves {n_test} test and {n_samples - n_test} training "
            f"samples; both need at least {n_classes} (one per class) for this dataset",
        )


def check_folds(folds: int | None, dataset: dict[str, Any]) -> None:
    """Each of `folds` folds needs a sample of every class (stratified) or one sample at all."""
    if folds is None:
        return
    counts = [c["count"] for c in dataset.get("class_counts", [])]
    smallest = min(counts, default=dataset["n_samples"])
    if folds > smallest:
        raise InvalidTrainingRequest(
            ("body", "cv"),
            f"cv {folds} needs at least {folds} samples of each class; this dataset's "
            f"smallest class has {smallest}",
        )


async def validate_request(
    *, db: AsyncDatabase, settings: Settings, request: TrainRequest
) -> dict[str, Any]:
    """The dataset version the request trains on, once every check passed."""
    dataset = await resolve_labeled(db, request.dataset_name, request.dataset_version)
    task = Task(dataset["task"])
    algorithm = ALGORITHMS[request.algorithm]
    # The cost bounds are the algorithm's, whatever the task: checked first, as cheapest.
    check_cost(
        request.algorithm, request.hyperparameters, merged_bounds(settings.hyperparameter_bounds)
    )
    algorithm.estimator(task)  # UnsupportedTask names the algorithms that fit
    check_hyperparameters(algorithm, request.hyperparameters, task)
    if task is Task.classification:
        check_split(request.test_size, dataset["n_samples"], len(dataset["classes"]))
    check_folds(request.cv, dataset)
    return dataset


async def submit_training_job(
    *, db: AsyncDatabase, redis: ArqRedis, settings: Settings, request: TrainRequest, owner: str
) -> dict[str, Any]:
    """Validate, record the job, check the owner's quota, queue it. Nothing is recorded when a
    check fails.

    Should queueing fail, Redis may still have stored the job (a reply lost, a timeout), so the
    record stays, marked unconfirmed, and the answer is a 503: the client's retry with the same
    job_id and body queues it (a second enqueue of a stored job is harmless) and gets its 202.
    """
    dataset = await validate_request(db=db, settings=settings, request=request)
    job_id = request.job_id or uuid.uuid4().hex
    # The version validated is the version trained on, even if a newer one is ready meanwhile.
    pinned = request.model_copy(update={"dataset_version": dataset["version"]})
    document = jobs.new_job_document(job_id, pinned, owner)
    try:
        await jobs.insert_job(db, document)
    except JobAlreadyExists:
        document = await unconfirmed_submission(db, document)
    else:
        await enforce_active_job_cap(db=db, cap=settings.max_active_jobs_per_key, job=document)
    try:
        ours = await queue.enqueue_training(redis, job_id) or await was_ours(redis, document)
    except (RedisError, OSError) as exc:
        await jobs.set_enqueue_unconfirmed(db, job_id, True)
        raise QueueUnavailable(
            f"the job queue did not confirm job {job_id!r} ({exc}); it may run: submit it again "
            "with the same job_id to make sure"
        ) from None
    if document.get(jobs.UNCONFIRMED):
        await jobs.set_enqueue_unconfirmed(db, job_id, False)
    elif not ours:  # the queue holds a job of that id from an earlier life
        await jobs.delete_job(db, job_id)
        raise JobAlreadyExists(job_id)
    return document


async def enforce_active_job_cap(*, db: AsyncDatabase, cap: int, job: dict[str, Any]) -> None:
    """Withdraw the just-recorded job when its owner now has more than `cap` active jobs.

    Counted after our own insert, so concurrent submissions each see the others: under a race
    both may be refused, never both accepted beyond the cap.
    """
    if cap and await jobs.count_active_jobs(db, job["owner"]) > cap:
        await jobs.delete_job(db, job["_id"])
        raise TooManyActiveJobs(cap)


async def was_ours(redis: ArqRedis, document: dict[str, Any]) -> bool:
    """Whether the job the queue already holds under this id is this one: a repeated submission
    of an unconfirmed job, or an enqueue redis-py sent again after losing its reply."""
    if document.get(jobs.UNCONFIRMED):
        return True
    return await queue.enqueued_since(redis, document["_id"], document["created_at"])


async def unconfirmed_submission(db: AsyncDatabase, document: dict[str, Any]) -> dict[str, Any]:
    """The stored job this submission repeats, if its first submission got a 503 (the same id,
    the same request); any other job of that id is a 409."""
    stored = await jobs.get_job(db, document["_id"])
    if (
        stored is None
        or not stored.get(jobs.UNCONFIRMED)
        or stored["request"] != document["request"]
    ):
        raise JobAlreadyExists(document["_id"])
    return stored


async def get_job(*, db: AsyncDatabase, job_id: str) -> dict[str, Any]:
    document = await jobs.get_job(db, job_id)
    if document is None:
        raise JobNotFound(job_id)
    return document


async def cancel_job(*, db: AsyncDatabase, redis: ArqRedis, job_id: str) -> dict[str, Any]:
    """Cancel a queued job at once; ask the worker to abort a running one."""
    existing = await get_job(db=db, job_id=job_id)
    if existing["status"] not in jobs.ACTIVE:  # also a job that ended before job_endings existed
        raise JobAlreadyEnded(job_id, existing["status"])
    cancelled = await jobs.mark_cancelled(jobs.StorePair(db, redis), job_id)
    if cancelled is None:  # it ended between our read and our claim
        ended = await get_job(db=db, job_id=job_id)
        raise JobAlreadyEnded(job_id, ended["status"])
    with contextlib.suppress(asyncio.TimeoutError, RedisError, OSError):
        await queue.abort_training(redis, job_id)
    return cancelled


async def list_jobs(
    *, db: AsyncDatabase, status: JobStatus | None, page: int, limit: int
) -> JobList:
    """One page of jobs, newest first, optionally of one status."""
    items, total = await jobs.list_jobs(db, status=status, page=page, limit=limit)
    return JobList(
        items=[JobRead.from_document(document) for document in items],
        total=total,
        page=page,
        limit=limit,
        pages=page_count(total, limit),
    )


def describe_algorithm(algorithm: Algorithm, bounds: AlgorithmBounds) -> AlgorithmRead:
    """The algorithm's tasks, and per task its estimator and hyperparameters; the top-level
    estimator and hyperparameters are those of its first task, as before tasks."""
    by_task = {
        task: AlgorithmTask(
            estimator=algorithm.estimator_path(task),
            hyperparameters=_settable(hyperparameter_table(algorithm, task), bounds),
            search_space=default_space(algorithm.name, task),
        )
        for task in algorithm.tasks
    }
    first = by_task[algorithm.tasks[0]]
    return AlgorithmRead(
        name=algorithm.name,
        tasks=algorithm.tasks,
        estimator=first.estimator,
        description=algorithm.description,
        hyperparameters=first.hyperparameters,
        by_task=by_task,
        search_space=first.search_space,
    )


def list_algorithms(settings: Settings) -> list[AlgorithmRead]:
    """Every algorithm with its tasks and the hyperparameters a request may set: scikit-learn's
    constraints beside this service's cost bounds; the service-owned ones (n_jobs, verbose)
    left out."""
    bounds = merged_bounds(settings.hyperparameter_bounds)
    return [describe_algorithm(a, bounds.get(name, {})) for name, a in ALGORITHMS.items()]


def _settable(table: list[dict[str, Any]], bounds: AlgorithmBounds) -> list[HyperparameterRead]:
    return [
        HyperparameterRead(**row, bounds=bounds.get(row["name"]))
        for row in table
        if row["name"] not in SERVICE_OWNED
    ]
