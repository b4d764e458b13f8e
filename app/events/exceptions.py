"""Domain errors of webhooks and their deliveries (app/errors.py maps them to HTTP)."""


class WebhookNotFound(LookupError):
    def __init__(self, webhook_id: str) -> None:
        super().__init__(f"no webhook {webhook_id!r}")


class DeliveryNotFound(LookupError):
    def __init__(self, webhook_id: str, delivery_id: str) -> None:
        super().__init__(f"webhook {webhook_id!r} has no delivery {delivery_id!r}")


class UnsafeTarget(Exception):
    """A webhook URL whose host is, or resolves to, an address outbound requests may not reach
    (or does not resolve at all)."""


class InvalidWebhook(Exception):
    """A webhook registration refused: `location` names the field, as in a 422's `loc`."""

    def __init__(self, location: tuple[str, ...], message: str) -> None:
        self.location, self.message = location, message
        super().__init__(message)


class TooManyWaiters(Exception):
    """This API process already holds LIVE_MAX_WAITERS long polls and event streams open."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        super().__init__(
            f"this server already holds {cap} long polls and event streams open "
            "(LIVE_MAX_WAITERS); retry shortly, or poll without `wait`"
        )


class TooManyWebhooks(Exception):
    def __init__(self, cap: int) -> None:
        self.cap = cap
        super().__init__(f"at most {cap} webhooks may be registered; delete one first")
