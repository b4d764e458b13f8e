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
from app.endpoints.checks import target_ref
from app.inference.columns import model_input
from app.registry.service import resolve_model
from tensorfleet.schemas.endpoints import Target


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


async def endpoint_drift(
    db: AsyncDatabase, redis: Redis, settings: Settings, endpoint: dict[str, Any]
) -> list[dict[str, Any]]:
    """Each route's and the shadow's version's report, in the endpoint's order (a version two
    routes name is reported once)."""
    targets = [("route", Target.model_validate(route)) for route in endpoint["routes"]]
    if endpoint.get("shadow"):
        targets.append(("shadow", Target.model_validate(endpoint["shadow"])))
    found, seen = [], set()
    for role, target in targets:
        document = await resolve_model(db, target_ref(endpoint["model"], target))
        if (role, document["_id"]) not in seen:
            seen.add((role, document["_id"]))
            report = await drift_report(db, redis, settings, document)
            found.append({"role": role, "target": target.label, "report": report})
    return found
