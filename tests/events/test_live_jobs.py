"""Live job updates: the long poll answers as soon as a job changes (the change travels through
Redis pub/sub from whoever wrote it), an ETag it was given names the state the caller knows,
and the event stream ends with the job's end state."""

import asyncio
import json
from typing import Any

import httpx
from arq import Worker

from app.resources import Resources
from app.training import jobs
from tests.events.support import MODEL, queued_job
from tests.samples import SEED_BODY
from tests.support import wait_for_job

BOUND = 30  # seconds a test gives an answer before failing; every wait asked for is longer


async def poll(client: httpx.AsyncClient, job_id: str, **headers: str) -> httpx.Response:
    response = await client.get(f"/jobs/{job_id}", params={"wait": 60}, headers=headers)
    assert response.status_code == 200, response.text
    return response


async def test_long_poll_answers_on_the_first_change(
    client: httpx.AsyncClient, resources: Resources
) -> None:
    await queued_job(resources, "lp-change")
    known = (await client.get("/jobs/lp-change")).headers["etag"]
    waiting = asyncio.create_task(poll(client, "lp-change", **{"If-None-Match": known}))
    await asyncio.sleep(0.2)  # the poll is (most likely) waiting; the test holds either way
    assert await jobs.mark_running(resources, "lp-change", 1)
    async with asyncio.timeout(BOUND):
        answer = await waiting
    assert answer.json()["status"] == "running"
    assert answer.headers["etag"] == '"running.loading_data.1"'


async def test_a_change_between_polls_is_not_lost(
    client: httpx.AsyncClient, resources: Resources
) -> None:
    """The caller names the state it knows; a change it has not seen answers at once."""
    await queued_job(resources, "lp-between")
    first = await client.get("/jobs/lp-between")
    assert first.headers["etag"] == '"queued.queued.0"'
    await jobs.mark_running(resources, "lp-between", 1)
    async with asyncio.timeout(BOUND):
        answer = await poll(client, "lp-between", **{"If-None-Match": first.headers["etag"]})
    assert answer.json()["status"] == "running"


async def test_an_ended_job_answers_at_once(
    client: httpx.AsyncClient, resources: Resources
) -> None:
    await queued_job(resources, "lp-ended")
    await jobs.mark_cancelled(resources, "lp-ended")
    async with asyncio.timeout(BOUND):
        answer = await poll(client, "lp-ended")
    assert answer.json()["status"] == "cancelled"


async def test_no_change_answers_the_same_state_after_the_wait(
    client: httpx.AsyncClient, resources: Resources
) -> None:
    await queued_job(resources, "lp-quiet")
    answer = await client.get("/jobs/lp-quiet", params={"wait": 0.3})
    assert answer.status_code == 200
    assert answer.json()["status"] == "queued" and answer.headers["etag"] == '"queued.queued.0"'


async def test_bad_waits(client: httpx.AsyncClient, resources: Resources) -> None:
    await queued_job(resources, "lp-bad")
    for wait in ("61", "-1", "soon", "nan"):
        response = await client.get("/jobs/lp-bad", params={"wait": wait})
        assert response.status_code == 422, wait
        assert response.json()["detail"][0]["loc"] == ["query", "wait"]
    assert (await client.get("/jobs/nope", params={"wait": 1})).status_code == 404
    assert (await client.get("/jobs/nope/events")).status_code == 404


def parse_events(text: str) -> list[dict[str, Any]]:
    events = []
    for block in text.split("\n\n"):
        lines = block.splitlines()
        data = [line.removeprefix("data: ") for line in lines if line.startswith("data: ")]
        if "event: job" in lines and data:
            events.append(json.loads("\n".join(data)))
    return events


async def test_stream_follows_a_job_to_its_end(
    client: httpx.AsyncClient, resources: Resources
) -> None:
    await queued_job(resources, "sse-steps")
    streaming = asyncio.create_task(client.get("/jobs/sse-steps/events"))
    await asyncio.sleep(0.2)
    await jobs.mark_running(resources, "sse-steps", 1)
    await jobs.set_stage(resources, "sse-steps", "fitting")
    await jobs.mark_succeeded(resources, "sse-steps", MODEL, [])
    async with asyncio.timeout(BOUND):
        response = await streaming
    assert response.headers["content-type"].startswith("text/event-stream")
    states = [
        (event["status"], event["progress"]["stage"]) for event in parse_events(response.text)
    ]
    assert states[-1] == ("succeeded", "done")
    order = ["queued", "loading_data", "fitting", "done"]
    stages = [order.index(stage) for _, stage in states]
    assert stages == sorted(set(stages))  # each state once, in the order they happened


async def test_stream_of_a_real_training_job(client: httpx.AsyncClient, worker: Worker) -> None:
    body = SEED_BODY | {"job_id": "sse-real", "model_name": "sse-model"}
    assert (await client.post("/train", json=body)).status_code == 202
    async with asyncio.timeout(BOUND * 2):
        response = await client.get("/jobs/sse-real/events")
    events = parse_events(response.text)
    assert events[-1]["status"] == "succeeded" and events[-1]["model_id"]
    assert events[-1] == (await wait_for_job(client, "sse-real"))
