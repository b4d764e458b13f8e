"""The `jobs` collection: one document per training job, `_id` = the job id.

Every state change is a conditional update on the current status, so a late writer (a worker
finishing a job that was cancelled meanwhile, a second attempt) cannot overwrite an ended job.
"""

from datetime import UTC, datetime
from typing import Any

from pymongo import DESCENDING, ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from app.training.exceptions import JobAlreadyExists
from app.training.schemas import JobStatus, TrainRequest

JOBS = "jobs"
STAGE_FRACTION = {"queued": 0.0, "loading_data": 0.1, "fitting": 0.2, "saving": 0.9, "done": 1.0}
ACTIVE = [JobStatus.queued.value, JobStatus.running.value]


def now() -> datetime:
    return datetime.now(UTC)


def progress(stage: str) -> dict[str, Any]:
    return {"stage": stage, "fraction": STAGE_FRACTION[stage]}


def new_job_document(job_id: str, request: TrainRequest) -> dict[str, Any]:
    return {
        "_id": job_id,
        "status": JobStatus.queued.value,
        "progress": progress("queued"),
        "request": request.model_dump(mode="json") | {"job_id": job_id},
        "created_at": now(),
        "started_at": None,
        "finished_at": None,
        "attempts": 0,
        "error": None,
        "model_id": None,
        "model_version": None,
        "metrics": None,
        "warnings": [],
    }


async def insert_job(db: AsyncDatabase, document: dict[str, Any]) -> None:
    try:
        await db[JOBS].insert_one(document)
    except DuplicateKeyError:
        raise JobAlreadyExists(document["_id"]) from None


async def get_job(db: AsyncDatabase, job_id: str) -> dict[str, Any] | None:
    return await db[JOBS].find_one({"_id": job_id})


async def delete_job(db: AsyncDatabase, job_id: str) -> None:
    await db[JOBS].delete_one({"_id": job_id})


async def list_jobs(
    db: AsyncDatabase, *, status: JobStatus | None, page: int, limit: int
) -> tuple[list[dict[str, Any]], int]:
    query = {"status": status.value} if status else {}
    cursor = (
        db[JOBS]
        .find(query)
        .sort([("created_at", DESCENDING), ("_id", DESCENDING)])
        .skip((page - 1) * limit)
        .limit(limit)
    )
    return await cursor.to_list(), await db[JOBS].count_documents(query)


async def _transition(
    db: AsyncDatabase, job_id: str, from_statuses: list[str], changes: dict[str, Any]
) -> dict[str, Any] | None:
    return await db[JOBS].find_one_and_update(
        {"_id": job_id, "status": {"$in": from_statuses}},
        {"$set": changes},
        return_document=ReturnDocument.AFTER,
    )


async def mark_running(db: AsyncDatabase, job_id: str, attempt: int) -> dict[str, Any] | None:
    return await _transition(
        db,
        job_id,
        ACTIVE,
        {
            "status": JobStatus.running.value,
            "progress": progress("loading_data"),
            "started_at": now(),
            "attempts": attempt,
            "error": None,
        },
    )


async def set_stage(db: AsyncDatabase, job_id: str, stage: str) -> None:
    await db[JOBS].update_one(
        {"_id": job_id, "status": JobStatus.running.value}, {"$set": {"progress": progress(stage)}}
    )


async def mark_succeeded(
    db: AsyncDatabase, job_id: str, model: dict[str, Any], warnings: list[str]
) -> dict[str, Any] | None:
    return await _transition(
        db,
        job_id,
        ACTIVE,
        {
            "status": JobStatus.succeeded.value,
            "progress": progress("done"),
            "finished_at": now(),
            "model_id": str(model["_id"]),
            "model_version": model["version"],
            "metrics": model["metrics"],
            "warnings": warnings,
        },
    )


async def mark_failed(
    db: AsyncDatabase, job_id: str, error_type: str, message: str
) -> dict[str, Any] | None:
    return await _transition(
        db,
        job_id,
        ACTIVE,
        {
            "status": JobStatus.failed.value,
            "finished_at": now(),
            "error": {"type": error_type, "message": message[:2000]},
        },
    )


async def mark_cancelled(db: AsyncDatabase, job_id: str) -> dict[str, Any] | None:
    return await _transition(
        db,
        job_id,
        ACTIVE,
        {
            "status": JobStatus.cancelled.value,
            "finished_at": now(),
        },
    )


async def stale_active_jobs(db: AsyncDatabase, *, older_than: datetime) -> list[str]:
    """Ids of queued or running jobs created before `older_than` (for the requeue check)."""
    cursor = db[JOBS].find(
        {"status": {"$in": ACTIVE}, "created_at": {"$lt": older_than}}, projection={"_id": 1}
    )
    return [document["_id"] async for document in cursor]
