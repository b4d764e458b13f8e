"""The worker's drift check (an arq cron every DRIFT_CHECK_MINUTES): each model with a live
sample gets its report computed and stored, its gauges set, and `drift.detected` emitted when
it starts drifting; samples, references, reports and gauges of deleted models are removed.
"""

import logging
from typing import Any

from bson import ObjectId
from pymongo.asynchronous.database import AsyncDatabase

from app.drift import sampling, store
from app.drift.service import drift_report
from app.events import emit_event
from app.storage import MODELS
from workers.context import WorkerContext, worker_context
from workers.metrics import DRIFT_DETECTED, DRIFT_PSI

logger = logging.getLogger(__name__)
# The label sets exported per model id, to withdraw them when the model goes (the gauges, like
# this record of them, are process-wide).
EXPORTED: dict[str, list[tuple[str, str, str]]] = {}


def export_gauges(model_id: str, report: dict[str, Any]) -> None:
    """Set each column's gauges, replacing what the model exported before."""
    withdraw_gauges(model_id)
    model, version = str(report["model_name"]), str(report["version"])
    exported = []
    for column in [*report["columns"], *([report["prediction"]] if report["prediction"] else [])]:
        labels = (model, version, str(column["name"]))
        DRIFT_PSI.labels(*labels).set(column["psi"])
        DRIFT_DETECTED.labels(*labels).set(1 if column["drifted"] else 0)
        exported.append(labels)
    EXPORTED[model_id] = exported


def withdraw_gauges(model_id: str) -> None:
    for labels in EXPORTED.pop(model_id, []):
        DRIFT_PSI.remove(*labels)
        DRIFT_DETECTED.remove(*labels)


async def find_model(db: AsyncDatabase, model_id: str) -> dict[str, Any] | None:
    if not ObjectId.is_valid(model_id):
        return None
    return await db[MODELS].find_one({"_id": ObjectId(model_id)})


async def forget_sample(worker: WorkerContext, model_id: str) -> None:
    """The model is gone: its sample and gauges go too."""
    settings = worker.settings
    await worker.resources.redis.delete(sampling.sample_key(settings.mongodb_db, model_id))
    withdraw_gauges(model_id)


async def check_model(worker: WorkerContext, model_id: str) -> bool:
    """Compute, store and export one model's report; True when it started drifting now."""
    db, settings = worker.resources.db, worker.settings
    document = await find_model(db, model_id)
    if document is None:
        await forget_sample(worker, model_id)
        return False
    report = await drift_report(db, worker.resources.redis, settings, document)
    if report["status"] != "ok":
        return False
    previous = await store.get_report(db, document["_id"])
    started = bool(report["drifted"] and not (previous or {}).get("drifted", False))
    if started:  # before the report is stored: should emitting fail, the next check emits
        logger.info("model %s drifted: %s", model_id, ", ".join(report["drifted_columns"]))
        await emit_event(worker.resources.redis, db, "drift.detected", event_data(report))
    await store.save_report(db, document["_id"], report)
    export_gauges(model_id, report)
    return started


def event_data(report: dict[str, Any]) -> dict[str, Any]:
    """The `drift.detected` payload (docs/events.md, docs/drift.md)."""
    prediction = report["prediction"] or {"drifted": False, "psi": None}
    return {
        "model_id": report["model_id"],
        "model_name": report["model_name"],
        "version": report["version"],
        "drifted_columns": report["drifted_columns"],
        "prediction_drifted": prediction["drifted"],
        "psi": {c["name"]: round(c["psi"], 4) for c in report["columns"] if c["drifted"]},
        "prediction_psi": prediction["psi"],
        "samples": report["samples"],
        "computed_at": report["computed_at"],
    }


async def check_drift(ctx: dict[str, Any]) -> int:
    """arq cron: check every sampled model; returns how many models were checked."""
    worker = worker_context(ctx)
    settings, redis = worker.settings, worker.resources.redis
    await store.sweep_references(worker.resources.db, grace_seconds=settings.orphan_grace_seconds)
    checked = 0
    for model_id in await sampling.sampled_models(redis, settings.mongodb_db):
        try:
            await check_model(worker, model_id)
            checked += 1
        except Exception as exc:  # one model's failure does not stop the others'
            logger.warning("drift check of model %s failed: %s", model_id, exc)
    return checked
