"""Figure 4: downloading a large model file through the API against reading it from GridFS.

The file (random bytes, `download_mb` MiB) is published with app.registry.publish.publish_model.
The floor reads the same GridFS file's chunks with synchronous PyMongo in this process.
The API process's RSS is sampled every few milliseconds during each download; its growth is the
peak minus the RSS just before the request.
"""

import asyncio
import os
import threading
import time
from typing import Any

import httpx
import psutil
from gridfs import AsyncGridFSBucket
from pymongo import AsyncMongoClient, MongoClient
from pymongo.collection import Collection

from app.registry.publish import publish_model
from bench.stack import Stack
from bench.stats import summarize

MIB = 1024 * 1024
SAMPLE_SECONDS = 0.005
FLOOR_BATCH = 32


async def publish_random(url: str, database: str, size: int) -> dict[str, Any]:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(url, tz_aware=True)
    try:
        db = client[database]
        metadata = {
            "name": "bench-download",
            "algorithm": "random_forest",
            "hyperparameters": {},
            "metrics": {"train_accuracy": 1.0, "test_accuracy": 1.0},
            "dataset_name": "iris",
            "features": ["f0"],
            "classes": ["0"],
            "job_id": f"bench-download-{time.time_ns()}",
            "library_versions": {},
        }
        return await publish_model(
            db, AsyncGridFSBucket(db), payload=os.urandom(size), metadata=metadata
        )
    finally:
        await client.close()


class PeakRss:
    """Samples a process's RSS in a thread; `growth` is peak minus the RSS at start."""

    def __init__(self, pid: int) -> None:
        self.process = psutil.Process(pid)
        self.stop = threading.Event()
        self.baseline = self.peak = self.process.memory_info().rss
        self.thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self.stop.is_set():
            self.peak = max(self.peak, self.process.memory_info().rss)
            time.sleep(SAMPLE_SECONDS)

    def __enter__(self) -> "PeakRss":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join()
        self.peak = max(self.peak, self.process.memory_info().rss)

    @property
    def growth_mb(self) -> float:
        return round((self.peak - self.baseline) / MIB, 2)


def api_download(client: httpx.Client, model_id: str, size: int, pid: int) -> tuple[float, float]:
    with PeakRss(pid) as rss:
        started, received = time.perf_counter(), 0
        with client.stream("GET", f"/api/v1/models/{model_id}/download") as response:
            response.raise_for_status()
            for chunk in response.iter_raw(MIB):
                received += len(chunk)
        elapsed = time.perf_counter() - started
    if received != size:
        raise RuntimeError(f"download ended at {received} of {size} bytes")
    return elapsed, rss.growth_mb


def floor_download(chunks: Collection, file_id: Any, size: int) -> float:
    """The file's chunks straight from `fs.chunks` in order, 32 (8 MiB) per batch. Not
    `GridOut.read()`: on FerretDB v1.24 its cursor's second batch of a 100 MiB file is a 65 MB
    reply, above the 48 MB wire limit (ProtocolError); and iterating a GridOut
    (`for chunk in grid_out`) ran at 0.4 MB/s here."""
    started, received = time.perf_counter(), 0
    cursor = chunks.find({"files_id": file_id}, sort=[("n", 1)], batch_size=FLOOR_BATCH)
    for chunk in cursor:
        received += len(chunk["data"])
    elapsed = time.perf_counter() - started
    if received != size:
        raise RuntimeError(f"GridFS read ended at {received} of {size} bytes")
    return elapsed


def throughput(size: int, seconds: list[float]) -> dict[str, Any]:
    summary = summarize(seconds)
    summary["median_mb_per_s"] = round(size / MIB / (summary["median_ms"] / 1000), 1)
    return summary


def run(stack: Stack, config: dict, api_pid: int) -> dict[str, Any]:
    size, reps = config["download_mb"] * MIB, config["download_reps"]
    started = time.perf_counter()
    model = asyncio.run(publish_random(stack.mongodb_url, stack.database, size))
    publish_seconds = time.perf_counter() - started
    api_seconds, growth, floor_seconds = [], [], []
    mongo: MongoClient[dict[str, Any]] = MongoClient(stack.mongodb_url)
    try:
        chunks = mongo[stack.database]["fs.chunks"]
        with httpx.Client(base_url=stack.base_url, timeout=600) as client:
            _, first_growth = api_download(client, str(model["_id"]), size, api_pid)  # warm-up
            floor_download(chunks, model["file_id"], size)
            for _ in range(reps):  # interleaved, so drift in machine load hits both alike
                seconds, grown = api_download(client, str(model["_id"]), size, api_pid)
                api_seconds.append(seconds)
                growth.append(grown)
                floor_seconds.append(floor_download(chunks, model["file_id"], size))
    finally:
        mongo.close()
    api, floor = throughput(size, api_seconds), throughput(size, floor_seconds)
    return {
        "size_mb": config["download_mb"],
        "publish_seconds": round(publish_seconds, 2),
        "api": api,
        "floor": floor,
        "api_over_floor_throughput": round(api["median_mb_per_s"] / floor["median_mb_per_s"], 4),
        "api_rss_growth_mb": {
            "max": max([first_growth, *growth]),
            "first_download": first_growth,
            "per_run": growth,
        },
    }
