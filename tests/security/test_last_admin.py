"""The last active admin key cannot be revoked unless a bootstrap key is configured: otherwise
the next restart with auth on would exit 1, with no way back in."""

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from pydantic import SecretStr

from app.config import Settings
from app.resources import Resources, open_resources
from app.security import keys
from app.security.schemas import KeyCreate, Scope
from tests.samples import BOOTSTRAP_KEY, bearer
from tests.support import SettingsFactory, replica


@pytest.fixture(scope="module")
def settings(settings_factory: SettingsFactory) -> Settings:
    return settings_factory(auth_enabled=True)  # no bootstrap key


@pytest.fixture
async def resources(settings: Settings) -> AsyncIterator[Resources]:
    opened = await open_resources(settings)
    yield opened
    await opened.close()


async def stored_key(resources: Resources, *scopes: Scope) -> dict:
    """A key made by the code the API uses, as an operator's first admin key would be."""
    request = KeyCreate(name="admin", scopes=list(scopes))
    return (await keys.create_key(resources.db, request=request, created_by=None)).model_dump()


async def test_the_last_admin_key_is_refused_409_and_keeps_working(
    client: httpx.AsyncClient, resources: Resources
) -> None:
    first = await stored_key(resources, Scope.admin)
    second = await stored_key(resources, Scope.admin)
    reader = await stored_key(resources, Scope.read)
    admin = bearer(first["key"])
    assert (await client.delete(f"/api/v1/keys/{second['id']}", headers=admin)).status_code == 204
    assert (await client.delete(f"/api/v1/keys/{reader['id']}", headers=admin)).status_code == 204
    refused = await client.delete(f"/api/v1/keys/{first['id']}", headers=admin)
    assert refused.status_code == 409
    assert "last active admin key" in refused.json()["detail"]
    assert "BOOTSTRAP_ADMIN_KEY" in refused.json()["detail"]
    assert (await client.get("/api/v1/keys", headers=admin)).status_code == 200
    assert await keys.count_admin_keys(resources.db) == 1
    await keys.revoke_key(resources.db, key_id=first["id"], keep_an_admin=False)  # clean up


async def test_two_admins_revoking_each_other_at_once_leave_one(
    client: httpx.AsyncClient, resources: Resources
) -> None:
    one = await stored_key(resources, Scope.admin)
    two = await stored_key(resources, Scope.admin)
    responses = await asyncio.gather(
        client.delete(f"/api/v1/keys/{two['id']}", headers=bearer(one["key"])),
        client.delete(f"/api/v1/keys/{one['id']}", headers=bearer(two["key"])),
    )
    assert {r.status_code for r in responses} <= {204, 401, 409}
    assert await keys.count_admin_keys(resources.db) >= 1


async def test_with_a_bootstrap_key_the_last_admin_key_may_go(
    settings: Settings, resources: Resources
) -> None:
    with_bootstrap = settings.model_copy(update={"bootstrap_admin_key": SecretStr(BOOTSTRAP_KEY)})
    for document in await keys.list_keys(resources.db, include_revoked=False):
        await keys.revoke_key(resources.db, key_id=document.id, keep_an_admin=False)
    last = await stored_key(resources, Scope.admin)
    async with replica(with_bootstrap) as http:
        response = await http.delete(f"/api/v1/keys/{last['id']}", headers=bearer(last["key"]))
    assert response.status_code == 204
    assert await keys.count_admin_keys(resources.db) == 0
