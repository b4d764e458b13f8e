"""UI tests run the app with auth on and a bootstrap admin key, and sign in like a browser:
fetch a form for its CSRF token, post it, keep the cookies."""

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from app.config import Settings
from tests.samples import BOOTSTRAP_KEY, MakeModel, iris_model_bytes, publish
from tests.support import SettingsFactory
from tests.ui.forms import create_key, sign_in


@pytest.fixture(scope="module")
def settings(settings_factory: SettingsFactory) -> Settings:
    return settings_factory(auth_enabled=True, bootstrap_admin_key=BOOTSTRAP_KEY)


@pytest.fixture(scope="module")
async def scoped_keys(client: httpx.AsyncClient) -> dict[str, str]:
    """One key per scope, by scope name, made through the API."""
    return {
        scope: (await create_key(client, scope, f"ui-{scope}"))["key"]
        for scope in ("read", "train", "admin")
    }


@pytest.fixture
def make_model(settings: Settings) -> MakeModel:
    """Publish a model through the worker's publish path (fields as tests.samples)."""

    async def make(**fields: Any) -> dict[str, Any]:
        return await publish(settings, iris_model_bytes(), **fields)

    return make


@pytest.fixture
async def browser(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A cookie-keeping client with no session yet."""
    transport = httpx.ASGITransport(app=app.state.asgi)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


@pytest.fixture
async def reader(browser: httpx.AsyncClient, scoped_keys: dict[str, str]) -> httpx.AsyncClient:
    await sign_in(browser, scoped_keys["read"])
    return browser


@pytest.fixture
async def admin(browser: httpx.AsyncClient, scoped_keys: dict[str, str]) -> httpx.AsyncClient:
    await sign_in(browser, scoped_keys["admin"])
    return browser
