"""A bounded load run: 50 concurrent clients for 30 s listing, reading, downloading and asking
for statistics, while 50 training jobs are submitted. Every answer is the expected one (no 5xx,
and no 4xx either), every job ends; p50/p95/p99 latencies printed per operation."""

import asyncio
import random
import statistics
import time
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx

from app.config import Settings
from tests.samples import FAULTS_AUTH as AUTH
from tests.samples import iris_model_bytes, publish
from tests.support import ENDED, job_states, run_api, run_worker, wait_for

CLIENTS = 50
DURATION_SECONDS = 30
TRAINING_JOBS = 50
SEEDED_MODELS = 10
# Every request is valid and authorised: any other status, 4xx included, is a failure.
EXPECTED = {"list": 200, "get": 200, "download": 200, "statistics": 200, "train": 202}


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class Recorder:
    def __init__(self) -> None:
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.codes: Counter = Counter()

    async def time(self, name: str, call: Callable[[], Awaitable[httpx.Response]]) -> None:
        started = time.perf_counter()
        try:
            response = await call()
            code = response.status_code
        except httpx.HTTPError as exc:
            code = type(exc).__name__
        self.latencies[name].append(time.perf_counter() - started)
        self.codes[(name, code)] += 1

    def report(self) -> str:
        lines = [f"{'operation':<12}{'n':>7}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}"]
        for name, samples in sorted(self.latencies.items()):
            ms = [s * 1000 for s in samples]
            lines.append(
                f"{name:<12}{len(ms):>7}{statistics.median(ms):>9.1f}"
                f"{percentile(ms, 0.95):>9.1f}{percentile(ms, 0.99):>9.1f}"
            )
        return "\n".join(lines)


async def client_loop(
    http: httpx.AsyncClient,
    model_ids: list[str],
    until: float,
    recorder: Recorder,
    rng: random.Random,
) -> None:
    while time.monotonic() < until:
        model_id = rng.choice(model_ids)
        operation = rng.choices(["list", "get", "download", "statistics"], [4, 3, 2, 1])[0]
        path = {
            "list": f"/api/v1/models?page={rng.randint(1, 3)}&limit=5",
            "get": f"/api/v1/models/{model_id}",
            "download": f"/api/v1/models/{model_id}/download",
            "statistics": "/api/v1/statistics",
        }[operation]
        await recorder.time(operation, lambda path=path: http.get(path, headers=AUTH))


async def submit_jobs(http: httpx.AsyncClient, recorder: Recorder, accepted: list[str]) -> None:
    gap = DURATION_SECONDS * 0.8 / TRAINING_JOBS
    for n in range(TRAINING_JOBS):
        body = {
            "dataset_name": ("iris", "wine")[n % 2],
            "algorithm": ("decision_tree", "logistic_regression", "random_forest")[n % 3],
            "model_name": f"load-{n % 5}",
        }

        async def call(body=body) -> httpx.Response:
            response = await http.post("/train", json=body, headers=AUTH)
            if response.status_code == 202:
                accepted.append(response.json()["job_id"])
            return response

        await recorder.time("train", call)
        await asyncio.sleep(gap)


async def test_fifty_clients_for_thirty_seconds(fault_settings: Settings, tmp_path: Path) -> None:
    model_ids = [
        str((await publish(fault_settings, iris_model_bytes(), name=f"seed-{n}"))["_id"])
        for n in range(SEEDED_MODELS)
    ]
    recorder, accepted = Recorder(), []
    limits = httpx.Limits(max_connections=CLIENTS + 5)
    with (
        run_api(fault_settings, tmp_path / "api.log") as api,
        run_worker(fault_settings, tmp_path / "worker.log", WORKER_MAX_JOBS="4"),
    ):
        async with httpx.AsyncClient(
            base_url=api.url, timeout=30, limits=limits, headers=AUTH
        ) as http:
            until = time.monotonic() + DURATION_SECONDS
            rngs = [random.Random(n) for n in range(CLIENTS)]
            await asyncio.gather(
                submit_jobs(http, recorder, accepted),
                *(client_loop(http, model_ids, until, recorder, rng) for rng in rngs),
            )
            await wait_for(lambda: ended(http, accepted), timeout=180, interval=1)
            states = Counter((await job_states(http, accepted)).values())
    total = sum(recorder.codes.values())
    print(
        f"\n{total} requests in {DURATION_SECONDS} s by {CLIENTS} clients "
        f"({total / DURATION_SECONDS:.0f}/s); jobs: {dict(states)}\n{recorder.report()}"
    )
    unexpected = {(op, code): n for (op, code), n in recorder.codes.items() if code != EXPECTED[op]}
    assert unexpected == {}, unexpected  # no 5xx, no transport error, and no 4xx either
    assert len(accepted) == TRAINING_JOBS
    assert set(states) <= ENDED and sum(states.values()) == TRAINING_JOBS
    assert states["succeeded"] == TRAINING_JOBS
    assert "Traceback" not in api.output()


async def ended(http: httpx.AsyncClient, job_ids: list[str]) -> bool:
    return set((await job_states(http, job_ids)).values()) <= ENDED
