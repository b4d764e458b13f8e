"""Driving the UI's forms over plain HTTP, as a browser would: read the page's CSRF token,
post it with the fields, keep the cookies."""

import re
from typing import Any

import httpx

from tests.samples import ADMIN

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_token(page: httpx.Response) -> str:
    match = TOKEN.search(page.text)
    assert match, f"no CSRF token in {page.url}"
    return match.group(1)


async def sign_in(browser: httpx.AsyncClient, key: str) -> httpx.Response:
    form = await browser.get("/ui/sign-in")
    return await browser.post(
        "/ui/sign-in", data={"api_key": key, "csrf_token": csrf_token(form), "next": "/ui"}
    )


async def create_key(client: httpx.AsyncClient, scope: str, name: str) -> dict[str, Any]:
    body = {"name": name, "scopes": [scope]}
    response = await client.post("/api/v1/keys", json=body, headers=ADMIN)
    assert response.status_code == 201, response.text
    return response.json()
