"""Every outbound request (webhook deliveries) goes through here, and never reaches inside.

A target's host is resolved, every address it resolves to is checked, and the connection is
made to the address that was checked (the URL's host rewritten to it; `Host` and the TLS name
stay the original), so a name cannot resolve to a public address for the check and to an
internal one for the connection (DNS rebinding). Refused, unless WEBHOOK_ALLOW_PRIVATE_TARGETS:
loopback, private, link-local (169.254.169.254, the cloud metadata service, is one), IPv6
site-local (fec0::/10, deprecated but still routed inside some networks),
multicast, reserved and unspecified addresses, shared address space, IPv4 inside IPv6 (mapped,
6to4 and Teredo: judged by the IPv4 address they carry), and the known metadata addresses that
are otherwise public. A host that is not a name IDNA 2008 allows (httpx's rule, which the URL
schema's UTS 46 is laxer than) is refused too: no request could be sent to it. No redirects
are followed, no proxy from the environment is used, every phase has a timeout, and answers
are read to a bound.
"""

import asyncio
import ipaddress
import socket
from typing import Any

import httpx

from app.events.exceptions import UnsafeTarget

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# Cloud metadata endpoints that are not already inside a refused range.
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a) for a in ("168.63.129.16", "fd00:ec2::254", "100.100.100.200")
)
USER_AGENT = "TensorFleet-Webhooks/1"


def carried_ipv4(address: IPAddress) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses a 6to4 or Teredo (server and client) IPv6 address carries."""
    if not isinstance(address, ipaddress.IPv6Address):
        return []
    carried = [address.sixtofour, *(address.teredo or ())]
    return [inner for inner in carried if inner is not None]


def refusal(address: IPAddress) -> str | None:
    """Why outbound requests may not reach `address`; None when they may."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return refusal(address.ipv4_mapped)
    for inner in carried_ipv4(address):
        if (reason := refusal(inner)) is not None:
            return reason
    checks = (
        (address in METADATA_ADDRESSES, "cloud metadata"),
        (address.is_loopback, "loopback"),
        (address.is_link_local, "link-local (cloud metadata)"),
        (address.is_multicast, "multicast"),
        (address.is_unspecified or address.is_reserved, "reserved"),
        (address.is_private, "private"),
        (isinstance(address, ipaddress.IPv6Address) and address.is_site_local, "site-local"),
        (not address.is_global, "non-public"),
    )
    return next((reason for refused, reason in checks if refused), None)


def parse_target(url: str) -> httpx.URL:
    """`url` as httpx will send it; UnsafeTarget when its host is no name a request can use."""
    try:
        parsed = httpx.URL(url)
        parsed.host  # noqa: B018 - decoding an IDNA host is lazy, and is where it fails
    except (httpx.InvalidURL, ValueError) as exc:  # idna's errors are UnicodeErrors
        raise UnsafeTarget(f"the host is not a valid internationalised name ({exc})") from None
    return parsed


def literal_address(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


async def resolve(host: str, port: int, timeout: float) -> list[IPAddress]:
    """Every address `host` names (itself when it is an address); UnsafeTarget when none."""
    literal = literal_address(host)
    if literal is not None:
        return [literal]
    loop = asyncio.get_running_loop()
    try:
        async with asyncio.timeout(timeout):
            infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except UnicodeError as exc:  # a label the resolver's IDNA codec refuses (over 63 bytes)
        raise UnsafeTarget(f"the host {host} is not a valid name ({exc})") from None
    except (OSError, TimeoutError) as exc:
        raise UnsafeTarget(f"{host} does not resolve ({exc})") from None
    return list(dict.fromkeys(ipaddress.ip_address(info[4][0]) for info in infos))


def describe_refusal(host: str, address: IPAddress, reason: str) -> str:
    if literal_address(host) is not None:
        return f"{host} is a {reason} address"
    return f"{host} resolves to {address}, a {reason} address"


async def checked_address(url: httpx.URL, *, allow_private: bool, timeout: float) -> IPAddress:
    """The address to connect to for `url`, after every address of its host passed."""
    port = url.port or (443 if url.scheme == "https" else 80)
    addresses = await resolve(url.host, port, timeout)
    if not allow_private:
        for address in addresses:
            if (reason := refusal(address)) is not None:
                raise UnsafeTarget(describe_refusal(url.host, address, reason))
    return addresses[0]


class PinnedTransport(httpx.AsyncBaseTransport):
    """An httpx transport that checks the target at connect time and connects to the very
    address it checked."""

    def __init__(self, *, allow_private: bool, timeout: float) -> None:
        self.allow_private, self.timeout = allow_private, timeout
        self.inner = httpx.AsyncHTTPTransport(retries=0)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        host = request.url.host
        address = await checked_address(
            request.url, allow_private=self.allow_private, timeout=self.timeout
        )
        request.url = request.url.copy_with(host=str(address))
        extensions: dict[str, Any] = dict(request.extensions)
        extensions.setdefault("sni_hostname", host)
        request.extensions = extensions
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


def outbound_client(*, allow_private: bool, timeout: float) -> httpx.AsyncClient:
    """A client for one batch of outbound requests (close it after use)."""
    return httpx.AsyncClient(
        transport=PinnedTransport(allow_private=allow_private, timeout=timeout),
        timeout=httpx.Timeout(timeout),
        follow_redirects=False,
        trust_env=False,
        headers={"User-Agent": USER_AGENT},
    )


async def read_bounded(response: httpx.Response, limit: int) -> bytes:
    """At most `limit` bytes of the answer's body; the rest is never read."""
    kept = bytearray()
    async for chunk in response.aiter_raw():
        kept += chunk[: limit - len(kept)]
        if len(kept) >= limit:
            break
    return bytes(kept)
