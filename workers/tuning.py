"""The arq jobs of a search: short steps that drive it, its trials, and the refit of the best.

Why steps and not one long parent job: a parent that waited for its trials would hold a worker
slot while they queue behind it; with WORKER_MAX_JOBS=1 on every replica, the trials could never
run (a deadlock). So a search is driven by steps, each a few reads and writes that never wait:
a step records the search as running, asks Optuna for trials until TUNING_MAX_IN_FLIGHT are
open, queues each as a job, and either queues the refit (budget spent, no trial open) or queues
the next step. A trial that ends takes a step itself, beside the next job (as a job of its own,
`after:<n>`, only should that fail), so the next trial is asked for without delay and the
worker's slot goes straight to the trial already queued (the step waits until that trial's fit
runs, see `step_after`); a heartbeat step every
TUNING_HEARTBEAT_SECONDS (`beat:<slot>`, one per slot) checks the time budget and recovers
trials the queue lost (also those whose step was lost with its worker). Steps may run twice or
side by side: a trial's number is unique, so a second step never adds a trial twice.

Every job here is at-least-once and idempotent, like a training job: a trial that ended is not
run again, and a refit whose model was published settles the search from it.
"""

import asyncio
import contextlib
import logging
import math
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

from pymongo.errors import PyMongoError

from app.training import queue
from app.training.fitting import FitSpec
from app.training.pipeline import Preprocessing
from app.training.tasks import Task
from app.tuning import store
from app.tuning.results import open_trials
from app.tuning.sampling import Plan, propose
from app.tuning.service import stop_trials
from app.tuning.trial import TrialOutcome, TrialSpec, run_trial
from tensorfleet.schemas.training import JobStatus
from tensorfleet.schemas.tuning import TrialState
from workers.context import WorkerContext, queue_job_id, worker_context
from workers.training import feature_types, find_version, normalised_copy

logger = logging.getLogger(__name__)


def plan_of(document: dict[str, Any]) -> Plan:
    request = document["request"]
    return Plan(
        algorithms=document["algorithms"],
        spaces=document["spaces"],
        strategy=request["strategy"],
        seed=request["seed"],
        direction=document["direction"],
        trial_cap=document["trial_cap"],
    )


TIME_UP = "the search's time budget ran out"


def seconds_left(document: dict[str, Any]) -> float | None:
    """What is left of the search's time budget (None: it has none, or has not started)."""
    seconds, started = document["request"].get("max_seconds"), document.get("started_at")
    if seconds is None or started is None:
        return None
    return seconds - (store.now() - started).total_seconds()


def time_up(document: dict[str, Any]) -> bool:
    left = seconds_left(document)
    return left is not None and left <= 0


def fit_spec(document: dict[str, Any], version: dict[str, Any], trial: dict[str, Any]) -> FitSpec:
    """The fit of one configuration: the trial's params on the search's split and preprocessing."""
    request = document["request"]
    return FitSpec(
        trial["algorithm"],
        dict(trial["params"]),
        request["test_size"],
        request["seed"],
        task=Task(document["task"]),
        columns=feature_types(version),
        preprocessing=Preprocessing(**request["preprocessing"]),
    )


# --- the step -----------------------------------------------------------------------------------


async def tuning_step(ctx: dict[str, Any], tuning_id: str) -> str:
    """arq entry point: look at the search once and queue what it needs next."""
    return await advance(worker_context(ctx), tuning_id)


async def advance(worker: WorkerContext, tuning_id: str) -> str:
    """One step of the search: start it, stop it at its time budget, add trials, or refit."""
    db, redis = worker.resources.db, worker.resources.redis
    document = await store.get_tuning(db, tuning_id)
    if document is None:
        return "skipped"
    if document["status"] not in store.ACTIVE:
        if document["status"] == JobStatus.cancelled:  # the cancel stopped them; make sure
            await stop_trials(db, redis, tuning_id, "the search was cancelled")
        return "skipped"
    if document["status"] == JobStatus.queued:
        await store.mark_running(db, tuning_id)
        document = await store.get_tuning(db, tuning_id) or document
    if time_up(document):
        await stop_trials(db, redis, tuning_id, TIME_UP)
    trials = await store.list_trials(db, tuning_id)
    await recover_open_trials(worker, tuning_id, trials)
    more = await add_trials(worker, document, trials)
    if not more and not open_trials(await store.list_trials(db, tuning_id)):
        await queue.enqueue_tuning_refit(redis, tuning_id)
        return "refit"
    await schedule_heartbeat(worker, tuning_id)
    return "searching"


