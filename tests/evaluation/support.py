"""Evaluation test helpers: submit one and wait for it to end."""

from typing import Any

import httpx

from tests.support import wait_until_ended


async def wait_for_evaluation(
    client: httpx.AsyncClient, evaluation_id: str, timeout: float = 60
) -> dict[str, Any]:
    return await wait_until_ended(client, f"/api/v1/evaluations/{evaluation_id}", timeout)


async def evaluated(client: httpx.AsyncClient, path: str, **body: Any) -> dict[str, Any]:
    """POST an evaluation to `path` (…/evaluations) and wait for it to end."""
    response = await client.post(path, json=body)
    assert response.status_code == 202, response.text
    assert response.headers["location"] == f"/api/v1/evaluations/{response.json()['id']}"
    return await wait_for_evaluation(client, response.json()["id"])
