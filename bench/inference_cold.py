"""The cold first request of a ~1 MB model: its first predict on an API process that has never
loaded it (the issue's target: under 100 ms), and where that time goes.

A random forest on Iris with as many trees as make its joblib file about 1 MiB is published
`cold_start_reps` times (each a model of its own, so each first request is cold: metadata
read, GridFS read, sha256, `joblib.load`, predict), each asked once on a fresh connection; then
a second request to the last one (warm, on a fresh connection) is the part every request pays.
The stages are timed again in this process against the same store, one at a time.
"""

import asyncio
import hashlib
import io
import statistics
import time
from collections.abc import Callable, Coroutine
from typing import Any

import joblib
import numpy as np
from gridfs import AsyncGridFSBucket
from pymongo import AsyncMongoClient
from sklearn.datasets import load_iris
from sklearn.ensemble import RandomForestClassifier

from app.inference.loading import read_model_file
from app.training.fitting import serialise
from bench import loadgen
from bench.rows import Rows
from bench.stack import Stack

TARGET_BYTES = 1 << 20
FEATURES = ["sepal_length", "sepal_width", "petal_length", "petal_width"]
Publish = Callable[[Stack, str, bytes], Coroutine[Any, Any, dict[str, Any]]]


def forest_of_about(target: int) -> tuple[Any, bytes]:
    """A forest on Iris whose file is about `target` bytes (trees are sized by a trial fit)."""
    bunch = load_iris()
    X, y = bunch.data, np.asarray(bunch.target_names)[bunch.target]
    trial = len(serialise(RandomForestClassifier(n_estimators=20, random_state=0).fit(X, y)))
    trees = max(1, round(target * 20 / trial))
    model = RandomForestClassifier(n_estimators=trees, random_state=0).fit(X, y)
    return model, serialise(model)


async def stages(stack: Stack, model_id: Any) -> dict[str, float]:
    """Each step of a cold load, in ms: metadata by id, file from GridFS, sha256, unpickle."""
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(stack.mongodb_url, tz_aware=True)
    try:
        db = client[stack.database]
        marks = [time.perf_counter()]
        document = await db["models"].find_one({"_id": model_id})
        marks.append(time.perf_counter())
        payload = await read_model_file(AsyncGridFSBucket(db), document or {})
        marks.append(time.perf_counter())
        hashlib.sha256(payload).hexdigest()
        marks.append(time.perf_counter())
        joblib.load(io.BytesIO(payload))
        marks.append(time.perf_counter())
    finally:
        await client.close()
    names = ("metadata", "gridfs_read", "sha256", "joblib_load")
    return {n: round((b - a) * 1000, 2) for n, a, b in zip(names, marks, marks[1:], strict=False)}


def run(stack: Stack, config: dict, publish: Publish) -> dict[str, Any]:
    model, payload = forest_of_about(TARGET_BYTES)
    bunch = load_iris()
    body = Rows(FEATURES, bunch.data.tolist(), bunch.data).body(1)
    firsts, documents = [], []
    for rep in range(config["cold_start_reps"]):
        document = asyncio.run(publish(stack, f"cold-{rep}", payload))
        url = f"{stack.base_url}/api/v1/models/{document['_id']}/predict"
        firsts.append(loadgen.first_request_ms(url, body))
        documents.append(document)
    warm = loadgen.first_request_ms(url, body)
    return {
        "model_bytes": len(payload),
        "trees": model.n_estimators,
        "first_request_ms": firsts,
        "median_ms": round(statistics.median(firsts), 2),
        "warm_fresh_connection_ms": warm,
        "stages_ms": asyncio.run(stages(stack, documents[-1]["_id"])),
    }
