"""One description per endpoint (method, path, parameters, result type), shared by the sync
and async clients, which only differ in how they send it."""

from collections.abc import AsyncIterable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar
from urllib.parse import quote

import httpx
from pydantic import TypeAdapter, ValidationError

from tensorfleet.client.errors import UnexpectedResponse, error_from_response
from tensorfleet.client.predict import predict_body, predict_path
from tensorfleet.client.watching import JobWaiter, WatchedJob
from tensorfleet.schemas.datasets import (
    DatasetDetail,
    DatasetPreview,
    DatasetVersionDeleted,
    DatasetVersionRead,
)
from tensorfleet.schemas.drift import DriftReport, EndpointDrift
from tensorfleet.schemas.health import HealthRead
from tensorfleet.schemas.inference import PredictResponse
from tensorfleet.schemas.registry import (
    ModelDeleted,
    ModelList,
    ModelRead,
    ModelSort,
    SortOrder,
    StatisticsRead,
)
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
MODELS = "/api/v1/models"


@dataclass(frozen=True)
class Call(Generic[T]):
    method: str
    path: str
    parse: Callable[[httpx.Response], T]
    params: dict[str, Any] = field(default_factory=dict)
    json: Any = None
    content: Iterable[bytes] | AsyncIterable[bytes] | None = None
    accept: tuple[int, ...] = (200,)
    headers: dict[str, str] = field(default_factory=dict)
    timeout: float | None = None  # seconds; None: the client's own

    def send_options(self) -> dict[str, Any]:
        """The keywords of httpx's `request` this call sets, besides method and path."""
        options: dict[str, Any] = {
            "params": self.params,
            "json": self.json,
            "content": self.content,
            "headers": self.headers,
        }
        return options | ({"timeout": self.timeout} if self.timeout is not None else {})

    def result(self, response: httpx.Response) -> T:
        if response.status_code not in self.accept:
            raise error_from_response(response)
        try:
            return self.parse(response)
        except (ValidationError, ValueError) as exc:
            raise UnexpectedResponse(
                f"{self.method} {self.path}: unexpected response body ({exc.__class__.__name__})",
                status_code=response.status_code,
            ) from None


def watched_job(response: httpx.Response) -> WatchedJob:
    return WatchedJob(JobRead.model_validate_json(response.content), response.headers.get("etag"))


def parsed_as(result_type: Any) -> Callable[[httpx.Response], Any]:
    adapter = TypeAdapter(result_type)
    return lambda response: adapter.validate_json(response.content)


def no_content(response: httpx.Response) -> None:
    return None


def segment(value: str | int) -> str:
    """A path segment, escaped so an id can never change the route."""
    return quote(str(value), safe="")


def query(**params: Any) -> dict[str, Any]:
    return {key: str(value) for key, value in params.items() if value is not None}


def train(request: TrainRequest) -> Call[JobSubmitted]:
    body = request.model_dump(mode="json")
    if body["job_id"] is None:
        del body["job_id"]
    return Call("POST", "/train", parsed_as(JobSubmitted), json=body, accept=(202,))


def get_job(job_id: str) -> Call[JobRead]:
    return Call("GET", f"/jobs/{segment(job_id)}", parsed_as(JobRead))


def watch_job(job_id: str, waiter: JobWaiter) -> Call[WatchedJob]:
    """The long poll: the job once its state differs from the one the waiter saw (an ETag), or
    after a wait; a plain read once the waiter fell back to polling."""
    path = f"/jobs/{segment(job_id)}"
    if not waiter.long_poll:
        return Call("GET", path, watched_job)
    headers = {"If-None-Match": waiter.seen} if waiter.seen else {}
    params, timeout = query(wait=round(waiter.wait(), 3)), waiter.request_timeout()
    return Call("GET", path, watched_job, params=params, headers=headers, timeout=timeout)


def list_jobs(status: JobStatus | str | None, page: int, limit: int) -> Call[JobList]:
    params = query(status=status, page=page, limit=limit)
    return Call("GET", "/jobs", parsed_as(JobList), params=params)


def cancel_job(job_id: str) -> Call[JobRead]:
    return Call("POST", f"/jobs/{segment(job_id)}/cancel", parsed_as(JobRead))


def list_datasets() -> Call[list[DatasetRead]]:
    return Call("GET", "/datasets", parsed_as(list[DatasetRead]))


