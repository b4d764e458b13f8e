"""The one map from errors to HTTP responses: every domain error and every store outage.

Services raise domain exceptions (app/*/exceptions.py) and know nothing of HTTP; views let them
propagate. This table is the only place that turns them into a status code and a body, so a
new error is a new row here, not a try/except in a view. A store that is down is a clean 503
with Retry-After, never a 500 with a traceback.
"""

import json
import logging
import math
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pymongo.errors import AutoReconnect, ConnectionFailure, ExecutionTimeout, NetworkTimeout
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from app.batch.exceptions import BatchPredictionBusy, BatchPredictionNotFound, InvalidBatchRequest
from app.datasets.exceptions import DatasetInUse, UploadRefused
from app.datasets.exceptions import DatasetNotFound as DatasetVersionNotFound
from app.endpoints.exceptions import EndpointNotFound, InvalidEndpoint
from app.evaluation.exceptions import EvaluationNotFound, InvalidEvaluationRequest
from app.events.exceptions import (
    DeliveryNotFound,
    InvalidWebhook,
    TooManyWaiters,
    TooManyWebhooks,
    WebhookNotFound,
)
from app.inference.exceptions import InvalidPredictionInput, ModelIntegrityError, ModelTooLarge
from app.registry.exceptions import (
    AliasInUse,
    InvalidCursor,
    ModelFileMissing,
    ModelInUse,
    ModelNotFound,
)
from app.security.exceptions import KeyNotFound, LastAdminKey
from app.training.exceptions import (
    DatasetNotFound,
    InvalidTrainingRequest,
    JobAlreadyEnded,
    JobAlreadyExists,
    JobNotFound,
    QueueUnavailable,
    TooManyActiveJobs,
)
from app.tuning.exceptions import TuningAlreadyEnded, TuningAlreadyExists, TuningNotFound

logger = logging.getLogger(__name__)

Respond = Callable[[Request, Any], Response]
RETRY_AFTER_SECONDS = "5"
ECHO_DEPTH, ECHO_ITEMS, ECHO_CHARS = 8, 100, 1024  # bounds of a 422's echo of refused input


class ErrorResponse(JSONResponse):
    """JSON with every non-ASCII character escaped: a refusal echoes what the caller sent,
    and a lone surrogate (legal in JSON text, `"\\ud800"`) has no UTF-8 form, so Starlette's
    own rendering fails with a 500 while writing the refusal. Escaped, it goes back as sent."""

    def render(self, content: Any) -> bytes:
        return json.dumps(content, allow_nan=False, separators=(",", ":")).encode("ascii")


def validation_error(location: Sequence[str | int], message: str) -> ErrorResponse:
    """A 422 in the shape of FastAPI's own validation errors, so clients parse one format."""
    detail = [{"type": "value_error", "loc": list(location), "msg": message}]
    return ErrorResponse(status_code=422, content={"detail": detail})


def _status(code: int) -> Respond:
    """The domain's own message as `detail`, under this status."""
    return lambda request, exc: ErrorResponse(status_code=code, content={"detail": str(exc)})


def _invalid_request(
    request: Request,
    exc: InvalidTrainingRequest | InvalidBatchRequest | InvalidEvaluationRequest,
) -> Response:
    return validation_error(exc.location, exc.message)


def _invalid_webhook(request: Request, exc: InvalidWebhook) -> Response:
    return validation_error(exc.location, exc.message)


def _invalid_cursor(request: Request, exc: InvalidCursor) -> Response:
    return validation_error(("query", "after"), str(exc))


def _invalid_rows(request: Request, exc: InvalidPredictionInput) -> Response:
    """Each error names its row and column: `loc` is ["body", <format>, <row>, <column>]."""
    return ErrorResponse(status_code=422, content={"detail": exc.errors})


def json_safe(value: Any) -> Any:
    """The value with NaN and infinities as strings: JSON has no such numbers, and FastAPI's
    own handler fails with a 500 when it echoes one back as a refused field's input."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {key: json_safe(item) for key, item in value.items()}
    if isinstance(value, list):
        return [json_safe(item) for item in value]
    return value


def bounded_echo(value: Any, depth: int = 0) -> Any:
    """A refused input as it is echoed back: at most ECHO_DEPTH levels, ECHO_ITEMS items per
    level and ECHO_CHARS characters per string. The parser takes nesting hundreds deep, which
    encoding (recursive) could not echo without a RecursionError, and the echo of a 1 MiB
    input need not be 1 MiB again."""
    if isinstance(value, str):
        return value if len(value) <= ECHO_CHARS else value[:ECHO_CHARS] + "…"
    if not isinstance(value, dict | list | tuple):
        return value
    if depth >= ECHO_DEPTH:
        return "…"
    if isinstance(value, dict):
        items = list(value.items())[:ECHO_ITEMS]
        return {str(key)[:ECHO_CHARS]: bounded_echo(item, depth + 1) for key, item in items}
    return [bounded_echo(item, depth + 1) for item in value[:ECHO_ITEMS]]


def _request_invalid(request: Request, exc: RequestValidationError) -> Response:
    """FastAPI's own 422, whatever the refused input held (echoed within bounds)."""
    errors = [
        error | {"input": bounded_echo(error["input"])} if "input" in error else error
        for error in exc.errors()[:ECHO_ITEMS]
    ]
    detail = json_safe(jsonable_encoder(errors))
    return ErrorResponse(status_code=422, content={"detail": detail})


def _too_many_active(request: Request, exc: TooManyActiveJobs) -> Response:
    # No Retry-After: the wait is as long as the caller's running jobs take.
    return ErrorResponse(status_code=429, content={"detail": str(exc), "cap": exc.cap})


