"""How a delivery is signed, and how a receiver checks it (as Stripe does).

The header `TensorFleet-Signature: t=<unix seconds>,v1=<hex>` carries the time of the attempt
and HMAC-SHA256 of `<t>.<body>` under the webhook's secret. A receiver recomputes it over the
raw body it got, compares in constant time, and refuses a `t` too far from its clock, so a
captured delivery cannot be replayed later. `TensorFleet-Event-Id` is the same on every try and
every redelivery of one event: receivers deduplicate on it.
"""

import hashlib
import hmac
import secrets
import time

SIGNATURE_HEADER = "TensorFleet-Signature"
EVENT_ID_HEADER = "TensorFleet-Event-Id"
EVENT_HEADER = "TensorFleet-Event"
DELIVERY_HEADER = "TensorFleet-Delivery"
SECRET_PREFIX = "whsec_"
DEFAULT_TOLERANCE_SECONDS = 300


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_hex(32)


def signature(secret: str, timestamp: int, body: bytes) -> str:
    signed = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def signature_header(secret: str, body: bytes, timestamp: int | None = None) -> str:
    at = int(time.time()) if timestamp is None else timestamp
    return f"t={at},v1={signature(secret, at, body)}"


def verify(
    secret: str,
    header: str,
    body: bytes,
    *,
    tolerance: float = DEFAULT_TOLERANCE_SECONDS,
    now: float | None = None,
) -> bool:
    """Whether `header` signs `body` under `secret` within `tolerance` seconds of `now`."""
    parts = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    try:
        at = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs((time.time() if now is None else now) - at) > tolerance:
        return False
    return hmac.compare_digest(parts.get("v1", ""), signature(secret, at, body))
