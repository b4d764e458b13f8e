"""Webhooks HTTP API (admin scope): register, list, read, delete; deliveries and redelivery."""

import logging
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response, status

from app.dependencies import DatabaseDep, RedisDep, SettingsDep
from app.events import service
from app.security.deps import AdminAccess, requires_admin
from tensorfleet.schemas.events import (
    DeliveryList,
    DeliveryRead,
    WebhookCreate,
    WebhookCreated,
    WebhookList,
    WebhookRead,
)

logger = logging.getLogger(__name__)
router = APIRouter(prefix="/api/v1/webhooks", tags=["webhooks"], dependencies=[requires_admin])
WebhookId = Annotated[str, Path(pattern=r"^wh_[0-9a-f]{1,32}$", description="The webhook id.")]
DeliveryId = Annotated[str, Path(pattern=r"^dlv_[0-9a-f]{32}$", description="The delivery id.")]
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such webhook (or delivery)."}
}


@router.post(
    "",
    response_model=WebhookCreated,
    status_code=status.HTTP_201_CREATED,
    summary="Register a webhook (its secret is shown once)",
    responses={
        409: {"description": "The most webhooks are registered already."},
        422: {"description": "Invalid field, e.g. a URL that is not http(s) or points inside."},
    },
)
async def create_webhook(
    request: WebhookCreate, db: DatabaseDep, settings: SettingsDep, caller: AdminAccess
) -> WebhookCreated:
    created = await service.register_webhook(
        db=db, settings=settings, request=request, created_by=caller.key_id
    )
    logger.info("webhook %s (%s) registered by %s", created.id, created.url, caller.label)
    return created


@router.get("", response_model=WebhookList, summary="Webhooks (never their secrets)")
async def list_webhooks(db: DatabaseDep) -> WebhookList:
    return WebhookList(items=await service.list_webhooks(db=db))


@router.get("/{webhook_id}", response_model=WebhookRead, summary="A webhook", responses=NOT_FOUND)
async def get_webhook(webhook_id: WebhookId, db: DatabaseDep) -> WebhookRead:
    return service.webhook_read(await service.get_webhook(db=db, webhook_id=webhook_id))


@router.delete(
    "/{webhook_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    response_model=None,
    summary="Delete a webhook and its delivery log",
    responses=NOT_FOUND,
)
async def delete_webhook(webhook_id: WebhookId, db: DatabaseDep, caller: AdminAccess) -> None:
    await service.delete_webhook(db=db, webhook_id=webhook_id)
    logger.info("webhook %s deleted by %s", webhook_id, caller.label)


@router.get(
    "/{webhook_id}/deliveries",
    response_model=DeliveryList,
    summary="A webhook's latest deliveries, newest first",
    responses=NOT_FOUND,
)
async def list_deliveries(
    webhook_id: WebhookId, db: DatabaseDep, limit: Annotated[int, Query(ge=1, le=100)] = 20
) -> DeliveryList:
    items = await service.list_deliveries(db=db, webhook_id=webhook_id, limit=limit)
    return DeliveryList(items=items, limit=limit)


@router.get(
    "/{webhook_id}/deliveries/{delivery_id}",
    response_model=DeliveryRead,
    summary="One delivery",
    responses=NOT_FOUND,
)
async def get_delivery(
    webhook_id: WebhookId, delivery_id: DeliveryId, db: DatabaseDep
) -> DeliveryRead:
    document = await service.get_delivery(db=db, webhook_id=webhook_id, delivery_id=delivery_id)
    return service.delivery_read(document)


@router.post(
    "/{webhook_id}/deliveries/{delivery_id}/redeliver",
    response_model=DeliveryRead,
    status_code=status.HTTP_202_ACCEPTED,
    summary="Deliver the event again (a new delivery, same event id)",
    responses=NOT_FOUND,
)
async def redeliver(
    webhook_id: WebhookId, delivery_id: DeliveryId, db: DatabaseDep, redis: RedisDep
) -> DeliveryRead:
    return await service.redeliver(
        db=db, redis=redis, webhook_id=webhook_id, delivery_id=delivery_id
    )
