"""How the training job ends when things went wrong before this attempt or during it.

Each test sets up the state an earlier crash leaves behind (the job's record, arq's try count,
a model already published) and runs a real arq worker over the real stores, so the path taken
is the one a redelivered job takes in production.
"""

from typing import Any

from app.config import Settings
from app.datasets.samples import load_samples
from app.registry.publish import publish_model
from app.resources import Resources
from app.training import jobs, queue
from tensorfleet.schemas.training import TrainRequest
from tests.samples import iris_model_bytes, model_metadata
from tests.support import SettingsFactory, opened_resources, run_burst

IRIS_TREE = TrainRequest(dataset_name="iris", algorithm="decision_tree", model_name="tree")


async def a_job_that_started(
    resources: Resources, job_id: str, *, attempts: int, request: TrainRequest = IRIS_TREE
) -> None:
    """A job an earlier worker marked running `attempts` times, then died in."""
    document = jobs.new_job_document(job_id, request)
    document |= {"status": "running", "attempts": attempts, "started_at": jobs.now()}
    await jobs.insert_job(resources.db, document)


async def redeliver(resources: Resources, settings: Settings, job_id: str, attempt: int) -> None:
    """Queue the job as arq does after a crash (its try count carried over) and run it."""
    redis = resources.redis
    await redis.enqueue_job(queue.TRAIN_FUNCTION, job_id, _job_id=job_id, _job_try=attempt)
    await run_burst(settings)


async def stored_job(resources: Resources, job_id: str) -> dict[str, Any]:
    job = await jobs.get_job(resources.db, job_id)
    assert job is not None
    return job


async def test_a_job_out_of_attempts_ends_worker_lost(
    resources: Resources, settings: Settings
) -> None:
    tries = settings.job_max_tries
    await a_job_that_started(resources, "lost_each_time", attempts=tries)
    await redeliver(resources, settings, "lost_each_time", attempt=tries + 1)
    job = await stored_job(resources, "lost_each_time")
    assert job["status"] == "failed"
    assert job["error"] == {
        "type": "WorkerLost",
        "message": f"the worker stopped during each of {tries} attempts",
    }
    assert await resources.db["models"].count_documents({"job_id": "lost_each_time"}) == 0


async def test_a_model_published_before_a_crash_is_the_jobs_result_on_retry(
    resources: Resources, settings: Settings
) -> None:
    await a_job_that_started(resources, "crashed_after_publish", attempts=1)
    metadata = model_metadata(name="tree") | {"job_id": "crashed_after_publish"}
    published = await publish_model(
        resources.db, resources.gridfs, payload=iris_model_bytes(), metadata=metadata
    )
    await redeliver(resources, settings, "crashed_after_publish", attempt=2)
    job = await stored_job(resources, "crashed_after_publish")
    assert (job["status"], job["model_id"]) == ("succeeded", str(published["_id"]))
    assert job["attempts"] == 1, "the retry settled the job without fitting again"
    models = await resources.db["models"].count_documents({"job_id": "crashed_after_publish"})
    assert models == 1


async def test_a_fit_longer_than_the_job_timeout_ends_job_timeout(
    settings_factory: SettingsFactory,
) -> None:
    settings = settings_factory(job_timeout_seconds=1)
    slow = TrainRequest(
        dataset_name="wine",
        algorithm="random_forest",
        model_name="slow",
        hyperparameters={"n_estimators": 4000},
    )
    async with opened_resources(settings) as store:
        await load_samples(store.db)
        document = jobs.new_job_document("too_slow", slow)
        await jobs.insert_job(store.db, document)
        await queue.enqueue_training(store.redis, "too_slow")
        await run_burst(settings)
        job = await stored_job(store, "too_slow")
    assert job["status"] == "failed"
    assert job["error"] == {"type": "JobTimeout", "message": "training took longer than 1s"}
