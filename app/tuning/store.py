"""The `tuning_jobs` and `tuning_trials` collections: a search and its trials.

A search ends once, by the training jobs' own claim (app/training/jobs.py `end_job`, with the
search's pair of collections): the first writer of a terminal state claims it by inserting the
search's id into `tuning_endings`, and only the winner writes it.

A trial's `_id` is `<tuning id>:<number>` and (tuning_id, number) is unique, so a step that runs
twice (at-least-once jobs, two workers) never adds a trial twice; a trial's result is written
only while it is open (queued or running), so a trial cancelled meanwhile stays cancelled and a
finished one is never run over.
"""

from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo import DESCENDING, ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from app.storage import TUNING_ENDINGS, TUNING_JOBS, TUNING_TRIALS
from app.training.evaluation import json_safe
from app.training.jobs import JobKind, end_job
from tensorfleet.schemas.training import JobStatus
from tensorfleet.schemas.tuning import TrialState

ACTIVE = [JobStatus.queued.value, JobStatus.running.value]
TUNING = JobKind(TUNING_JOBS, TUNING_ENDINGS)
OPEN = [TrialState.queued.value, TrialState.running.value]


class TuningAlreadyExists(Exception):
    def __init__(self, tuning_id: str) -> None:
        self.tuning_id = tuning_id
        super().__init__(f"tuning job {tuning_id!r} already exists")


def now() -> datetime:
    return datetime.now(UTC)


async def insert_tuning(db: AsyncDatabase, document: dict[str, Any]) -> None:
    try:
        await db[TUNING_JOBS].insert_one(document)
    except DuplicateKeyError:
        raise TuningAlreadyExists(document["_id"]) from None


async def get_tuning(db: AsyncDatabase, tuning_id: str) -> dict[str, Any] | None:
    return await db[TUNING_JOBS].find_one({"_id": tuning_id})


async def delete_tuning(db: AsyncDatabase, tuning_id: str) -> None:
    await db[TUNING_JOBS].delete_one({"_id": tuning_id})


async def list_tunings(
    db: AsyncDatabase, *, status: JobStatus | None, page: int, limit: int
) -> tuple[list[dict[str, Any]], int]:
    query = {"status": status.value} if status else {}
    cursor = (
        db[TUNING_JOBS]
        .find(query, projection={"spaces": 0})
        .sort([("created_at", DESCENDING), ("_id", DESCENDING)])
        .skip((page - 1) * limit)
        .limit(limit)
    )
    return await cursor.to_list(), await db[TUNING_JOBS].count_documents(query)


async def active_tuning_ids(db: AsyncDatabase) -> list[str]:
    cursor = db[TUNING_JOBS].find({"status": {"$in": ACTIVE}}, projection={"_id": 1})
    return [document["_id"] async for document in cursor]


async def mark_running(db: AsyncDatabase, tuning_id: str) -> None:
    """The first step starts the search's clock (a time budget counts from here)."""
    await db[TUNING_JOBS].update_one(
        {"_id": tuning_id, "status": JobStatus.queued.value},
        {"$set": {"status": JobStatus.running.value, "started_at": now()}},
    )


async def _end(db: AsyncDatabase, tuning_id: str, changes: dict[str, Any]) -> dict[str, Any] | None:
    """Claim the search's one ending and write it (the training jobs' end-once claim); None
    when it had ended already."""
    return await end_job(db, tuning_id, changes | {"finished_at": now()}, TUNING)


async def mark_succeeded(
    db: AsyncDatabase, tuning_id: str, model: dict[str, Any], holdout_score: float | None
) -> dict[str, Any] | None:
    return await _end(
        db,
        tuning_id,
        {
            "status": JobStatus.succeeded.value,
            "model_id": str(model["_id"]),
            "model_version": model["version"],
            "metrics": model["metrics"],
            "holdout_score": json_safe(holdout_score),
        },
    )


