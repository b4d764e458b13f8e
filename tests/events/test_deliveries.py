"""Deliveries to a real HTTP receiver: signed, retried after a 500, in order for one webhook,
logged, and delivered again on request."""

import json
from datetime import timedelta
from typing import Any

import httpx
from arq import Worker
from prometheus_client import REGISTRY

from app.events import emit_event, signing, store
from app.events.emit import new_delivery
from app.resources import Resources
from tests.events.receiver import Receiver
from tests.events.support import MakeWebhook
from tests.support import wait_for
from workers.webhooks import sweep_deliveries


async def deliveries(client: httpx.AsyncClient, webhook_id: str) -> list[dict[str, Any]]:
    response = await client.get(f"/api/v1/webhooks/{webhook_id}/deliveries")
    assert response.status_code == 200, response.text
    return response.json()["items"]


async def ended_deliveries(
    client: httpx.AsyncClient, webhook_id: str, count: int
) -> list[dict[str, Any]]:
    async def ended() -> list[dict[str, Any]] | None:
        items = await deliveries(client, webhook_id)
        done = [item for item in items if item["status"] in ("succeeded", "failed")]
        return items if len(done) >= count else None

    return await wait_for(ended, timeout=30, interval=0.05)


async def test_signed_delivery(
    client: httpx.AsyncClient,
    resources: Resources,
    worker: Worker,
    receiver: Receiver,
    make_webhook: MakeWebhook,
) -> None:
    hook = await make_webhook(receiver.url, ["model.published"])
    data = {"model_id": "m1", "name": "iris", "version": 3}
    event_id = await emit_event(resources.redis, resources.db, "model.published", data)
    (delivery,) = await ended_deliveries(client, hook["id"], 1)
    (received,) = receiver.received()
    assert signing.verify(hook["secret"], received.headers["tensorfleet-signature"], received.body)
    assert not signing.verify(
        "whsec_other", received.headers["tensorfleet-signature"], received.body
    )
    assert not signing.verify(
        hook["secret"], received.headers["tensorfleet-signature"], received.body + b" "
    )
    assert received.headers["tensorfleet-event-id"] == event_id
    assert received.headers["tensorfleet-event"] == "model.published"
    assert received.headers["tensorfleet-delivery"] == delivery["id"]
    body = json.loads(received.body)
    assert body["id"] == event_id and body["type"] == "model.published" and body["data"] == data
    assert delivery["status"] == "succeeded" and delivery["attempts"] == 1
    assert delivery["response_code"] == 200 and delivery["delivered_at"] is not None


async def test_unsubscribed_events_are_not_delivered(
    client: httpx.AsyncClient,
    resources: Resources,
    worker: Worker,
    receiver: Receiver,
    make_webhook: MakeWebhook,
) -> None:
    hook = await make_webhook(receiver.url, ["job.failed"])
    await emit_event(resources.redis, resources.db, "job.succeeded", {"job_id": "j"})
    await emit_event(resources.redis, resources.db, "job.failed", {"job_id": "j"})
    await ended_deliveries(client, hook["id"], 1)
    assert [r.headers["tensorfleet-event"] for r in receiver.received()] == ["job.failed"]
    assert len(await deliveries(client, hook["id"])) == 1


async def test_retried_after_a_500(
    client: httpx.AsyncClient,
    resources: Resources,
    worker: Worker,
    receiver: Receiver,
    make_webhook: MakeWebhook,
) -> None:
    receiver.script.extend([500, 503])
    hook = await make_webhook(receiver.url, ["job.failed"])
    event_id = await emit_event(resources.redis, resources.db, "job.failed", {"job_id": "x"})
    (delivery,) = await ended_deliveries(client, hook["id"], 1)
    assert delivery["status"] == "succeeded" and delivery["attempts"] == 3
    assert delivery["response_code"] == 200
    received = receiver.received()
    assert [r.headers["tensorfleet-event-id"] for r in received] == [event_id] * 3
    assert len({r.headers["tensorfleet-signature"] for r in received}) >= 1
    assert all(
        signing.verify(hook["secret"], r.headers["tensorfleet-signature"], r.body) for r in received
    )


async def test_gives_up_after_max_attempts_and_logs_why(
    client: httpx.AsyncClient,
    resources: Resources,
    worker: Worker,
    receiver: Receiver,
    make_webhook: MakeWebhook,
) -> None:
    receiver.script.extend([500, 500, 500, 500])
    hook = await make_webhook(receiver.url, ["job.failed"])
    await emit_event(resources.redis, resources.db, "job.failed", {"job_id": "y"})
    (delivery,) = await ended_deliveries(client, hook["id"], 1)
    assert delivery["status"] == "failed" and delivery["attempts"] == 3  # WEBHOOK_MAX_ATTEMPTS
    assert delivery["response_code"] == 500
    assert delivery["last_error"] == "HTTP 500: receiver says no"
    assert delivery["last_attempt_at"] is not None and delivery["delivered_at"] is None
    assert len(receiver.received()) == 3


