"""Request and response shapes of the events API: webhooks, their deliveries, event names.

Shared by the server and the client, so both spell an event the same way.
"""

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import AnyUrl, BaseModel, Field, UrlConstraints

from tensorfleet.schemas.bson_safe import StoredBody


class EventType(StrEnum):
    """Everything a webhook can subscribe to (docs/events.md shows each payload)."""

    job_succeeded = "job.succeeded"
    job_failed = "job.failed"
    model_published = "model.published"
    alias_changed = "alias.changed"
    drift_detected = "drift.detected"
    evaluation_completed = "evaluation.completed"
    tuning_succeeded = "tuning.succeeded"


class DeliveryStatus(StrEnum):
    """queued: not tried yet; sending: a try is under way; retrying: a try failed and another
    is scheduled (`next_attempt_at`); succeeded: the receiver answered 2xx; failed: every try
    failed, or the target was refused (an internal address)."""

    queued = "queued"
    sending = "sending"
    retrying = "retrying"
    succeeded = "succeeded"
    failed = "failed"

    @property
    def ended(self) -> bool:
        return self in (DeliveryStatus.succeeded, DeliveryStatus.failed)


WebhookUrl = Annotated[
    AnyUrl, UrlConstraints(max_length=2048, allowed_schemes=["http", "https"], host_required=True)
]


class WebhookCreate(StoredBody):
    url: WebhookUrl = Field(description="Where deliveries are POSTed: http(s), a public address.")
    events: list[EventType] = Field(
        min_length=1, max_length=len(EventType), description="The events this webhook receives."
    )
    description: str = Field(default="", max_length=256)


class WebhookRead(BaseModel):
    id: str
    url: str
    events: list[EventType]
    description: str
    created_at: datetime
    created_by: str | None = None


class WebhookCreated(WebhookRead):
    secret: str = Field(
        description="Signs every delivery (TensorFleet-Signature). Shown only in this answer."
    )


class WebhookList(BaseModel):
    items: list[WebhookRead]


class DeliveryRead(BaseModel):
    id: str
    webhook_id: str
    event_id: str
    event: EventType
    status: DeliveryStatus
    attempts: int
    response_code: int | None = None
    last_error: str | None = None
    created_at: datetime
    last_attempt_at: datetime | None = None
    next_attempt_at: datetime | None = None
    delivered_at: datetime | None = None
    redelivery_of: str | None = None


class DeliveryList(BaseModel):
    items: list[DeliveryRead]
    limit: int
