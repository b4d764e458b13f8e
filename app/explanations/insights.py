"""The `model_insights` collection: per model id, what explains it but no listing needs (a
regressor's residual sample, a linear model's baseline), kept out of the `models` documents
that every list reads.

Written by the worker right after the model is published, before its job is marked succeeded,
as an upsert by the model's id (so a retried job writes it again harmlessly); deleted with the
model. A model stored before insights, or whose worker died in between, has none: its page
shows no residual plot and a linear model of it cannot explain predictions, nothing else.
"""

from typing import Any

from bson import ObjectId
from pymongo.asynchronous.database import AsyncDatabase

from app.storage import MODEL_INSIGHTS


async def store_insights(db: AsyncDatabase, model_id: ObjectId, insights: dict[str, Any]) -> None:
    await db[MODEL_INSIGHTS].replace_one({"_id": model_id}, insights, upsert=True)


async def read_insights(db: AsyncDatabase, model_id: ObjectId) -> dict[str, Any]:
    """The model's insights; empty for a model that has none."""
    return await db[MODEL_INSIGHTS].find_one({"_id": model_id}) or {}


async def delete_insights(db: AsyncDatabase, model_id: ObjectId) -> None:
    await db[MODEL_INSIGHTS].delete_one({"_id": model_id})
