"""The sample datasets, Iris and Wine: version 1 of their names, stored at start-up.

They take the path of an upload (a CSV, ingested into a normalised copy with its profile) but
ingest at once, being small. A store from before versions holds their name and CSV already;
that file becomes version 1's original. A name that has a version counter was stored already,
and is left alone, so a deleted sample stays deleted and a version never repeats.
"""

import asyncio
import csv
import hashlib
import io
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError
from sklearn.datasets import load_iris, load_wine

from app.datasets import store
from app.datasets.ingest import ingest_file
from app.datasets.reading import Limits

if TYPE_CHECKING:
    import pandas as pd

TARGET_COLUMN = "target"
SAMPLE_LIMITS = Limits(max_rows=1000, max_columns=100, max_column_name_length=64)


@dataclass(frozen=True, slots=True)
class Dataset:
    """A sample's feature values, their names, and string labels."""

    features: list[str]
    values: np.ndarray
    y: np.ndarray

    @property
    def X(self) -> "pd.DataFrame":
        """The features as a table with named columns, as a pipeline takes them."""
        import pandas as pd  # the API never needs pandas: only tests and tools ask for this

        return pd.DataFrame(self.values, columns=self.features)


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
        features = [_snake(f) for f in bunch.feature_names]
        labels = np.asarray(bunch.target_names)[bunch.target]
        samples[name] = (
            description,
            Dataset(features, bunch.data, labels),
        )
    return samples


def to_csv(dataset: Dataset) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([*dataset.features, TARGET_COLUMN])
    for row, label in zip(dataset.values.tolist(), dataset.y.tolist(), strict=True):
        writer.writerow([*(repr(v) for v in row), label])
    return buffer.getvalue().encode()


def ingest_bytes(payload: bytes) -> tuple[dict[str, Any], bytes]:
    """The profile and normalised copy of a small CSV, through the upload's ingest."""
    with tempfile.TemporaryDirectory(prefix="tensorfleet-sample-") as directory:
        source, destination = Path(directory, "sample.csv"), Path(directory, "sample.parquet")
        source.write_bytes(payload)
        profile = ingest_file(
            source, destination, target=TARGET_COLUMN, task=None, limits=SAMPLE_LIMITS
        )
        return profile, destination.read_bytes()


async def store_sample(db: AsyncDatabase, name: str, description: str, dataset: Dataset) -> bool:
    """Store the sample as version 1 unless its name has versions; True when stored now."""
    existing = await store.get_name(db, name)
    if existing is not None and "last_version" in existing:
        return False
    payload = to_csv(dataset)
    profile, normalised = await asyncio.to_thread(ingest_bytes, payload)
    bucket = store.bucket(db)
    uploaded = []
    file_id = (existing or {}).get("file_id")
    if file_id is None:
        file_id = await bucket.upload_from_stream(f"{name}.csv", payload)
        uploaded.append(file_id)
    normalised_id = await bucket.upload_from_stream(f"{name}-v1.parquet", normalised)
    uploaded.append(normalised_id)
    await store.ensure_name(db, name, description, "sample")
    document = profile | {
        "name": name,
        "version": 1,
        "status": "ready",
        "description": description,
        "source": "sample",
        "file_id": file_id,
        "normalised_file_id": normalised_id,
        "size": len(payload),
        "sha256": hashlib.sha256(payload).hexdigest(),
        "requested_task": None,
        "created_at": store.now(),
        "finished_at": store.now(),
    }
    try:
        await db[store.VERSIONS].insert_one(document)
    except DuplicateKeyError:  # another process stored it first
        for stored in uploaded:
            await bucket.delete(stored)
        return False
    finally:
        await store.catch_up(db, name)
    return True


async def load_samples(db: AsyncDatabase) -> list[str]:
    """Store the bundled samples that are missing; returns the names stored now."""
    stored = []
    for name, (description, dataset) in bundled_samples().items():
        if await store_sample(db, name, description, dataset):
            stored.append(name)
    return stored