async def add_trials(worker: WorkerContext, document: dict[str, Any], trials: list[dict]) -> bool:
    """Ask for trials until TUNING_MAX_IN_FLIGHT are open; False once the budget is spent
    (trials, time, or a grid's last point)."""
    plan, tuning_id = plan_of(document), document["_id"]
    next_number = max((t["number"] for t in trials), default=-1) + 1
    if time_up(document) or next_number >= plan.trial_cap:
        return False
    room = worker.settings.tuning_max_in_flight - len(open_trials(trials))
    finished = [t for t in trials if TrialState(t["state"]).ended]
    for number in range(next_number, min(plan.trial_cap, next_number + max(room, 0))):
        proposal = await asyncio.to_thread(propose, plan, number, finished)
        if proposal is None:
            return False
        algorithm, params = proposal
        await store.insert_trial(worker.resources.db, store.new_trial(tuning_id, number, *proposal))
        await queue.enqueue_tuning_trial(worker.resources.redis, tuning_id, number)
        logger.info("tuning %s: trial %d %s %s", tuning_id, number, algorithm, params)
    return True


async def recover_open_trials(worker: WorkerContext, tuning_id: str, trials: list[dict]) -> None:
    """Queue again the open trials the queue lost or whose worker died. A trial queued for a
    heartbeat or more is queued again under its id (arq refuses a second job of an id it
    holds); a running trial whose lease lapsed (its worker renews it while it runs) is queued
    as its next run, so a search never waits for arq to give a dead worker's job up."""
    redis = worker.resources.redis
    queued_for = timedelta(seconds=worker.settings.tuning_heartbeat_seconds)
    for trial in open_trials(trials):
        number = trial["number"]
        if trial["state"] == TrialState.queued:
            if store.now() - trial["created_at"] >= queued_for:
                await queue.enqueue_tuning_trial(redis, tuning_id, number)
        elif lease_lapsed(trial):
            await queue.enqueue_tuning_trial(redis, tuning_id, number, run=trial["attempts"])


def lease_lapsed(trial: dict[str, Any]) -> bool:
    until = trial.get("lease_until")
    return until is not None and until < store.now()


async def schedule_heartbeat(worker: WorkerContext, tuning_id: str) -> None:
    """Queue the step of the next heartbeat slot (one per slot, however many ask)."""
    period = worker.settings.tuning_heartbeat_seconds
    slot = math.floor(time.time() / period) + 1
    defer = max(0.0, slot * period - time.time())
    await queue.enqueue_tuning_step(
        worker.resources.redis, tuning_id, reason=f"beat:{slot}", defer_seconds=defer
    )


# --- a trial ------------------------------------------------------------------------------------

SEARCHES_CACHED = 32


def remember(cache: dict[str, dict[str, Any]], key: str, value: dict[str, Any]) -> None:
    """Keep `value` in a per-worker cache of searches, dropping the oldest beyond its bound."""
    if len(cache) >= SEARCHES_CACHED:
        cache.pop(next(iter(cache)))
    cache[key] = value


async def search_of(worker: WorkerContext, tuning_id: str) -> dict[str, Any] | None:
    """The search's document, read once per worker: what a trial uses of it (request, task,
    metric, started_at) never changes once trials exist. A cancel needs no fresh read: it ends
    the open trials itself and aborts those running."""
    if tuning_id not in worker.searches:
        document = await store.get_tuning(worker.resources.db, tuning_id)
        if document is None:
            return None
        remember(worker.searches, tuning_id, document)
    return worker.searches[tuning_id]


async def dataset_of(worker: WorkerContext, document: dict[str, Any]) -> tuple[dict, bytes]:
    """The dataset version the search pinned and its normalised copy, read once per worker (a
    store query less per trial): a ready version's document does not change. One deleted while
    the search runs leaves its trials the copy they read; the refit reads it again, and fails
    naming it."""
    tuning_id, request = document["_id"], document["request"]
    if tuning_id not in worker.search_versions:
        version = await find_version(
            worker.resources.db, request["dataset_name"], request["dataset_version"]
        )
        remember(worker.search_versions, tuning_id, version)
    version = worker.search_versions[tuning_id]
    return version, await normalised_copy(worker, version)


async def tuning_trial(ctx: dict[str, Any], tuning_id: str, number: int) -> str:
    """arq entry point: cross-validate one configuration and record how it ended."""
    worker = worker_context(ctx)
    lease = worker.settings.job_requeue_after_seconds
    trial = await store.start_trial(
        worker.resources.db,
        tuning_id,
        number,
        worker=worker.name,
        job_id=queue_job_id(ctx),
        lease=lease,
    )
    if trial is None:  # gone, or ended: finished, or cancelled with its search
        return "skipped"
    attempt = trial["attempts"]
    document = await search_of(worker, tuning_id)
    if document is None:
        return "skipped"
    if time_up(document):  # queued behind other jobs until after the deadline
        outcome = TrialOutcome("cancelled", error=TIME_UP)
        return await record_trial(worker, tuning_id, number, outcome, 0.0)
    if attempt > worker.settings.job_max_tries:
        outcome = TrialOutcome(
            "failed", error=f"WorkerLost: its worker stopped {attempt - 1} times"
        )
        return await record_trial(worker, tuning_id, number, outcome, 0.0)
    started = time.perf_counter()
    async with renewing_lease(worker, tuning_id, number):
        outcome = await cross_validate(worker, document, trial)
    return await record_trial(worker, tuning_id, number, outcome, time.perf_counter() - started)