def _job_exists(request: Request, exc: JobAlreadyExists) -> Response:
    location = f"/jobs/{exc.job_id}"
    return ErrorResponse(
        status_code=409,
        headers={"Location": location},
        content={"detail": f"{exc}; see {location}", "location": location},
    )


def _job_ended(request: Request, exc: JobAlreadyEnded | BatchPredictionBusy) -> Response:
    return ErrorResponse(status_code=409, content={"detail": str(exc), "status": exc.status})


def _tuning_exists(request: Request, exc: TuningAlreadyExists) -> Response:
    location = f"/tuning/{exc.tuning_id}"
    return ErrorResponse(
        status_code=409,
        headers={"Location": location},
        content={"detail": f"{exc}; see {location}", "location": location},
    )


def _tuning_ended(request: Request, exc: TuningAlreadyEnded) -> Response:
    return ErrorResponse(status_code=409, content={"detail": str(exc), "status": exc.status})


def _upload_refused(request: Request, exc: UploadRefused) -> Response:
    """413 (over a limit), 415 (neither CSV nor Parquet) or 422 (not a table we can take, in
    FastAPI's shape naming the body or the parameter): nothing was stored."""
    if exc.status == 422:
        return validation_error(exc.location, exc.message)
    return ErrorResponse(status_code=exc.status, content={"detail": exc.message})


def _dataset_in_use(request: Request, exc: DatasetInUse) -> Response:
    return ErrorResponse(status_code=409, content={"detail": str(exc), "models": exc.models})


def _invalid_endpoint(request: Request, exc: InvalidEndpoint) -> Response:
    return validation_error(exc.location, exc.message)


def _in_use(request: Request, exc: ModelInUse | AliasInUse) -> Response:
    content = {"detail": str(exc), "aliases": exc.aliases, "endpoints": exc.endpoints}
    return ErrorResponse(status_code=409, content=content)


def _retry_later(request: Request, exc: QueueUnavailable | TooManyWaiters) -> Response:
    """A 503 whose own message says what is short (the queue, room for a wait)."""
    return ErrorResponse(
        status_code=503,
        headers={"Retry-After": RETRY_AFTER_SECONDS},
        content={"detail": str(exc)},
    )


def _unavailable(dependency: str) -> Respond:
    def respond(request: Request, exc: Exception) -> Response:
        first_line = str(exc).splitlines()[0] if str(exc) else repr(exc)
        logger.warning(
            "%s unavailable during %s %s: %s",
            dependency,
            request.method,
            request.url.path,
            first_line,
        )
        return ErrorResponse(
            status_code=503,
            content={"detail": f"{dependency} is unavailable; retry shortly"},
            headers={"Retry-After": RETRY_AFTER_SECONDS},
        )

    return respond


MONGODB_DOWN = (ConnectionFailure, AutoReconnect, NetworkTimeout, ExecutionTimeout)
REDIS_DOWN = (RedisConnectionError, RedisTimeoutError)

ERRORS: dict[type[Exception], Respond] = {
    RequestValidationError: _request_invalid,
    InvalidTrainingRequest: _invalid_request,
    InvalidEvaluationRequest: _invalid_request,
    EvaluationNotFound: _status(404),
    TooManyActiveJobs: _too_many_active,
    JobAlreadyExists: _job_exists,
    JobNotFound: _status(404),
    JobAlreadyEnded: _job_ended,
    QueueUnavailable: _retry_later,
    TuningNotFound: _status(404),
    TuningAlreadyExists: _tuning_exists,
    TuningAlreadyEnded: _tuning_ended,
    DatasetNotFound: _status(404),
    DatasetVersionNotFound: _status(404),
    UploadRefused: _upload_refused,
    DatasetInUse: _dataset_in_use,
    ModelNotFound: _status(404),
    ModelFileMissing: _status(404),
    ModelInUse: _in_use,
    AliasInUse: _in_use,
    EndpointNotFound: _status(404),
    InvalidEndpoint: _invalid_endpoint,
    InvalidCursor: _invalid_cursor,
    InvalidPredictionInput: _invalid_rows,
    ModelTooLarge: _status(507),  # the model file is larger than MODEL_CACHE_BYTES
    ModelIntegrityError: _status(500),  # its bytes are not the worker's: never loaded
    InvalidBatchRequest: _invalid_request,
    BatchPredictionNotFound: _status(404),
    BatchPredictionBusy: _job_ended,
    KeyNotFound: _status(404),
    WebhookNotFound: _status(404),
    DeliveryNotFound: _status(404),
    InvalidWebhook: _invalid_webhook,
    TooManyWebhooks: _status(409),
    TooManyWaiters: _retry_later,
    LastAdminKey: _status(409),
    **dict.fromkeys(MONGODB_DOWN, _unavailable("MongoDB")),
    **dict.fromkeys(REDIS_DOWN, _unavailable("Redis")),
}


def response_for(request: Request, exc: Exception) -> Response | None:
    """The table's response to this error, for code that runs outside the app's exception
    handlers (ASGI middleware); None when the table has no row for it."""
    for exc_type in type(exc).__mro__:
        if exc_type in ERRORS:
            return ERRORS[exc_type](request, exc)
    return None


def _handler(respond: Respond) -> Callable[[Request, Exception], Awaitable[Response]]:
    async def handle(request: Request, exc: Exception) -> Response:
        return respond(request, exc)

    return handle


def install_error_handlers(app: FastAPI) -> None:
    for exc_type, respond in ERRORS.items():
        app.add_exception_handler(exc_type, _handler(respond))
