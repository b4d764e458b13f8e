"""The training job's events reach a webhook: model.published, then job.succeeded, for a job
that succeeds; job.failed for one that fails; each once."""

import json
from typing import Any

import httpx
from arq import Worker

from tests.events.receiver import Receiver
from tests.events.support import MakeWebhook
from tests.samples import FAILING_SVM, SEED_BODY
from tests.support import wait_for, wait_for_job

JOB_EVENTS = ["job.succeeded", "job.failed", "model.published"]


async def bodies(receiver: Receiver, count: int) -> list[dict[str, Any]]:
    async def arrived() -> list[dict[str, Any]] | None:
        received = receiver.received()
        return [json.loads(r.body) for r in received] if len(received) >= count else None

    return await wait_for(arrived, timeout=30, interval=0.05)


async def test_a_cancelled_job_announces_nothing(
    client: httpx.AsyncClient, receiver: Receiver, make_webhook: MakeWebhook
) -> None:
    """First in the module: no worker runs yet (the module's starts with the next test), so
    the job is still queued when it is cancelled."""
    hook = await make_webhook(receiver.url, JOB_EVENTS)
    body = SEED_BODY | {"job_id": "events-cancelled", "model_name": "events-cancelled"}
    assert (await client.post("/train", json=body)).status_code == 202
    assert (await client.post("/jobs/events-cancelled/cancel")).status_code == 200
    log = await client.get(f"/api/v1/webhooks/{hook['id']}/deliveries")
    assert log.json()["items"] == []


async def test_a_succeeded_job_announces_its_model_then_itself(
    client: httpx.AsyncClient, worker: Worker, receiver: Receiver, make_webhook: MakeWebhook
) -> None:
    await make_webhook(receiver.url, JOB_EVENTS)
    body = SEED_BODY | {"job_id": "events-ok", "model_name": "events-model"}
    assert (await client.post("/train", json=body)).status_code == 202
    job = await wait_for_job(client, "events-ok")
    published, succeeded = await bodies(receiver, 2)
    assert published["type"] == "model.published"
    assert published["data"]["model_id"] == job["model_id"]
    assert published["data"]["name"] == "events-model" and published["data"]["version"] == 1
    assert published["data"]["job_id"] == "events-ok"
    assert succeeded["type"] == "job.succeeded"
    data = succeeded["data"]
    assert (data["job_id"], data["model_id"], data["model_version"]) == (
        "events-ok",
        job["model_id"],
        1,
    )
    assert data["metrics"]["test_accuracy"] == job["metrics"]["test_accuracy"]
    assert data["model_name"] == "events-model" and data["algorithm"] == "random_forest"


async def test_a_failed_job_announces_its_error(
    client: httpx.AsyncClient, worker: Worker, receiver: Receiver, make_webhook: MakeWebhook
) -> None:
    await make_webhook(receiver.url, JOB_EVENTS)
    body = SEED_BODY | {
        "job_id": "events-bad",
        "algorithm": "svm",
        "model_name": "events-bad",
        "hyperparameters": FAILING_SVM,
    }
    assert (await client.post("/train", json=body)).status_code == 202
    job = await wait_for_job(client, "events-bad")
    assert job["status"] == "failed"
    (failed,) = await bodies(receiver, 1)
    assert failed["type"] == "job.failed"
    assert failed["data"]["job_id"] == "events-bad"
    assert failed["data"]["error"] == job["error"]
