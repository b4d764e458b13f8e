"""Where drift lives in MongoDB: a reference and a latest report per model, each `_id` being
the model's id, in collections of their own (the `models` documents that listings read stay
small).

A reference is written before its model's metadata (app/drift/publishing.py), so no model is
ever visible without it; the delete path removes it after the metadata and the file, and the
drift sweep removes references whose model never appeared (a crash in between) or is gone.
"""

from datetime import UTC, datetime, timedelta
from typing import Any

from bson import ObjectId
from pymongo.asynchronous.database import AsyncDatabase

from app.storage import DRIFT_REFERENCES, DRIFT_REPORTS, MODELS
from app.training.evaluation import json_safe

SWEEP_BATCH = 500


async def save_reference(db: AsyncDatabase, model_id: ObjectId, profile: dict[str, Any]) -> None:
    """Store (or store again, idempotently) the reference profile of a model to be."""
    document = json_safe(profile) | {"_id": model_id, "created_at": datetime.now(UTC)}
    await db[DRIFT_REFERENCES].replace_one({"_id": model_id}, document, upsert=True)


async def get_reference(db: AsyncDatabase, model_id: ObjectId) -> dict[str, Any] | None:
    return await db[DRIFT_REFERENCES].find_one({"_id": model_id})


async def save_report(db: AsyncDatabase, model_id: ObjectId, report: dict[str, Any]) -> None:
    document = json_safe(report) | {"_id": model_id, "computed_at": report["computed_at"]}
    await db[DRIFT_REPORTS].replace_one({"_id": model_id}, document, upsert=True)


async def get_report(db: AsyncDatabase, model_id: ObjectId) -> dict[str, Any] | None:
    return await db[DRIFT_REPORTS].find_one({"_id": model_id})


async def forget_model(db: AsyncDatabase, model_id: ObjectId) -> None:
    """Remove a deleted model's reference and report (after its metadata is gone)."""
    await db[DRIFT_REFERENCES].delete_one({"_id": model_id})
    await db[DRIFT_REPORTS].delete_one({"_id": model_id})


async def missing_models(db: AsyncDatabase, ids: list[ObjectId]) -> list[ObjectId]:
    """The ids of this batch that no model has."""
    found = set(await db[MODELS].distinct("_id", {"_id": {"$in": ids}}))
    return [model_id for model_id in ids if model_id not in found]


async def sweep_references(db: AsyncDatabase, *, grace_seconds: int) -> list[ObjectId]:
    """Remove references (and reports) of models that do not exist, written more than
    grace_seconds ago: a younger one may belong to a model being published right now."""
    cutoff = datetime.now(UTC) - timedelta(seconds=grace_seconds)
    old = db[DRIFT_REFERENCES].find({"created_at": {"$lte": cutoff}}, projection={"_id": 1})
    removed: list[ObjectId] = []
    batch: list[ObjectId] = []
    async for document in old:
        batch.append(document["_id"])
        if len(batch) >= SWEEP_BATCH:
            removed += await missing_models(db, batch)
            batch = []
    removed += await missing_models(db, batch) if batch else []
    for model_id in removed:
        await forget_model(db, model_id)
    return removed
