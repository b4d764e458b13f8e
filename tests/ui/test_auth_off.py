"""With auth off there is nothing to sign in to: pages open, and every control shows."""

import httpx
import pytest

from app.config import Settings
from tests.support import SettingsFactory


@pytest.fixture(scope="module")
def settings(settings_factory: SettingsFactory) -> Settings:
    return settings_factory(auth_enabled=False)


async def test_pages_open_without_signing_in(client: httpx.AsyncClient) -> None:
    response = await client.get("/ui")
    assert response.status_code == 200
    assert 'href="/ui/train"' in response.text
    assert "Sign out" not in response.text


async def test_the_sign_in_page_leads_home(client: httpx.AsyncClient) -> None:
    response = await client.get("/ui/sign-in")
    assert response.status_code == 303
    assert response.headers["location"] == "/ui"


async def test_forms_still_need_their_csrf_token(client: httpx.AsyncClient) -> None:
    fields = {"dataset_name": "iris", "algorithm": "svm", "model_name": "forged"}
    response = await client.post("/ui/train", data=fields)
    assert response.status_code == 403
