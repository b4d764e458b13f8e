"""Live job updates across API replicas: a Redis pub/sub channel per database.

Whoever writes a job (app/training/jobs.py, in the API or a worker) publishes its id, status
and stage on the channel. Each API process keeps one subscription (a `JobWatcher`, opened by
the lifespan) and wakes the requests waiting on that job, which then read the job from the
store: the message only says "look again", so a lost or reordered message can delay an answer
but never make it wrong. While the subscription is down (Redis lost), waiters fall back to
reading the store every half second.
"""

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Iterator
from typing import Any

from redis.asyncio import Redis

from app.events.exceptions import TooManyWaiters

logger = logging.getLogger(__name__)

RETRY_SECONDS = 1.0
# How long a waiter trusts the subscription before it reads the store anyway, and how often it
# reads while the subscription is down.
TRUSTED_RECHECK_SECONDS = 10.0
UNTRUSTED_RECHECK_SECONDS = 0.5


def jobs_channel(database: str) -> str:
    """One channel per MongoDB database: the jobs it names live there."""
    return f"tensorfleet:{database}:jobs:changed"


async def publish_job_change(redis: Redis, database: str, document: dict[str, Any]) -> None:
    """Announce that a job changed; never fails the write that changed it."""
    progress = document.get("progress") or {}
    message = {
        "job_id": document["_id"],
        "status": document["status"],
        "stage": progress.get("stage"),
    }
    try:
        await redis.publish(jobs_channel(database), json.dumps(message))
    except Exception as exc:  # waiters read the store again on their own within seconds
        logger.warning("could not announce a change of job %s: %s", document["_id"], exc)


class Watch:
    """One request's wait on one job: `changed` returns when the job may have changed."""

    def __init__(self, watcher: "JobWatcher") -> None:
        self.watcher, self.event = watcher, asyncio.Event()

    async def changed(self, timeout: float) -> bool:
        """Return on a change (True), or after `timeout` or sooner, to read the store anyway
        (False)."""
        recheck = TRUSTED_RECHECK_SECONDS if self.watcher.trusted else UNTRUSTED_RECHECK_SECONDS
        woken = False
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(max(0.0, min(timeout, recheck))):
                woken = await self.event.wait()
        self.event.clear()
        return woken


class JobWatcher:
    """The process's one subscription to job changes, and the waits it wakes: at most
    `max_waits` at once (LIVE_MAX_WAITERS), as each is a request held open."""

    def __init__(self, redis: Redis, database: str, max_waits: int) -> None:
        self.redis, self.channel = redis, jobs_channel(database)
        self.waits: dict[str, set[Watch]] = {}
        self.waiting, self.max_waits = 0, max_waits
        self.trusted = False

    def ensure_room(self) -> None:
        """TooManyWaiters when no further wait may start (an event stream asks before it
        starts streaming: after that, a refusal can no longer be a status code)."""
        if self.waiting >= self.max_waits:
            raise TooManyWaiters(self.max_waits)

    @contextlib.contextmanager
    def watching(self, job_id: str) -> Iterator[Watch]:
        """Register a wait on the job: do this before reading the job, so that no change made
        after the read goes unnoticed."""
        self.ensure_room()
        watch = Watch(self)
        self.waits.setdefault(job_id, set()).add(watch)
        self.waiting += 1
        try:
            yield watch
        finally:
            self.waiting -= 1
            self.waits[job_id].discard(watch)
            if not self.waits[job_id]:
                del self.waits[job_id]

    def wake(self, job_id: str | None = None) -> None:
        """Wake the waits on one job (every wait when None)."""
        targets = self.waits.get(job_id, set()) if job_id else set().union(*self.waits.values())
        for watch in targets:
            watch.event.set()

    def on_message(self, data: bytes | str) -> None:
        try:
            job_id = json.loads(data)["job_id"]
        except (ValueError, KeyError, TypeError):
            return
        self.wake(str(job_id))

    async def _listen_once(self) -> None:
        async with self.redis.pubsub(ignore_subscribe_messages=True) as pubsub:
            await pubsub.subscribe(self.channel)
            self.trusted = True
            self.wake()  # changes may have been missed while unsubscribed
            while True:
                message = await pubsub.get_message(timeout=5.0)
                if message is not None and message.get("type") == "message":
                    self.on_message(message["data"])

    async def run(self) -> None:
        """Run until cancelled, subscribing again after any failure."""
        while True:
            try:
                await self._listen_once()
            except asyncio.CancelledError:
                self.trusted = False
                raise
            except Exception as exc:
                self.trusted = False
                logger.warning("job update listener lost Redis (%s); retrying", exc)
                await asyncio.sleep(RETRY_SECONDS)


@contextlib.asynccontextmanager
async def job_watcher(redis: Redis, database: str, max_waits: int) -> AsyncIterator[JobWatcher]:
    """A running JobWatcher for the lifespan of an API process."""
    watcher = JobWatcher(redis, database, max_waits)
    task = asyncio.create_task(watcher.run())
    try:
        yield watcher
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
