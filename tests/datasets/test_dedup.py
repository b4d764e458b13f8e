"""The same bytes (with the same target and task) are one version, also when uploaded at the
same moment; a version that failed or was deleted frees its bytes to be uploaded again; and a
store written before upload claims existed still recognises its versions' bytes."""

import asyncio
import hashlib
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from arq import Worker
from arq.connections import ArqRedis
from bson import ObjectId

from app.datasets import claims, store
from app.datasets.reading import limits_from
from app.datasets.service import upload_dataset
from app.resources import Resources
from app.storage import DATASET_CLAIMS, DATASET_VERSIONS
from app.training.exceptions import QueueUnavailable
from devstack.services import free_port
from tests.datasets.support import assert_nothing_stored, csv_bytes, upload, wait_for_version
from tests.support import wait_for
from tests.tables import diabetes

HEADER = b"a,b,label\n"


def payload(rows: int = 300) -> bytes:
    return csv_bytes(diabetes().head(rows))


async def upload_files(resources: Resources, name: str) -> int:
    return await resources.db["datasets.files"].count_documents({"filename": f"{name}.upload"})


async def test_identical_uploads_at_the_same_moment_make_one_version(
    client: httpx.AsyncClient, resources: Resources
) -> None:
    body = payload()
    answers = await asyncio.gather(
        *(upload(client, "twins", "progression", body) for _ in range(4))
    )
    assert sorted(a.status_code for a in answers) == [200, 200, 200, 202]
    assert {a.json()["version"] for a in answers} == {1}
    assert await resources.db[DATASET_VERSIONS].count_documents({"name": "twins"}) == 1
    assert await upload_files(resources, "twins") == 1  # the others removed their copies
    other = await upload(client, "twins", "progression", payload(200))  # new bytes, new version
    assert other.status_code == 202 and other.json()["version"] == 2


async def test_bytes_of_a_failed_version_can_be_uploaded_again(
    client: httpx.AsyncClient, worker: Worker, resources: Resources
) -> None:
    body = HEADER + b"1,2,x\n" * 10  # a constant target: ingest fails
    first = await upload(client, "retry", "label", body)
    assert first.json()["version"] == 1
    assert (await wait_for_version(client, "retry", 1))["status"] == "failed"
    key = claims.identity("retry", first.json()["sha256"], "label", None)

    async def released() -> bool:  # right after the worker ends the version
        return await resources.db[DATASET_CLAIMS].count_documents({"_id": key}) == 0

    await wait_for(released, timeout=30)
    again = await upload(client, "retry", "label", body)
    assert again.status_code == 202 and again.json()["version"] == 2


async def test_bytes_of_a_deleted_version_can_be_uploaded_again(
    client: httpx.AsyncClient, resources: Resources
) -> None:
    body = payload(250)
    made = await upload(client, "gone", "progression", body)
    assert made.status_code == 202
    assert (await client.delete("/datasets/gone/versions/1")).status_code == 200
    key = claims.identity("gone", made.json()["sha256"], "progression", None)
    assert await resources.db[DATASET_CLAIMS].count_documents({"_id": key}) == 0  # released
    again = await upload(client, "gone", "progression", body)
    assert again.status_code == 202 and again.json()["version"] == 2


async def test_a_version_from_before_claims_is_still_a_repeat(
    client: httpx.AsyncClient, resources: Resources
) -> None:
    body = payload(220)
    made = await upload(client, "legacy", "progression", body)
    key = claims.identity("legacy", made.json()["sha256"], "progression", None)
    await resources.db[DATASET_CLAIMS].delete_one({"_id": key})  # as the previous release stored it
    answers = await asyncio.gather(
        *(upload(client, "legacy", "progression", body) for _ in range(2))
    )
    assert [a.status_code for a in answers] == [200, 200]
    assert {a.json()["version"] for a in answers} == {1}
    assert (await resources.db[DATASET_CLAIMS].find_one({"_id": key}))["version"] == 1
    assert await upload_files(resources, "legacy") == 1


async def test_a_claim_left_behind_is_taken_over(
    client: httpx.AsyncClient, resources: Resources
) -> None:
    body = payload(210)
    key = claims.identity("orphan", hashlib.sha256(body).hexdigest(), "progression", None)
    long_ago = store.now() - claims.STALE - timedelta(seconds=1)
    holder = {"holder": ObjectId(), "version": None, "claimed_at": long_ago}
    await resources.db[DATASET_CLAIMS].insert_one({"_id": key} | holder)  # its holder died
    made = await upload(client, "orphan", "progression", body)
    assert made.status_code == 202 and made.json()["version"] == 1
    dangling = {"_id": key, "holder": ObjectId(), "version": 7, "claimed_at": store.now()}
    await resources.db[DATASET_CLAIMS].replace_one({"_id": key}, dangling)  # no version 7
    again = await upload(client, "orphan", "progression", body)
    assert again.status_code == 200 and again.json()["version"] == 1


async def test_an_upload_the_queue_cannot_take_stores_nothing_and_frees_its_bytes(
    client: httpx.AsyncClient, resources: Resources
) -> None:
    body = payload(230)
    down = ArqRedis(host="127.0.0.1", port=free_port(), socket_connect_timeout=1)

    async def chunks() -> AsyncIterator[bytes]:
        yield body

    with pytest.raises(QueueUnavailable):
        await upload_dataset(
            db=resources.db,
            redis=down,
            name="noqueue",
            target="progression",
            task=None,
            description="",
            chunks=chunks(),
            max_bytes=1 << 20,
            limits=limits_from(resources.settings),
        )
    await down.aclose()
    await assert_nothing_stored(resources, "noqueue")
    key = claims.identity("noqueue", hashlib.sha256(body).hexdigest(), "progression", None)
    assert await resources.db[DATASET_CLAIMS].count_documents({"_id": key}) == 0
    again = await upload(client, "noqueue", "progression", body)
    assert again.status_code == 202
    assert await resources.db[DATASET_VERSIONS].count_documents({"name": "noqueue"}) == 1
