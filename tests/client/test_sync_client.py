"""TensorFleetClient over TCP against `python -m app` and `python -m workers` subprocesses."""

import hashlib
from collections.abc import Iterator
from pathlib import Path

import httpx
import joblib
import pandas as pd
import pytest

from devstack.services import free_port
from tensorfleet.client import (
    ConnectionFailed,
    NotFound,
    TensorFleetClient,
    ValidationFailed,
)
from tensorfleet.schemas.training import JobStatus, TrainRequest
from tests.client.support import Server
from tests.samples import FAILING_SVM


@pytest.fixture(scope="module")
def tf(live: Server) -> Iterator[TensorFleetClient]:
    with TensorFleetClient(live.url) as client:
        yield client


def test_train_wait_download_to_a_path_and_delete(tf: TensorFleetClient, tmp_path: Path) -> None:
    request = TrainRequest(
        dataset_name="wine",
        algorithm="random_forest",
        model_name="s-forest",
        hyperparameters={"n_estimators": 20, "max_depth": None},
    )
    job = tf.wait_for_job(tf.train(request).job_id, timeout=120)
    assert job.status == JobStatus.succeeded and job.model_id
    assert job.metrics is not None and job.metrics.test_accuracy is not None
    model = tf.get_model(job.model_id)
    assert (
        model.hyperparameters["n_estimators"] == 20 and model.hyperparameters["max_depth"] is None
    )
    saved = tf.download_model(model.id, tmp_path / "forest.joblib")
    assert saved.path == tmp_path / "forest.joblib" and not list(tmp_path.glob("*.part"))
    assert hashlib.sha256(saved.path.read_bytes()).hexdigest() == model.sha256
    row = pd.DataFrame([[0.0] * 13], columns=model.features)
    assert joblib.load(saved.path).predict(row).shape == (1,)
    tf.delete_model(model.id)
    with pytest.raises(NotFound):
        tf.download_model(model.id, tmp_path / "gone.joblib")
    assert not (tmp_path / "gone.joblib").exists()


def test_download_into_a_directory_uses_the_servers_file_name(
    tf: TensorFleetClient, tmp_path: Path
) -> None:
    job = tf.wait_for_job(
        tf.train(dataset_name="iris", algorithm="logistic_regression", model_name="s-lr").job_id,
        timeout=120,
    )
    saved = tf.download_model(job.model_id or "", tmp_path)
    assert saved.path is not None and saved.path.parent == tmp_path
    assert saved.path.name.startswith("s-lr") and saved.path.stat().st_size == saved.size


def test_progress_updates_end_with_the_final_job(tf: TensorFleetClient) -> None:
    seen = []
    submitted = tf.train(
        dataset_name="iris", algorithm="svm", model_name="s-bad", hyperparameters=FAILING_SVM
    )
    job = tf.wait_for_job(submitted.job_id, timeout=120, on_update=seen.append)
    assert job.status == JobStatus.failed and "square matrix" in (
        job.error.message if job.error else ""
    )
    assert seen[-1] == job and all(s.job_id == submitted.job_id for s in seen)


def test_listing_filters_pages_and_iterates(tf: TensorFleetClient) -> None:
    for _ in range(2):
        tf.wait_for_job(
            tf.train(dataset_name="iris", algorithm="decision_tree", model_name="s-paged").job_id,
            timeout=120,
        )
    first = tf.list_models(name="s-paged", limit=1, sort="version", order="asc")
    assert (first.total, first.pages, first.items[0].version) == (2, 2, 1) and first.next_cursor
    assert [m.version for m in tf.iter_models(name="s-paged", page_size=1)] == [2, 1]
    assert tf.list_models(name="s-paged", algorithm="svm").total == 0
    jobs = tf.list_jobs(status=JobStatus.succeeded, limit=100)
    assert {j.request.model_name for j in jobs.items} >= {"s-paged"}


def test_validation_error_carries_the_field(tf: TensorFleetClient) -> None:
    with pytest.raises(ValidationFailed) as caught:
        tf.train(
            dataset_name="iris", algorithm="svm", model_name="x", hyperparameters={"C": "lots"}
        )
    assert caught.value.status_code == 422 and caught.value.detail
    assert caught.value.detail[0]["loc"][:2] == ["body", "hyperparameters"]


def test_catalogue_statistics_and_health(tf: TensorFleetClient) -> None:
    assert [d.name for d in tf.list_datasets()] == ["iris", "wine"]
    assert len(tf.list_algorithms()) == 6
    assert tf.statistics().total_models >= 1
    assert tf.health().dependencies["mongodb"].status == "up"


def test_unreachable_server_names_the_url() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    with TensorFleetClient(url) as client, pytest.raises(ConnectionFailed, match=url):
        client.health()


def test_url_and_api_key_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=[])

    monkeypatch.setenv("TENSORFLEET_URL", "http://tf.example:9000/")
    monkeypatch.setenv("TENSORFLEET_API_KEY", "s3cret")
    with TensorFleetClient(transport=httpx.MockTransport(record)) as client:
        assert client.list_datasets() == []
    assert str(seen[0].url) == "http://tf.example:9000/datasets"
    assert seen[0].headers["Authorization"] == "Bearer s3cret"
