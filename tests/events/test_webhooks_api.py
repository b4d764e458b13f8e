"""Registering, reading and deleting webhooks; what a registration refuses."""

import httpx

from tests.events.receiver import Receiver
from tests.events.support import MakeWebhook

PUBLIC_URL = "http://93.184.215.14/hook"  # an address literal: no name lookup needed


async def test_secret_is_shown_once(client: httpx.AsyncClient, make_webhook: MakeWebhook) -> None:
    created = await make_webhook(PUBLIC_URL, ["job.succeeded", "job.failed", "job.succeeded"])
    assert created["secret"].startswith("whsec_") and len(created["secret"]) > 40
    assert created["events"] == ["job.succeeded", "job.failed"]
    read = (await client.get(f"/api/v1/webhooks/{created['id']}")).json()
    listed = (await client.get("/api/v1/webhooks")).json()["items"]
    assert read["url"] == PUBLIC_URL and "secret" not in read
    assert [hook["id"] for hook in listed] == [created["id"]]
    assert all("secret" not in hook for hook in listed)


async def test_delete(client: httpx.AsyncClient, make_webhook: MakeWebhook) -> None:
    created = await make_webhook(PUBLIC_URL, ["model.published"])
    assert (await client.delete(f"/api/v1/webhooks/{created['id']}")).status_code == 204
    assert (await client.get(f"/api/v1/webhooks/{created['id']}")).status_code == 404
    assert (await client.delete(f"/api/v1/webhooks/{created['id']}")).status_code == 404
    gone = await client.get(f"/api/v1/webhooks/{created['id']}/deliveries")
    assert gone.status_code == 404


async def test_unknown_event_is_named(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/v1/webhooks", json={"url": PUBLIC_URL, "events": ["job.exploded"]}
    )
    assert response.status_code == 422
    (error,) = response.json()["detail"]
    assert error["loc"] == ["body", "events", 0]
    assert "job.succeeded" in error["msg"]


async def test_no_events(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/v1/webhooks", json={"url": PUBLIC_URL, "events": []})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "events"]


async def test_url_must_be_http(client: httpx.AsyncClient) -> None:
    for url in ("ftp://93.184.215.14/hook", "file:///etc/passwd", "not a url", "http://"):
        response = await client.post(
            "/api/v1/webhooks", json={"url": url, "events": ["job.failed"]}
        )
        assert response.status_code == 422, url
        assert response.json()["detail"][0]["loc"] == ["body", "url"], url


async def test_url_credentials_refused(client: httpx.AsyncClient) -> None:
    body = {"url": "http://user:pw@93.184.215.14/hook", "events": ["job.failed"]}
    response = await client.post("/api/v1/webhooks", json=body)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "url"]


async def test_unknown_delivery(
    client: httpx.AsyncClient, make_webhook: MakeWebhook, receiver: Receiver
) -> None:
    created = await make_webhook(receiver.url, ["job.failed"])
    missing = f"/api/v1/webhooks/{created['id']}/deliveries/dlv_{'0' * 32}"
    assert (await client.get(missing)).status_code == 404
    assert (await client.post(f"{missing}/redeliver")).status_code == 404
    assert (await client.get("/api/v1/webhooks/wh_0123/deliveries")).status_code == 404
