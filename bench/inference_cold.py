"""The cold first request of a ~1 MB model: its first predict on an API process that has never
loaded it (the issue's target: under 100 ms), and where that time goes.

Two models of about 1 MiB: a random forest on Iris with as many trees as make that size (many
small objects to unpickle, and a predict that walks every tree), and one deep decision tree
(a few large arrays, a predict of microseconds). Each is published `cold_start_reps` times
(each a model of its own, so each first request is cold: metadata read, GridFS read, sha256,
`joblib.load`, predict) and asked once on a fresh connection; then a second request to the
last one (warm, on a fresh connection) is the part every request pays, so first minus warm is
the cold load's own cost. The stages are timed again in this process, one at a time.
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
from sklearn.tree import DecisionTreeClassifier

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


def tree_of_about(target: int) -> tuple[Any, bytes]:
    """One unpruned decision tree on random labels, grown to about `target` bytes."""
    rng = np.random.default_rng(0)

    def fitted(n: int) -> Any:
        X, y = rng.normal(size=(n, 4)), rng.choice(["a", "b", "c"], n)
        return DecisionTreeClassifier(random_state=0).fit(X, y)

    trial = len(serialise(fitted(2000)))
    model = fitted(max(10, round(2000 * target / trial)))
    return model, serialise(model)


async def stages(stack: Stack, model_id: Any) -> dict[str, float]:
    """Each step of a cold load, in ms: metadata by id, file from GridFS, sha256, unpickle;
    and how many GridFS chunks the store holds (FerretDB v1.24 reads them all to find a
    file's: its cost grows with the store, where MongoDB's index lookup does not)."""
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(stack.mongodb_url, tz_aware=True)
    try:
        db = client[stack.database]
        marks = [time.perf_counter()]
        document = await db["models"].find_one({"_id": model_id})
        marks.append(time.perf_counter())
        payload = await read_model_file(AsyncGridFSBucket(db), db["fs.chunks"], document or {})
        marks.append(time.perf_counter())
        hashlib.sha256(payload).hexdigest()
        marks.append(time.perf_counter())
        joblib.load(io.BytesIO(payload))
        marks.append(time.perf_counter())
        chunks = await db["fs.chunks"].count_documents({})
    finally:
        await client.close()
    names = ("metadata", "gridfs_read", "sha256", "joblib_load")
    timed = zip(names, marks, marks[1:], strict=False)
    return {n: round((b - a) * 1000, 2) for n, a, b in timed} | {"store_chunks": chunks}


def measure(stack: Stack, name: str, payload: bytes, reps: int, publish: Publish) -> dict:
    bunch = load_iris()
    body = Rows(FEATURES, bunch.data.tolist(), bunch.data).body(1)
    firsts, url, model_id = [], "", None
    for rep in range(reps):
        document = asyncio.run(publish(stack, f"cold-{name}-{rep}", payload))
        model_id = document["_id"]
        url = f"{stack.base_url}/api/v1/models/{model_id}/predict"
        firsts.append(loadgen.first_request_ms(url, body))
    warm = loadgen.first_request_ms(url, body)
    median = statistics.median(firsts)
    return {
        "model_bytes": len(payload),
        "first_request_ms": firsts,
        "median_ms": round(median, 2),
        "warm_fresh_connection_ms": warm,
        "cold_cost_ms": round(median - warm, 2),
        "stages_ms": asyncio.run(stages(stack, model_id)),
    }


def run(stack: Stack, config: dict, publish: Publish) -> dict[str, Any]:
    reps, out = config["cold_start_reps"], {}
    forest, payload = forest_of_about(TARGET_BYTES)
    out["forest"] = measure(stack, "forest", payload, reps, publish)
    out["forest"]["description"] = f"{forest.n_estimators}-tree random forest"
    tree, payload = tree_of_about(TARGET_BYTES)
    out["tree"] = measure(stack, "tree", payload, reps, publish)
    out["tree"]["description"] = f"decision tree of {tree.tree_.node_count} nodes"
    return out
