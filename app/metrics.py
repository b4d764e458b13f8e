"""The API process's Prometheus metrics, exposed at /metrics.

prometheus_client's default registry is process-global, and one process may build many apps
(the test suite does), so every metric object is created once, here, at import; each app's
middleware only records into them. Route labels are route templates
(`/api/v1/models/{model_id}`), never raw paths; unmatched paths are grouped as `none`.
"""

from timeit import default_timer
from typing import Any

from fastapi import FastAPI, Request
from prometheus_client import Counter, Gauge, Histogram
from prometheus_fastapi_instrumentator import Instrumentator
from prometheus_fastapi_instrumentator.routing import get_route_name
from starlette.types import ASGIApp, Message, Receive, Scope, Send

HTTP_LABELS = ("method", "handler", "status")
# The methods a label may name; any other token a client sends as a method is "other", or
# each would add series without bound (and before any key is checked).
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

API_REQUESTS = Counter(
    "api_requests_total", "HTTP requests the API answered.", labelnames=HTTP_LABELS
)
REQUEST_DURATION = Histogram(
    "request_duration_seconds",
    "Time from request to the end of the response body, in seconds.",
    labelnames=HTTP_LABELS,
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)
MODEL_DOWNLOADS = Counter(
    "model_downloads_total",
    "Model files served (full GET downloads; HEAD and 304 answers are not counted).",
    labelnames=("algorithm",),
)
MODEL_LISTINGS = Counter(
    "model_listings_total",
    "Model list pages served.",
    labelnames=("sort", "paging"),
)

PREDICTIONS = Counter(
    "model_predictions_total",
    "Predict requests answered, by model name, version and outcome (ok, invalid_input, "
    "not_found, error).",
    labelnames=("model", "version", "outcome"),
)
PREDICTED_ROWS = Counter(
    "model_predicted_rows_total", "Rows predicted, by model name.", labelnames=("model",)
)
PREDICTION_STAGE_SECONDS = Histogram(
    "prediction_stage_seconds",
    "Time of each stage of a predict request: parse (JSON body and row checks), predict "
    "(scikit-learn), serialise (the response body).",
    labelnames=("stage",),
    buckets=(0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 2.5),
)
MODEL_CACHE_EVENTS = Counter(
    "model_cache_events_total",
    "Model cache lookups and changes: hit, miss, load, load_failed, eviction.",
    labelnames=("event",),
)
MODEL_CACHE_BYTES = Gauge("model_cache_bytes", "Bytes of model files held by the model cache.")
MODEL_CACHE_MODELS = Gauge("model_cache_models", "Models held by the model cache.")


ENDPOINT_REQUESTS = Counter(
    "endpoint_requests_total",
    "Requests through an A/B endpoint, by endpoint, version, role (route or shadow) and outcome "
    "(ok, invalid_input, error).",
    labelnames=("endpoint", "version", "role", "outcome"),
)
ENDPOINT_LATENCY = Histogram(
    "endpoint_request_seconds",
    "Time a version took to answer an endpoint's request (resolve, parse, predict).",
    labelnames=("endpoint", "version", "role"),
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
)
SHADOW_ROWS = Counter(
    "endpoint_shadow_rows_total",
    "Rows the shadow version predicted, by whether it agreed with the served version.",
    labelnames=("endpoint", "version", "agreement"),
)


class RequestMetrics:
    """Counts and times every HTTP request (API_REQUESTS, REQUEST_DURATION) by method, route
    template and status; /metrics itself is not counted, a path no route matches is `none`, a
    method outside KNOWN_METHODS is `other`: no label takes a value the client made up.

    In place of prometheus-fastapi-instrumentator's middleware, with the same labels (its
    resolver names the route): that one also built a Response, an Info and a gathered future
    for every request, 0.27 ms of CPU per request in all, a fifth of a one-row prediction's
    (bench/RESULTS.md, "Profile of the predict path")."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started, status = default_timer(), 500
        handler = get_route_name(Request(scope), should_include_root_path=False) or "none"

        async def send_counted(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_counted)
        finally:
            if handler != "/metrics":
                method = scope["method"] if scope["method"] in KNOWN_METHODS else "other"
                labels = (method, handler, str(status))
                API_REQUESTS.labels(*labels).inc()
                REQUEST_DURATION.labels(*labels).observe(max(default_timer() - started, 0.0))


def install_metrics(app: FastAPI, dependencies: list[Any] | None = None) -> None:
    """Count every request and serve /metrics (behind `dependencies`: the optional
    METRICS_TOKEN check)."""
    app.add_middleware(RequestMetrics)
    Instrumentator().expose(
        app, include_in_schema=False, tags=["metrics"], dependencies=dependencies or []
    )
