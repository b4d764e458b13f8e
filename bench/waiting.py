"""Figure 1b: waiting for a job, end to end: the client's long poll against its old polling.

The same training request, submitted and waited for by `TensorFleetClient.wait_for_job` three
ways: the long poll (`GET /jobs/{id}?wait=`, answered as soon as the job changes); the client's
polling as it was before the long poll (Backoff: 100 ms, x1.5, at most 2 s), the peer; and
polling every 10 ms, the floor polling can reach at a hundred requests a second. Each way also
counts the job reads it made per job.
"""

import time
from typing import Any

import httpx

from bench.stats import ratio, summarize
from tensorfleet.client import Backoff, TensorFleetClient
from tensorfleet.schemas.training import TrainRequest

CASE = {"dataset_name": "iris", "algorithm": "logistic_regression"}
REQUEST = TrainRequest(**CASE, model_name="bench-waiting")
WAYS: dict[str, dict[str, Any]] = {
    "long_poll": {"long_poll": True},
    "backoff_polling": {"long_poll": False},
    "poll_10ms": {"long_poll": False, "backoff": Backoff(0.01, 1.0, 0.01)},
}


class CountingTransport(httpx.HTTPTransport):
    def __init__(self) -> None:
        super().__init__()
        self.job_reads = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "GET" and request.url.path.startswith("/jobs/"):
            self.job_reads += 1
        return super().handle_request(request)


def once(client: TensorFleetClient, options: dict[str, Any]) -> float:
    started = time.perf_counter()
    submitted = client.train(REQUEST)
    job = client.wait_for_job(submitted.job_id, timeout=120, **options)
    if job.status.value != "succeeded":
        raise RuntimeError(f"job {job.job_id} {job.status.value}: {job.error}")
    return time.perf_counter() - started


def run(base_url: str, config: dict[str, Any]) -> dict[str, Any]:
    """The three ways, interleaved by rep so the machine's load falls on each alike."""
    reps, warmup = config["train_reps"], config["warmup"]
    transports = {name: CountingTransport() for name in WAYS}
    clients = {name: TensorFleetClient(base_url, transport=transports[name]) for name in WAYS}
    samples: dict[str, list[float]] = {name: [] for name in WAYS}
    try:
        for rep in range(warmup + reps):
            if rep == warmup:
                for transport in transports.values():
                    transport.job_reads = 0
            for name, options in WAYS.items():
                samples[name].append(once(clients[name], options))
    finally:
        for client in clients.values():
            client.close()
    ways = {
        name: summarize(samples[name][warmup:]) | {"job_reads_per_job": t.job_reads / reps}
        for name, t in transports.items()
    }
    long_poll = ways["long_poll"]["median_ms"]
    return {
        "case": CASE,
        "ways": ways,
        "long_poll_over_backoff": ratio(long_poll, ways["backoff_polling"]["median_ms"]),
        "long_poll_over_poll_10ms": ratio(long_poll, ways["poll_10ms"]["median_ms"]),
    }
