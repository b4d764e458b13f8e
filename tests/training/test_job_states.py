"""A job ends once: the first terminal state wins and nothing written later undoes it."""

import httpx

from app.resources import Resources
from app.storage import JOB_ENDINGS, JOBS
from app.training import jobs
from tensorfleet.schemas.training import TrainRequest

REQUEST = TrainRequest(dataset_name="iris", algorithm="svm", model_name="states")
MODEL = {"_id": "m1", "version": 1, "metrics": {"test_accuracy": 1.0}}


async def new_job(resources: Resources, job_id: str) -> None:
    await jobs.insert_job(resources.db, jobs.new_job_document(job_id, REQUEST))


async def test_the_first_ending_wins(resources: Resources) -> None:
    await new_job(resources, "race")
    assert await jobs.mark_running(resources, "race", 1) is not None
    assert (await jobs.mark_cancelled(resources, "race"))["status"] == "cancelled"
    assert await jobs.mark_succeeded(resources, "race", MODEL, []) is None
    assert await jobs.mark_failed(resources, "race", "Late", "too late") is None
    job = await jobs.get_job(resources.db, "race")
    assert (job["status"], job["model_id"], job["error"]) == ("cancelled", None, None)


async def test_a_progress_write_after_the_ending_is_undone(resources: Resources) -> None:
    await new_job(resources, "late_stage")
    await jobs.mark_running(resources, "late_stage", 1)
    ended = await jobs.mark_failed(resources, "late_stage", "ValueError", "bad input")
    await jobs.set_stage(resources, "late_stage", "saving")
    assert await jobs.mark_running(resources, "late_stage", 2) is None
    job = await jobs.get_job(resources.db, "late_stage")
    assert job["status"] == "failed" and job["progress"] == ended["progress"]
    assert job["error"] == {"type": "ValueError", "message": "bad input"}


async def test_cancelling_an_unknown_job_leaves_no_trace(
    client: httpx.AsyncClient, resources: Resources
) -> None:
    assert (await client.post("/jobs/ghost/cancel")).status_code == 404
    assert await resources.db[JOB_ENDINGS].count_documents({"_id": "ghost"}) == 0
    response = await client.post("/train", json=REQUEST.model_dump() | {"job_id": "ghost"})
    assert response.status_code == 202
    assert (await client.get("/jobs/ghost")).json()["status"] == "queued"


async def test_an_ending_whose_writer_stopped_is_completed_by_the_next_claim(
    resources: Resources,
) -> None:
    """The API claimed a cancel and stopped before writing the job: the worker that ran the job
    meanwhile loses its claim to succeed, and the job ends cancelled, as claimed."""
    await new_job(resources, "half_ended")
    changes = {"status": "cancelled", "finished_at": jobs.now()}
    await resources.db[JOB_ENDINGS].insert_one({"_id": "half_ended", "changes": changes})
    assert (await jobs.get_job(resources.db, "half_ended"))["status"] == "queued"
    assert (await jobs.mark_running(resources, "half_ended", 1))["status"] == "running"
    await jobs.set_stage(resources, "half_ended", "saving")
    assert await jobs.mark_succeeded(resources, "half_ended", MODEL, []) is None
    job = await jobs.get_job(resources.db, "half_ended")
    assert (job["status"], job["model_id"]) == ("cancelled", None)


async def test_a_progress_write_landing_between_claim_and_write_is_overwritten(
    resources: Resources,
) -> None:
    await new_job(resources, "between")
    await jobs.mark_running(resources, "between", 1)
    changes = {
        "status": "failed",
        "finished_at": jobs.now(),
        "error": {"type": "E", "message": "m"},
    }
    await resources.db[JOB_ENDINGS].insert_one({"_id": "between", "changes": changes})
    await jobs.set_stage(resources, "between", "saving")  # lands before the ender's write
    await resources.db[JOBS].update_one({"_id": "between"}, {"$set": changes})
    assert await jobs.mark_running(resources, "between", 2) is None
    job = await jobs.get_job(resources.db, "between")
    assert (job["status"], job["attempts"], job["error"]["type"]) == ("failed", 1, "E")
