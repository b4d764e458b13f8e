"""Webhook use cases: register (checking the URL), list, read, delete; the delivery log and
redelivery. The router calls only these."""

import uuid
from datetime import UTC, datetime
from typing import Any

from arq.connections import ArqRedis
from pymongo.asynchronous.database import AsyncDatabase

from app.config import Settings
from app.events import store
from app.events.emit import new_delivery, queue_deliveries
from app.events.exceptions import (
    DeliveryNotFound,
    InvalidWebhook,
    TooManyWebhooks,
    UnsafeTarget,
    WebhookNotFound,
)
from app.events.outbound import checked_address, parse_target
from app.events.signing import new_secret
from tensorfleet.schemas.events import (
    DeliveryRead,
    WebhookCreate,
    WebhookCreated,
    WebhookRead,
)

MAX_WEBHOOKS = 100
URL_FIELD = ("body", "url")


async def check_target(url: str, settings: Settings) -> None:
    """Refuse (422 on `url`) credentials in the URL and a host that is or resolves to an
    internal address; each delivery checks the host again (its addresses may change)."""
    try:
        parsed = parse_target(url)
        if parsed.userinfo:
            raise InvalidWebhook(URL_FIELD, "must not carry credentials (user:password@)")
        await checked_address(
            parsed,
            allow_private=settings.webhook_allow_private_targets,
            timeout=settings.webhook_timeout_seconds,
        )
    except UnsafeTarget as exc:
        raise InvalidWebhook(URL_FIELD, f"refused: {exc}") from None


def webhook_read(document: dict[str, Any]) -> WebhookRead:
    return WebhookRead.model_validate({"id": document["_id"], **document})


async def register_webhook(
    *, db: AsyncDatabase, settings: Settings, request: WebhookCreate, created_by: str | None
) -> WebhookCreated:
    """Store the webhook with a new secret, which this answer alone shows."""
    await check_target(str(request.url), settings)
    if await store.count_webhooks(db) >= MAX_WEBHOOKS:
        raise TooManyWebhooks(MAX_WEBHOOKS)
    document = {
        "_id": "wh_" + uuid.uuid4().hex[:20],
        "url": str(request.url),
        "events": list(dict.fromkeys(event.value for event in request.events)),
        "description": request.description,
        "secret": new_secret(),
        "created_at": datetime.now(UTC),
        "created_by": created_by,
    }
    await store.insert_webhook(db, document)
    return WebhookCreated(**webhook_read(document).model_dump(), secret=document["secret"])


async def list_webhooks(*, db: AsyncDatabase) -> list[WebhookRead]:
    return [webhook_read(document) for document in await store.list_webhooks(db)]


async def get_webhook(*, db: AsyncDatabase, webhook_id: str) -> dict[str, Any]:
    document = await store.get_webhook(db, webhook_id)
    if document is None:
        raise WebhookNotFound(webhook_id)
    return document


async def delete_webhook(*, db: AsyncDatabase, webhook_id: str) -> None:
    if not await store.delete_webhook(db, webhook_id):
        raise WebhookNotFound(webhook_id)


def delivery_read(document: dict[str, Any]) -> DeliveryRead:
    return DeliveryRead.model_validate({"id": document["_id"], **document})


async def list_deliveries(*, db: AsyncDatabase, webhook_id: str, limit: int) -> list[DeliveryRead]:
    await get_webhook(db=db, webhook_id=webhook_id)
    return [delivery_read(d) for d in await store.list_deliveries(db, webhook_id, limit)]


async def get_delivery(*, db: AsyncDatabase, webhook_id: str, delivery_id: str) -> dict[str, Any]:
    delivery = await store.get_delivery(db, delivery_id)
    if delivery is None or delivery["webhook_id"] != webhook_id:
        raise DeliveryNotFound(webhook_id, delivery_id)
    return delivery


async def redeliver(
    *, db: AsyncDatabase, redis: ArqRedis, webhook_id: str, delivery_id: str
) -> DeliveryRead:
    """A new delivery of the same event (same body and event id, fresh tries), queued now."""
    await get_webhook(db=db, webhook_id=webhook_id)
    original = await get_delivery(db=db, webhook_id=webhook_id, delivery_id=delivery_id)
    again = new_delivery(
        webhook_id,
        event_id=original["event_id"],
        event=original["event"],
        body=original["body"],
        redelivery_of=original["_id"],
    )
    await store.insert_deliveries(db, [again])
    await queue_deliveries(redis, [again["_id"]])
    return delivery_read(again)
