"""The arq jobs of webhook deliveries: deliver one (with its retries), and sweep the log.

A delivery is at-least-once like every job here: a worker that dies mid-try leaves it
`sending`, arq runs it again, and the receiver may get the event twice, which the event id
header lets it notice. Each try is counted in the delivery's document, which the API shows.
"""

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from arq import Retry

from app.events import store
from app.events.delivery import Attempt, attempt_delivery, retry_delay
from app.events.emit import queue_deliveries
from app.events.outbound import outbound_client
from tensorfleet.schemas.events import DeliveryStatus
from workers.context import WorkerContext, worker_context
from workers.metrics import WEBHOOK_DELIVERIES

logger = logging.getLogger(__name__)
# How long a delivery waits for an earlier one to the same webhook to be tried first.
ORDER_WAIT = timedelta(seconds=30)
ORDER_POLL_SECONDS = 0.1
STALLED_AFTER = timedelta(minutes=1)


def now() -> datetime:
    return datetime.now(UTC)


async def wait_for_earlier(worker: WorkerContext, delivery: dict[str, Any], job_try: int) -> None:
    """Retry shortly (freeing the worker's slot) while an earlier delivery to the same webhook
    has not had its first try: receivers see one webhook's events in order, unless one of them
    keeps failing (it is retried later, out of order, rather than hold up the rest)."""
    if delivery["attempts"] == 0:
        earlier = await store.earlier_pending(worker.resources.db, delivery, now() - ORDER_WAIT)
        if earlier is not None:
            raise Retry(defer=min(ORDER_POLL_SECONDS * job_try, 1.0))


async def record_attempt(
    worker: WorkerContext, delivery: dict[str, Any], attempts: int, attempt: Attempt
) -> str:
    """Write how the try went; returns the outcome (a metric label). Raises Retry when the
    delivery is to be tried again."""
    settings, at = worker.settings, now()
    changes: dict[str, Any] = {"response_code": attempt.response_code, "last_error": attempt.error}
    if attempt.succeeded:
        outcome, changes["delivered_at"] = "succeeded", at
    elif attempt.final or attempts >= settings.webhook_max_attempts:
        outcome = "refused" if attempt.final else "failed"
    else:
        delay = retry_delay(settings, attempts)
        changes["next_attempt_at"] = at + timedelta(seconds=delay)
        await store.update_delivery(
            worker.resources.db, delivery["_id"], changes | {"status": "retrying"}
        )
        WEBHOOK_DELIVERIES.labels(event=delivery["event"], outcome="retried").inc()
        raise Retry(defer=delay)
    status = DeliveryStatus.succeeded if attempt.succeeded else DeliveryStatus.failed
    changes |= {"status": status.value, "next_attempt_at": None}
    await store.update_delivery(worker.resources.db, delivery["_id"], changes)
    WEBHOOK_DELIVERIES.labels(event=delivery["event"], outcome=outcome).inc()
    return outcome


async def deliver(worker: WorkerContext, delivery: dict[str, Any], hook: dict[str, Any]) -> str:
    attempts = delivery["attempts"] + 1
    await store.update_delivery(
        worker.resources.db,
        delivery["_id"],
        {"status": DeliveryStatus.sending.value, "attempts": attempts, "last_attempt_at": now()},
    )
    settings = worker.settings
    async with outbound_client(
        allow_private=settings.webhook_allow_private_targets,
        timeout=settings.webhook_timeout_seconds,
    ) as client:
        attempt = await attempt_delivery(
            client, hook["url"], delivery, hook["secret"], settings.webhook_max_response_bytes
        )
    return await record_attempt(worker, delivery, attempts, attempt)


async def deliver_webhook(ctx: dict[str, Any], delivery_id: str) -> str:
    """arq entry point: one try of the delivery; arq runs it again on Retry."""
    worker = worker_context(ctx)
    db = worker.resources.db
    delivery = await store.get_delivery(db, delivery_id)
    if delivery is None or DeliveryStatus(delivery["status"]).ended:
        return "skipped"
    hook = await store.get_webhook(db, delivery["webhook_id"])
    if hook is None:
        changes = {"status": DeliveryStatus.failed.value, "last_error": "webhook deleted"}
        await store.update_delivery(db, delivery_id, changes)
        return "skipped"
    await wait_for_earlier(worker, delivery, ctx["job_try"])
    return await deliver(worker, delivery, hook)


async def sweep_deliveries(ctx: dict[str, Any]) -> None:
    """Cron: queue deliveries the queue may have lost; drop ended ones past retention."""
    worker = worker_context(ctx)
    db, settings = worker.resources.db, worker.settings
    stalled = await store.stalled_deliveries(db, now() - STALLED_AFTER)
    if stalled:
        logger.info("queueing %d stalled webhook deliveries", len(stalled))
        await queue_deliveries(worker.resources.redis, stalled)
    cutoff = store.retention_cutoff(now(), settings.webhook_delivery_retention_days)
    await store.forget_deliveries(db, cutoff)
