"""What the events test modules share: the type of the `make_webhook` fixture."""

from collections.abc import Awaitable, Callable
from typing import Any

MakeWebhook = Callable[..., Awaitable[dict[str, Any]]]  # tests/events' `make_webhook` fixture
