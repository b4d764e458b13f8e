"""The blocking client, on httpx.Client. Every method sends one shared `calls` description."""

import time
from collections.abc import Callable, Iterator
from typing import Any, Self, TypeVar

import httpx

from tensorfleet.client import calls
from tensorfleet.client.batch import BatchPredictions
from tensorfleet.client.calls import Call, ModelQuery
from tensorfleet.client.config import DEFAULT_TIMEOUT_SECONDS, resolve_config
from tensorfleet.client.download import Destination, DownloadSink, ModelDownload
from tensorfleet.client.errors import ServerError, connection_failed, error_from_response
from tensorfleet.client.evaluation import EvaluationMethods
from tensorfleet.client.lifecycle import Lifecycle
from tensorfleet.client.polling import Backoff, dataset_delay
from tensorfleet.client.tuning import TuningMethods
from tensorfleet.client.upload import Progress, Source, chunks, opened
from tensorfleet.client.watching import JobWaiter
from tensorfleet.schemas.datasets import (
    DatasetDetail,
    DatasetPreview,
    DatasetVersionDeleted,
    DatasetVersionRead,
)
from tensorfleet.schemas.drift import DriftReport, EndpointDrift
from tensorfleet.schemas.health import HealthRead
from tensorfleet.schemas.inference import PredictResponse
from tensorfleet.schemas.registry import ModelDeleted, ModelList, ModelRead, StatisticsRead
from tensorfleet.schemas.training import (
    AlgorithmRead,
    DatasetRead,
    JobList,
    JobRead,
    JobStatus,
    JobSubmitted,
    TrainRequest,
)

T = TypeVar("T")


