"""What only a full parse finds ends the version `failed`, naming the problem with the row and
column where there is one, and removes its upload. (What the bytes decide as they stream is a
4xx at upload: tests/datasets/test_upload_limits.py.)
"""

import httpx
import pytest
from arq import Worker

from app.config import Settings
from app.resources import Resources
from tests.datasets.support import csv_bytes, ingested, upload
from tests.support import SettingsFactory, wait_for
from tests.tables import customers

HEADER = b"a,b,label\n"


def rows(count: int) -> bytes:
    return b"".join(b"%d,%d,%s\n" % (i, i * 2, b"xy"[i % 2 : i % 2 + 1]) for i in range(count))


@pytest.fixture(scope="module")
def settings(settings_factory: SettingsFactory) -> Settings:
    return settings_factory(dataset_max_rows=500)


async def assert_failed(
    client: httpx.AsyncClient, resources: Resources, name: str, payload: bytes, target: str
) -> dict:
    """Ingest ends `failed`; the upload's file is gone. Returns the error."""
    version = await ingested(client, name, target, payload)
    assert version["status"] == "failed", version

    async def removed() -> bool:  # the worker removes the upload right after it ends the version
        files = resources.db["datasets.files"]
        return await files.count_documents({"filename": f"{name}.upload"}) == 0

    await wait_for(removed, timeout=30)
    return version["error"]


async def test_training_on_a_version_still_ingesting_is_refused(
    client: httpx.AsyncClient, resources: Resources
) -> None:
    # Before any test of this module starts the worker: the version stays `ingesting`.
    response = await upload(client, "pending", "label", HEADER + rows(20))
    assert response.status_code == 202
    body = {"dataset_name": "pending", "algorithm": "random_forest", "model_name": "p"}
    refused = await client.post("/train", json=body)
    assert refused.status_code == 422
    assert "is still ingesting" in refused.json()["detail"][0]["msg"]
    pinned = await client.post("/train", json=body | {"dataset_version": 1})
    assert pinned.status_code == 422 and "still ingesting" in pinned.json()["detail"][0]["msg"]
    listed = {d["name"]: d for d in (await client.get("/datasets")).json()}
    assert (listed["pending"]["status"], listed["pending"]["n_samples"]) == ("ingesting", None)


@pytest.mark.parametrize(
    ("name", "payload", "target", "words", "row", "column"),
    [
        (
            "ragged",
            HEADER + rows(30) + b"1,2\n" + rows(5),
            "label",
            "line 32 has 2 fields",
            32,
            None,
        ),
        ("constant", HEADER + b"1,2,x\n" * 10, "label", "has one value ('x')", None, "label"),
        ("tinyclass", HEADER + b"1,2,x\n" * 10 + b"3,4,z\n", "label", "class 'z'", None, "label"),
    ],
)
async def test_what_ingest_refuses_fails_the_version_naming_the_problem(
    client: httpx.AsyncClient,
    worker: Worker,
    resources: Resources,
    name: str,
    payload: bytes,
    target: str,
    words: str,
    row: int | None,
    column: str | None,
) -> None:
    error = await assert_failed(client, resources, name, payload, target)
    assert words in error["message"]
    assert (row is None or error["row"] == row) and (column is None or error["column"] == column)


async def test_regression_on_a_text_target_fails_naming_it(
    client: httpx.AsyncClient, worker: Worker, resources: Resources
) -> None:
    payload = csv_bytes(customers().head(100))
    version = await ingested(client, "textreg", "plan", payload, task="regression")
    assert version["status"] == "failed"
    assert "regression needs a numeric target" in version["error"]["message"]
