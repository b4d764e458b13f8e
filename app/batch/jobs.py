"""The `batch_predictions` collection: one document per batch prediction job, `_id` = its id.

The same status vocabulary and discipline as training jobs (app/training/jobs.py, whose
end-once claim and late-write undo these writes go through, on this kind's own collections):
a job ends once, and a progress write landing on an ended job is undone and reports None,
which is how a running job learns it was cancelled between two chunks.

`file_id` names the output file from the moment its upload opens (so the sweep leaves a long
upload alone); a job that ends failed or cancelled names none, and a succeeded job's file is
complete (written before the job ended).
"""

from datetime import timedelta
from typing import Any

from pymongo import DESCENDING
from pymongo.asynchronous.database import AsyncDatabase

from app.storage import BATCH_PREDICTION_ENDINGS, BATCH_PREDICTIONS
from app.training import jobs
from app.training.jobs import JobKind, now
from tensorfleet.schemas.batch import BatchPredictRequest
from tensorfleet.schemas.training import JobStatus

BATCH = JobKind(BATCH_PREDICTIONS, BATCH_PREDICTION_ENDINGS)


def progress(stage: str, rows_done: int = 0, rows_total: int | None = None) -> dict[str, Any]:
    fraction = 1.0 if stage == "done" else (rows_done / rows_total if rows_total else 0.0)
    return {
        "stage": stage,
        "fraction": round(min(fraction, 1.0), 4),
        "rows_done": rows_done,
        "rows_total": rows_total,
    }


def new_document(
    job_id: str,
    model: dict[str, Any],
    request: BatchPredictRequest,
    rows_total: int,
    owner: str | None,
) -> dict[str, Any]:
    return {
        "_id": job_id,
        "owner": owner,
        "status": JobStatus.queued.value,
        "progress": progress("queued", 0, rows_total),
        "model": {"id": str(model["_id"]), "name": model["name"], "version": model["version"]},
        "request": request.model_dump(mode="json"),
        "created_at": now(),
        "started_at": None,
        "finished_at": None,
        "attempts": 0,
        "error": None,
        "file_id": None,
        "result": None,
        "warnings": [],
    }


async def insert(db: AsyncDatabase, document: dict[str, Any]) -> None:
    await jobs.insert_job(db, document, BATCH)


async def get(db: AsyncDatabase, job_id: str) -> dict[str, Any] | None:
    return await jobs.get_job(db, job_id, BATCH)


async def delete(db: AsyncDatabase, job_id: str) -> None:
    await jobs.delete_job(db, job_id, BATCH)


async def count_active(db: AsyncDatabase, owner: str) -> int:
    return await jobs.count_active_jobs(db, owner, BATCH)


async def list_for_model(
    db: AsyncDatabase, model_id: str, *, page: int, limit: int
) -> tuple[list[dict[str, Any]], int]:
    query = {"model.id": model_id}
    cursor = (
        db[BATCH_PREDICTIONS]
        .find(query)
        .sort([("created_at", DESCENDING), ("_id", DESCENDING)])
        .skip((page - 1) * limit)
        .limit(limit)
    )
    return await cursor.to_list(), await db[BATCH_PREDICTIONS].count_documents(query)


async def mark_running(
    db: AsyncDatabase, job_id: str, attempt: int, *, lease_seconds: float
) -> dict[str, Any] | None:
    started = now()
    return await jobs.write_unless_ended(
        db,
        job_id,
        {
            "status": JobStatus.running.value,
            "started_at": started,
            "lease_until": started + timedelta(seconds=lease_seconds),
            "attempts": attempt,
            "error": None,
        },
        BATCH,
    )


async def set_progress(db: AsyncDatabase, job_id: str, changes: dict[str, Any]) -> bool:
    """Write progress (and the output's file id); False when the job has ended (cancelled)."""
    return await jobs.write_unless_ended(db, job_id, changes, BATCH) is not None


async def mark_succeeded(
    db: AsyncDatabase, job_id: str, result: dict[str, Any], warnings: list[str]
) -> dict[str, Any] | None:
    changes = {
        "status": JobStatus.succeeded.value,
        "progress": progress("done", result["rows"], result["rows"]),
        "finished_at": now(),
        "file_id": result["file_id"],
        "result": {k: v for k, v in result.items() if k != "file_id"},
        "warnings": warnings,
    }
    return await jobs.end_job(db, job_id, changes, BATCH)


async def mark_failed(
    db: AsyncDatabase, job_id: str, error_type: str, message: str
) -> dict[str, Any] | None:
    changes = {
        "status": JobStatus.failed.value,
        "finished_at": now(),
        "file_id": None,
        "error": {"type": error_type, "message": message[:2000]},
    }
    return await jobs.end_job(db, job_id, changes, BATCH)


async def mark_cancelled(db: AsyncDatabase, job_id: str) -> dict[str, Any] | None:
    changes = {"status": JobStatus.cancelled.value, "finished_at": now(), "file_id": None}
    return await jobs.end_job(db, job_id, changes, BATCH)


async def stale_active(db: AsyncDatabase, *, quiet_for: timedelta) -> list[str]:
    return await jobs.stale_active_jobs(db, quiet_for=quiet_for, kind=BATCH)


async def named_files(db: AsyncDatabase, file_ids: list[Any]) -> set[Any]:
    """Which of these output files a job names (the sweep keeps those)."""
    named = await db[BATCH_PREDICTIONS].distinct("file_id", {"file_id": {"$in": file_ids}})
    return set(named)
