"""A bounded sample of each model's live inputs and predictions, kept in Redis.

Why Redis and not MongoDB: the sample is a sliding window of the latest rows, and a Redis list
trimmed after each push (`RPUSH` then `LTRIM -cap -1` in one pipeline) holds exactly the last
DRIFT_SAMPLE_CAP rows per model, in O(rows pushed), with no read on the write path and nothing
for a sweep to trim; a capped collection by count is neither portable (FerretDB v1.24 has none)
nor cheap to trim by hand (a count and a range delete per flush, on a store that uses no index).
Losing the sample (a Redis restart) costs only the window it held: it refills from traffic.

The predict path only decides which rows to keep (one random draw per row when the rate is
below 1) and appends a reference to the rows it already has to a per-model buffer; a task
flushes the buffers every DRIFT_FLUSH_SECONDS, encoding rows to JSON in a thread, so the
request pays no encoding and no Redis round trip (bench/RESULTS.md measures it). A buffer keeps
at most DRIFT_SAMPLE_CAP rows (older entries drop first), so memory stays bounded between
flushes however busy a model is. Only models with a reference profile are sampled.
"""

import asyncio
import contextlib
import json
import logging
import math
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from redis.asyncio import Redis

logger = logging.getLogger(__name__)

PREDICTION_KEY = "(prediction)"


def sample_key(database: str, model_id: str) -> str:
    """One list per model, under the database's prefix (the models it names live there)."""
    return f"tensorfleet:{database}:drift:samples:{model_id}"


def sample_pattern(database: str) -> str:
    return sample_key(database, "*")


@dataclass(slots=True)
class Pending:
    """Rows waiting for the next flush: (input, predictions, kept rows or None for all)."""

    entries: deque[tuple[Any, list, np.ndarray | None]] = field(default_factory=deque)
    rows: int = 0

    def add(self, X: Any, predictions: list, keep: np.ndarray | None, cap: int) -> None:
        self.entries.append((X, predictions, keep))
        self.rows += _kept(predictions, keep)
        # Drop the oldest entries the newer ones make useless: those beyond the cap.
        while self.rows - _kept(*self.entries[0][1:]) >= cap:
            _, dropped, mask = self.entries.popleft()
            self.rows -= _kept(dropped, mask)


def _kept(predictions: list, keep: np.ndarray | None) -> int:
    return len(predictions) if keep is None else int(keep.sum())


def _records(X: Any) -> list[list[Any]]:
    """Plain rows with None for a missing value, from a DataFrame or a float array.

    Column by column in plain Python: `DataFrame.astype(object).where(...)` cost about 1 ms
    per one-row frame, as much CPU as a fifth of the pipeline's own predict, paid for every
    sampled request (bench/RESULTS.md, "Profile of the predict path")."""
    if isinstance(X, np.ndarray):
        return X.tolist()
    columns = [[None if _missing(v) else v for v in X[name].tolist()] for name in X.columns]
    return [list(row) for row in zip(*columns, strict=True)]


def _missing(value: Any) -> bool:
    """NaN or None: what the predict path's frames hold for a gap (app/inference/rows.py)."""
    return value is None or (isinstance(value, float) and math.isnan(value))


def encode(pending: Pending, cap: int) -> list[str]:
    """JSON rows (inputs then the prediction), the newest `cap` of them."""
    lines: list[str] = []
    for X, predictions, keep in pending.entries:
        rows = zip(_records(X), predictions, strict=True)
        chosen = rows if keep is None else (r for r, k in zip(rows, keep, strict=True) if k)
        lines += [json.dumps([*values, predicted]) for values, predicted in chosen]
    return lines[-cap:]


@dataclass
class LiveSampler:
    """The API process's buffers and their flush; `offer` is the predict path's one call."""

    redis: Redis
    database: str
    rate: float
    cap: int
    flush_seconds: float = 1.0
    _pending: dict[str, Pending] = field(default_factory=dict)
    _random: np.random.Generator = field(default_factory=np.random.default_rng)

    def offer(self, model_id: str, sampled: bool, X: Any, predictions: list) -> None:
        """Keep some of these rows (each with probability `rate`) for the next flush."""
        if not sampled or self.rate <= 0 or self.cap <= 0:
            return
        keep = None
        if self.rate < 1:
            keep = self._random.random(len(predictions)) < self.rate
            if not keep.any():
                return
        pending = self._pending.get(model_id)
        if pending is None:
            pending = self._pending[model_id] = Pending()
        pending.add(X, predictions, keep, self.cap)

    async def flush(self) -> None:
        """Push every buffer to its list and trim the list to the cap; best effort."""
        pending, self._pending = self._pending, {}
        if not pending:
            return
        try:
            encoded = await asyncio.to_thread(
                lambda: {model_id: encode(p, self.cap) for model_id, p in pending.items()}
            )
            async with self.redis.pipeline(transaction=False) as pipe:
                for model_id, lines in encoded.items():
                    key = sample_key(self.database, model_id)
                    pipe.rpush(key, *lines)
                    pipe.ltrim(key, -self.cap, -1)
                await pipe.execute()
        except Exception as exc:  # the sample is best effort; serving goes on
            logger.warning("could not store %d models' live samples: %s", len(pending), exc)

    async def forget(self, model_id: str) -> None:
        """A deleted model: drop its buffer and its stored sample."""
        self._pending.pop(model_id, None)
        await self.redis.delete(sample_key(self.database, model_id))

    async def run(self, stop: asyncio.Event) -> None:
        """Flush every flush_seconds until `stop` is set.

        Stopped by event rather than cancelled: a flush cancelled between taking the buffers
        and writing them would lose those rows."""
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.flush_seconds)
            await self.flush()


@contextlib.asynccontextmanager
async def live_sampling(sampler: LiveSampler) -> AsyncIterator[LiveSampler]:
    """Flush every flush_seconds while open, and once more on the way out."""
    stop = asyncio.Event()
    task = asyncio.create_task(sampler.run(stop))
    try:
        yield sampler
    finally:
        stop.set()
        await task  # its flush in flight completes
        await sampler.flush()  # the rows offered during it


async def read_sample(redis: Redis, database: str, model_id: str) -> list[list[Any]]:
    """The stored rows of a model, oldest first (each: its inputs, then its prediction)."""
    items: list[bytes] = await redis.lrange(sample_key(database, model_id), 0, -1)  # type: ignore[misc]
    if not items:
        return []
    rows: list[list[Any]] = json.loads(b"[" + b",".join(items) + b"]")
    return rows


async def sampled_models(redis: Redis, database: str) -> list[str]:
    """The ids of the models that have a stored sample."""
    prefix = sample_key(database, "")
    keys = [key async for key in redis.scan_iter(match=sample_pattern(database), count=500)]
    return sorted({(k.decode() if isinstance(k, bytes) else k)[len(prefix) :] for k in keys})
