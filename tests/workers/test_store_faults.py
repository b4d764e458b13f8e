"""Publishing under store faults: a lost reply, a cancel while saving, MongoDB down.

The worker talks to FerretDB through a proxy the test controls (tests/proxy.py); the API and
the test's own checks talk to it directly. Each test forces its fault on the model's metadata
insert and checks the invariants: every model has its file, an ended job has at most one
model (and only when it succeeded), and no job is left `running` without a worker.
"""

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from arq import Worker

from app.config import Settings
from app.resources import Resources
from tests.proxy import MONGODB_INSERT_INTO_MODELS, FaultProxy
from tests.support import SettingsFactory, start_worker, stop_worker, wait_for_job, wait_for_stage

BODY = {"dataset_name": "iris", "algorithm": "decision_tree", "model_name": "faulty"}


@pytest.fixture(scope="module")
def settings(settings_factory: SettingsFactory) -> Settings:
    return settings_factory(job_timeout_seconds=120)


@pytest.fixture(scope="module")
async def proxy(settings: Settings) -> AsyncIterator[FaultProxy]:
    host = settings.mongodb_url.hosts()[0]
    fault_proxy = FaultProxy(host["port"] or 27017)
    await fault_proxy.start()
    yield fault_proxy
    await fault_proxy.close()


@pytest.fixture(scope="module")
async def proxied_worker(app: Any, settings: Settings, proxy: FaultProxy) -> AsyncIterator[Worker]:
    url = f"mongodb://127.0.0.1:{proxy.port}/"
    running, task = await start_worker(settings.model_copy(update={"mongodb_url": url}))
    yield running
    await stop_worker(running, task)


async def assert_invariants(resources: Resources, job_id: str, status: str) -> list[dict]:
    """The job ended as `status`; every model of it has its file; only a succeeded job has
    one, and then exactly one, the one it names."""
    job = await resources.db["jobs"].find_one({"_id": job_id})
    assert job is not None and job["status"] == status, job
    models = await resources.db["models"].find({"job_id": job_id}).to_list()
    for model in models:
        assert await resources.db["fs.files"].count_documents({"_id": model["file_id"]}) == 1
    if status == "succeeded":
        assert [str(m["_id"]) for m in models] == [job["model_id"]]
    else:
        assert models == []
    return models


async def until_idle(worker: Worker, timeout: float = 120) -> None:
    """Until the worker has no job running (it finished what the fault interrupted)."""
    async with asyncio.timeout(timeout):
        while True:
            if not worker.tasks or all(task.done() for task in worker.tasks.values()):
                return
            await asyncio.sleep(0.1)


async def test_a_lost_reply_to_the_model_insert_keeps_the_model_and_its_file(
    client: httpx.AsyncClient, resources: Resources, proxied_worker: Worker, proxy: FaultProxy
) -> None:
    fault = proxy.arm(MONGODB_INSERT_INTO_MODELS, "cut")
    job_id = (await client.post("/train", json=BODY | {"model_name": "lost_reply"})).json()[
        "job_id"
    ]
    job = await wait_for_job(client, job_id)
    assert fault.fired.is_set(), "the insert never went through the proxy"
    assert job["status"] == "succeeded", job
    await assert_invariants(resources, job_id, "succeeded")


async def test_a_cancel_while_the_model_is_saved_leaves_no_model(
    client: httpx.AsyncClient, resources: Resources, proxied_worker: Worker, proxy: FaultProxy
) -> None:
    """The insert reached the store and its reply is held back; the cancel lands meanwhile.
    The worker finishes saving, loses the job's ending to the cancel, and withdraws the model."""
    fault = proxy.arm(MONGODB_INSERT_INTO_MODELS, "hold", seconds=3)
    job_id = (await client.post("/train", json=BODY | {"model_name": "cancelled"})).json()["job_id"]
    async with asyncio.timeout(60):
        await fault.fired.wait()
    assert (await client.post(f"/jobs/{job_id}/cancel")).status_code == 200
    await until_idle(proxied_worker)
    await assert_invariants(resources, job_id, "cancelled")


async def test_mongodb_down_while_the_model_is_saved_leaves_no_job_running(
    client: httpx.AsyncClient, resources: Resources, proxied_worker: Worker, proxy: FaultProxy
) -> None:
    """The insert lands, its reply is lost and MongoDB then looks down for longer than the
    worker tries: the job goes back on the queue, and once MongoDB is back the next attempt
    finds the model and ends the job succeeded with it."""
    fault = proxy.arm(MONGODB_INSERT_INTO_MODELS, "cut", seconds=25)
    job_id = (await client.post("/train", json=BODY | {"model_name": "store_down"})).json()[
        "job_id"
    ]
    await wait_for_stage(client, job_id, "saving")
    job = await wait_for_job(client, job_id, timeout=180)
    assert fault.fired.is_set()
    assert (job["status"], job["attempts"]) == ("succeeded", 1), job
    await assert_invariants(resources, job_id, "succeeded")
