"""The one Settings object for the API and the worker, read once from the environment."""

from functools import lru_cache
from typing import Literal

from limits import parse_many
from pydantic import Field, MongoDsn, RedisDsn, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from app.security.keys import MAX_KEY_LENGTH
from app.training.bounds import check_override_names
from tensorfleet.schemas.bounds import Bound

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]


class Settings(BaseSettings):
    """Configuration from environment variables (names are the field names, upper case)."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    mongodb_url: MongoDsn = Field(
        default=MongoDsn("mongodb://127.0.0.1:27017/"),
        description="MongoDB (or FerretDB) connection string.",
    )
    mongodb_db: str = Field(default="tensorfleet", min_length=1, max_length=63)
    redis_url: RedisDsn = Field(default=RedisDsn("redis://127.0.0.1:6379/0"))
    host: str = Field(default="0.0.0.0", description="Address the API binds to.")
    port: int = Field(default=8000, ge=1, le=65535, description="Port the API listens on.")
    log_level: LogLevel = "INFO"
    http_keep_alive_seconds: int = Field(
        default=75,
        ge=1,
        le=3600,
        description="How long the API keeps an idle HTTP connection open. Longer than the "
        "idle timeout of clients (httpx: 5 s) and of load balancers in front (often 60 s), so "
        "the server never closes a connection a client is about to reuse.",
    )

    queue_name: str = Field(default="tensorfleet:train", min_length=1)
    dependency_timeout_seconds: float = Field(
        default=2.0, gt=0, le=30, description="Timeout of each MongoDB/Redis check in /health."
    )
    worker_metrics_port: int = Field(default=9100, ge=0, le=65535)
    worker_max_jobs: int = Field(default=2, ge=1, le=64)
    fit_threads: int | None = Field(
        default=None,
        ge=1,
        le=256,
        description="BLAS/OpenMP threads each fit may use; empty means the worker's CPUs "
        "divided by WORKER_MAX_JOBS (at least 1), so concurrent fits do not oversubscribe.",
    )
    worker_cpus: int | None = Field(
        default=None,
        ge=1,
        le=1024,
        description="CPUs the worker's fits share (the Helm chart sets the pod's CPU request); "
        "empty means the CPUs this process may run on, which in a container is the node's.",
    )
    fit_memory_limit_mb: int = Field(
        default=512,
        ge=0,
        le=1_048_576,
        description="Memory one fit may allocate, in MiB, beyond what its process holds when "
        "idle (about 300 MiB: Python, NumPy, SciPy, scikit-learn). A fit that needs more ends "
        "`failed` (FitMemoryExceeded) without disturbing the fits beside it. The worker needs "
        "about 300 + WORKER_MAX_JOBS x (300 + this) MiB: the default fits 2 jobs in 2 GiB. "
        "0 means no cap.",
    )
    job_timeout_seconds: int = Field(
        default=600,
        ge=1,
        description="Longest a job may run; at the limit its fit process is killed and the job "
        "ends `failed` (JobTimeout).",
    )
    job_max_tries: int = Field(default=3, ge=1, le=10)
    worker_poll_delay_seconds: float = Field(
        default=0.01,
        gt=0,
        le=5,
        description="Idle poll interval: how soon an idle worker sees a new job (a worker "
        "polls again at once when one of its jobs ends).",
    )
    job_requeue_after_seconds: int = Field(
        default=60,
        ge=1,
        description="How long an active job may show no sign of life before the lost-job check "
        "looks at it: a queued job since it was recorded, a running job since its worker last "
        "renewed its lease (which it does every third of this).",
    )
    orphan_grace_seconds: int = Field(default=3600, ge=0)

    auth_enabled: bool = Field(
        default=False,
        description="Require an API key (Authorization: Bearer or X-API-Key) on every route but "
        "/health, /metrics and the docs. Off in code for local development; the image, compose "
        "and Helm turn it on.",
    )
    bootstrap_admin_key: SecretStr | None = Field(
        default=None,
        description="An admin key accepted without being stored, to create the first keys. At "
        "least 32 characters; empty means none.",
    )
    metrics_token: SecretStr | None = Field(
        default=None,
        description="When set, /metrics answers only requests with `Authorization: Bearer "
        "<token>`; empty means /metrics is open (it holds no secrets).",
    )
    live_max_waiters: int = Field(
        default=1000,
        ge=1,
        description="Long polls (GET /jobs/{id}?wait=) and event streams (GET /jobs/{id}/events) "
        "each API process holds open at once; one more is a 503 with Retry-After. Each costs a "
        "coroutine and a store read every few seconds, so without a bound callers could hold "
        "any number open.",
    )
    rate_limit: str = Field(
        default="",
        description="Requests per API key (or client address when auth is off), in the limits "
        'library notation, e.g. "50/second;1000/minute"; empty means no limit. Counted in Redis, '
        "so the limit holds across API replicas.",
    )
    rate_limit_train: str = Field(
        default="",
        description='A further limit on POST /train per key, e.g. "10/minute"; empty means none.',
    )
    max_body_bytes: int = Field(
        default=1024 * 1024, ge=1024, description="Largest request body accepted (413 above it)."
    )
    max_active_jobs_per_key: int = Field(
        default=20,
        ge=0,
        le=100_000,
        description="Queued plus running jobs one API key may have at once (per client address "
        "when auth is off); POST /train beyond it is a 429. 0 means no cap.",
    )
    hyperparameter_bounds: dict[str, dict[str, Bound]] = Field(
        default={},  # pydantic copies it per instance
        description="Overrides of the cost bounds of app/training/bounds.py, as JSON by "
        'algorithm and hyperparameter, e.g. {"random_forest": {"n_estimators": {"maximum": '
        "2000}}}. GET /algorithms shows the bounds in force.",
    )
    health_cache_seconds: float = Field(
        default=1.0,
        ge=0,
        le=60,
        description="How long /health reuses its last store checks; concurrent calls share one "
        "check, so probes cannot multiply the pings. 0 checks on every call (still shared).",
    )

    # Tuning (hyperparameter search and AutoML; docs/tuning.md).
    tuning_max_trials: int = Field(
        default=200,
        ge=1,
        le=10_000,
        description="Most trials one search may ask for (a larger max_trials is a 422); also "
        "the trials a search with only a time budget may run.",
    )
    tuning_max_seconds: int = Field(
        default=3600,
        ge=1,
        description="Longest time budget a search may ask for (a larger max_seconds is a 422).",
    )
    tuning_max_in_flight: int = Field(
        default=4,
        ge=1,
        le=1000,
        description="Trials of one search queued or running at once. Set it a little above the "
        "trial slots of the workers a search should spread over (replicas x WORKER_MAX_JOBS), "
        "so a slot that frees finds a trial queued.",
    )
    tuning_heartbeat_seconds: float = Field(
        default=5.0,
        gt=0,
        le=300,
        description="How often a search looks at its trials when none has ended: the time "
        "budget is checked and lost trials are queued again at this pace.",
    )

    # Inference (online predictions from the per-process model cache).
    model_cache_bytes: int = Field(
        default=512 * 1024 * 1024,
        ge=1024,
        description="Bytes of model files each API process keeps loaded for predictions "
        "(least recently used out). A model whose file is larger cannot be served online.",
    )
    predict_max_rows: int = Field(
        default=1000,
        ge=1,
        le=1_000_000,
        description="Most rows one predict request may carry (422 above it); larger inputs "
        "are batch prediction jobs.",
    )
    predict_inline_max_rows: int = Field(
        default=100,
        ge=0,
        description="Requests with at most this many rows predict on the event loop when the "
        "model's last call took under PREDICT_INLINE_MAX_MS; others run in the predict "
        "threads, so one big request never stalls the rest (bench/RESULTS.md has the numbers).",
    )
    predict_inline_max_ms: float = Field(
        default=20.0,
        ge=0,
        description="Largest CPU time of a model's last predict call still run on the event "
        "loop. A small request's prediction holds the GIL almost throughout, so a thread would "
        "not free the loop, only add GIL hand-offs; 20 ms keeps a one-row table pipeline or "
        "100-tree forest inline (docs/inference.md).",
    )
    predict_threads: int = Field(
        default=2,
        ge=1,
        le=64,
        description="Threads that run the predictions too big to run inline and model loads.",
    )

    # Explanations and evaluations (docs/inference.md, docs/evaluation.md)
    importance_seconds: float = Field(
        default=20.0,
        ge=0,
        le=3600,
        description="Time budget of the permutation importance computed at training on the "
        "hold-out split (the repeats are chosen to fit it, and half the fit's own time, at "
        "least 1 s); 0 turns it off for every job, "
        'a request turns it off with "importances": false.',
    )
    importance_max_columns: int = Field(
        default=100,
        ge=1,
        le=10_000,
        description="Columns whose importances a model stores (the most important ones; the "
        "model record says how many columns there were).",
    )

    explain_max_rows: int = Field(
        default=100,
        ge=1,
        le=100_000,
        description='Most rows one predict request with "explain": true may carry (422 above); '
        "explaining costs more than predicting (docs/inference.md has the measurements).",
    )

    batch_predict_max_rows: int = Field(
        default=5_000_000,
        ge=1,
        description="Most rows a batch prediction job may predict (the dataset version's rows; "
        "422 at submission above it).",
    )
    batch_predict_chunk_rows: int = Field(
        default=10_000,
        ge=1,
        le=1_000_000,
        description="Rows a batch prediction reads, predicts and writes at a time: its memory "
        "is about one chunk, and a cancel stops it within one chunk.",
    )

    # Drift (docs/drift.md): live sampling on the predict path, the report's thresholds, the cron
    drift_sample_rate: float = Field(
        default=1.0,
        ge=0,
        le=1,
        description="Share of predicted rows kept in each model's live sample (0 turns sampling "
        "off). Sampling costs the predict path a buffer append; rows reach Redis in batches.",
    )
    drift_sample_cap: int = Field(
        default=10_000,
        ge=1,
        le=1_000_000,
        description="Rows of live sample kept per model (the latest ones): Redis holds at most "
        "this many rows (about 20 bytes a value) per model that serves predictions.",
    )
    drift_flush_seconds: float = Field(
        default=1.0, gt=0, le=60, description="How often sampled rows are pushed to Redis."
    )
    drift_min_samples: int = Field(
        default=100,
        ge=1,
        description="Live rows a drift report needs; with fewer it says insufficient_samples.",
    )
    drift_psi_threshold: float = Field(
        default=0.2,
        gt=0,
        description="A column drifts when its population stability index is at least this "
        "(0.1-0.2 is a moderate shift, above 0.2 a large one) and its test's p-value is below "
        "DRIFT_P_VALUE.",
    )
    drift_p_value: float = Field(
        default=0.05,
        gt=0,
        le=1,
        description="Significance level of the KS (numbers) and chi-squared (categories) tests.",
    )
    drift_check_minutes: int = Field(
        default=10,
        ge=0,
        le=60,
        description="The worker computes and stores every sampled model's drift report at "
        "minutes divisible by this (exporting gauges, emitting drift.detected); 0 turns it off.",
    )

    # Datasets (uploads are refused with a 4xx, ingest fails naming the limit)
    dataset_max_bytes: int = Field(
        default=200 * 1024 * 1024,
        ge=1024,
        description="Largest dataset file POST /datasets accepts: 413 as soon as the body "
        "passes it, and nothing is stored. The worker holds about 2-3 times this in memory "
        "while it ingests.",
    )
    dataset_max_rows: int = Field(
        default=5_000_000,
        ge=1,
        description="Rows a dataset may have: 413 at upload, counted as a CSV streams (line "
        "ends outside quoted fields, blank lines included) or read from a Parquet footer.",
    )
    dataset_max_columns: int = Field(
        default=500,
        ge=2,
        description="Columns a dataset may have (features and target): 413 at upload, from "
        "the CSV header or the Parquet footer.",
    )
    dataset_max_column_name_length: int = Field(
        default=128,
        ge=8,
        le=1024,
        description="Characters a dataset's column name may have: 422 at upload. With "
        "DATASET_MAX_COLUMNS it bounds the CSV header the API reads before it refuses it.",
    )

    # Events: webhook deliveries (app/events) and live job updates.
    webhook_allow_private_targets: bool = Field(
        default=False,
        description="Let webhooks reach loopback, private, link-local, multicast, reserved and "
        "cloud-metadata addresses. Off: such a URL is refused at registration (422) and at each "
        "delivery (the name is resolved again, and the request goes to the address checked).",
    )
    webhook_timeout_seconds: float = Field(
        default=5.0,
        gt=0,
        le=60,
        description="Connect, write and read timeout of one webhook delivery attempt; also "
        "bounds the name lookup.",
    )
    webhook_max_attempts: int = Field(
        default=8,
        ge=1,
        le=20,
        description="Tries of one delivery before it is marked failed (a redelivery starts over).",
    )
    webhook_retry_base_seconds: float = Field(
        default=10.0,
        gt=0,
        le=3600,
        description="Pause after the first failed try; it doubles after each further one "
        "(8 tries: about 21 minutes in all), capped at an hour.",
    )
    webhook_max_response_bytes: int = Field(
        default=16 * 1024,
        ge=0,
        le=1024 * 1024,
        description="Most bytes of a receiver's answer read (the rest is dropped unread); the "
        "delivery log keeps its first 500 characters of an error answer.",
    )
    webhook_delivery_retention_days: int = Field(
        default=30,
        ge=1,
        le=3650,
        description="Ended deliveries older than this are removed from the delivery log by the "
        "worker's hourly sweep.",
    )

    @field_validator(
        "bootstrap_admin_key", "metrics_token", "fit_threads", "worker_cpus", mode="before"
    )
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        return None if value in ("", None) else value

    @field_validator("bootstrap_admin_key")
    @classmethod
    def _usable_key(cls, value: SecretStr | None) -> SecretStr | None:
        """A key a client can send: one that could never match is refused here, not at the
        first request."""
        if value is None:
            return value
        key = value.get_secret_value()
        if not 32 <= len(key) <= MAX_KEY_LENGTH:
            raise ValueError(
                f"must be 32 to {MAX_KEY_LENGTH} characters (try `openssl rand -hex 32`)"
            )
        if not (key.isascii() and key.isprintable()) or " " in key:
            raise ValueError("must be printable ASCII without spaces (try `openssl rand -hex 32`)")
        return value

    @field_validator("hyperparameter_bounds")
    @classmethod
    def _known_bounds(cls, value: dict[str, dict[str, Bound]]) -> dict[str, dict[str, Bound]]:
        check_override_names(value)
        return value

    @field_validator("bootstrap_admin_key", "metrics_token")
    @classmethod
    def _not_a_placeholder(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            _refuse_placeholder(value.get_secret_value())
        return value

    @field_validator("mongodb_url")
    @classmethod
    def _mongodb_password(cls, value: MongoDsn) -> MongoDsn:
        _refuse_placeholder(value.hosts()[0].get("password"))
        return value

    @field_validator("redis_url")
    @classmethod
    def _redis_password(cls, value: RedisDsn) -> RedisDsn:
        _refuse_placeholder(value.password)
        return value

    @field_validator("rate_limit", "rate_limit_train")
    @classmethod
    def _rate_limit_notation(cls, value: str) -> str:
        if value.strip():
            try:
                parse_many(value)
            except ValueError as exc:
                raise ValueError(f'not a rate limit such as "50/second": {exc}') from None
        return value.strip()


# Example values once shipped in .env.example: public, so never a secret.
PLACEHOLDERS = ("change-me", "changeme")


def _refuse_placeholder(secret: str | None) -> None:
    if secret and any(placeholder in secret.lower() for placeholder in PLACEHOLDERS):
        raise ValueError(
            "holds a placeholder value from .env.example; set a random one (`openssl rand -hex 32`)"
        )


@lru_cache
def get_settings() -> Settings:
    return Settings()


def redact_url(url: object) -> str:
    """The URL with any password replaced, safe to log."""
    text = str(url)
    scheme, sep, rest = text.partition("://")
    if not sep or "@" not in rest:
        return text
    credentials, _, host = rest.rpartition("@")
    user = credentials.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}"
