"""Outbound safety: internal targets are refused at registration and at delivery, unless
WEBHOOK_ALLOW_PRIVATE_TARGETS; the connection goes to the address that was checked."""

import ipaddress

import httpx
import pytest
from fastapi import FastAPI

from app.config import Settings
from app.events.delivery import attempt_delivery
from app.events.exceptions import UnsafeTarget
from app.events.outbound import outbound_client, refusal
from tests.events.receiver import Receiver
from tests.support import SettingsFactory

INTERNAL = [
    "http://127.0.0.1/hook",
    "http://127.8.9.10:8080/hook",
    "http://10.1.2.3/hook",
    "http://172.16.0.1/hook",
    "http://192.168.1.1/hook",
    "http://169.254.169.254/latest/meta-data/",
    "http://[::1]/hook",
    "http://[::ffff:127.0.0.1]/hook",
    "http://[fe80::1]/hook",
    "http://[fd00:ec2::254]/hook",
    "http://0.0.0.0/hook",
    "http://224.0.0.1/hook",
    "http://100.64.0.1/hook",
    "http://localhost:9/hook",  # a name that resolves to loopback
    "http://127.1/hook",  # shorthand, hex, decimal and octal spellings all resolve to loopback
    "http://0x7f000001/hook",
    "http://2130706433/hook",
    "http://017700000001/hook",
    "http://[::]/hook",
    "http://[fd00::1]/hook",
    "http://[fec0::1]/hook",  # IPv6 site-local: deprecated, still routed inside some networks
    "http://[2002:7f00:1::]/hook",  # 6to4 carrying 127.0.0.1
    "http://[2002:a9fe:a9fe::]/hook",  # 6to4 carrying 169.254.169.254
]


@pytest.fixture(scope="module")
def settings(settings_factory: SettingsFactory) -> Settings:
    return settings_factory()  # the default: internal targets refused


@pytest.mark.parametrize("url", INTERNAL)
async def test_registration_refuses_internal_targets(client: httpx.AsyncClient, url: str) -> None:
    response = await client.post("/api/v1/webhooks", json={"url": url, "events": ["job.failed"]})
    assert response.status_code == 422, response.text
    (error,) = response.json()["detail"]
    assert error["loc"] == ["body", "url"]
    assert "refused" in error["msg"]


@pytest.mark.parametrize(
    "url",
    ["http://\u2603.example/hook", "http://xn--n3h.example/hook", f"http://{'a' * 64}.example/"],
)
async def test_registration_refuses_hosts_outside_idna_2008(
    client: httpx.AsyncClient, url: str
) -> None:
    """Names the URL schema takes (UTS 46) but no request could be sent to: a 422 on `url`."""
    response = await client.post("/api/v1/webhooks", json={"url": url, "events": ["job.failed"]})
    assert response.status_code == 422, response.text
    (error,) = response.json()["detail"]
    assert error["loc"] == ["body", "url"]
    assert "host" in error["msg"]


async def test_registration_refuses_unresolvable_names(client: httpx.AsyncClient) -> None:
    url = "http://no-such-host.invalid/hook"
    response = await client.post("/api/v1/webhooks", json={"url": url, "events": ["job.failed"]})
    assert response.status_code == 422
    assert "does not resolve" in response.json()["detail"][0]["msg"]


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("169.254.169.254", "link-local"),
        ("168.63.129.16", "metadata"),
        ("::1", "loopback"),
        ("2002:c0a8:0101::1", "private"),  # 6to4 of 192.168.1.1
        ("2001:0:4136:e378:8000:63bf:3ffe:fdf2", "private"),  # Teredo of 192.168.1.1
    ],
)
def test_refusal_names_the_reason(address: str, reason: str) -> None:
    assert reason in (refusal(ipaddress.ip_address(address)) or "")


def test_public_addresses_pass() -> None:
    assert refusal(ipaddress.ip_address("93.184.215.14")) is None
    assert refusal(ipaddress.ip_address("2606:4700::1111")) is None
    assert refusal(ipaddress.ip_address("2002:5db8:d70e::1")) is None  # 6to4 of a public one


async def test_delivery_time_check_refuses_loopback(app: FastAPI, receiver: Receiver) -> None:
    """A name registered while public may resolve inside later: each request checks again,
    and nothing reaches the receiver."""
    async with outbound_client(allow_private=False, timeout=2) as http:
        for url in (receiver.url, receiver.url.replace("127.0.0.1", "localhost")):
            with pytest.raises(UnsafeTarget, match="loopback"):
                await http.post(url, content=b"{}")
    assert receiver.received() == []


async def test_allowed_private_connects_to_the_checked_address(receiver: Receiver) -> None:
    url = receiver.url.replace("127.0.0.1", "localhost")
    async with outbound_client(allow_private=True, timeout=2) as http:
        response = await http.post(url, content=b"{}")
    assert response.status_code == 200
    (received,) = receiver.received()
    assert received.headers["host"].startswith("localhost:")  # the name, not the address


async def test_redirects_are_not_followed(receiver: Receiver) -> None:
    receiver.script.append(302)
    async with outbound_client(allow_private=True, timeout=2) as http:
        response = await http.post(receiver.url, content=b"{}")
    assert response.status_code == 302
    assert len(receiver.received()) == 1


async def test_a_stored_url_with_a_bad_name_fails_its_delivery_cleanly() -> None:
    """A URL stored before registration checked its name ends its delivery as refused, not
    as an error that kills the delivery job."""
    delivery = {"_id": "d1", "event": "job.failed", "event_id": "e1", "body": "{}"}
    async with outbound_client(allow_private=False, timeout=2) as http:
        attempt = await attempt_delivery(
            http, "http://xn--n3h.example/hook", delivery, "whsec_x", max_bytes=100
        )
    assert (attempt.succeeded, attempt.final) == (False, True)
    assert "not a valid" in (attempt.error or "")
