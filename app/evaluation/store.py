"""The `evaluations` collection: one document per evaluation job, `_id` = its id.

An evaluation ends once, by the training jobs' own claim (app/training/jobs.py `end_job`, with
this kind's pair of collections): the first writer of a terminal state inserts the id into
`evaluation_endings` (a unique `_id` refuses a second claim) and only then writes it; a running
mark that lands on an ended evaluation is undone from the ending's record. Reads and writes
filter on `_id` alone (the one filter FerretDB v1 hands to SQLite), except the per-model list,
which has its index.
"""

from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo import DESCENDING
from pymongo.asynchronous.database import AsyncDatabase

from app.storage import EVALUATION_ENDINGS, EVALUATIONS
from app.training import jobs
from tensorfleet.schemas.training import JobStatus

ACTIVE = [JobStatus.queued.value, JobStatus.running.value]
EVALUATION = jobs.JobKind(EVALUATIONS, EVALUATION_ENDINGS)
STAGES = {"queued": 0.0, "loading_data": 0.1, "evaluating": 0.3, "done": 1.0}


def now() -> datetime:
    return datetime.now(UTC)


def progress(stage: str) -> dict[str, Any]:
    return {"stage": stage, "fraction": STAGES[stage]}


async def insert_evaluation(db: AsyncDatabase, document: dict[str, Any]) -> None:
    await db[EVALUATIONS].insert_one(document)


async def delete_evaluation(db: AsyncDatabase, evaluation_id: str) -> None:
    await db[EVALUATIONS].delete_one({"_id": evaluation_id})


async def count_active(db: AsyncDatabase, owner: str) -> int:
    """Queued and running evaluations of one owner, for the active-job cap."""
    return await db[EVALUATIONS].count_documents({"owner": owner, "status": {"$in": ACTIVE}})


async def get_evaluation(db: AsyncDatabase, evaluation_id: str) -> dict[str, Any] | None:
    return await db[EVALUATIONS].find_one({"_id": evaluation_id})


async def list_evaluations(
    db: AsyncDatabase, model_id: str, *, limit: int
) -> tuple[list[dict[str, Any]], int]:
    """A model's evaluations, newest first, and how many it has."""
    query = {"model_id": model_id}
    cursor = db[EVALUATIONS].find(
        query, sort=[("created_at", DESCENDING), ("_id", DESCENDING)], limit=limit
    )
    return await cursor.to_list(), await db[EVALUATIONS].count_documents(query)


async def advance(
    db: AsyncDatabase, evaluation_id: str, changes: dict[str, Any]
) -> dict[str, Any] | None:
    """A non-terminal write; None (and the write undone) when the evaluation had ended."""
    return await jobs.write_unless_ended(db, evaluation_id, changes, EVALUATION)


async def end(
    db: AsyncDatabase, evaluation_id: str, changes: dict[str, Any]
) -> dict[str, Any] | None:
    """Claim the evaluation's one ending and write it; None when it had ended already."""
    return await jobs.end_job(db, evaluation_id, changes | {"finished_at": now()}, EVALUATION)


async def mark_running(db: AsyncDatabase, evaluation_id: str, attempt: int) -> dict | None:
    changes = {
        "status": JobStatus.running.value,
        "progress": progress("loading_data"),
        "started_at": now(),
        "attempts": attempt,
    }
    return await advance(db, evaluation_id, changes)


async def mark_failed(
    db: AsyncDatabase, evaluation_id: str, error_type: str, message: str
) -> dict[str, Any] | None:
    error = {"type": error_type, "message": message[:2000]}
    return await end(db, evaluation_id, {"status": JobStatus.failed.value, "error": error})


async def mark_succeeded(
    db: AsyncDatabase, evaluation_id: str, result: dict[str, Any]
) -> dict[str, Any] | None:
    """`result`: metrics, passed, reasons, promoted."""
    changes = result | {"status": JobStatus.succeeded.value, "progress": progress("done")}
    return await end(db, evaluation_id, changes)


async def stale_active(db: AsyncDatabase, *, quiet_for: timedelta) -> list[str]:
    """Ids of queued or running evaluations created or started longer than `quiet_for` ago
    (the lost-job check asks the queue about these). Active evaluations are few (a per-key cap
    bounds them), so they are read with a plain status filter and judged here."""
    cutoff = now() - quiet_for
    cursor = db[EVALUATIONS].find(
        {"status": {"$in": ACTIVE}}, projection={"created_at": 1, "started_at": 1}
    )
    return [e["_id"] async for e in cursor if (e.get("started_at") or e["created_at"]) < cutoff]
