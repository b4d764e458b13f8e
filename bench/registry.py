"""Figure 3: registry reads at 10,000 and 100,000 models, against the same reads in PyMongo.

The metadata is seeded straight into `models` (documents shaped as tensorfleet/schemas/registry.py
describes; file ids point nowhere, which list and get never follow). The floor runs the queries
the API runs (find with the same sort, skip, limit and index hint, plus the count for `total`),
with synchronous PyMongo in this process.
"""

import asyncio
import random
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from bson import ObjectId
from pymongo import AsyncMongoClient, MongoClient
from pymongo.collection import Collection

from app.registry.listing import after_query, sort_spec
from app.resources import ensure_indexes
from app.storage import INDEXES
from bench import mlflow_bridge
from bench.stack import Stack
from bench.stats import ratio, summarize
from tensorfleet.schemas.registry import ModelSort, SortOrder

ALGORITHMS = ["logistic_regression", "random_forest", "svm", "decision_tree"]
DATASETS = ["iris", "wine"]
NAMES = 1000
BATCH = 1000
LIMIT = 10
DEPTH = 0.9  # the deep page sits at 90% of the list
SORT = sort_spec(ModelSort.created_at, SortOrder.desc)
EPOCH = datetime(2025, 1, 1, tzinfo=UTC)


def model_document(i: int) -> dict[str, Any]:
    return {
        "name": f"seeded-{i % NAMES}",
        "version": i // NAMES + 1,
        "algorithm": ALGORITHMS[i % len(ALGORITHMS)],
        "hyperparameters": {"random_state": 42},
        "metrics": {
            "train_accuracy": 0.97,
            "test_accuracy": round(0.8 + (i % 200) / 1000, 3),
            "precision_macro": 0.9,
            "recall_macro": 0.9,
            "f1_macro": 0.9,
            "fit_seconds": 0.01,
            "confusion_matrix": [{"actual": c, "counts": [10, 0, 0]} for c in ("0", "1", "2")],
        },
        "dataset_name": DATASETS[i % len(DATASETS)],
        "features": ["f0", "f1", "f2", "f3"],
        "classes": ["0", "1", "2"],
        "job_id": f"seeded-job-{i}",
        "file_id": ObjectId(),
        "size": 2048,
        "sha256": f"{i:064x}",
        "format": "joblib",
        "library_versions": {"scikit-learn": "1.9.1", "joblib": "1.5", "python": "3.11"},
        "created_at": EPOCH + timedelta(seconds=i),
    }


async def create_indexes(url: str, database: str) -> None:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(url)
    try:
        await ensure_indexes(client[database], INDEXES)
    finally:
        await client.close()


def seed(models: Collection, start: int, target: int, deadline: float) -> tuple[int, float]:
    """Insert seeded documents numbered start..target-1 in batches, stopping at the deadline.
    Returns the number inserted and the seconds it took."""
    started, inserted = time.perf_counter(), 0
    for first in range(start, target, BATCH):
        if time.monotonic() > deadline:
            break
        batch = [model_document(i) for i in range(first, min(first + BATCH, target))]
        inserted += len(models.insert_many(batch, ordered=False).inserted_ids)
    return inserted, time.perf_counter() - started


def timed(call: Callable[[], Any], reps: int, budget: float, warmup: int = 3) -> list[float]:
    """Up to `reps` timings after a warm-up, stopping once `budget` seconds are spent (always
    one sample). A first call slower than a tenth of the budget counts as a sample: on FerretDB
    v1.24 a sorted list of 100,000 models takes tens of seconds, so warming it is unaffordable."""
    deadline = time.monotonic() + budget
    started = time.perf_counter()
    call()
    first = time.perf_counter() - started
    samples = [first] if first > budget / 10 else []
    for _ in range(0 if samples else warmup - 1):
        call()
    while len(samples) < reps and (not samples or time.monotonic() < deadline):
        started = time.perf_counter()
        call()
        samples.append(time.perf_counter() - started)
    return samples


def http_reads(client: httpx.Client, deep_page: int, cursor: str, ids: list) -> dict:
    def get(path: str, **params: Any) -> Callable[[], Any]:
        def call() -> None:
            client.get(path, params=params).raise_for_status()

        return call

    return {
        "page1": get("/api/v1/models", limit=LIMIT),
        "deep_page": get("/api/v1/models", page=deep_page, limit=LIMIT),
        "deep_cursor": get("/api/v1/models", after=cursor, limit=LIMIT),
        "filtered": get("/api/v1/models", algorithm="svm", limit=LIMIT),
        "get": lambda: client.get(f"/api/v1/models/{random.choice(ids)}").raise_for_status(),
    }


