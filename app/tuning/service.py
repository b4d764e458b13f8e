"""Tuning use cases: validate and submit a search, read, list and cancel searches. The router
and the UI call only these."""

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
from app.training import queue
from app.training.algorithms import ALGORITHMS, algorithms_for
from app.training.bounds import merged_bounds
from app.training.exceptions import InvalidTrainingRequest, QueueUnavailable, TooManyActiveJobs
from app.training.jobs import count_active_jobs, settled
from app.training.service import check_split
from app.training.tasks import Task
from app.tuning import store
from app.tuning.exceptions import TuningAlreadyEnded, TuningNotFound
from app.tuning.metrics import metric_for
from app.tuning.results import best_of, leaderboard, open_trials
from app.tuning.spaces import Space, check_space, default_space
from tensorfleet.schemas.training import JobStatus
from tensorfleet.schemas.tuning import (
    TrialRead,
    TuningList,
    TuningRead,
    TuningRequest,
    TuningSummary,
)

DEFAULT_TRIALS = 20  # a request with neither max_trials nor max_seconds


def chosen_algorithms(request: TuningRequest, task: Task) -> list[str]:
    """The one algorithm asked for (422 when it lacks the task), or all of the task's."""
    if request.algorithm in (None, "auto"):
        if request.space is not None:
            raise InvalidTrainingRequest(
                ("body", "space"),
                "a search space needs one algorithm; with algorithm auto each algorithm "
                "searches its default space (GET /algorithms)",
            )
        return algorithms_for(task)
    ALGORITHMS[request.algorithm].estimator(task)  # UnsupportedTask names those that fit
    return [request.algorithm]


def check_budget(request: TuningRequest, settings: Settings) -> int:
    """The most trials the search may create (422 when the budget passes the maximum)."""
    if request.max_trials is not None and request.max_trials > settings.tuning_max_trials:
        raise InvalidTrainingRequest(
            ("body", "max_trials"),
            f"max_trials {request.max_trials} is above this service's maximum of "
            f"{settings.tuning_max_trials} (TUNING_MAX_TRIALS)",
        )
    if request.max_seconds is not None and request.max_seconds > settings.tuning_max_seconds:
        raise InvalidTrainingRequest(
            ("body", "max_seconds"),
            f"max_seconds {request.max_seconds:g} is above this service's maximum of "
            f"{settings.tuning_max_seconds} (TUNING_MAX_SECONDS)",
        )
    if request.max_trials is not None:
        return request.max_trials
    if request.max_seconds is not None:
        return settings.tuning_max_trials
    return min(DEFAULT_TRIALS, settings.tuning_max_trials)


def check_cv(folds: int, test_size: float, dataset: dict[str, Any]) -> None:
    """Every fold of the training split needs a sample of each class (stratified)."""
    counts = [c["count"] for c in dataset.get("class_counts", [])]
    if not counts:
        counts = [dataset["n_samples"]]
    smallest = math.floor(min(counts) * (1 - test_size))
    if folds > smallest:
        raise InvalidTrainingRequest(
            ("body", "cv"),
            f"cv {folds} is more folds than the smallest class has samples in the training "
            f"split ({smallest}, after holding out test_size {test_size})",
        )


def spaces_for(
    request: TuningRequest, algorithms: list[str], task: Task, settings: Settings
) -> dict[str, Space]:
    if request.space is None:
        return {a: default_space(a, task) for a in algorithms}
    space = {name: d.model_dump(mode="json") for name, d in request.space.items()}
    check_space(algorithms[0], task, space, merged_bounds(settings.hyperparameter_bounds))
    return {algorithms[0]: space}


async def new_tuning(
    db: AsyncDatabase, settings: Settings, request: TuningRequest, owner: str | None
) -> dict[str, Any]:
    """The search's document once every check passed (nothing is stored before)."""
    dataset = await resolve_labeled(db, request.dataset_name, request.dataset_version)
    task = Task(dataset["task"])
    algorithms = chosen_algorithms(request, task)
    metric = metric_for(task, request.metric)
    spaces = spaces_for(request, algorithms, task, settings)
    trial_cap = check_budget(request, settings)
    if task is Task.classification:
        check_split(request.test_size, dataset["n_samples"], len(dataset["classes"]))
        check_cv(request.cv, request.test_size, dataset)
    tuning_id = request.tuning_id or uuid.uuid4().hex
    pinned = request.model_copy(
        update={"dataset_version": dataset["version"], "tuning_id": tuning_id}
    )
    return {
        "_id": tuning_id,
        "owner": owner,
        "status": JobStatus.queued.value,
        "request": pinned.model_dump(mode="json"),
        "task": task.value,
        "metric": metric.name,
        "direction": metric.direction,
        "algorithms": algorithms,
        "spaces": spaces,
        "trial_cap": trial_cap,
        "model_name": request.model_name or f"{request.dataset_name}-tuned",
        "created_at": store.now(),
        "started_at": None,
        "finished_at": None,
        "error": None,
        "model_id": None,
        "model_version": None,
        "metrics": None,
        "holdout_score": None,
    }


