"""The JobWatcher: a change published by any process (here: another Redis connection) wakes
the waits on that job, and only those."""

from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis

from app.config import Settings
from app.events.live import JobWatcher, job_watcher, publish_job_change
from app.resources import Resources
from tests.support import wait_for


@pytest.fixture
async def watcher(resources: Resources) -> AsyncIterator[JobWatcher]:
    async with job_watcher(
        resources.redis, resources.settings.mongodb_db, resources.settings.live_max_waiters
    ) as running:

        async def subscribed() -> bool:
            return running.trusted

        await wait_for(subscribed, timeout=10, interval=0.01)
        yield running


async def test_a_published_change_wakes_its_waits(watcher: JobWatcher, settings: Settings) -> None:
    other = aioredis.from_url(str(settings.redis_url))  # another process's connection
    try:
        with watcher.watching("job-a") as a, watcher.watching("job-b") as b:
            document = {"_id": "job-a", "status": "running", "progress": {"stage": "fitting"}}
            await publish_job_change(other, settings.mongodb_db, document)
            assert await a.changed(60) is True  # woken by the message, not by a recheck
            assert await b.changed(0.2) is False  # another job's change wakes nobody else
    finally:
        await other.aclose()
    assert watcher.waits == {}  # a finished wait leaves nothing behind


async def test_changes_of_another_database_are_not_heard(
    watcher: JobWatcher, resources: Resources
) -> None:
    with watcher.watching("job-c") as c:
        document = {"_id": "job-c", "status": "running", "progress": {"stage": "fitting"}}
        await publish_job_change(resources.redis, "another_database", document)
        assert await c.changed(0.2) is False
