"""Typed errors: every failed call raises a TensorFleetError carrying the server's message."""

from typing import Any

import httpx


class TensorFleetError(Exception):
    """Base of the client's errors; `status_code` is None when no HTTP response arrived."""

    status_code: int | None = None

    def __init__(self, message: str, *, status_code: int | None = None, body: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code if status_code is not None else self.status_code
        self.body = body


class BadRequest(TensorFleetError):
    status_code = 400


class Unauthorized(TensorFleetError):
    status_code = 401


class Forbidden(TensorFleetError):
    status_code = 403


class NotFound(TensorFleetError):
    status_code = 404


class Conflict(TensorFleetError):
    status_code = 409


class ValidationFailed(TensorFleetError):
    """422: `detail` is FastAPI's list of {loc, msg, type}, one per invalid field."""

    status_code = 422

    @property
    def detail(self) -> list[dict[str, Any]]:
        detail = self.body.get("detail") if isinstance(self.body, dict) else None
        return detail if isinstance(detail, list) else []


class RateLimited(TensorFleetError):
    status_code = 429

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class ServerError(TensorFleetError):
    """5xx; `retry_after` is set when the server said when to retry (503 with Retry-After)."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class ConnectionFailed(TensorFleetError):
    """No HTTP response: refused, DNS, TLS or a timeout."""


class JobWaitTimeout(TensorFleetError):
    """wait_for_job gave up; `job` is the last state seen."""

    def __init__(self, message: str, *, job: Any) -> None:
        super().__init__(message)
        self.job = job


class UnexpectedResponse(TensorFleetError):
    """A 2xx response whose body is not what the API documents (wrong URL, proxy page)."""


BY_STATUS: dict[int, type[TensorFleetError]] = {
    400: BadRequest,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    422: ValidationFailed,
}


def describe_detail(detail: Any) -> str:
    """FastAPI's `detail`, a string or a list of field errors, as one line."""
    if isinstance(detail, list):
        return "; ".join(describe_field_error(item) for item in detail) or "invalid request"
    return str(detail)


def describe_field_error(item: Any) -> str:
    if not isinstance(item, dict):
        return str(item)
    location = ".".join(str(part) for part in item.get("loc", []))
    return f"{location}: {item.get('msg', '')}" if location else str(item.get("msg", ""))


def response_message(response: httpx.Response) -> tuple[str, Any]:
    try:
        body = response.json()
    except ValueError:
        text = response.text.strip().splitlines()
        return (text[0][:200] if text else response.reason_phrase), None
    if isinstance(body, dict) and "detail" in body:
        return describe_detail(body["detail"]), body
    return response.reason_phrase, body


def retry_after(response: httpx.Response) -> float | None:
    try:
        return float(response.headers["Retry-After"])
    except (KeyError, ValueError):
        return None


def error_from_response(response: httpx.Response) -> TensorFleetError:
    message, body = response_message(response)
    code = response.status_code
    if code == 429:
        return RateLimited(message, retry_after=retry_after(response), status_code=code, body=body)
    if code >= 500:
        return ServerError(message, retry_after=retry_after(response), status_code=code, body=body)
    error_type = BY_STATUS.get(code, TensorFleetError)
    return error_type(message, status_code=code, body=body)


def connection_failed(base_url: str, exc: httpx.TransportError) -> ConnectionFailed:
    reason = str(exc) or type(exc).__name__
    return ConnectionFailed(f"cannot reach TensorFleet at {base_url}: {reason}")
