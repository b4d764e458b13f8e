"""The job lifecycle: listing, cancelling, versions under concurrency, lost jobs re-queued."""

import asyncio
from datetime import timedelta

import httpx
import pytest
from arq.jobs import Job
from bson import ObjectId

from app.config import Settings
from app.registry import publish
from app.registry.publish import publish_model
from app.resources import Resources
from app.training import jobs
from tensorfleet.schemas.training import TrainRequest
from tests.samples import SLOW_FIT_BOUNDS
from tests.support import (
    SettingsFactory,
    start_worker,
    stop_worker,
    wait_for_job,
    wait_for_stage,
)

IRIS_TREE = {"dataset_name": "iris", "algorithm": "decision_tree", "model_name": "tree"}
SLOW_FOREST = {
    "dataset_name": "wine",
    "algorithm": "random_forest",
    "model_name": "slow",
    "hyperparameters": {"n_estimators": 4000},
}


@pytest.fixture(scope="module")
def settings(settings_factory: SettingsFactory) -> Settings:
    return settings_factory(hyperparameter_bounds=SLOW_FIT_BOUNDS)


async def test_cancel_a_queued_job_at_once(
    client: httpx.AsyncClient, resources: Resources, settings: Settings
) -> None:
    job_id = (await client.post("/train", json=IRIS_TREE | {"job_id": "cancel_me"})).json()[
        "job_id"
    ]
    response = await client.post(f"/jobs/{job_id}/cancel")
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"

    worker, task = await start_worker(settings, burst=True)
    await task
    await worker.close()
    assert (await client.get(f"/jobs/{job_id}")).json()["status"] == "cancelled"
    assert await resources.db["models"].count_documents({"job_id": job_id}) == 0
    again = await client.post(f"/jobs/{job_id}/cancel")
    assert again.status_code == 409
    assert again.json()["status"] == "cancelled"


async def test_cancel_a_running_job_aborts_it_and_publishes_nothing(
    client: httpx.AsyncClient, resources: Resources, settings: Settings
) -> None:
    worker, task = await start_worker(settings)
    try:
        job_id = (await client.post("/train", json=SLOW_FOREST)).json()["job_id"]
        assert (await wait_for_stage(client, job_id, "fitting"))["status"] == "running"
        assert (await client.post(f"/jobs/{job_id}/cancel")).status_code == 200
        assert (await wait_for_job(client, job_id))["status"] == "cancelled"
        async with asyncio.timeout(30):  # arq records the abort as the job's result
            while await Job(job_id, resources.redis).status() != "complete":  # noqa: ASYNC110
                await asyncio.sleep(0.1)
        assert await resources.db["models"].count_documents({"job_id": job_id}) == 0
        assert await resources.db["fs.files"].count_documents({"metadata.job_id": job_id}) == 0
    finally:
        await stop_worker(worker, task)