class TensorFleetClient(Lifecycle, TuningMethods, BatchPredictions, EvaluationMethods):
    """`TensorFleetClient()` talks to $TENSORFLEET_URL (default http://localhost:8000)."""

    def __init__(
        self,
        base_url: str | None = None,
        *,
        api_key: str | None = None,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.config = resolve_config(base_url, api_key, timeout)
        self._http = httpx.Client(
            base_url=self.config.base_url,
            headers=self.config.headers(),
            timeout=timeout,
            transport=transport,
        )

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def _send(self, call: Call[T]) -> T:
        try:
            response = self._http.request(call.method, call.path, **call.send_options())
        except httpx.TransportError as exc:
            raise connection_failed(self.config.base_url, exc) from None
        return call.result(response)

    def train(self, request: TrainRequest | None = None, **fields: Any) -> JobSubmitted:
        """Submit a job: a TrainRequest, or its fields (dataset_name, algorithm, model_name,
        hyperparameters, job_id, test_size, random_state) as keywords."""
        return self._send(calls.train(request or TrainRequest(**fields)))

    def get_job(self, job_id: str) -> JobRead:
        return self._send(calls.get_job(job_id))

    def list_jobs(
        self, *, status: JobStatus | str | None = None, page: int = 1, limit: int = 20
    ) -> JobList:
        return self._send(calls.list_jobs(status, page, limit))

    def cancel_job(self, job_id: str) -> JobRead:
        return self._send(calls.cancel_job(job_id))

    def wait_for_job(
        self,
        job_id: str,
        *,
        timeout: float = 600.0,
        backoff: Backoff = Backoff(),
        on_update: Callable[[JobRead], None] | None = None,
        long_poll: bool = True,
    ) -> JobRead:
        """Wait until the job ends and return it (also when it failed or was cancelled);
        JobWaitTimeout after `timeout` seconds. Uses the server's long poll, which answers as
        soon as the job changes; polls with `backoff` on a server without one, or when
        `long_poll` is False. `on_update(job)` after each answer."""
        waiter = JobWaiter(job_id, timeout, backoff, long_poll=long_poll)
        while True:
            try:
                watched = self._send(calls.watch_job(job_id, waiter))
            except ServerError as error:
                waiter.refused(error)
                continue
            if on_update is not None:
                on_update(watched.job)
            if watched.job.status.ended:
                return watched.job
            if pause := waiter.pause(watched):
                time.sleep(pause)

    def list_datasets(self) -> list[DatasetRead]:
        return self._send(calls.list_datasets())

    def get_dataset(self, name: str) -> DatasetDetail:
        """A dataset and its versions, newest first."""
        return self._send(calls.get_dataset(name))

    def upload_dataset(
        self,
        source: Source,
        *,
        name: str,
        target: str | None = None,
        task: str | None = None,
        description: str = "",
        progress: Progress | None = None,
    ) -> DatasetVersionRead:
        """Stream a CSV or Parquet file (a path or a binary file object) as a new version of
        `name`; `progress(sent, total)` after each chunk. It is `ingesting` until
        wait_for_dataset sees it `ready` or `failed`."""
        with opened(source) as stream:
            call = calls.upload_dataset(
                chunks(stream, progress),
                name=name,
                target=target,
                task=task,
                description=description,
            )
            return self._send(call)

    def dataset_version(self, name: str, version: int) -> DatasetVersionRead:
        """One version: its status and, once ready, its schema and profile."""
        return self._send(calls.dataset_version(name, version))

    def wait_for_dataset(
        self, name: str, version: int, *, timeout: float = 600.0, backoff: Backoff = Backoff()
    ) -> DatasetVersionRead:
        """Poll until the version is `ready` or `failed` (its `error` says why) and return it;
        JobWaitTimeout after `timeout` seconds."""
        deadline, delays = time.monotonic() + timeout, backoff.delays()
        while (found := self.dataset_version(name, version)).status == "ingesting":
            time.sleep(dataset_delay(delays, deadline - time.monotonic(), found))
        return found

    def preview_dataset(self, name: str, version: int, *, rows: int = 10) -> DatasetPreview:
        return self._send(calls.preview_dataset(name, version, rows))

    def delete_dataset(
        self, name: str, version: int, *, force: bool = False
    ) -> DatasetVersionDeleted:
        """Conflict (409) naming the models trained on it, unless `force` deletes them too."""
        return self._send(calls.delete_dataset(name, version, force))

    def list_algorithms(self) -> list[AlgorithmRead]:
        return self._send(calls.list_algorithms())

    def list_models(
        self, *, page: int = 1, limit: int = 10, after: str | None = None, **filters: Any
    ) -> ModelList:
        """One page; filters: algorithm, name, dataset_name, sort, order."""
        return self._send(
            calls.list_models(ModelQuery(**filters), page=page, limit=limit, after=after)
        )

    def iter_models(self, *, page_size: int = 100, **filters: Any) -> Iterator[ModelRead]:
        """Every model matching the filters, following the server's cursor page by page."""
        after: str | None = None
        while True:
            page = self.list_models(limit=page_size, after=after, **filters)
            yield from page.items
            if not (after := page.next_cursor):
                return

    def get_model(self, model_id: str) -> ModelRead:
        return self._send(calls.get_model(model_id))

    def latest_model(self, name: str) -> ModelRead:
        return self._send(calls.latest_model(name))

    def model_version(self, name: str, version: int) -> ModelRead:
        return self._send(calls.model_version(name, version))

    def delete_model(self, model_id: str, *, force: bool = False) -> ModelDeleted | None:
        """Conflict (409) naming the aliases that point at it unless `force` removes them
        (the answer says which), and naming the endpoints that route to it."""
        return self._send(calls.delete_model(model_id, force))

    def download_model(self, model_id: str, destination: Destination) -> ModelDownload:
        """Stream the model file to a path (a directory: the server's file name) or a binary
        stream; the sha256 is checked against the server's."""
        try:
            with self._http.stream("GET", calls.download_path(model_id)) as response:
                return self._write(response, destination, model_id)
        except httpx.TransportError as exc:
            raise connection_failed(self.config.base_url, exc) from None

    def _write(
        self, response: httpx.Response, destination: Destination, model_id: str
    ) -> ModelDownload:
        if response.status_code != 200:
            response.read()
            raise error_from_response(response)
        sink = DownloadSink(destination, response, model_id)
        try:
            for chunk in response.iter_bytes():
                sink.write(chunk)
            return sink.finish()
        except BaseException:
            sink.abort()
            raise

    def predict(
        self,
        model: str | ModelRead,
        rows: Any,
        *,
        version: int | None = None,
        alias: str | None = None,
        probabilities: bool = False,
        explain: bool = False,
    ) -> PredictResponse:
        """Predictions for `rows` (dicts, lists in column order, or a pandas DataFrame) from
        `model`: a ModelRead or an id, or a name (its latest version, `version`, or `alias`)."""
        call = calls.predict(
            model, rows, version=version, alias=alias, probabilities=probabilities, explain=explain
        )
        return self._send(call)

    def drift(self, model_id: str) -> DriftReport:
        """The model's drift report: each column's and the predictions' PSI, test and flag."""
        return self._send(calls.model_drift(model_id))

    def endpoint_drift(self, name: str) -> EndpointDrift:
        """The drift report of each version an A/B endpoint routes to (and of its shadow)."""
        return self._send(calls.endpoint_drift(name))

    def statistics(self) -> StatisticsRead:
        return self._send(calls.statistics())

    def health(self) -> HealthRead:
        return self._send(calls.health())
