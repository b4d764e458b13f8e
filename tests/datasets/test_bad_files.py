"""Every file that cannot be a dataset is refused with its problem named, and stores nothing.

Refusals that the first bytes or the size decide are a 4xx at once; the rest end the version
`failed` with the row and column where there is one, and its upload removed.
"""

from collections.abc import AsyncIterator

import httpx
import pytest
from arq import Worker

from app.config import Settings
from app.resources import Resources
from tests.datasets.support import csv_bytes, ingested, upload
from tests.support import SettingsFactory, wait_for
from tests.tables import customers

MAX_BYTES = 64 * 1024
HEADER = b"a,b,label\n"


def rows(count: int) -> bytes:
    return b"".join(b"%d,%d,%s\n" % (i, i * 2, b"xy"[i % 2 : i % 2 + 1]) for i in range(count))


@pytest.fixture(scope="module")
def settings(settings_factory: SettingsFactory) -> Settings:
    return settings_factory(
        dataset_max_bytes=MAX_BYTES,
        dataset_max_rows=500,
        dataset_max_columns=8,
        dataset_max_column_name_length=16,
    )


async def assert_nothing_stored(resources: Resources, name: str) -> None:
    assert await resources.db["dataset_versions"].count_documents({"name": name}) == 0
    assert await resources.db["datasets.files"].count_documents({"filename": f"{name}.upload"}) == 0


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
    ("name", "payload", "status", "words"),
    [
        ("png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, 415, "neither Parquet nor UTF-8"),
        ("latin1", HEADER + "1,2,café\n".encode("latin-1"), 415, "is not UTF-8"),
        ("empty", b"", 422, "the file is empty"),
    ],
)
async def test_what_the_first_bytes_refuse_is_a_4xx_at_once(
    client: httpx.AsyncClient,
    resources: Resources,
    name: str,
    payload: bytes,
    status: int,
    words: str,
) -> None:
    response = await upload(client, name, "label", payload)
    assert response.status_code == status and words in str(response.json()["detail"])
    await assert_nothing_stored(resources, name)


async def test_a_declared_size_over_the_limit_is_413_before_reading(
    client: httpx.AsyncClient, resources: Resources
) -> None:
    response = await upload(client, "huge", "label", HEADER + rows(10_000))
    assert response.status_code == 413 and str(MAX_BYTES) in response.json()["detail"]
    await assert_nothing_stored(resources, "huge")


async def test_a_streamed_body_is_cut_at_the_limit_with_413(
    client: httpx.AsyncClient, resources: Resources
) -> None:
    sent = 0

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: chunked
        nonlocal sent
        yield HEADER
        for _ in range(100):
            sent += 1
            yield rows(500)

    response = await upload(client, "stream", "label", chunks())
    assert response.status_code == 413
    assert sent < 100  # refused while streaming, not after
    await assert_nothing_stored(resources, "stream")


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
        ("headeronly", HEADER, "label", "a header but no rows", None, None),
        ("dupes", b"a,b,a,label\n" + b"1,2,3,x\n" * 4, "label", "duplicate column", None, "a"),
        (
            "notarget",
            HEADER + rows(10),
            "outcome",
            "target column 'outcome' not found",
            None,
            "outcome",
        ),
        ("constant", HEADER + b"1,2,x\n" * 10, "label", "has one value ('x')", None, "label"),
        ("tinyclass", HEADER + b"1,2,x\n" * 10 + b"3,4,z\n", "label", "class 'z'", None, "label"),
        (
            "wide",
            b",".join(b"c%d" % i for i in range(9)) + b"\n" + b"1," * 8 + b"1\n",
            "c0",
            "9 columns; the limit is 8",
            None,
            None,
        ),
        ("tall", HEADER + rows(501), "label", "501 rows; the limit is 500", None, None),
        (
            "longname",
            b"a,this_name_is_too_long,label\n1,2,x\n",
            "label",
            "characters long",
            None,
            "this_name_is_too",
        ),
        ("badparquet", b"PAR1" + b"\x00" * 64, "label", "cannot be read", None, None),
        (
            "lateutf8",
            HEADER + rows(1000)[:10_000] + b"\n1,2,\xe9\n",
            "label",
            "is not UTF-8",
            None,
            None,
        ),
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
