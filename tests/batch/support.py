"""Batch prediction test helpers: submit, wait for the job, download its output as a frame."""

import io
from typing import Any

import httpx
import pandas as pd

from tests.support import read_state, wait_until_ended

ROOT = "/api/v1/batch-predictions"


async def submit(client: httpx.AsyncClient, model_id: str, **body: Any) -> httpx.Response:
    return await client.post(f"/api/v1/models/{model_id}/batch-predictions", json=body)


async def read(client: httpx.AsyncClient, job_id: str) -> dict[str, Any]:
    return await read_state(client, f"{ROOT}/{job_id}")


async def wait_for_end(client: httpx.AsyncClient, job_id: str, timeout: float = 120) -> dict:
    return await wait_until_ended(client, f"{ROOT}/{job_id}", timeout)


async def predicted(client: httpx.AsyncClient, model_id: str, **body: Any) -> dict[str, Any]:
    """Submit, and wait for the job to end; its last state."""
    response = await submit(client, model_id, **body)
    assert response.status_code == 202, response.text
    assert response.headers["Location"] == response.json()["location"]
    return await wait_for_end(client, response.json()["job_id"])


async def output(client: httpx.AsyncClient, job: dict[str, Any]) -> tuple[pd.DataFrame, dict]:
    """The job's output as a frame (empty cells read as missing), and the response headers."""
    response = await client.get(job["download"])
    assert response.status_code == 200, response.text
    data = io.BytesIO(response.content)
    if job["request"]["format"] == "parquet":
        return pd.read_parquet(data), dict(response.headers)
    return pd.read_csv(data, keep_default_na=False, na_values=[""]), dict(response.headers)
