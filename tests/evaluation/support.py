"""Evaluation test helpers: submit one and wait for it to end."""

import asyncio
from typing import Any

import httpx


async def wait_for_evaluation(
    client: httpx.AsyncClient, evaluation_id: str, timeout: float = 60
) -> dict[str, Any]:
    async with asyncio.timeout(timeout):
        while True:
            response = await client.get(f"/api/v1/evaluations/{evaluation_id}")
            assert response.status_code == 200, response.text
            if response.json()["status"] not in ("queued", "running"):
                return response.json()
            await asyncio.sleep(0.05)


async def evaluated(client: httpx.AsyncClient, path: str, **body: Any) -> dict[str, Any]:
    """POST an evaluation to `path` (…/evaluations) and wait for it to end."""
    response = await client.post(path, json=body)
    assert response.status_code == 202, response.text
    assert response.headers["location"] == f"/api/v1/evaluations/{response.json()['id']}"
    return await wait_for_evaluation(client, response.json()["id"])