@contextlib.asynccontextmanager
async def renewing_lease(worker: WorkerContext, tuning_id: str, number: int) -> AsyncIterator[None]:
    """Renew the trial's lease (JOB_REQUEUE_AFTER_SECONDS) every third of it while it runs."""
    seconds = worker.settings.job_requeue_after_seconds

    async def renew() -> None:
        while True:
            await asyncio.sleep(seconds / 3)
            try:
                await store.renew_trial_lease(worker.resources.db, tuning_id, number, seconds)
            except PyMongoError as exc:  # the next renewal makes up for a missed one
                logger.warning("tuning %s: trial %d lease not renewed: %s", tuning_id, number, exc)

    task = asyncio.create_task(renew())
    try:
        yield
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def cross_validate(
    worker: WorkerContext, document: dict[str, Any], trial: dict[str, Any]
) -> TrialOutcome:
    """The trial's folds in the fit pool, within JOB_TIMEOUT_SECONDS and what is left of the
    search's time budget (a trial cut by the budget is cancelled); any failure of the fit
    (refused parameters, out of memory, a killed process, the time limit) fails only it."""
    request, timeout = document["request"], worker.settings.job_timeout_seconds
    left = seconds_left(document)
    by_budget = left is not None and left < timeout
    history = []  # the finished trials' running means, for the pruner
    if request["pruning"]:
        history = await store.completed_means(worker.resources.db, document["_id"])
    try:
        async with asyncio.timeout(left if by_budget else timeout):
            version, payload = await dataset_of(worker, document)
            spec = TrialSpec(
                fit_spec(document, version, trial),
                document["metric"],
                request["cv"],
                prune=request["pruning"],
                history=history,
                data_key=str(version["normalised_file_id"]),
            )
            features, target = version["features"], version["target_column"]
            result: TrialOutcome = await worker.pool.run(run_trial, spec, payload, features, target)
            return result
    except TimeoutError:
        if by_budget:
            return TrialOutcome("cancelled", error=TIME_UP)
        return TrialOutcome("failed", error=f"JobTimeout: the trial took longer than {timeout}s")
    except Exception as exc:
        return TrialOutcome("failed", error=f"{type(exc).__name__}: {exc}"[:2000])


async def record_trial(
    worker: WorkerContext, tuning_id: str, number: int, outcome: TrialOutcome, seconds: float
) -> str:
    """Store the trial's ending (unless cancelled meanwhile), then take the search's next step
    beside the next job: this job returns at once, so its slot takes the next trial (already
    queued) while the step asks for the one after. Should the worker stop first, the search's
    heartbeat takes the step."""
    changes = {
        "state": outcome.state,
        "fold_scores": outcome.fold_scores,
        "intermediate": outcome.intermediate,
        "score": outcome.score,
        "fit_seconds": outcome.fit_seconds,
        "cv_seconds": outcome.cv_seconds,
        "duration_seconds": round(seconds, 6),
        "error": outcome.error,
    }
    await store.finish_trial(worker.resources.db, tuning_id, number, changes)
    worker.in_background(step_after(worker, tuning_id, number))
    return outcome.state


# How long the step after a trial waits for this worker's next fit (see `step_after`).
STEP_WAIT_SECONDS = 0.5


async def step_after(worker: WorkerContext, tuning_id: str, number: int) -> None:
    """The step after a trial; should it fail, it is queued as a job (tried again by arq).

    While a job waits in the queue for the slot this trial frees (a search keeps up to
    TUNING_MAX_IN_FLIGHT queued), the step waits until this worker has picked a job up and
    handed its fit to a process, then runs while that fit does: taken at once, it shared the
    event loop and the store with that pick-up and made it slower (about 9 ms of a 26 ms gap
    between trials on a quiet machine, most of it under load). It waits STEP_WAIT_SECONDS at
    most (another worker took the job, or it fits nothing). With no job waiting, the slot's
    next trial is the one this step queues: it runs at once."""
    try:
        handed_off = worker.pool.next_hand_off()
        if await queue.job_waiting(worker.resources.redis):
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(STEP_WAIT_SECONDS):
                    await handed_off.wait()
        await advance(worker, tuning_id)
    except Exception as exc:
        logger.warning("tuning %s: step after trial %d failed (%s); queued", tuning_id, number, exc)
        await queue.enqueue_tuning_step(worker.resources.redis, tuning_id, reason=f"after:{number}")