async def test_redelivery_sends_the_same_event_again(
    client: httpx.AsyncClient,
    resources: Resources,
    worker: Worker,
    receiver: Receiver,
    make_webhook: MakeWebhook,
) -> None:
    receiver.script.extend([500, 500, 500])
    hook = await make_webhook(receiver.url, ["job.failed"])
    event_id = await emit_event(resources.redis, resources.db, "job.failed", {"job_id": "z"})
    (failed,) = await ended_deliveries(client, hook["id"], 1)
    assert failed["status"] == "failed"
    path = f"/api/v1/webhooks/{hook['id']}/deliveries/{failed['id']}/redeliver"
    response = await client.post(path)
    assert response.status_code == 202, response.text
    again = response.json()
    assert again["redelivery_of"] == failed["id"] and again["event_id"] == event_id
    items = await ended_deliveries(client, hook["id"], 2)
    assert [item["id"] for item in items] == [again["id"], failed["id"]]  # newest first
    assert items[0]["status"] == "succeeded" and items[0]["attempts"] == 1
    last = receiver.received()[-1]
    assert last.headers["tensorfleet-event-id"] == event_id
    assert last.body == receiver.received()[0].body


async def test_one_webhook_gets_events_in_order(
    client: httpx.AsyncClient,
    resources: Resources,
    worker: Worker,
    receiver: Receiver,
    make_webhook: MakeWebhook,
) -> None:
    hook = await make_webhook(receiver.url, ["model.published", "job.succeeded"])
    sent = []
    for number in range(6):
        event = "model.published" if number % 2 == 0 else "job.succeeded"
        sent.append(await emit_event(resources.redis, resources.db, event, {"n": number}))
    await ended_deliveries(client, hook["id"], len(sent))
    assert [r.headers["tensorfleet-event-id"] for r in receiver.received()] == sent


async def test_a_delivery_the_queue_lost_is_queued_by_the_sweep(
    client: httpx.AsyncClient,
    resources: Resources,
    worker: Worker,
    receiver: Receiver,
    make_webhook: MakeWebhook,
) -> None:
    """Recorded but never queued (Redis was down at the time): the sweep queues it."""
    hook = await make_webhook(receiver.url, ["job.failed"])
    lost = new_delivery(hook["id"], event_id="evt_lost", event="job.failed", body='{"id":"x"}')
    lost["created_at"] -= timedelta(minutes=5)
    await store.insert_deliveries(resources.db, [lost])
    await sweep_deliveries(worker.ctx)
    (delivery,) = await ended_deliveries(client, hook["id"], 1)
    assert delivery["id"] == lost["_id"] and delivery["status"] == "succeeded"
    assert receiver.received()[0].headers["tensorfleet-event-id"] == "evt_lost"


async def test_the_sweep_forgets_old_ended_deliveries(
    client: httpx.AsyncClient, resources: Resources, worker: Worker, make_webhook: MakeWebhook
) -> None:
    hook = await make_webhook("http://93.184.215.14/hook", ["job.failed"])
    old = new_delivery(hook["id"], event_id="evt_old", event="job.failed", body="{}")
    recent = new_delivery(hook["id"], event_id="evt_new", event="job.failed", body="{}")
    old |= {"status": "succeeded", "created_at": old["created_at"] - timedelta(days=31)}
    recent |= {"status": "failed", "created_at": recent["created_at"] - timedelta(days=29)}
    await store.insert_deliveries(resources.db, [old, recent])
    await sweep_deliveries(worker.ctx)
    assert [d["id"] for d in await deliveries(client, hook["id"])] == [recent["_id"]]


def delivered(event: str, outcome: str) -> float:
    labels = {"event": event, "outcome": outcome}
    return REGISTRY.get_sample_value("webhook_deliveries_total", labels) or 0.0


async def test_metrics_count_tries_by_event_and_outcome(
    client: httpx.AsyncClient,
    resources: Resources,
    worker: Worker,
    receiver: Receiver,
    make_webhook: MakeWebhook,
) -> None:
    before = {o: delivered("drift.detected", o) for o in ("retried", "succeeded")}
    receiver.script.append(500)
    hook = await make_webhook(receiver.url, ["drift.detected"])
    await emit_event(resources.redis, resources.db, "drift.detected", {"model_id": "m"})
    await ended_deliveries(client, hook["id"], 1)
    assert delivered("drift.detected", "retried") == before["retried"] + 1
    assert delivered("drift.detected", "succeeded") == before["succeeded"] + 1
