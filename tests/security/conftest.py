"""The security tests run the app with AUTH_ENABLED and a bootstrap admin key, and make keys
of each scope through the API itself."""

from collections.abc import AsyncIterator

import httpx
import pytest

from app.config import Settings
from tests.samples import ADMIN, BOOTSTRAP_KEY, MakeKey
from tests.support import SettingsFactory


@pytest.fixture(scope="module")
def settings(settings_factory: SettingsFactory) -> Settings:
    return settings_factory(auth_enabled=True, bootstrap_admin_key=BOOTSTRAP_KEY)


@pytest.fixture(scope="module")
async def make_key(client: httpx.AsyncClient) -> AsyncIterator[MakeKey]:
    async def make(*scopes: str, name: str = "test") -> dict:
        response = await client.post(
            "/api/v1/keys", json={"name": name, "scopes": list(scopes)}, headers=ADMIN
        )
        assert response.status_code == 201, response.text
        return response.json()

    yield make


@pytest.fixture(scope="module")
async def scoped_keys(make_key: MakeKey) -> dict[str, str]:
    """One key per scope, by scope name."""
    return {
        scope: (await make_key(scope, name=f"{scope}-key"))["key"]
        for scope in ("read", "train", "admin")
    }
