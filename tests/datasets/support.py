"""Dataset test helpers: tables as CSV or Parquet bytes, upload, wait for ingest, train."""

import asyncio
import io
from typing import Any

import httpx
import pandas as pd

from app.resources import Resources
from tests.support import wait_for_job


def csv_bytes(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False).encode()


def parquet_bytes(frame: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    return buffer.getvalue()


async def upload(
    client: httpx.AsyncClient, name: str, target: str, payload: Any, **params: Any
) -> httpx.Response:
    query = {"name": name, "target": target} | params
    return await client.post("/datasets", params=query, content=payload)


async def wait_for_version(
    client: httpx.AsyncClient, name: str, version: int, timeout: float = 60
) -> dict[str, Any]:
    """Poll the version until its ingest ended."""
    async with asyncio.timeout(timeout):
        while True:
            response = await client.get(f"/datasets/{name}/versions/{version}")
            assert response.status_code == 200, response.text
            if response.json()["status"] != "ingesting":
                return response.json()
            await asyncio.sleep(0.05)


async def ingested(
    client: httpx.AsyncClient, name: str, target: str, payload: Any, **params: Any
) -> dict[str, Any]:
    """Upload and wait for the ingest to end; the version as GET shows it."""
    response = await upload(client, name, target, payload, **params)
    assert response.status_code in (200, 202), response.text
    return await wait_for_version(client, name, response.json()["version"])


async def train(client: httpx.AsyncClient, **body: Any) -> dict[str, Any]:
    response = await client.post("/train", json=body)
    assert response.status_code == 202, response.text
    return await wait_for_job(client, response.json()["job_id"])


async def assert_nothing_stored(resources: Resources, name: str) -> None:
    """No version of `name`, no upload file of it, and no GridFS chunk without its file (a
    partial upload aborted half-way would leave chunks)."""
    db = resources.db
    assert await db["dataset_versions"].count_documents({"name": name}) == 0
    assert await db["datasets.files"].count_documents({"filename": f"{name}.upload"}) == 0
    owners = set(await db["datasets.chunks"].distinct("files_id"))
    assert owners <= set(await db["datasets.files"].distinct("_id"))
