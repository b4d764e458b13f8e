"""Waiters held open (long polls and event streams) are bounded per API process by
LIVE_MAX_WAITERS: one more is a 503 naming the setting, before anything is streamed, and a slot
is free again once a waiter ends."""

import asyncio

import httpx

from app.config import Settings
from app.resources import Resources
from app.training import jobs
from tests.events.support import queued_job
from tests.support import replica, wait_for

BOUND = 30


def assert_refused(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert "LIVE_MAX_WAITERS" in response.json()["detail"]
    assert int(response.headers["retry-after"]) >= 1


async def test_waiters_beyond_the_bound_are_refused_503(
    settings: Settings, resources: Resources
) -> None:
    await queued_job(resources, "live-cap")
    limited = settings.model_copy(update={"live_max_waiters": 2})
    async with replica(limited) as http:
        polls = [
            asyncio.create_task(http.get("/jobs/live-cap", params={"wait": 60})) for _ in range(3)
        ]

        async def one_refused() -> list[asyncio.Task] | None:
            return [poll for poll in polls if poll.done()] or None

        (refused,) = await wait_for(one_refused, timeout=BOUND)  # the other two hold on
        assert_refused(refused.result())
        assert_refused(await http.get("/jobs/live-cap/events"))
        assert (await http.get("/jobs/live-cap")).status_code == 200  # no wait: not a waiter
        await jobs.mark_running(resources, "live-cap", 1)
        async with asyncio.timeout(BOUND):
            answers = await asyncio.gather(*(poll for poll in polls if poll is not refused))
        assert [answer.json()["status"] for answer in answers] == ["running", "running"]
        assert (await http.get("/jobs/live-cap", params={"wait": 0})).status_code == 200