def floor_reads(models: Collection, deep_page: int, cursor_doc: dict, ids: list) -> dict:
    def page(query: dict, skip: int, hint: str, count: Callable[[], int]) -> Callable[[], Any]:
        def call() -> None:
            models.find(query, sort=SORT, skip=skip, limit=LIMIT + 1, hint=hint).to_list()
            count()

        return call

    after = after_query(
        ModelSort.created_at, SortOrder.desc, cursor_doc["created_at"], cursor_doc["_id"]
    )
    estimated = models.estimated_document_count
    return {
        "page1": page({}, 0, "created", estimated),
        "deep_page": page({}, (deep_page - 1) * LIMIT, "created", estimated),
        "deep_cursor": page(after, 0, "created", estimated),
        "filtered": page(
            {"algorithm": "svm"},
            0,
            "algorithm_created",
            lambda: models.count_documents({"algorithm": "svm"}),
        ),
        "get": lambda: models.find_one({"_id": random.choice(ids)}),
    }


def sample_ids(models: Collection, count: int) -> list:
    """Ids drawn from the whole collection. Not the first `count` in natural order: a store
    that scans for an `_id` (FerretDB v1.24) stops at the first match, so the oldest rows come
    back fastest and would flatter the figure."""
    every = [document["_id"] for document in models.find({}, projection={"_id": 1})]
    return random.Random(7).sample(every, min(count, len(every)))


def measure_size(stack: Stack, models: Collection, reps: int, budget: float) -> dict[str, Any]:
    total = models.estimated_document_count()
    deep_page = max(1, int(total * DEPTH) // LIMIT)
    cursor_doc = models.find({}, sort=SORT, skip=deep_page * LIMIT - 1, limit=1, hint="created")
    cursor_doc = cursor_doc.to_list()[0]
    ids = sample_ids(models, 2000)
    with httpx.Client(base_url=stack.base_url, timeout=900) as client:
        # Cursors are signed by the API: ask it for the one after that document (the last of
        # page deep_page).
        listing = client.get("/api/v1/models", params={"page": deep_page, "limit": LIMIT})
        cursor = listing.raise_for_status().json()["next_cursor"]
        api_reads = http_reads(client, deep_page, cursor, ids)
        api = {k: timed(c, reps, budget) for k, c in api_reads.items()}
    floor_calls = floor_reads(models, deep_page, cursor_doc, ids)
    floor = {k: timed(c, reps, budget) for k, c in floor_calls.items()}
    reads: dict[str, dict[str, Any]] = {}
    for name in api:
        reads[name] = {"api": summarize(api[name]), "floor": summarize(floor[name])}
        for q in ("median", "p99"):
            reads[name][f"{q}_over_floor"] = ratio(
                reads[name]["api"][f"{q}_ms"], reads[name]["floor"][f"{q}_ms"]
            )
    return {"models": total, "deep_page": deep_page, "reads": reads}


def mlflow_reads(config: dict, work_dir: Path, status: dict) -> dict[str, Any]:
    if not status["available"]:
        return {"available": False, "reason": status["reason"]}
    result = mlflow_bridge.registry(
        versions=config["mlflow_versions"], reps=config["registry_reps"], work_dir=work_dir
    )
    reads = {name: summarize(samples) for name, samples in result["reads"].items()}
    return {"available": True, "versions": result["versions"], "reads": reads}


def run(stack: Stack, config: dict, work_dir: Path, mlflow_status: dict) -> dict[str, Any]:
    asyncio.run(create_indexes(stack.mongodb_url, stack.database))
    mongo: MongoClient[dict[str, Any]] = MongoClient(stack.mongodb_url, tz_aware=True)
    models = mongo[stack.database]["models"]
    deadline = time.monotonic() + config["seed_budget_seconds"]
    results: dict[str, Any] = {"sizes": {}, "seeding": []}
    seeded = 0
    try:
        for size in config["registry_sizes"]:
            existing = models.estimated_document_count()
            inserted, seconds = seed(models, seeded, seeded + size - existing, deadline)
            seeded += inserted
            results["seeding"].append(
                {"target": size, "inserted": inserted, "seconds": round(seconds, 2)}
            )
            results["sizes"][str(size)] = measure_size(
                stack, models, config["registry_reps"], config["registry_read_budget_seconds"]
            )
    finally:
        mongo.close()
    results["mlflow"] = mlflow_reads(config, work_dir / "mlflow-registry", mlflow_status)
    return results
