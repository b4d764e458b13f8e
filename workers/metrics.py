"""The worker's Prometheus metrics (the seed's names), served on WORKER_METRICS_PORT."""

from prometheus_client import Counter, Gauge, Histogram, start_http_server

TASK_DURATION = Histogram(
    "worker_task_duration_seconds",
    "Wall time of a training job in the worker, from start to its end state.",
    ["algorithm", "outcome"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800),
)
MODELS_TRAINED = Counter(
    "worker_models_trained_total",
    "Training attempts by algorithm and outcome: succeeded, failed, cancelled (while fitting), "
    "interrupted (aborted, or the worker stopped).",
    ["algorithm", "outcome"],
)
MODEL_ACCURACY = Gauge(
    "worker_model_accuracy",
    "Test accuracy of the most recent model trained, by algorithm and dataset.",
    ["algorithm", "dataset"],
)


def serve_metrics(port: int) -> None:
    """Expose the default registry over HTTP; port 0 turns it off."""
    if port:
        start_http_server(port)


def record_outcome(algorithm: str, outcome: str, seconds: float) -> None:
    MODELS_TRAINED.labels(algorithm=algorithm, outcome=outcome).inc()
    TASK_DURATION.labels(algorithm=algorithm, outcome=outcome).observe(seconds)


WEBHOOK_DELIVERIES = Counter(
    "webhook_deliveries_total",
    "Webhook delivery tries by event and outcome: succeeded, retried (failed, tried again "
    "later), failed (out of tries), refused (the target is an internal address).",
    ["event", "outcome"],
)
DRIFT_PSI = Gauge(
    "model_drift_psi",
    "Population stability index of a model's live sample against its training reference, by "
    'model name, version and column ("(prediction)" for the predictions); set by the drift '
    "check (DRIFT_CHECK_MINUTES).",
    ["model", "version", "column"],
)
DRIFT_DETECTED = Gauge(
    "model_drift_detected",
    "1 when the column drifted at the last drift check (PSI and test over their thresholds), "
    "else 0; by model name, version and column.",
    ["model", "version", "column"],
)
