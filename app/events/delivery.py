"""One try of a webhook delivery, and what to do after it.

A try POSTs the event's body, signed for this try's time, through the outbound client (which
refuses internal targets). A 2xx answer is a success; anything else (another status, a timeout,
a refused connection) is tried again after a pause that doubles each time, until
WEBHOOK_MAX_ATTEMPTS; a target that is refused (it resolves inside) fails at once.
"""

from dataclasses import dataclass
from typing import Any

import httpx

from app.config import Settings
from app.events import signing
from app.events.exceptions import UnsafeTarget
from app.events.outbound import parse_target, read_bounded

ERROR_EXCERPT_CHARS = 500
MAX_RETRY_DELAY_SECONDS = 3600.0


@dataclass(frozen=True, slots=True)
class Attempt:
    """How one try went: `final` means trying again cannot help (the target is refused)."""

    succeeded: bool
    response_code: int | None = None
    error: str | None = None
    final: bool = False


def delivery_headers(delivery: dict[str, Any], secret: str, body: bytes) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        signing.SIGNATURE_HEADER: signing.signature_header(secret, body),
        signing.EVENT_ID_HEADER: delivery["event_id"],
        signing.EVENT_HEADER: delivery["event"],
        signing.DELIVERY_HEADER: delivery["_id"],
    }


def answer_error(response: httpx.Response, excerpt: bytes) -> str:
    text = excerpt.decode("utf-8", errors="replace")[:ERROR_EXCERPT_CHARS]
    if response.is_redirect:
        text = f"redirect to {response.headers.get('location', '?')} not followed"
    return f"HTTP {response.status_code}: {text}".rstrip(": ")


async def attempt_delivery(
    client: httpx.AsyncClient, url: str, delivery: dict[str, Any], secret: str, max_bytes: int
) -> Attempt:
    body = delivery["body"].encode()
    headers = delivery_headers(delivery, secret, body)
    try:
        target = parse_target(url)  # a URL stored before registration checked its name
        async with client.stream("POST", target, content=body, headers=headers) as response:
            excerpt = await read_bounded(response, max_bytes)
    except UnsafeTarget as exc:
        return Attempt(False, error=f"refused: {exc}", final=True)
    except httpx.HTTPError as exc:
        return Attempt(False, error=f"{type(exc).__name__}: {exc}"[:ERROR_EXCERPT_CHARS])
    if response.is_success:
        return Attempt(True, response.status_code)
    return Attempt(False, response.status_code, answer_error(response, excerpt))


def retry_delay(settings: Settings, attempts: int) -> float:
    """Seconds before try `attempts + 1`: the base, doubled after each failed try, capped."""
    delay = settings.webhook_retry_base_seconds * 2 ** (attempts - 1)
    return float(min(delay, MAX_RETRY_DELAY_SECONDS))