async def test_list_jobs_newest_first_filtered_and_paged(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    worker, task = await start_worker(settings)
    try:
        ids = [(await client.post("/train", json=IRIS_TREE)).json()["job_id"] for _ in range(5)]
        for job_id in ids:
            await wait_for_job(client, job_id)
    finally:
        await stop_worker(worker, task)
    page = (await client.get("/jobs", params={"status": "succeeded", "limit": 3})).json()
    assert page["total"] == 5 and page["pages"] == 2 and len(page["items"]) == 3
    rest = await client.get("/jobs", params={"status": "succeeded", "limit": 3, "page": 2})
    listed = [j["job_id"] for j in page["items"] + rest.json()["items"]]
    assert listed == list(reversed(ids))
    assert (await client.get("/jobs", params={"status": "lost"})).status_code == 422
    assert (await client.get("/jobs", params={"limit": 101})).status_code == 422


async def test_eight_concurrent_jobs_for_one_name_get_versions_one_to_eight(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    body = IRIS_TREE | {"model_name": "contended"}
    responses = await asyncio.gather(*(client.post("/train", json=body) for _ in range(8)))
    worker, task = await start_worker(settings.model_copy(update={"worker_max_jobs": 4}))
    try:
        finished = [await wait_for_job(client, r.json()["job_id"]) for r in responses]
    finally:
        await stop_worker(worker, task)
    assert sorted(job["model_version"] for job in finished) == list(range(1, 9))


async def test_concurrent_publishes_never_repeat_a_version(resources: Resources) -> None:
    metadata = {"name": "raced", "job_id": "j", "algorithm": "decision_tree"}
    stored = await asyncio.gather(
        *(
            publish_model(
                resources.db,
                resources.gridfs,
                payload=b"model bytes",
                metadata=metadata | {"job_id": f"j{i}"},
            )
            for i in range(8)
        )
    )
    assert sorted(doc["version"] for doc in stored) == list(range(1, 9))
    files = await resources.db["fs.files"].count_documents(
        {"_id": {"$in": [ObjectId(str(d["file_id"])) for d in stored]}}
    )
    assert files == 8


async def test_a_job_the_queue_lost_is_queued_again_and_runs(
    client: httpx.AsyncClient, resources: Resources, settings: Settings
) -> None:
    # As if the API died between recording the job and queueing it.
    document = jobs.new_job_document("lost_job", TrainRequest(**IRIS_TREE))
    document["created_at"] -= timedelta(seconds=settings.job_requeue_after_seconds + 1)
    await jobs.insert_job(resources.db, document)
    worker, task = await start_worker(settings)  # checks for lost jobs at start-up
    try:
        job = await wait_for_job(client, "lost_job")
    finally:
        await stop_worker(worker, task)
    assert job["status"] == "succeeded"


async def test_deleting_the_latest_version_does_not_free_its_number(
    client: httpx.AsyncClient, resources: Resources
) -> None:
    first = await publish_model(
        resources.db,
        resources.gridfs,
        payload=b"one",
        metadata={"name": "renumbered", "job_id": "a"},
    )
    assert (await client.delete(f"/api/v1/models/{first['_id']}")).status_code == 204
    second = await publish_model(
        resources.db,
        resources.gridfs,
        payload=b"two",
        metadata={"name": "renumbered", "job_id": "b"},
    )
    assert (first["version"], second["version"]) == (1, 2)


async def test_a_publish_that_starts_the_counter_late_skips_no_number(
    resources: Resources,
) -> None:
    """A finds no counter; B creates it, takes 1 and stores it; A then starts the counter from
    the stored versions, which B's 1 must not push past: A takes 2, not 3."""
    db = resources.db
    assert await publish._increment(db, "late_start") is None  # A
    b = await publish_model(
        db, resources.gridfs, payload=b"b", metadata={"name": "late_start", "job_id": "b"}
    )
    await publish.catch_up_counter(db, "late_start")  # A, continued
    assert (b["version"], await publish._increment(db, "late_start")) == (1, 2)


async def test_counter_catches_up_with_versions_stored_before_it(resources: Resources) -> None:
    await resources.db["models"].insert_one({"name": "legacy", "version": 5, "job_id": "old"})
    stored = await publish_model(
        resources.db, resources.gridfs, payload=b"new", metadata={"name": "legacy", "job_id": "new"}
    )
    assert stored["version"] == 6


async def test_a_late_running_write_never_shows_on_an_ended_job(resources: Resources) -> None:
    """A worker's `running` that lands just after a cancel sits on the job until it is undone
    (on FerretDB, whose findAndModify is not isolated, possibly for good): readers see the
    ending, which is the one truth of a job's end."""
    db = resources.db
    request = TrainRequest.model_validate(IRIS_TREE)
    document = jobs.new_job_document(f"late-{ObjectId()}", request)
    await jobs.insert_job(db, document)
    assert await jobs.end_job(db, document["_id"], {"status": "cancelled"}) is not None
    await db["jobs"].update_one({"_id": document["_id"]}, {"$set": {"status": "running"}})
    stored = await jobs.get_job(db, document["_id"])
    assert stored is not None and stored["status"] == "running"  # the late write, raw
    assert (await jobs.settled(db, stored))["status"] == "cancelled"
