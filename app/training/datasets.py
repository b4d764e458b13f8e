"""Datasets: stored as CSV in the GridFS bucket `datasets`, described in the `datasets` collection.

CSV, not pickle: a dataset is data, and loading one must never run code. Iris and Wine are
loaded at start-up from scikit-learn's bundled copies, idempotently.
"""

import csv
import hashlib
import io
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
from gridfs import AsyncGridFSBucket
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError
from sklearn.datasets import load_iris, load_wine

from app.storage import DATASET_BUCKET, DATASETS

TARGET_COLUMN = "target"


@dataclass(frozen=True, slots=True)
class Dataset:
    """Feature matrix, string labels, and the names that go with them."""

    features: list[str]
    X: np.ndarray
    y: np.ndarray

    @property
    def classes(self) -> list[str]:
        return sorted(set(self.y.tolist()))


def _snake(name: str) -> str:
    """'sepal length (cm)' -> 'sepal_length', as the seed names features."""
    without_units = re.sub(r"\(.*?\)", "", name)
    return re.sub(r"[^0-9a-zA-Z/]+", "_", without_units).strip("_")


def bundled_samples() -> dict[str, tuple[str, Dataset]]:
    """The sample datasets scikit-learn ships, by name, with a description."""
    samples = {}
    for name, loader, description in (
        ("iris", load_iris, "Iris flowers: 150 samples, 4 features, 3 species."),
        ("wine", load_wine, "Wine recognition: 178 samples, 13 chemical features, 3 cultivars."),
    ):
        bunch = loader()
        labels = np.asarray(bunch.target_names)[bunch.target]
        samples[name] = (
            description,
            Dataset([_snake(f) for f in bunch.feature_names], bunch.data, labels),
        )
    return samples


def to_csv(dataset: Dataset) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([*dataset.features, TARGET_COLUMN])
    for row, label in zip(dataset.X.tolist(), dataset.y.tolist(), strict=True):
        writer.writerow([*(repr(v) for v in row), label])
    return buffer.getvalue().encode()


def from_csv(payload: bytes) -> Dataset:
    rows = list(csv.reader(io.StringIO(payload.decode())))
    header, body = rows[0], rows[1:]
    X = np.array([[float(v) for v in row[:-1]] for row in body], dtype=np.float64)
    y = np.array([row[-1] for row in body], dtype=object)
    return Dataset(header[:-1], X, y)


def describe(name: str, description: str, dataset: Dataset) -> dict[str, Any]:
    return {
        "name": name,
        "description": description,
        "n_samples": int(dataset.X.shape[0]),
        "n_features": int(dataset.X.shape[1]),
        "features": dataset.features,
        "target_column": TARGET_COLUMN,
        "classes": dataset.classes,
        "source": "sample",
    }


async def store_dataset(db: AsyncDatabase, name: str, description: str, dataset: Dataset) -> bool:
    """Store a dataset unless one of that name exists; True when it was stored now."""
    if await db[DATASETS].find_one({"name": name}, projection={"_id": 1}):
        return False
    payload = to_csv(dataset)
    bucket = AsyncGridFSBucket(db, bucket_name=DATASET_BUCKET)
    file_id = await bucket.upload_from_stream(f"{name}.csv", payload, metadata={"kind": "dataset"})
    document = describe(name, description, dataset) | {
        "file_id": file_id,
        "sha256": hashlib.sha256(payload).hexdigest(),
        "size": len(payload),
        "format": "csv",
        "created_at": datetime.now(UTC),
    }
    try:
        await db[DATASETS].insert_one(document)
    except DuplicateKeyError:  # another process stored it first
        await bucket.delete(file_id)
        return False
    return True


async def load_samples(db: AsyncDatabase) -> list[str]:
    """Store the bundled samples that are missing; returns the names stored now."""
    stored = []
    for name, (description, dataset) in bundled_samples().items():
        if await store_dataset(db, name, description, dataset):
            stored.append(name)
    return stored


async def get_dataset_document(db: AsyncDatabase, name: str) -> dict[str, Any] | None:
    return await db[DATASETS].find_one({"name": name})


async def list_dataset_documents(db: AsyncDatabase) -> list[dict[str, Any]]:
    return await db[DATASETS].find({}).sort("name", 1).to_list()


async def read_dataset(db: AsyncDatabase, document: dict[str, Any]) -> Dataset:
    bucket = AsyncGridFSBucket(db, bucket_name=DATASET_BUCKET)
    stream = await bucket.open_download_stream(document["file_id"])
    return from_csv(await stream.read())
