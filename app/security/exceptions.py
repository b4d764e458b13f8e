"""Domain errors of API keys; app/errors.py maps each to an HTTP status."""


class KeyNotFound(Exception):
    def __init__(self, key_id: str) -> None:
        self.key_id = key_id
        super().__init__(f"no API key {key_id}")


class LastAdminKey(Exception):
    """Revoking this key would leave no active admin key and no bootstrap key."""

    def __init__(self, key_id: str) -> None:
        self.key_id = key_id
        super().__init__(
            f"{key_id} is the last active admin key and no BOOTSTRAP_ADMIN_KEY is configured: "
            "revoking it would leave no way to administer the service (and the API would refuse "
            "to start with auth on). Create another admin key first, or set BOOTSTRAP_ADMIN_KEY."
        )
