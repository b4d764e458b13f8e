"""Evaluations: a model measured on a dataset version, as a job, with thresholds that make it
a promotion gate.

Document layout in MongoDB (collection `evaluations`, `_id` = the evaluation id):

    model_id, model_name, model_version, task, dataset_name, dataset_version,
    thresholds: [{metric, min, max}], promote: alias | null, owner,
    status (queued/running/succeeded/failed), progress: {stage, fraction}, attempts,
    created_at, started_at, finished_at, error: {type, message} | null,
    metrics: see ClassificationMetrics / RegressionMetrics (null until it succeeded),
    passed: bool | null, reasons: [str], promoted: {alias, from_version, to_version} | null
"""

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from tensorfleet.schemas.aliases import AliasName
from tensorfleet.schemas.bson_safe import StoredBody
from tensorfleet.schemas.training import Identifier, JobStatus

CLASSIFICATION_METRICS = (
    "accuracy",
    "precision_macro",
    "recall_macro",
    "f1_macro",
    "roc_auc",
    "pr_auc",
    "log_loss",
)
REGRESSION_METRICS = ("r2", "mae", "rmse")
MetricName = Literal[
    "accuracy",
    "precision_macro",
    "recall_macro",
    "f1_macro",
    "roc_auc",
    "pr_auc",
    "log_loss",
    "r2",
    "mae",
    "rmse",
]


class Threshold(BaseModel):
    """A bound on one metric: at least `min`, at most `max` (one or both)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    min: float | None = None
    max: float | None = None

    @model_validator(mode="after")
    def _bounded(self) -> "Threshold":
        if self.min is None and self.max is None:
            raise ValueError("give min, max or both")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min {self.min} is above max {self.max}")
        return self


class EvaluationRequest(StoredBody):
    """What to evaluate the model on, and what makes it pass."""

    model_config = ConfigDict(
        extra="forbid",
        allow_inf_nan=False,
        json_schema_extra={
            "examples": [
                {
                    "dataset_name": "iris",
                    "thresholds": {"accuracy": {"min": 0.9}, "log_loss": {"max": 0.5}},
                    "promote": "production",
                }
            ]
        },
    )

    dataset_name: Identifier = Field(description="A dataset with the model's input columns.")
    dataset_version: int | None = Field(
        default=None, ge=1, le=2**62, description="A ready version; its latest ready one if null."
    )
    thresholds: dict[MetricName, Threshold] = Field(
        default_factory=dict,
        description="Bounds per metric; the evaluation passes when every one holds. "
        f"Classification: {', '.join(CLASSIFICATION_METRICS)}; "
        f"regression: {', '.join(REGRESSION_METRICS)}.",
    )
    promote: AliasName | None = Field(
        default=None,
        description="On a pass, point this alias of the model's name at the evaluated version.",
    )


class ClassMetrics(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    label: str = Field(alias="class", description="The class (one-vs-rest for the AUCs).")
    precision: float
    recall: float
    f1: float
    support: int = Field(description="Rows of this class in the dataset.")
    roc_auc: float | None = None
    pr_auc: float | None = None


class CalibrationBin(BaseModel):
    low: float
    high: float
    count: int = Field(description="Rows whose explained probability falls in [low, high).")
    mean_predicted: float | None
    observed: float | None = Field(description="Share of those rows that were right/positive.")


class EvaluationMetrics(BaseModel):
    """Classification or regression metrics (the other task's are null)."""

    model_config = ConfigDict(extra="allow")

    n: int = Field(description="Rows evaluated.")
    accuracy: float | None = None
    precision_macro: float | None = None
    recall_macro: float | None = None
    f1_macro: float | None = None
    roc_auc: float | None = Field(
        default=None, description="Binary, or one-vs-rest macro; null without probabilities."
    )
    pr_auc: float | None = Field(
        default=None, description="Average precision: binary, or one-vs-rest macro."
    )
    log_loss: float | None = None
    per_class: list[ClassMetrics] | None = None
    confusion_matrix: list[dict[str, Any]] | None = Field(
        default=None, description="[{actual, counts: [per predicted class]}], classes in order."
    )
    calibration: list[CalibrationBin] | None = Field(
        default=None,
        description="10 equal-width bins of the positive class's probability (binary) or of "
        "the predicted class's probability (more classes).",
    )
    r2: float | None = None
    mae: float | None = None
    rmse: float | None = None
    residual_quantiles: dict[str, float] | None = None


class Promotion(BaseModel):
    alias: str
    from_version: int | None
    to_version: int


class EvaluationModel(BaseModel):
    id: str
    name: str
    version: int


class EvaluationRead(BaseModel):
    """An evaluation job and, once it succeeded, its result."""

    id: str
    status: JobStatus
    stage: str = Field(description="queued, loading_data, evaluating or done.")
    model: EvaluationModel
    task: Literal["classification", "regression"]
    dataset_name: str
    dataset_version: int
    thresholds: dict[str, Threshold]
    promote: str | None
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    error: dict[str, Any] | None = None
    metrics: EvaluationMetrics | None = None
    passed: bool | None = Field(default=None, description="Null until it ended.")
    reasons: list[str] = Field(
        default_factory=list, description="Per threshold, the measured value against it."
    )
    promoted: Promotion | None = Field(
        default=None, description="The alias move a pass made (null: none asked, or a fail)."
    )

    @classmethod
    def from_document(cls, document: dict[str, Any]) -> "EvaluationRead":
        thresholds = {
            t["metric"]: Threshold(min=t.get("min"), max=t.get("max"))
            for t in document["thresholds"]
        }
        model = EvaluationModel(
            id=document["model_id"], name=document["model_name"], version=document["model_version"]
        )
        fields = {k: v for k, v in document.items() if k in cls.model_fields and k != "model"}
        return cls.model_validate(
            fields
            | {
                "id": document["_id"],
                "model": model,
                "thresholds": thresholds,
                "stage": document["progress"]["stage"],
            }
        )


class EvaluationList(BaseModel):
    items: list[EvaluationRead]
    total: int = Field(ge=0, description="Evaluations of this model.")
