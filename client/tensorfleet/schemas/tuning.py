"""Request and response shapes of the tuning API (hyperparameter search and AutoML).

A search space maps hyperparameter names to dimensions: an integer or float range (optionally
on a log scale) or a list of choices. The server checks each against scikit-learn's own
constraints and the service's cost bounds (see GET /algorithms).
"""

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from tensorfleet.schemas.bson_safe import BsonInt, StoredBody
from tensorfleet.schemas.registry import ModelMetrics
from tensorfleet.schemas.training import (
    AlgorithmName,
    HyperparameterName,
    Identifier,
    JobStatus,
    ModelName,
    PreprocessingOptions,
    Scalar,
    Task,
)

Strategy = Literal["tpe", "random", "grid"]
Metric = Literal["accuracy", "f1_macro", "r2", "mae", "rmse"]
METRICS_BY_TASK: dict[Task, tuple[str, ...]] = {
    Task.classification: ("accuracy", "f1_macro"),
    Task.regression: ("r2", "mae", "rmse"),
}
DEFAULT_METRIC = {Task.classification: "accuracy", Task.regression: "r2"}


class IntRange(BaseModel):
    """Integers from `low` to `high` inclusive, every `step`; `log` samples on a log scale."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["int"]
    low: BsonInt
    high: BsonInt
    log: bool = False
    step: int = Field(default=1, ge=1, le=1_000_000)


class FloatRange(BaseModel):
    """Numbers from `low` to `high`; `log` samples on a log scale (both ends above zero)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    type: Literal["float"]
    low: float
    high: float
    log: bool = False


class Choices(BaseModel):
    """One of these values."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    type: Literal["categorical"]
    choices: list[Scalar] = Field(min_length=1, max_length=64)


Dimension = Annotated[IntRange | FloatRange | Choices, Field(discriminator="type")]
SearchSpace = dict[HyperparameterName, Dimension]


class TuningRequest(StoredBody):
    """What to search: a dataset, one algorithm (or `auto`: every algorithm of its task), a
    space, a metric, k-fold cross-validation on the training split, a budget and a seed."""

    model_config = ConfigDict(
        extra="forbid",
        allow_inf_nan=False,
        json_schema_extra={
            "examples": [
                {
                    "dataset_name": "iris",
                    "algorithm": "random_forest",
                    "max_trials": 20,
                    "cv": 3,
                    "space": {"n_estimators": {"type": "int", "low": 10, "high": 200}},
                }
            ]
        },
    )

    tuning_id: Identifier | None = Field(
        default=None, description="Your id for the search; generated when absent."
    )
    dataset_name: Identifier = Field(description="A dataset from GET /datasets.")
    dataset_version: int | None = Field(
        default=None, ge=1, description="A version of the dataset; its latest ready one if null."
    )
    algorithm: AlgorithmName | Literal["auto"] | None = Field(
        default=None,
        description="The algorithm to tune; null or `auto` searches every algorithm that fits "
        "the dataset's task (AutoML), each with its default space.",
    )
    model_name: ModelName | None = Field(
        default=None,
        description="Registry name of the refitted best model; DATASET-tuned when null.",
    )
    space: SearchSpace | None = Field(
        default=None,
        max_length=32,
        description="Hyperparameter -> dimension; the algorithm's default space (GET "
        "/algorithms, `search_space`) when null. Only with one algorithm.",
    )
    metric: Metric | None = Field(
        default=None,
        description="What to optimise: accuracy or f1_macro (classification), r2, mae or rmse "
        "(regression); accuracy or r2 when null.",
    )
    strategy: Strategy = Field(
        default="tpe", description="Optuna's TPE (default), random search, or a grid."
    )
    cv: int = Field(default=3, ge=2, le=10, description="Folds of the training split.")
    max_trials: int | None = Field(
        default=None, ge=1, description="Trials to run (at most TUNING_MAX_TRIALS)."
    )
    max_seconds: float | None = Field(
        default=None,
        gt=0,
        description="Seconds the search may take from its start (at most TUNING_MAX_SECONDS); "
        "trials still running then are stopped.",
    )
    seed: int = Field(
        default=42, ge=0, le=2**32 - 1, description="Seeds the sampler, the split and the folds."
    )
    test_size: float = Field(
        default=0.2, gt=0, lt=1, description="Fraction held out to report the best model's score."
    )
    pruning: bool = Field(
        default=True, description="Stop a trial whose running fold mean is below the median."
    )
    preprocessing: PreprocessingOptions = Field(default_factory=PreprocessingOptions)


class TrialState(StrEnum):
    queued = "queued"
    running = "running"
    complete = "complete"
    pruned = "pruned"
    failed = "failed"
    cancelled = "cancelled"

    @property
    def ended(self) -> bool:
        return self not in (TrialState.queued, TrialState.running)


class TrialRead(BaseModel):
    number: int
    algorithm: str
    params: dict[str, Any]
    state: TrialState
    fold_scores: list[float | None] = Field(default_factory=list)
    score: float | None = Field(default=None, description="Mean of the fold scores.")
    fit_seconds: float | None = Field(default=None, description="Time spent fitting folds.")
    cv_seconds: float | None = Field(
        default=None, description="The whole cross-validation in the fit process."
    )
    duration_seconds: float | None = Field(default=None, description="The trial job, end to end.")
    error: str | None = None
    worker: str | None = None
    attempts: int = 0
    started_at: datetime | None = None
    finished_at: datetime | None = None


class BestTrial(BaseModel):
    number: int
    algorithm: str
    params: dict[str, Any]
    score: float


class LeaderboardRow(BaseModel):
    rank: int
    number: int
    algorithm: str
    params: dict[str, Any]
    score: float
    fit_seconds: float | None = None


class TuningError(BaseModel):
    type: str
    message: str


class TuningRead(BaseModel):
    tuning_id: str
    status: JobStatus
    request: TuningRequest
    task: Task
    metric: str
    direction: Literal["maximize", "minimize"]
    algorithms: list[str]
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    error: TuningError | None = None
    trials_done: int = Field(description="Trials that ended (complete, pruned, failed, cancelled).")
    trials_running: int = Field(description="Trials queued or running now.")
    trials_left: int | None = Field(description="Trials the budget still allows; null: by time.")
    best: BestTrial | None = None
    cv_score: float | None = Field(default=None, description="The best trial's mean CV score.")
    holdout_score: float | None = Field(
        default=None, description="The refitted best model's `metric` on the held-out split."
    )
    model_id: str | None = None
    model_version: int | None = None
    metrics: ModelMetrics | None = Field(
        default=None, description="The refitted best model's hold-out metrics."
    )
    trials: list[TrialRead] = Field(default_factory=list)
    leaderboard: list[LeaderboardRow] = Field(default_factory=list)


class TuningSubmitted(BaseModel):
    tuning_id: str
    status: JobStatus
    location: str = Field(description="Poll this URL for the search's status.")


class TuningSummary(BaseModel):
    tuning_id: str
    status: JobStatus
    dataset_name: str
    algorithms: list[str]
    metric: str
    strategy: Strategy
    best_score: float | None = None
    model_id: str | None = None
    created_at: datetime
    finished_at: datetime | None = None


class TuningList(BaseModel):
    items: list[TuningSummary]
    total: int
    page: int
    limit: int
    pages: int
