"""The event stream from a real `python -m app` over TCP: each change arrives while the stream
is open (not all at the end), and the stream closes after the end state."""

import asyncio
import json
from collections.abc import Iterator

import httpx
import pytest

from app.config import Settings
from app.resources import Resources
from app.training import jobs
from tests.events.support import MODEL, queued_job
from tests.support import Process, run_api

BOUND = 30


@pytest.fixture(scope="module")
def api(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Process]:
    with run_api(settings, tmp_path_factory.mktemp("stream") / "api.log") as running:
        yield running


async def next_job_event(lines: "asyncio.Queue[str]") -> dict:
    async with asyncio.timeout(BOUND):
        while True:
            line = await lines.get()
            if line.startswith("data: "):
                return json.loads(line.removeprefix("data: "))


async def test_changes_arrive_while_the_stream_is_open(api: Process, resources: Resources) -> None:
    await queued_job(resources, "tcp-stream")
    lines: asyncio.Queue[str] = asyncio.Queue()
    async with httpx.AsyncClient(base_url=api.url, timeout=BOUND) as http:

        async def read() -> None:
            async with http.stream("GET", "/jobs/tcp-stream/events") as response:
                assert response.headers["content-type"].startswith("text/event-stream")
                async for line in response.aiter_lines():
                    await lines.put(line)
            await lines.put("closed")

        reading = asyncio.create_task(read())
        assert (await next_job_event(lines))["status"] == "queued"
        await jobs.mark_running(resources, "tcp-stream", 1)
        assert (await next_job_event(lines))["status"] == "running"
        await jobs.mark_succeeded(resources, "tcp-stream", MODEL, [])
        assert (await next_job_event(lines))["status"] == "succeeded"
        async with asyncio.timeout(BOUND):
            await reading
