"""The `jobs` collection: one document per training job, `_id` = the job id.

A job ends once: the first writer of a terminal state (succeeded, failed, cancelled) claims it
by inserting the job's id into `job_endings`, whose unique `_id` refuses a second claim; only
the winner writes the terminal state to the job. A non-terminal write (running, a stage) that
lands on an ended job is undone at once from the ending's record. So a late writer (a worker
finishing a job cancelled meanwhile, a second attempt) never overwrites an ended job. Each
write is one round trip when no race happens.

Each training-job write that changes a status or progress is announced
(app/training/announce.py): live watchers hear of it, and the ending's winner emits
`job.succeeded` / `job.failed`. So those writes (`mark_*`, `set_stage`) take the `JobStores`
(the database and Redis); the kind-generic `write_unless_ended` and `end_job`, and the reads,
take the database only.

Every read and write here filters on `_id` alone. That is an index lookup on MongoDB and the
only filter FerretDB v1 hands to SQLite (which then scans in C); any other filter, such as
`{_id, status}`, is evaluated in Go over every document of the collection.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from arq.connections import ArqRedis
from pymongo import DESCENDING, ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from app.storage import JOB_ENDINGS, JOBS
from app.training.announce import announce
from app.training.exceptions import JobAlreadyExists
from tensorfleet.schemas.training import JobStatus, TrainRequest

STAGE_FRACTION = {"queued": 0.0, "loading_data": 0.1, "fitting": 0.2, "saving": 0.9, "done": 1.0}
ACTIVE = [JobStatus.queued.value, JobStatus.running.value]
# Set on a job whose enqueue failed without telling whether Redis stored it (the API said 503).
UNCONFIRMED = "enqueue_unconfirmed"


@dataclass(frozen=True, slots=True)
class JobKind:
    """Where one kind of job lives: its documents and the claims on their endings. Every kind
    (training here; batch predictions, ...) keeps its own pair and the same discipline."""

    jobs: str
    endings: str


TRAINING = JobKind(JOBS, JOB_ENDINGS)


class JobStores(Protocol):
    """Where a job write goes, and whom it tells: the API's and the worker's `Resources`."""

    @property
    def db(self) -> AsyncDatabase: ...

    @property
    def redis(self) -> ArqRedis: ...


@dataclass(frozen=True, slots=True)
class StorePair:
    """JobStores from a database and a Redis pool held apart (a route's dependencies)."""

    db: AsyncDatabase
    redis: ArqRedis


async def _announced(
    stores: JobStores, document: dict[str, Any] | None, *, ended: bool = False
) -> dict[str, Any] | None:
    """The written training job, after telling the world of it (nothing when not written)."""
    if document is not None:
        await announce(stores.redis, stores.db, document, ended=ended)
    return document


def now() -> datetime:
    return datetime.now(UTC)


def progress(stage: str) -> dict[str, Any]:
    return {"stage": stage, "fraction": STAGE_FRACTION[stage]}


def new_job_document(
    job_id: str, request: TrainRequest, owner: str | None = None
) -> dict[str, Any]:
    """A queued job. `owner` is who the active-job cap counts it against (`key:<id>` or
    `ip:<address>`); None for a job made outside the API, which counts against nobody."""
    return {
        "_id": job_id,
        "owner": owner,
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


async def insert_job(db: AsyncDatabase, document: dict[str, Any], kind: JobKind = TRAINING) -> None:
    try:
        await db[kind.jobs].insert_one(document)
    except DuplicateKeyError:
        raise JobAlreadyExists(document["_id"]) from None


async def count_active_jobs(db: AsyncDatabase, owner: str, kind: JobKind = TRAINING) -> int:
    """Queued and running jobs of one owner (`key:<id>` or `ip:<address>`), for the quota."""
    return await db[kind.jobs].count_documents({"owner": owner, "status": {"$in": ACTIVE}})


async def set_enqueue_unconfirmed(db: AsyncDatabase, job_id: str, unconfirmed: bool) -> None:
    """Mark (or clear) a job whose enqueue failed with an unknown outcome."""
    await db[JOBS].update_one({"_id": job_id}, {"$set": {UNCONFIRMED: unconfirmed}})


async def get_job(
    db: AsyncDatabase, job_id: str, kind: JobKind = TRAINING
) -> dict[str, Any] | None:
    return await db[kind.jobs].find_one({"_id": job_id})


async def delete_job(db: AsyncDatabase, job_id: str, kind: JobKind = TRAINING) -> None:
    await db[kind.jobs].delete_one({"_id": job_id})
    await db[kind.endings].delete_one({"_id": job_id})


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


async def _update(
    db: AsyncDatabase, job_id: str, changes: dict[str, Any], kind: JobKind = TRAINING
) -> dict[str, Any] | None:
    return await db[kind.jobs].find_one_and_update(
        {"_id": job_id}, {"$set": changes}, return_document=ReturnDocument.AFTER
    )


async def _ending(db: AsyncDatabase, job_id: str, kind: JobKind) -> dict[str, Any] | None:
    return await db[kind.endings].find_one({"_id": job_id})


async def settled(
    db: AsyncDatabase, document: dict[str, Any], kind: JobKind = TRAINING
) -> dict[str, Any]:
    """The job as a reader should see it: a late non-terminal write (a worker's `running`
    landing just after a cancel) stays on an ended job for a moment before `write_unless_ended`
    undoes it; a job that looks active but has an ending is shown as its ending wrote it."""
    if document["status"] not in ACTIVE:
        return document
    ending = await _ending(db, document["_id"], kind)
    return document | ending["changes"] if ending else document


async def _restore(db: AsyncDatabase, job_id: str, undo: dict[str, Any], kind: JobKind) -> None:
    """Put an ended job back as its ending wrote it; `undo` reverts a late write first."""
    ending = await _ending(db, job_id, kind)
    await _update(db, job_id, undo | (ending["changes"] if ending else {}), kind)


async def write_unless_ended(
    db: AsyncDatabase, job_id: str, changes: dict[str, Any], kind: JobKind = TRAINING
) -> dict[str, Any] | None:
    """Write a non-terminal change in one round trip; None (and the write undone) when the job
    had ended.

    An ending inserts into `job_endings`, then writes the job. Our write landing between the
    two is overwritten by the second; landing after it, it finds the job ended in the document
    as it was before our write, and restores it.
    """
    before = await db[kind.jobs].find_one_and_update(
        {"_id": job_id}, {"$set": changes}, return_document=ReturnDocument.BEFORE
    )
    if before is None:
        return None
    if before["status"] not in ACTIVE:
        await _restore(db, job_id, {key: before.get(key) for key in changes}, kind)
        return None
    return before | changes


async def end_job(
    db: AsyncDatabase, job_id: str, changes: dict[str, Any], kind: JobKind = TRAINING
) -> dict[str, Any] | None:
    """Claim the job's one ending and write it; None when the job had ended already.

    A claim that loses also writes the winner's ending to the job, in case the winner stopped
    between its claim and its write.
    """
    try:
        await db[kind.endings].insert_one({"_id": job_id, "changes": changes, "at": now()})
    except DuplicateKeyError:
        await _restore(db, job_id, {}, kind)
        return None
    return await _update(db, job_id, changes, kind)


async def mark_running(
    stores: JobStores, job_id: str, attempt: int, *, lease_seconds: float = 60
) -> dict[str, Any] | None:
    """Mark the job running under a lease of `lease_seconds` (the worker passes
    JOB_REQUEUE_AFTER_SECONDS and renews it while it works; see workers/lease.py)."""
    started = now()
    running = {
        "status": JobStatus.running.value,
        "progress": progress("loading_data"),
        "started_at": started,
        "lease_until": started + timedelta(seconds=lease_seconds),
        "attempts": attempt,
        "error": None,
    }
    return await _announced(stores, await write_unless_ended(stores.db, job_id, running))


async def renew_lease(
    db: AsyncDatabase, job_id: str, lease_seconds: float, kind: JobKind = TRAINING
) -> None:
    """A live worker's sign that it still runs the job. Harmless on an ended job: only active
    jobs' leases are read."""
    until = now() + timedelta(seconds=lease_seconds)
    await db[kind.jobs].update_one({"_id": job_id}, {"$set": {"lease_until": until}})


async def set_stage(stores: JobStores, job_id: str, stage: str) -> None:
    """Write progress of a running job (one the worker just marked running)."""
    written = await write_unless_ended(stores.db, job_id, {"progress": progress(stage)})
    await _announced(stores, written)


async def mark_succeeded(
    stores: JobStores, job_id: str, model: dict[str, Any], warnings: list[str]
) -> dict[str, Any] | None:
    succeeded = {
        "status": JobStatus.succeeded.value,
        "progress": progress("done"),
        "finished_at": now(),
        "model_id": str(model["_id"]),
        "model_version": model["version"],
        "metrics": model["metrics"],
        "warnings": warnings,
    }
    return await _announced(stores, await end_job(stores.db, job_id, succeeded), ended=True)


async def mark_failed(
    stores: JobStores, job_id: str, error_type: str, message: str
) -> dict[str, Any] | None:
    failed = {
        "status": JobStatus.failed.value,
        "finished_at": now(),
        "error": {"type": error_type, "message": message[:2000]},
    }
    return await _announced(stores, await end_job(stores.db, job_id, failed), ended=True)


async def mark_cancelled(stores: JobStores, job_id: str) -> dict[str, Any] | None:
    cancelled = {"status": JobStatus.cancelled.value, "finished_at": now()}
    return await _announced(stores, await end_job(stores.db, job_id, cancelled), ended=True)


async def stale_active_jobs(
    db: AsyncDatabase, *, quiet_for: timedelta, kind: JobKind = TRAINING
) -> list[str]:
    """Ids of queued or running jobs no worker has shown a sign of life for (the requeue check).

    A running job is stale once its lease lapsed (its worker renews it while it works), a queued
    one once it is older than `quiet_for`; a running job recorded before leases existed counts
    from its creation too. The active jobs are few (a per-key quota bounds them), so they are
    read with a plain status filter and judged here, the same on MongoDB and FerretDB.
    """
    current = now()
    cursor = db[kind.jobs].find(
        {"status": {"$in": ACTIVE}}, projection={"created_at": 1, "lease_until": 1, "status": 1}
    )
    stale = []
    async for job in cursor:
        lease_until = job.get("lease_until") if job["status"] == JobStatus.running else None
        if (lease_until or job["created_at"] + quiet_for) < current:
            stale.append(job["_id"])
    return stale
