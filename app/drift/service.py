"""A model's drift report: its reference, its live sample, the comparison (in a thread, so the
event loop only waits), for the API route, the UI and the worker's cron alike."""

import asyncio
from datetime import UTC, datetime
from typing import Any

import pandas as pd
from pymongo.asynchronous.database import AsyncDatabase
from redis.asyncio import Redis

from app.config import Settings
from app.drift import sampling, store
from app.drift.report import Thresholds, compare
from app.inference.columns import model_input


def thresholds(settings: Settings) -> Thresholds:
    return Thresholds(psi=settings.drift_psi_threshold, p_value=settings.drift_p_value)


def _header(document: dict[str, Any], settings: Settings, samples: int) -> dict[str, Any]:
    limits = thresholds(settings)
    return {
        "model_id": str(document["_id"]),
        "model_name": document["name"],
        "version": document["version"],
        "computed_at": datetime.now(UTC),
        "samples": samples,
        "min_samples": settings.drift_min_samples,
        "thresholds": {"psi": limits.psi, "p_value": limits.p_value},
        "drifted": False,
        "drifted_columns": [],
        "columns": [],
        "prediction": None,
    }


def compare_rows(
    reference: dict[str, Any], names: list[str], rows: list[list[Any]], limits: Thresholds
) -> dict[str, Any]:
    """The comparison of sampled rows (inputs in `names` order, then the prediction)."""
    frame = pd.DataFrame(rows, columns=[*names, sampling.PREDICTION_KEY])
    live = {name: frame[name].to_numpy() for name in names}
    return compare(reference, live, frame[sampling.PREDICTION_KEY].to_numpy(), limits)


async def drift_report(
    db: AsyncDatabase, redis: Redis, settings: Settings, document: dict[str, Any]
) -> dict[str, Any]:
    """The model's report now: status `no_reference` (a model trained before drift profiles),
    `insufficient_samples` (fewer than DRIFT_MIN_SAMPLES live rows) or `ok`."""
    reference = await store.get_reference(db, document["_id"])
    if reference is None:
        return _header(document, settings, 0) | {"status": "no_reference"}
    rows = await sampling.read_sample(redis, settings.mongodb_db, str(document["_id"]))
    header = _header(document, settings, len(rows))
    if len(rows) < settings.drift_min_samples:
        return header | {"status": "insufficient_samples"}
    names = model_input(document).names
    found = await asyncio.to_thread(compare_rows, reference, names, rows, thresholds(settings))
    return header | found | {"status": "ok"}
