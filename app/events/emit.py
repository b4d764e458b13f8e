"""Emitting an event: one delivery per webhook that subscribed to it, recorded, then queued.

The deliveries are recorded in MongoDB before they are queued, so an event survives Redis
being down at that moment: the worker's sweep (workers/webhooks.py) queues any delivery left
`queued` for a minute. Emitting never fails the caller because of the queue; it fails only when
the deliveries cannot be recorded.
"""

import json
import logging
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from arq.connections import ArqRedis
from pymongo.asynchronous.database import AsyncDatabase
from redis.exceptions import RedisError

from app.events import store
from app.training.queue import enqueue_delivery
from tensorfleet.schemas.events import DeliveryStatus, EventType

logger = logging.getLogger(__name__)


def _json_default(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else str(value)


def event_body(event_id: str, event: EventType, data: dict[str, Any], at: datetime) -> str:
    """The JSON every webhook receives for the event (docs/events.md)."""
    envelope = {"id": event_id, "type": event.value, "created_at": at, "data": data}
    return json.dumps(envelope, default=_json_default, separators=(",", ":"))


def new_delivery(
    webhook_id: str, *, event_id: str, event: str, body: str, redelivery_of: str | None = None
) -> dict[str, Any]:
    """A queued delivery. `sequence` (nanoseconds at recording) orders one webhook's
    deliveries: a later one waits for an earlier one's first try."""
    return {
        "_id": "dlv_" + uuid.uuid4().hex,
        "webhook_id": webhook_id,
        "event_id": event_id,
        "event": event,
        "sequence": time.time_ns(),
        "body": body,
        "status": DeliveryStatus.queued.value,
        "attempts": 0,
        "response_code": None,
        "last_error": None,
        "created_at": datetime.now(UTC),
        "last_attempt_at": None,
        "next_attempt_at": None,
        "delivered_at": None,
        "redelivery_of": redelivery_of,
    }


async def queue_deliveries(redis: ArqRedis, delivery_ids: list[str]) -> None:
    """Queue each delivery; one the queue cannot take now is queued by the sweep later."""
    for delivery_id in delivery_ids:
        try:
            await enqueue_delivery(redis, delivery_id)
        except (RedisError, OSError) as exc:
            logger.warning("delivery %s not queued now (%s); the sweep will", delivery_id, exc)


async def emit_event(
    redis: ArqRedis, db: AsyncDatabase, event: str | EventType, data: dict[str, Any]
) -> str:
    """Tell every webhook subscribed to `event` (one of EventType) about it; returns the
    event's id (the `TensorFleet-Event-Id` header). `data` is the event's payload: JSON-able
    values, datetimes as ISO 8601, anything else (an ObjectId) as its string."""
    kind = EventType(event)
    event_id, at = "evt_" + uuid.uuid4().hex, datetime.now(UTC)
    hooks = [hook for hook in await store.list_webhooks(db) if kind.value in hook["events"]]
    if not hooks:
        return event_id
    body = event_body(event_id, kind, data, at)
    deliveries = [
        new_delivery(hook["_id"], event_id=event_id, event=kind.value, body=body) for hook in hooks
    ]
    await store.insert_deliveries(db, deliveries)
    await queue_deliveries(redis, [delivery["_id"] for delivery in deliveries])
    return event_id