def get_dataset(name: str) -> Call[DatasetDetail]:
    return Call("GET", f"/datasets/{segment(name)}", parsed_as(DatasetDetail))


def upload_dataset(
    chunks: Iterable[bytes] | AsyncIterable[bytes],
    *,
    name: str,
    target: str | None,
    task: str | None,
    description: str,
) -> Call[DatasetVersionRead]:
    """The file is the raw body, sent as `chunks` arrive; 200 when these bytes are a version."""
    params = query(name=name, target=target, task=task, description=description or None)
    return Call(
        "POST",
        "/datasets",
        parsed_as(DatasetVersionRead),
        params=params,
        content=chunks,
        accept=(200, 202),
    )


def version_path(name: str, version: int) -> str:
    return f"/datasets/{segment(name)}/versions/{segment(version)}"


def dataset_version(name: str, version: int) -> Call[DatasetVersionRead]:
    return Call("GET", version_path(name, version), parsed_as(DatasetVersionRead))


def preview_dataset(name: str, version: int, rows: int) -> Call[DatasetPreview]:
    path = f"{version_path(name, version)}/preview"
    return Call("GET", path, parsed_as(DatasetPreview), params=query(rows=rows))


def delete_dataset(name: str, version: int, force: bool) -> Call[DatasetVersionDeleted]:
    params = query(force="true" if force else None)
    return Call(
        "DELETE", version_path(name, version), parsed_as(DatasetVersionDeleted), params=params
    )


def list_algorithms() -> Call[list[AlgorithmRead]]:
    return Call("GET", "/algorithms", parsed_as(list[AlgorithmRead]))


@dataclass(frozen=True)
class ModelQuery:
    """Filters and order of a model listing (all optional)."""

    algorithm: str | None = None
    name: str | None = None
    dataset_name: str | None = None
    sort: ModelSort | str | None = None
    order: SortOrder | str | None = None

    def params(self) -> dict[str, Any]:
        return query(**self.__dict__)


def list_models(
    filters: ModelQuery, *, page: int, limit: int, after: str | None
) -> Call[ModelList]:
    params = filters.params() | query(page=None if after else page, limit=limit, after=after)
    return Call("GET", MODELS, parsed_as(ModelList), params=params)


def get_model(model_id: str) -> Call[ModelRead]:
    return Call("GET", f"{MODELS}/{segment(model_id)}", parsed_as(ModelRead))


def latest_model(name: str) -> Call[ModelRead]:
    return Call("GET", f"{MODELS}/by-name/{segment(name)}/latest", parsed_as(ModelRead))


def model_version(name: str, version: int) -> Call[ModelRead]:
    path = f"{MODELS}/by-name/{segment(name)}/versions/{segment(version)}"
    return Call("GET", path, parsed_as(ModelRead))


def delete_model(model_id: str, force: bool) -> Call[ModelDeleted | None]:
    """204 (nothing to say) without force; with it, 200 naming the aliases removed."""
    path, params = f"{MODELS}/{segment(model_id)}", query(force="true" if force else None)

    def parse(response: httpx.Response) -> ModelDeleted | None:
        return None if response.status_code == 204 else parsed_as(ModelDeleted)(response)

    return Call("DELETE", path, parse, params=params, accept=(200, 204))


def download_path(model_id: str) -> str:
    return f"{MODELS}/{segment(model_id)}/download"


def predict(
    model: str | ModelRead,
    rows: Any,
    *,
    version: int | None,
    probabilities: bool,
    alias: str | None = None,
    explain: bool = False,
) -> Call[PredictResponse]:
    path = predict_path(model, version, segment, alias)
    body = predict_body(rows, probabilities, explain)
    return Call("POST", path, parsed_as(PredictResponse), json=body)


def model_drift(model_id: str) -> Call[DriftReport]:
    return Call("GET", f"{MODELS}/{segment(model_id)}/drift", parsed_as(DriftReport))


def endpoint_drift(name: str) -> Call[EndpointDrift]:
    path = f"/api/v1/endpoints/{segment(name)}/drift"
    return Call("GET", path, parsed_as(EndpointDrift))


def statistics() -> Call[StatisticsRead]:
    return Call("GET", "/api/v1/statistics", parsed_as(StatisticsRead))


def health() -> Call[HealthRead]:
    """503 carries the same report (a dependency is down), so it is a result, not an error."""
    return Call("GET", "/health", parsed_as(HealthRead), accept=(200, 503))
