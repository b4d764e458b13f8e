"""Batch predictions in the clients, as mixins: TensorFleetClient and AsyncTensorFleetClient
inherit them and supply `_send`, `_http`, `config` and `_write` (the model download's
streaming writer, which also checks the output's sha256 against its ETag).

A batch prediction predicts every row of an uploaded dataset version with a model, as a job on
the server; `wait_for_batch_prediction` follows it and `download_batch_prediction` streams the
CSV or Parquet file it wrote.
"""

import asyncio
import time
from collections.abc import Callable
from typing import Any, TypeVar

import httpx

from tensorfleet.client.calls import Call, parsed_as, query, segment
from tensorfleet.client.config import ClientConfig
from tensorfleet.client.download import Destination, ModelDownload
from tensorfleet.client.errors import connection_failed
from tensorfleet.client.polling import Backoff, pause
from tensorfleet.client.predict import predict_path
from tensorfleet.schemas.batch import (
    BatchPredictionList,
    BatchPredictionRead,
    BatchPredictRequest,
    OutputFormat,
)
from tensorfleet.schemas.registry import ModelRead

T = TypeVar("T")
ROOT = "/api/v1/batch-predictions"
Update = Callable[[BatchPredictionRead], None]


def submit(
    model: str | ModelRead,
    request: BatchPredictRequest,
    *,
    version: int | None,
    alias: str | None,
) -> Call[BatchPredictionRead]:
    """By id (a ModelRead, or 24 hex digits), or by name: an alias, a version or its latest."""
    path = predict_path(model, version, segment, alias).removesuffix("/predict")
    body = request.model_dump(mode="json", exclude_none=True)
    parse = parsed_as(BatchPredictionRead)
    return Call("POST", f"{path}/batch-predictions", parse, json=body, accept=(202,))


def get(job_id: str) -> Call[BatchPredictionRead]:
    return Call("GET", f"{ROOT}/{segment(job_id)}", parsed_as(BatchPredictionRead))


def for_model(model_id: str, page: int, limit: int) -> Call[BatchPredictionList]:
    path = f"/api/v1/models/{segment(model_id)}/batch-predictions"
    return Call("GET", path, parsed_as(BatchPredictionList), params=query(page=page, limit=limit))


def cancel(job_id: str) -> Call[BatchPredictionRead]:
    return Call("POST", f"{ROOT}/{segment(job_id)}/cancel", parsed_as(BatchPredictionRead))


def delete(job_id: str) -> Call[None]:
    return Call("DELETE", f"{ROOT}/{segment(job_id)}", lambda response: None, accept=(204,))


def download_path(job_id: str) -> str:
    return f"{ROOT}/{segment(job_id)}/download"


def request_of(
    dataset: str,
    dataset_version: int | None,
    fmt: OutputFormat,
    id_column: str | None,
    probabilities: bool,
) -> BatchPredictRequest:
    return BatchPredictRequest(
        dataset_name=dataset,
        dataset_version=dataset_version,
        format=fmt,
        id_column=id_column,
        probabilities=probabilities,
    )


def still(job: BatchPredictionRead) -> str:
    done, total = job.progress.rows_done, job.progress.rows_total
    return f"batch prediction {job.job_id} is still {job.status.value} ({done} of {total} rows)"


