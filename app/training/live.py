"""Waiting on a job: the long poll (`GET /jobs/{id}?wait=N`) and the event stream
(`GET /jobs/{id}/events`), both woken by the process's JobWatcher (app/events/live.py).

A job's state is its status, stage and attempt, tagged as the ETag `"<status>.<stage>.<n>"`.
A waiter registers with the watcher first and reads the job second, so a change written after
the read always wakes it; each wake reads the job again from the store, the one truth.
"""

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from fastapi.sse import ServerSentEvent
from pymongo.asynchronous.database import AsyncDatabase

from app.events.live import JobWatcher
from app.training import jobs
from app.training.exceptions import JobNotFound
from tensorfleet.schemas.training import JobRead, JobStatus

WAIT_MAX_SECONDS = 60
STREAM_MAX_SECONDS = 3600  # a stream ends after an hour; EventSource reconnects by itself


def state_tag(document: dict[str, Any]) -> str:
    """The job's state as an ETag: it changes whenever the status or progress does."""
    stage = (document.get("progress") or {}).get("stage", "")
    return f'"{document["status"]}.{stage}.{document.get("attempts", 0)}"'


def ended(document: dict[str, Any]) -> bool:
    return JobStatus(document["status"]).ended


async def read(db: AsyncDatabase, job_id: str) -> dict[str, Any]:
    document = await jobs.get_job(db, job_id)
    if document is None:
        raise JobNotFound(job_id)
    return document


async def wait_for_change(
    db: AsyncDatabase, watcher: JobWatcher, job_id: str, *, seen: str | None, wait: float
) -> dict[str, Any]:
    """The job as soon as its state differs from `seen` (by default: from its state now) or it
    has ended, or as it is after `wait` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + min(wait, WAIT_MAX_SECONDS)
    with watcher.watching(job_id) as watch:
        document = await read(db, job_id)
        known = seen or state_tag(document)
        while state_tag(document) == known and not ended(document):
            remaining = deadline - loop.time()
            if remaining <= 0:
                break
            await watch.changed(remaining)
            document = await read(db, job_id)
    return document


def job_event(document: dict[str, Any]) -> ServerSentEvent:
    data = JobRead.from_document(document).model_dump(mode="json")
    return ServerSentEvent(event="job", id=state_tag(document), data=data)


async def job_events(
    db: AsyncDatabase, watcher: JobWatcher, job_id: str, *, last_seen: str | None
) -> AsyncIterator[ServerSentEvent]:
    """The job now (unless `last_seen` is its state), then at each change, until it ends; a
    comment line while nothing changes keeps proxies from closing the connection."""
    loop = asyncio.get_running_loop()
    deadline, known = loop.time() + STREAM_MAX_SECONDS, last_seen
    with watcher.watching(job_id) as watch:
        while True:
            document = await jobs.get_job(db, job_id)
            if document is None:  # deleted meanwhile
                return
            if state_tag(document) != known:
                known = state_tag(document)
                yield job_event(document)
            if ended(document) or loop.time() > deadline:
                return
            if not await watch.changed(deadline - loop.time()):
                yield ServerSentEvent(comment="heartbeat")
