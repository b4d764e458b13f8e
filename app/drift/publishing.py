"""Publishing a model with its reference profile: the reference first, keyed by the id the
model's metadata will get, then the model (its file, then its metadata: app/registry/publish.py).

So no model is ever visible without its reference. A crash in between leaves a reference no
model names, which the drift sweep removes after ORPHAN_GRACE_SECONDS.
"""

from typing import Any

from arq.connections import ArqRedis
from bson import ObjectId
from gridfs import AsyncGridFSBucket
from pymongo.asynchronous.database import AsyncDatabase

from app.drift.store import save_reference
from app.registry.publish import publish_model


async def publish_with_reference(
    db: AsyncDatabase,
    bucket: AsyncGridFSBucket,
    *,
    payload: bytes,
    metadata: dict[str, Any],
    reference: dict[str, Any] | None,
    redis: ArqRedis | None = None,
) -> dict[str, Any]:
    """publish_model, with the reference (when the fit made one) stored before the metadata;
    `drift_reference` in the metadata tells the predict path to sample the model; `redis` is
    publish_model's (it announces model.published)."""
    model_id = ObjectId()
    if reference is not None:
        await save_reference(db, model_id, reference)
    flagged = metadata | {"drift_reference": reference is not None}
    return await publish_model(
        db, bucket, payload=payload, metadata=flagged, model_id=model_id, redis=redis
    )
