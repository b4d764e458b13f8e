"""What a job's change tells the world: live watchers always; webhooks when it ended.

app/training/jobs.py calls `announce` after each write that changes a job's status or
progress, and only the writer that won a job's one ending announces the ending, so
`job.succeeded` and `job.failed` go out once per job. Announcing never fails the write: a
Redis or store outage here is logged, the job's own state is already safe.
"""

import logging
from typing import Any

from arq.connections import ArqRedis
from pymongo.asynchronous.database import AsyncDatabase

from app.events.emit import emit_event
from app.events.live import publish_job_change
from tensorfleet.schemas.events import EventType
from tensorfleet.schemas.training import JobStatus

logger = logging.getLogger(__name__)


def job_event(document: dict[str, Any]) -> tuple[EventType, dict[str, Any]] | None:
    """The webhook event of an ended job (docs/events.md); None for a cancelled one."""
    request = document.get("request") or {}
    common = {
        "job_id": document["_id"],
        "model_name": request.get("model_name"),
        "dataset_name": request.get("dataset_name"),
        "algorithm": request.get("algorithm"),
        "finished_at": document.get("finished_at"),
    }
    if document["status"] == JobStatus.succeeded:
        return EventType.job_succeeded, common | {
            "model_id": document.get("model_id"),
            "model_version": document.get("model_version"),
            "dataset_version": request.get("dataset_version"),
            "metrics": document.get("metrics"),
        }
    if document["status"] == JobStatus.failed:
        return EventType.job_failed, common | {"error": document.get("error")}
    return None


async def announce(
    redis: ArqRedis, db: AsyncDatabase, document: dict[str, Any], *, ended: bool = False
) -> None:
    await publish_job_change(redis, db.name, document)
    event = job_event(document) if ended else None
    if event is None:
        return
    try:
        await emit_event(redis, db, *event)
    except Exception:
        logger.exception("job %s: could not emit %s", document["_id"], event[0].value)