async def submit_tuning(
    *, db: AsyncDatabase, redis: ArqRedis, settings: Settings, request: TuningRequest, owner: str
) -> dict[str, Any]:
    """Validate, record the search, queue its first step. A caller with its cap of active
    searches (MAX_ACTIVE_JOBS_PER_KEY, counted apart from training jobs) gets a 429. Should the
    queue fail, the record is withdrawn and the answer is a 503 (a step that still arrives
    finds no search)."""
    document = await new_tuning(db, settings, request, owner)
    await store.insert_tuning(db, document)
    cap = settings.max_active_jobs_per_key
    if cap and await count_active_jobs(db, owner, store.TUNING) > cap:
        await store.delete_tuning(db, document["_id"])
        raise TooManyActiveJobs(cap)
    try:
        await queue.enqueue_tuning_step(redis, document["_id"], reason="start")
    except (RedisError, OSError) as exc:
        await store.delete_tuning(db, document["_id"])
        raise QueueUnavailable(
            f"the job queue did not take tuning job {document['_id']!r} ({exc}); submit it again"
        ) from None
    return document


async def get_tuning(*, db: AsyncDatabase, tuning_id: str) -> dict[str, Any]:
    document = await store.get_tuning(db, tuning_id)
    if document is None:
        raise TuningNotFound(tuning_id)
    return await settled(db, document, store.TUNING)


async def read_tuning(*, db: AsyncDatabase, tuning_id: str) -> TuningRead:
    document = await get_tuning(db=db, tuning_id=tuning_id)
    return tuning_read(document, await store.list_trials(db, tuning_id))


def tuning_read(document: dict[str, Any], trials: list[dict[str, Any]]) -> TuningRead:
    direction = document["direction"]
    best = best_of(trials, direction)
    running = len(open_trials(trials))
    by_time = document["request"].get("max_trials") is None
    left = None if by_time else max(0, document["trial_cap"] - len(trials))
    if document["status"] not in store.ACTIVE:
        left = 0 if left is not None else None
    fields = ("created_at", "started_at", "finished_at", "error", "model_id", "model_version")
    return TuningRead(
        tuning_id=document["_id"],
        status=document["status"],
        request=TuningRequest.model_validate(document["request"]),
        task=document["task"],
        metric=document["metric"],
        direction=direction,
        algorithms=document["algorithms"],
        **{name: document.get(name) for name in fields},
        metrics=document.get("metrics"),
        holdout_score=document.get("holdout_score"),
        trials_done=len(trials) - running,
        trials_running=running,
        trials_left=left,
        best=best,
        cv_score=best.score if best else None,
        trials=[TrialRead.model_validate(t) for t in trials],
        leaderboard=leaderboard(trials, direction),
    )


def tuning_summary(document: dict[str, Any]) -> TuningSummary:
    request = document["request"]
    return TuningSummary(
        tuning_id=document["_id"],
        status=document["status"],
        dataset_name=request["dataset_name"],
        algorithms=document["algorithms"],
        metric=document["metric"],
        strategy=request["strategy"],
        best_score=document.get("holdout_score"),
        model_id=document.get("model_id"),
        created_at=document["created_at"],
        finished_at=document.get("finished_at"),
    )


async def list_tunings(
    *, db: AsyncDatabase, status: JobStatus | None, page: int, limit: int
) -> TuningList:
    items, total = await store.list_tunings(db, status=status, page=page, limit=limit)
    return TuningList(
        items=[tuning_summary(document) for document in items],
        total=total,
        page=page,
        limit=limit,
        pages=page_count(total, limit),
    )


async def cancel_tuning(*, db: AsyncDatabase, redis: ArqRedis, tuning_id: str) -> TuningRead:
    """End the search cancelled, cancel its open trials and abort the running ones."""
    existing = await get_tuning(db=db, tuning_id=tuning_id)
    if existing["status"] not in store.ACTIVE or await store.mark_cancelled(db, tuning_id) is None:
        ended = await get_tuning(db=db, tuning_id=tuning_id)
        raise TuningAlreadyEnded(tuning_id, ended["status"])
    await stop_trials(db, redis, tuning_id, "the search was cancelled")
    return await read_tuning(db=db, tuning_id=tuning_id)


async def stop_trials(db: AsyncDatabase, redis: ArqRedis, tuning_id: str, reason: str) -> None:
    """Cancel the open trials in the store, then ask the queue to abort each (kills its fit)."""
    running = open_trials(await store.list_trials(db, tuning_id))
    await store.cancel_open_trials(db, tuning_id, reason)
    for trial in running:
        with contextlib.suppress(asyncio.TimeoutError, RedisError, OSError):
            job_id = trial.get("job_id") or queue.tuning_trial_job_id(tuning_id, trial["number"])
            await queue.abort_job(redis, job_id)
