"""AsyncTensorFleetClient against the in-process app (its lifespan running) and a real worker."""

import hashlib
import io
from collections.abc import AsyncIterator

import httpx
import joblib
import pandas as pd
import pytest
from arq import Worker
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from app.main import create_app
from tensorfleet.client import (
    AsyncTensorFleetClient,
    Conflict,
    JobWaitTimeout,
    NotFound,
    ValidationFailed,
)
from tensorfleet.schemas.training import JobStatus
from tests.samples import FAILING_SVM
from tests.support import SettingsFactory


@pytest.fixture(scope="module")
async def tf(app: FastAPI, worker: Worker) -> AsyncIterator[AsyncTensorFleetClient]:
    transport = httpx.ASGITransport(app=app.state.asgi)
    async with AsyncTensorFleetClient("http://testserver", transport=transport) as client:
        yield client


async def test_train_wait_and_find_the_model(tf: AsyncTensorFleetClient) -> None:
    submitted = await tf.train(dataset_name="iris", algorithm="decision_tree", model_name="a-tree")
    job = await tf.wait_for_job(submitted.job_id, timeout=120)
    assert job.status == JobStatus.succeeded and job.model_id
    model = await tf.get_model(job.model_id)
    assert (model.name, model.version, model.dataset_name) == ("a-tree", 1, "iris")
    assert (await tf.latest_model("a-tree")).id == model.id
    assert (await tf.model_version("a-tree", 1)).id == model.id
    listing = await tf.list_models(name="a-tree", algorithm="decision_tree")
    assert [m.id for m in listing.items] == [model.id] and listing.total == 1


async def test_iter_models_follows_every_page(tf: AsyncTensorFleetClient) -> None:
    for _ in range(3):
        submitted = await tf.train(
            dataset_name="wine", algorithm="decision_tree", model_name="pages"
        )
        assert (await tf.wait_for_job(submitted.job_id, timeout=120)).status == JobStatus.succeeded
    versions = [m.version async for m in tf.iter_models(name="pages", page_size=1, sort="version")]
    assert versions == [3, 2, 1]


async def test_download_to_a_stream_loads_and_predicts(tf: AsyncTensorFleetClient) -> None:
    model = await tf.latest_model("a-tree")
    sink = io.BytesIO()
    saved = await tf.download_model(model.id, sink)
    assert saved.sha256 == model.sha256 == hashlib.sha256(sink.getvalue()).hexdigest()
    assert saved.size == model.size and saved.path is None
    sink.seek(0)
    row = pd.DataFrame([[6.7, 3.0, 5.2, 2.3]], columns=model.features)
    assert joblib.load(sink).predict(row)[0] == "virginica"


async def test_delete_then_the_model_is_not_found(tf: AsyncTensorFleetClient) -> None:
    submitted = await tf.train(dataset_name="iris", algorithm="svm", model_name="doomed")
    job = await tf.wait_for_job(submitted.job_id, timeout=120)
    await tf.delete_model(job.model_id or "")
    with pytest.raises(NotFound) as caught:
        await tf.get_model(job.model_id or "")
    assert caught.value.status_code == 404 and job.model_id in caught.value.message


async def test_a_failing_job_is_returned_as_failed(tf: AsyncTensorFleetClient) -> None:
    submitted = await tf.train(
        dataset_name="iris", algorithm="svm", model_name="bad-svm", hyperparameters=FAILING_SVM
    )
    job = await tf.wait_for_job(submitted.job_id, timeout=120)
    assert job.status == JobStatus.failed and job.model_id is None
    assert job.error is not None and "square matrix" in job.error.message


async def test_server_errors_are_typed_with_the_servers_message(
    tf: AsyncTensorFleetClient,
) -> None:
    with pytest.raises(ValidationFailed) as invalid:
        await tf.train(dataset_name="nope", algorithm="svm", model_name="x")
    assert invalid.value.detail[0]["loc"] == ["body", "dataset_name"]
    assert "unknown dataset 'nope'" in invalid.value.message
    with pytest.raises(NotFound, match="no-such-job"):
        await tf.get_job("no-such-job")
    done = await tf.train(dataset_name="iris", algorithm="svm", model_name="x", job_id="once")
    with pytest.raises(Conflict):
        await tf.train(dataset_name="iris", algorithm="svm", model_name="x", job_id="once")
    await tf.wait_for_job(done.job_id, timeout=120)
    with pytest.raises(Conflict) as ended:
        await tf.cancel_job(done.job_id)
    assert ended.value.status_code == 409


async def test_catalogue_jobs_statistics_and_health(tf: AsyncTensorFleetClient) -> None:
    assert {d.name for d in await tf.list_datasets()} >= {"iris", "wine"}
    assert {a.name for a in await tf.list_algorithms()} == {
        "random_forest",
        "logistic_regression",
        "svm",
        "decision_tree",
        "ridge",
        "gradient_boosting",
    }
    assert (await tf.get_dataset("wine")).n_features == 13
    failed = await tf.list_jobs(status="failed")
    assert failed.total >= 1 and all(j.status == JobStatus.failed for j in failed.items)
    statistics = await tf.statistics()
    assert statistics.total_models >= 4 and statistics.jobs_by_status["failed"] >= 1
    assert (await tf.health()).status == "ok"


async def test_wait_for_job_gives_up_after_its_timeout(
    settings_factory: SettingsFactory, tf: AsyncTensorFleetClient
) -> None:
    """A job no worker takes (another queue) is still queued when the wait ends."""
    idle_app = create_app(settings_factory())
    async with LifespanManager(idle_app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with AsyncTensorFleetClient("http://idle", transport=transport) as idle:
            submitted = await idle.train(dataset_name="iris", algorithm="svm", model_name="w")
            with pytest.raises(JobWaitTimeout) as caught:
                await idle.wait_for_job(submitted.job_id, timeout=0.3)
            assert caught.value.job.status == JobStatus.queued
            cancelled = await idle.cancel_job(submitted.job_id)
            assert cancelled.status == JobStatus.cancelled
