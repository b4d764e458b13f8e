"""wait_for_job uses the server's long poll (naming the state it saw), and falls back to
polling on a server that has none. Sync client over TCP against real processes; async client
against the in-process app with a worker in the same loop."""

from collections.abc import Iterator

import httpx
import pytest
from arq import Worker
from fastapi import FastAPI

from tensorfleet.client import AsyncTensorFleetClient, JobWaitTimeout, TensorFleetClient
from tensorfleet.schemas.training import JobStatus
from tests.client.support import Server
from tests.samples import SEED_BODY


class Recording(httpx.HTTPTransport):
    """A real transport that remembers each request it sent."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[httpx.Request] = []

    def record(self, request: httpx.Request) -> None:
        """A snapshot of the request as the client sent it (method, URL, headers)."""
        self.sent.append(httpx.Request(request.method, request.url, headers=request.headers))

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.record(request)
        return super().handle_request(request)


class OlderServer(Recording):
    """The same server as one from before the long poll: `wait` ignored, no ETag."""

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.record(request)
        request.url = request.url.copy_remove_param("wait")
        response = httpx.HTTPTransport.handle_request(self, request)
        response.headers.pop("etag", None)
        return response


class FullServer(Recording):
    """The same server holding LIVE_MAX_WAITERS waits already: every long poll is its 503."""

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if "wait" not in request.url.params:
            return super().handle_request(request)
        self.record(request)
        detail = "this server already holds 1000 long polls and event streams open"
        return httpx.Response(503, headers={"Retry-After": "5"}, json={"detail": detail})


def job_reads(transport: Recording, job_id: str) -> list[httpx.Request]:
    return [r for r in transport.sent if r.method == "GET" and r.url.path == f"/jobs/{job_id}"]


@pytest.fixture
def recording() -> Iterator[Recording]:
    yield Recording()


def test_wait_uses_the_long_poll(live: Server, recording: Recording) -> None:
    with TensorFleetClient(live.url, transport=recording) as tf:
        body = SEED_BODY | {"job_id": "wait-long", "model_name": "wait-long"}
        job = tf.wait_for_job(tf.train(**body).job_id, timeout=120)
    assert job.status == JobStatus.succeeded
    reads = job_reads(recording, "wait-long")
    assert all("wait" in r.url.params for r in reads)
    # Every poll after the first names the state the previous answer showed.
    assert all("if-none-match" in r.headers for r in reads[1:])


def test_wait_falls_back_to_polling_on_an_older_server(live: Server) -> None:
    older = OlderServer()
    seen = []
    with TensorFleetClient(live.url, transport=older) as tf:
        body = SEED_BODY | {"job_id": "wait-old", "model_name": "wait-old"}
        job = tf.wait_for_job(tf.train(**body).job_id, timeout=120, on_update=seen.append)
    assert job.status == JobStatus.succeeded and seen[-1] == job
    first, *then = job_reads(older, "wait-old")
    assert "wait" in first.url.params  # it tried the long poll once,
    assert then and all("wait" not in r.url.params for r in then)  # then polled plainly


def test_wait_falls_back_to_polling_when_the_server_holds_too_many_waits(
    live: Server,
) -> None:
    full = FullServer()
    with TensorFleetClient(live.url, transport=full) as tf:
        body = SEED_BODY | {"job_id": "wait-full", "model_name": "wait-full"}
        job = tf.wait_for_job(tf.train(**body).job_id, timeout=120)
    assert job.status == JobStatus.succeeded
    first, *then = job_reads(full, "wait-full")
    assert "wait" in first.url.params
    assert then and all("wait" not in r.url.params for r in then)


def test_wait_times_out_on_a_queued_job(idle: Server) -> None:
    with TensorFleetClient(idle.url) as tf:
        body = SEED_BODY | {"job_id": "wait-stuck", "model_name": "wait-stuck"}
        submitted = tf.train(**body)
        with pytest.raises(JobWaitTimeout) as raised:
            tf.wait_for_job(submitted.job_id, timeout=0.5)
    assert raised.value.job is not None and raised.value.job.status == JobStatus.queued


async def test_async_wait_uses_the_long_poll(app: FastAPI, worker: Worker) -> None:
    transport = httpx.ASGITransport(app=app.state.asgi)
    async with AsyncTensorFleetClient("http://testserver", transport=transport) as tf:
        body = SEED_BODY | {"job_id": "await-long", "model_name": "await-long"}
        states: list[str] = []
        submitted = await tf.train(**body)
        job = await tf.wait_for_job(
            submitted.job_id, timeout=120, on_update=lambda j: states.append(j.status.value)
        )
    assert job.status == JobStatus.succeeded
    assert states[-1] == "succeeded"
