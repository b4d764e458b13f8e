"""Where the server is and how to authenticate: arguments first, then environment variables."""

import os
from dataclasses import dataclass

URL_ENV = "TENSORFLEET_URL"
API_KEY_ENV = "TENSORFLEET_API_KEY"
DEFAULT_URL = "http://localhost:8000"
DEFAULT_TIMEOUT_SECONDS = 30.0


@dataclass(frozen=True)
class ClientConfig:
    base_url: str
    api_key: str | None = None
    timeout: float = DEFAULT_TIMEOUT_SECONDS

    def headers(self) -> dict[str, str]:
        headers = {"Accept": "application/json", "User-Agent": "tensorfleet-client/0.1.0"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        return headers


def resolve_config(
    base_url: str | None = None,
    api_key: str | None = None,
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
) -> ClientConfig:
    """Explicit values win; TENSORFLEET_URL and TENSORFLEET_API_KEY fill the gaps."""
    url = base_url or os.environ.get(URL_ENV) or DEFAULT_URL
    key = api_key or os.environ.get(API_KEY_ENV) or None
    return ClientConfig(base_url=url.rstrip("/"), api_key=key, timeout=timeout)