async def mark_failed(
    db: AsyncDatabase, tuning_id: str, error_type: str, message: str
) -> dict[str, Any] | None:
    error = {"type": error_type, "message": message[:2000]}
    return await _end(db, tuning_id, {"status": JobStatus.failed.value, "error": error})


async def mark_cancelled(db: AsyncDatabase, tuning_id: str) -> dict[str, Any] | None:
    return await _end(db, tuning_id, {"status": JobStatus.cancelled.value})


# --- trials -------------------------------------------------------------------------------------


def trial_id(tuning_id: str, number: int) -> str:
    return f"{tuning_id}:{number}"


def new_trial(tuning_id: str, number: int, algorithm: str, params: dict[str, Any]) -> dict:
    return {
        "_id": trial_id(tuning_id, number),
        "tuning_id": tuning_id,
        "number": number,
        "algorithm": algorithm,
        "params": json_safe(params),
        "state": TrialState.queued.value,
        "fold_scores": [],
        "intermediate": [],
        "score": None,
        "attempts": 0,
        "created_at": now(),
    }


async def insert_trial(db: AsyncDatabase, document: dict[str, Any]) -> bool:
    """False when the search has that trial already (another step asked first)."""
    try:
        await db[TUNING_TRIALS].insert_one(document)
    except DuplicateKeyError:
        return False
    return True


async def list_trials(db: AsyncDatabase, tuning_id: str) -> list[dict[str, Any]]:
    cursor = db[TUNING_TRIALS].find({"tuning_id": tuning_id}).sort("number", 1)
    return await cursor.to_list()


async def completed_means(db: AsyncDatabase, tuning_id: str) -> list[list[float]]:
    """The running fold means of the search's complete trials (what the pruner compares)."""
    cursor = db[TUNING_TRIALS].find(
        {"tuning_id": tuning_id, "state": TrialState.complete.value}, projection={"intermediate": 1}
    )
    return [trial.get("intermediate") or [] async for trial in cursor]


async def get_trial(db: AsyncDatabase, tuning_id: str, number: int) -> dict[str, Any] | None:
    return await db[TUNING_TRIALS].find_one({"_id": trial_id(tuning_id, number)})


async def start_trial(
    db: AsyncDatabase, tuning_id: str, number: int, *, worker: str, job_id: str, lease: float
) -> dict[str, Any] | None:
    """Mark the trial running on this worker's queue job, under a lease the job renews, and
    count the attempt; None when it had ended (nothing to run)."""
    started = now()
    return await db[TUNING_TRIALS].find_one_and_update(
        {"_id": trial_id(tuning_id, number), "state": {"$in": OPEN}},
        {
            "$set": {
                "state": TrialState.running.value,
                "worker": worker,
                "job_id": job_id,
                "started_at": started,
                "lease_until": started + timedelta(seconds=lease),
            },
            "$inc": {"attempts": 1},
        },
        return_document=ReturnDocument.AFTER,
    )


async def renew_trial_lease(db: AsyncDatabase, tuning_id: str, number: int, lease: float) -> None:
    until = now() + timedelta(seconds=lease)
    await db[TUNING_TRIALS].update_one(
        {"_id": trial_id(tuning_id, number)}, {"$set": {"lease_until": until}}
    )


async def finish_trial(
    db: AsyncDatabase, tuning_id: str, number: int, changes: dict[str, Any]
) -> bool:
    """Record how the trial ended, unless it had ended already (cancelled meanwhile)."""
    result = await db[TUNING_TRIALS].update_one(
        {"_id": trial_id(tuning_id, number), "state": {"$in": OPEN}},
        {"$set": json_safe(changes) | {"finished_at": now()}},
    )
    return result.modified_count == 1


async def cancel_open_trials(db: AsyncDatabase, tuning_id: str, reason: str) -> None:
    await db[TUNING_TRIALS].update_many(
        {"tuning_id": tuning_id, "state": {"$in": OPEN}},
        {"$set": {"state": TrialState.cancelled.value, "error": reason, "finished_at": now()}},
    )
