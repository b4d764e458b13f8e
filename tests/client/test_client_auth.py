"""The client sends its API key, and auth failures become typed errors."""

from collections.abc import AsyncIterator

import httpx
import pytest
from asgi_lifespan import LifespanManager

from app.main import create_app
from tensorfleet.client import AsyncTensorFleetClient, Forbidden, Unauthorized
from tests.support import SettingsFactory

ADMIN_KEY = "tf_client-auth-" + "k3y" * 12


@pytest.fixture(scope="module")
async def transport(settings_factory: SettingsFactory) -> AsyncIterator[httpx.ASGITransport]:
    app = create_app(settings_factory(auth_enabled=True, bootstrap_admin_key=ADMIN_KEY))
    async with LifespanManager(app) as manager:
        yield httpx.ASGITransport(app=manager.app)


def client(transport: httpx.ASGITransport, key: str | None) -> AsyncTensorFleetClient:
    return AsyncTensorFleetClient("http://testserver", api_key=key, transport=transport)


async def test_without_a_key_reads_are_unauthorized(transport: httpx.ASGITransport) -> None:
    async with client(transport, None) as anonymous:
        with pytest.raises(Unauthorized) as caught:
            await anonymous.list_datasets()
    assert caught.value.status_code == 401


async def test_a_read_key_can_read_but_not_delete(
    transport: httpx.ASGITransport, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        created = await http.post(
            "/api/v1/keys",
            json={"name": "reader", "scopes": ["read"]},
            headers={"Authorization": f"Bearer {ADMIN_KEY}"},
        )
    read_key = created.json()["key"]
    monkeypatch.setenv("TENSORFLEET_API_KEY", read_key)  # the environment variable is honoured
    async with client(transport, None) as reader:
        assert {d.name for d in await reader.list_datasets()} == {"iris", "wine"}
        with pytest.raises(Forbidden) as caught:
            await reader.delete_model("0" * 24)
    assert caught.value.status_code == 403
