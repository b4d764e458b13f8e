"""Errors under /ui are pages with the error table's status and message; the JSON routes keep
their JSON."""

import httpx
import pytest

from tests.samples import ADMIN
from tests.ui.forms import sign_in


@pytest.fixture
async def reader(browser: httpx.AsyncClient, scoped_keys: dict[str, str]) -> httpx.AsyncClient:
    await sign_in(browser, scoped_keys["read"])
    return browser


@pytest.mark.parametrize(
    ("path", "status", "message"),
    [
        ("/ui/models/0123456789abcdef01234567", 404, "no model with id"),
        ("/ui/jobs/no-such-job", 404, "job &#39;no-such-job&#39; not found"),
        ("/ui/models?after=not-a-cursor", 422, "cursor"),
        ("/ui/jobs?status=sleeping", 422, "status"),
    ],
)
async def test_ui_errors_are_pages(
    reader: httpx.AsyncClient, path: str, status: int, message: str
) -> None:
    response = await reader.get(path)
    assert response.status_code == status
    assert response.headers["content-type"].startswith("text/html")
    assert message in response.text


async def test_the_json_routes_still_answer_json(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/models/0123456789abcdef01234567", headers=ADMIN)
    assert response.status_code == 404
    assert response.json() == {"detail": "no model with id '0123456789abcdef01234567'"}


async def test_the_icon_browsers_ask_for_is_served_without_a_key(
    browser: httpx.AsyncClient,
) -> None:
    """Every page view, JSON routes included, makes the browser fetch /favicon.ico: a 404 there
    is an error in every user's console."""
    response = await browser.get("/favicon.ico")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("image/svg+xml")
    assert response.content.startswith(b"<svg")
    page = (await browser.get("/ui/sign-in")).text
    assert 'rel="icon"' in page and "/ui/static/favicon.svg" in page
