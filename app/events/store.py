"""The `webhooks` and `webhook_deliveries` collections: every read and write of either.

A webhook keeps its signing secret in the clear: a delivery must compute HMAC-SHA256 with it,
which a hash cannot do. The API never returns it after creation; whoever can read the database
can read it (as they can read every model), so protect the database (MongoDB's encryption at
rest, access control) and rotate a leaked secret by registering a new webhook and deleting the
old one. docs/events.md says the same to users.
"""

from datetime import datetime, timedelta
from typing import Any

from pymongo import ASCENDING, DESCENDING
from pymongo.asynchronous.database import AsyncDatabase

from app.storage import DELIVERIES, WEBHOOKS
from tensorfleet.schemas.events import DeliveryStatus

PENDING = [DeliveryStatus.queued.value, DeliveryStatus.sending.value]


async def insert_webhook(db: AsyncDatabase, document: dict[str, Any]) -> None:
    await db[WEBHOOKS].insert_one(document)


async def count_webhooks(db: AsyncDatabase) -> int:
    return await db[WEBHOOKS].count_documents({})


async def list_webhooks(db: AsyncDatabase) -> list[dict[str, Any]]:
    """Every webhook, oldest first (there are at most MAX_WEBHOOKS)."""
    cursor = db[WEBHOOKS].find({}).sort([("created_at", ASCENDING), ("_id", ASCENDING)])
    return await cursor.to_list()


async def get_webhook(db: AsyncDatabase, webhook_id: str) -> dict[str, Any] | None:
    return await db[WEBHOOKS].find_one({"_id": webhook_id})


async def delete_webhook(db: AsyncDatabase, webhook_id: str) -> bool:
    """Remove the webhook, then its delivery log (queued deliveries end as failed when their
    turn comes, finding no webhook)."""
    deleted = await db[WEBHOOKS].delete_one({"_id": webhook_id})
    await db[DELIVERIES].delete_many({"webhook_id": webhook_id})
    return deleted.deleted_count == 1


async def insert_deliveries(db: AsyncDatabase, documents: list[dict[str, Any]]) -> None:
    if documents:
        await db[DELIVERIES].insert_many(documents)


async def get_delivery(db: AsyncDatabase, delivery_id: str) -> dict[str, Any] | None:
    return await db[DELIVERIES].find_one({"_id": delivery_id})


async def list_deliveries(db: AsyncDatabase, webhook_id: str, limit: int) -> list[dict[str, Any]]:
    """The webhook's latest deliveries, newest first."""
    cursor = (
        db[DELIVERIES]
        .find({"webhook_id": webhook_id}, projection={"body": 0})
        .sort([("sequence", DESCENDING), ("_id", DESCENDING)])
        .limit(limit)
    )
    return await cursor.to_list()


async def update_delivery(db: AsyncDatabase, delivery_id: str, changes: dict[str, Any]) -> None:
    await db[DELIVERIES].update_one({"_id": delivery_id}, {"$set": changes})


async def earlier_pending(
    db: AsyncDatabase, delivery: dict[str, Any], since: datetime
) -> dict[str, Any] | None:
    """An earlier delivery to the same webhook, recorded after `since`, whose first try has not
    ended: this one waits for it, so one receiver gets events in the order they happened."""
    return await db[DELIVERIES].find_one(
        {
            "webhook_id": delivery["webhook_id"],
            "sequence": {"$lt": delivery["sequence"]},
            "status": {"$in": PENDING},
            "created_at": {"$gt": since},
        },
        projection={"_id": 1},
    )


async def stalled_deliveries(db: AsyncDatabase, before: datetime) -> list[str]:
    """Deliveries still queued, or due for a retry, since before `before`: ones the queue may
    have lost (Redis was down when they were queued, or lost its data)."""
    queued = {"status": DeliveryStatus.queued.value, "created_at": {"$lt": before}}
    retrying = {"status": DeliveryStatus.retrying.value, "next_attempt_at": {"$lt": before}}
    cursor = db[DELIVERIES].find({"$or": [queued, retrying]}, projection={"_id": 1}).limit(1000)
    return [document["_id"] async for document in cursor]


async def forget_deliveries(db: AsyncDatabase, ended_before: datetime) -> int:
    """Remove ended deliveries recorded before `ended_before` (the log's retention)."""
    ended = [DeliveryStatus.succeeded.value, DeliveryStatus.failed.value]
    result = await db[DELIVERIES].delete_many(
        {"status": {"$in": ended}, "created_at": {"$lt": ended_before}}
    )
    return result.deleted_count


def retention_cutoff(now: datetime, days: int) -> datetime:
    return now - timedelta(days=days)
