"""A job ends once: the first terminal state wins and nothing written later undoes it."""

import httpx

from app.resources import Resources
from app.training import jobs
from app.training.schemas import TrainRequest

REQUEST = TrainRequest(dataset_name="iris", algorithm="svm", model_name="states")
MODEL = {"_id": "m1", "version": 1, "metrics": {"test_accuracy": 1.0}}


async def new_job(resources: Resources, job_id: str) -> None:
    await jobs.insert_job(resources.db, jobs.new_job_document(job_id, REQUEST))


async def test_the_first_ending_wins(resources: Resources) -> None:
    await new_job(resources, "race")
    assert await jobs.mark_running(resources.db, "race", 1) is not None
    assert (await jobs.mark_cancelled(resources.db, "race"))["status"] == "cancelled"
    assert await jobs.mark_succeeded(resources.db, "race", MODEL, []) is None
    assert await jobs.mark_failed(resources.db, "race", "Late", "too late") is None
    job = await jobs.get_job(resources.db, "race")
    assert (job["status"], job["model_id"], job["error"]) == ("cancelled", None, None)


async def test_a_progress_write_after_the_ending_is_undone(resources: Resources) -> None:
    await new_job(resources, "late_stage")
    await jobs.mark_running(resources.db, "late_stage", 1)
    ended = await jobs.mark_failed(resources.db, "late_stage", "ValueError", "bad input")
    await jobs.set_stage(resources.db, "late_stage", "saving")
    assert await jobs.mark_running(resources.db, "late_stage", 2) is None
    job = await jobs.get_job(resources.db, "late_stage")
    assert job["status"] == "failed" and job["progress"] == ended["progress"]
    assert job["error"] == {"type": "ValueError", "message": "bad input"}


async def test_cancelling_an_unknown_job_leaves_no_trace(
    client: httpx.AsyncClient, resources: Resources
) -> None:
    assert (await client.post("/jobs/ghost/cancel")).status_code == 404
    assert await resources.db[jobs.ENDINGS].count_documents({"_id": "ghost"}) == 0
    response = await client.post("/train", json=REQUEST.model_dump() | {"job_id": "ghost"})
    assert response.status_code == 202
    assert (await client.get("/jobs/ghost")).json()["status"] == "queued"