class BatchPredictions:
    """Batch predictions, blocking."""

    _http: httpx.Client
    config: ClientConfig

    def _send(self, call: Call[T]) -> T:
        raise NotImplementedError

    def _write(self, response: httpx.Response, destination: Destination, name: str) -> Any:
        raise NotImplementedError

    def batch_predict(
        self,
        model: str | ModelRead,
        *,
        dataset: str,
        dataset_version: int | None = None,
        version: int | None = None,
        alias: str | None = None,
        format: OutputFormat = "csv",
        id_column: str | None = None,
        probabilities: bool = False,
    ) -> BatchPredictionRead:
        """Start predicting every row of `dataset` (its latest ready version, or
        `dataset_version`) with `model`: a ModelRead or an id, or a name (its latest version,
        `version` or `alias`). The job is queued; follow it with wait_for_batch_prediction."""
        request = request_of(dataset, dataset_version, format, id_column, probabilities)
        return self._send(submit(model, request, version=version, alias=alias))

    def get_batch_prediction(self, job_id: str) -> BatchPredictionRead:
        return self._send(get(job_id))

    def list_batch_predictions(
        self, model_id: str, *, page: int = 1, limit: int = 20
    ) -> BatchPredictionList:
        """A model's batch predictions, newest first."""
        return self._send(for_model(model_id, page, limit))

    def cancel_batch_prediction(self, job_id: str) -> BatchPredictionRead:
        return self._send(cancel(job_id))

    def delete_batch_prediction(self, job_id: str) -> None:
        """Delete an ended job and its file (needs the admin scope)."""
        self._send(delete(job_id))

    def wait_for_batch_prediction(
        self,
        job_id: str,
        *,
        timeout: float = 3600.0,
        backoff: Backoff = Backoff(),
        on_update: Update | None = None,
    ) -> BatchPredictionRead:
        """Poll until the job ends and return it (also failed or cancelled); JobWaitTimeout
        after `timeout` seconds."""
        deadline, delays = time.monotonic() + timeout, backoff.delays()
        while True:
            job = self.get_batch_prediction(job_id)
            if on_update is not None:
                on_update(job)
            if job.status.ended:
                return job
            time.sleep(pause(delays, deadline - time.monotonic(), still(job), job))

    def download_batch_prediction(self, job_id: str, destination: Destination) -> ModelDownload:
        """Stream a succeeded job's file to a path (a directory: the server's file name) or a
        binary stream; its sha256 is checked against the server's."""
        try:
            with self._http.stream("GET", download_path(job_id)) as response:
                download: ModelDownload = self._write(response, destination, job_id)
                return download
        except httpx.TransportError as exc:
            raise connection_failed(self.config.base_url, exc) from None


class AsyncBatchPredictions:
    """Batch predictions, for asyncio."""

    _http: httpx.AsyncClient
    config: ClientConfig

    async def _send(self, call: Call[T]) -> T:
        raise NotImplementedError

    async def _write(self, response: httpx.Response, destination: Destination, name: str) -> Any:
        raise NotImplementedError

    async def batch_predict(
        self,
        model: str | ModelRead,
        *,
        dataset: str,
        dataset_version: int | None = None,
        version: int | None = None,
        alias: str | None = None,
        format: OutputFormat = "csv",
        id_column: str | None = None,
        probabilities: bool = False,
    ) -> BatchPredictionRead:
        request = request_of(dataset, dataset_version, format, id_column, probabilities)
        return await self._send(submit(model, request, version=version, alias=alias))

    async def get_batch_prediction(self, job_id: str) -> BatchPredictionRead:
        return await self._send(get(job_id))

    async def list_batch_predictions(
        self, model_id: str, *, page: int = 1, limit: int = 20
    ) -> BatchPredictionList:
        return await self._send(for_model(model_id, page, limit))

    async def cancel_batch_prediction(self, job_id: str) -> BatchPredictionRead:
        return await self._send(cancel(job_id))

    async def delete_batch_prediction(self, job_id: str) -> None:
        await self._send(delete(job_id))

    async def wait_for_batch_prediction(
        self,
        job_id: str,
        *,
        timeout: float = 3600.0,
        backoff: Backoff = Backoff(),
        on_update: Update | None = None,
    ) -> BatchPredictionRead:
        deadline, delays = time.monotonic() + timeout, backoff.delays()
        while True:
            job = await self.get_batch_prediction(job_id)
            if on_update is not None:
                on_update(job)
            if job.status.ended:
                return job
            await asyncio.sleep(pause(delays, deadline - time.monotonic(), still(job), job))

    async def download_batch_prediction(
        self, job_id: str, destination: Destination
    ) -> ModelDownload:
        try:
            async with self._http.stream("GET", download_path(job_id)) as response:
                download: ModelDownload = await self._write(response, destination, job_id)
                return download
        except httpx.TransportError as exc:
            raise connection_failed(self.config.base_url, exc) from None
