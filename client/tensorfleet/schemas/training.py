"""Request and response shapes of the training API."""

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints

from tensorfleet.schemas.bounds import Bound
from tensorfleet.schemas.bson_safe import StoredBody, refuse_unstorable
from tensorfleet.schemas.registry import ModelMetrics

IDENTIFIER_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"
Identifier = Annotated[
    str, StringConstraints(min_length=1, max_length=64, pattern=IDENTIFIER_PATTERN)
]
ModelName = Annotated[
    str, StringConstraints(min_length=1, max_length=128, pattern=IDENTIFIER_PATTERN)
]
AlgorithmName = Literal[
    "random_forest", "logistic_regression", "svm", "decision_tree", "ridge", "gradient_boosting"
]
# Numbers are checked before the union picks a type (tensorfleet/schemas/bson_safe.py): 10**30
# is refused, not quietly read as the float 1e30, and `Infinity` gets one error rather than one
# per member.
Scalar = Annotated[
    bool | int | float | Annotated[str, StringConstraints(max_length=256)] | None,
    BeforeValidator(refuse_unstorable),
]
HyperparameterValue = Annotated[
    Scalar | Annotated[list[Scalar], Field(max_length=64)], BeforeValidator(refuse_unstorable)
]
# Python identifiers: what estimator parameters are. No `$` or `.`, so never a MongoDB operator.
HyperparameterName = Annotated[
    str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
]


class Task(StrEnum):
    """What a model predicts: a class (classification) or a number (regression)."""

    classification = "classification"
    regression = "regression"


class JobStatus(StrEnum):
    queued = "queued"
    running = "running"
    succeeded = "succeeded"
    failed = "failed"
    cancelled = "cancelled"

    @property
    def ended(self) -> bool:
        return self in (JobStatus.succeeded, JobStatus.failed, JobStatus.cancelled)


class PreprocessingOptions(BaseModel):
    """How the model's pipeline prepares raw rows (see app/training/pipeline.py)."""

    model_config = ConfigDict(extra="forbid")

    imputation: Literal["mean", "median", "most_frequent"] = Field(
        default="mean", description="How a missing number is filled in."
    )
    scaling: bool | None = Field(
        default=None,
        description="Standardise numeric features; null: only for the algorithms that need it "
        "(svm, logistic_regression, ridge).",
    )


class TrainRequest(StoredBody):
    """What to train. The seed's body is accepted verbatim; `job_id` is optional."""

    model_config = ConfigDict(
        extra="forbid",
        allow_inf_nan=False,
        json_schema_extra={
            "examples": [
                {
                    "job_id": "job_001",
                    "dataset_name": "iris",
                    "algorithm": "random_forest",
                    "model_name": "my_model",
                    "hyperparameters": {"n_estimators": 100, "max_depth": 5},
                }
            ]
        },
    )

    job_id: Identifier | None = Field(
        default=None,
        description="Your id for the job (letters, digits, `_.-`); generated when "
        "absent. A job id can be used once.",
    )
    dataset_name: Identifier = Field(description="A dataset from GET /datasets.")
    dataset_version: int | None = Field(
        default=None, ge=1, description="A version of the dataset; its latest ready one if null."
    )
    algorithm: AlgorithmName = Field(
        description="An algorithm from GET /algorithms that supports the dataset's task."
    )
    model_name: ModelName = Field(description="Registry name; each job adds version N+1.")
    hyperparameters: dict[HyperparameterName, HyperparameterValue] = Field(
        default_factory=dict,
        max_length=64,
        description="Estimator parameters (see GET /algorithms); JSON scalars or lists.",
    )
    test_size: float = Field(
        default=0.2, gt=0, lt=1, description="Fraction of the dataset held out for test_accuracy."
    )
    random_state: int = Field(
        default=42,
        ge=0,
        le=2**32 - 1,
        description="Seeds the split, and the estimator unless the "
        "hyperparameters set random_state.",
    )
    cv: int | None = Field(
        default=None,
        ge=2,
        le=10,
        description="Also report the mean and standard deviation of each metric over this many "
        "cross-validation folds of the whole dataset.",
    )
    preprocessing: PreprocessingOptions = Field(default_factory=PreprocessingOptions)
    importances: bool = Field(
        default=True,
        description="Compute permutation importance on the hold-out split (time-bounded by "
        "IMPORTANCE_SECONDS); false skips it (the estimator's own importances are kept).",
    )


class JobProgress(BaseModel):
    stage: Literal["queued", "loading_data", "fitting", "saving", "done"] = Field(
        description="fitting covers fit, evaluation and serialisation."
    )
    fraction: float = Field(ge=0, le=1)


class JobError(BaseModel):
    type: str
    message: str


class JobRead(BaseModel):
    job_id: str
    status: JobStatus
    progress: JobProgress
    request: TrainRequest
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    attempts: int = 0
    error: JobError | None = None
    model_id: str | None = None
    model_version: int | None = None
    metrics: ModelMetrics | None = None
    warnings: list[str] = Field(default_factory=list)

    @classmethod
    def from_document(cls, document: dict[str, Any]) -> "JobRead":
        return cls(job_id=document["_id"], **{k: v for k, v in document.items() if k != "_id"})


class JobSubmitted(BaseModel):
    job_id: str
    status: JobStatus
    location: str = Field(description="Poll this URL for the job's status.")


class JobList(BaseModel):
    items: list[JobRead]
    total: int
    page: int
    limit: int
    pages: int


class DatasetRead(BaseModel):
    """A dataset name, described by its latest ready version (its latest, if none is)."""

    name: str
    description: str
    n_samples: int | None = Field(default=None, description="Null until a version is ready.")
    n_features: int | None = None
    features: list[str] = Field(default_factory=list)
    target_column: str | None = Field(description="Null for an unlabeled dataset.")
    classes: list[str] = Field(default_factory=list)
    task: Task | None = None
    version: int = Field(ge=1)
    status: Literal["ingesting", "ready", "failed"]
    version_count: int = Field(ge=1, description="How many versions the name has.")
    source: Literal["sample", "upload"]
    size: int
    sha256: str
    created_at: datetime


class HyperparameterRead(BaseModel):
    name: str
    type: str = Field(description="JSON type of the default value.")
    default: Any
    constraints: list[str] = Field(description="What scikit-learn accepts, in its words.")
    bounds: Bound | None = Field(
        default=None,
        description="This service's cost bound (HYPERPARAMETER_BOUNDS), on top of the "
        "constraints; a value beyond it is refused.",
    )


SEARCH_SPACE_DESCRIPTION = (
    "The space a search (POST /tuning) explores when it names none: hyperparameter -> "
    '{"type": "int" | "float", "low", "high", "log"} or {"type": "categorical", "choices"}.'
)


class AlgorithmTask(BaseModel):
    estimator: str = Field(description="The scikit-learn estimator for this task.")
    hyperparameters: list[HyperparameterRead]
    search_space: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description=SEARCH_SPACE_DESCRIPTION
    )


class AlgorithmRead(BaseModel):
    name: str
    tasks: list[Task] = Field(description="The dataset tasks this algorithm trains on.")
    estimator: str = Field(description="The estimator for its first task (see `by_task`).")
    description: str
    hyperparameters: list[HyperparameterRead] = Field(description="Those of `estimator`.")
    by_task: dict[Task, AlgorithmTask]
    search_space: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description=f"Of `estimator`'s task. {SEARCH_SPACE_DESCRIPTION}"
    )
