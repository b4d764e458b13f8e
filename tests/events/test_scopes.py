"""Webhooks are an admin matter: a read or train key may neither register nor read them."""

import httpx
import pytest

from app.config import Settings
from tests.samples import ADMIN, BOOTSTRAP_KEY, bearer
from tests.support import SettingsFactory

HOOK = {"url": "http://93.184.215.14/hook", "events": ["job.failed"]}


@pytest.fixture(scope="module")
def settings(settings_factory: SettingsFactory) -> Settings:
    return settings_factory(auth_enabled=True, bootstrap_admin_key=BOOTSTRAP_KEY)


async def make_key(client: httpx.AsyncClient, scope: str) -> str:
    body = {"name": f"{scope}-key", "scopes": [scope]}
    response = await client.post("/api/v1/keys", json=body, headers=ADMIN)
    assert response.status_code == 201, response.text
    return str(response.json()["key"])


async def test_webhooks_need_admin(client: httpx.AsyncClient) -> None:
    created = await client.post("/api/v1/webhooks", json=HOOK, headers=ADMIN)
    assert created.status_code == 201
    hook = created.json()["id"]
    for scope in ("read", "train"):
        key = bearer(await make_key(client, scope))
        assert (await client.post("/api/v1/webhooks", json=HOOK, headers=key)).status_code == 403
        assert (await client.get("/api/v1/webhooks", headers=key)).status_code == 403
        assert (
            await client.get(f"/api/v1/webhooks/{hook}/deliveries", headers=key)
        ).status_code == 403
        assert (await client.delete(f"/api/v1/webhooks/{hook}", headers=key)).status_code == 403
    assert (await client.get("/api/v1/webhooks")).status_code == 401
    assert (await client.delete(f"/api/v1/webhooks/{hook}", headers=ADMIN)).status_code == 204
