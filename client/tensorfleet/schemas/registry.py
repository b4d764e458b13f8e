"""The model record: how a trained model is stored in `models` and shown by the API.

The training worker writes these documents (app/registry/publish.py); the registry reads them.
Document layout in MongoDB (collection `models`):

    _id: ObjectId              name: str              version: int (1, 2, ... per name)
    algorithm: str             hyperparameters: dict (effective estimator parameters)
    metrics: {train_accuracy, test_accuracy, precision_macro, recall_macro, f1_macro, roc_auc,
              confusion_matrix: [{"actual": label, "counts": [int, ...]}, ...]} (classification)
             {train_r2, test_r2, mae, rmse} (regression; the accuracies are null)
             + fit_seconds, n_train, n_test, cv: {folds, <metric>: {mean, std}} | absent
    dataset_name: str          features: [str]        classes: [str] (empty: regression)
    task, target, dataset_version, dataset_sha256, preprocessing: {imputation, scaling},
    input_schema: [{name, type, categories?: [str]}]  (absent on models stored before pipelines)
    job_id: str                file_id: ObjectId (GridFS bucket `fs`)
    size: int (bytes)          sha256: str (hex)      format: "joblib"
    library_versions: {"scikit-learn": str, "joblib": str, "python": str, "numpy": str}
    created_at: datetime (UTC)
    importances: {columns, permutation: [{column, value, std}] | null, permutation_scoring,
                  permutation_repeats, permutation_skipped, model: {kind, values} | null}
                 (absent on models stored before explanations; see app/explanations)
    metrics.residual_quantiles: {p05, p25, p50, p75, p95} (regression, since explanations)
Beside it, `model_insights` (by model id): residuals [{predicted, residual}], linear_baseline.
"""

from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class ConfusionRow(BaseModel):
    actual: str = Field(description="The true class of this row.")
    counts: list[int] = Field(description="Predictions per class, in the order of `classes`.")


class ModelMetrics(BaseModel):
    model_config = ConfigDict(extra="allow")

    # Null when the score was NaN (design.md: no NaN in documents, store null), and the
    # accuracies and classification scores for a regressor.
    train_accuracy: float | None = None
    test_accuracy: float | None = None
    precision_macro: float | None = None
    recall_macro: float | None = None
    f1_macro: float | None = None
    roc_auc: float | None = Field(
        default=None, description="Null when the estimator gives no probabilities."
    )
    train_r2: float | None = None
    test_r2: float | None = None
    mae: float | None = Field(default=None, description="Mean absolute error on the test split.")
    rmse: float | None = Field(default=None, description="Root mean squared error (test split).")
    fit_seconds: float | None = None
    confusion_matrix: list[ConfusionRow] = Field(default_factory=list)
    cv: dict[str, Any] | None = Field(
        default=None,
        description="Cross-validation: `folds`, and {mean, std} per metric; null unless asked.",
    )


class InputColumn(BaseModel):
    name: str
    type: Literal["numeric", "categorical", "boolean"]
    categories: list[str] | None = Field(
        default=None, description="Categories seen in training (others are ignored)."
    )


class ColumnImportance(BaseModel):
    column: str = Field(description="An original column of the table (not a one-hot column).")
    value: float
    std: float | None = Field(default=None, description="Over the permutation repeats.")


class EstimatorImportances(BaseModel):
    kind: Literal["feature_importances", "mean_abs_coefficient"] = Field(
        description="The estimator's `feature_importances_`, or the mean absolute coefficient "
        "over classes (on the pipeline's scaled, one-hot columns), summed per original column."
    )
    values: list[ColumnImportance]


class ModelImportances(BaseModel):
    """Importances per original column, largest first (at most IMPORTANCE_MAX_COLUMNS)."""

    columns: int = Field(ge=0, description="Columns the model takes (all, also those not kept).")
    permutation: list[ColumnImportance] | None = Field(
        default=None,
        description="Permutation importance on the hold-out split: the score lost when the "
        "column is shuffled; null when skipped.",
    )
    permutation_scoring: str | None = Field(default=None, description="accuracy or r2.")
    permutation_repeats: int | None = None
    permutation_skipped: str | None = Field(default=None, description="Why it was skipped.")
    model: EstimatorImportances | None = Field(
        default=None, description="The estimator's own importances; null when it has none."
    )


class ModelRead(BaseModel):
    """A registered model version."""

    id: str = Field(description="The model id (use it in /api/v1/models/{id}).")
    name: str
    version: int = Field(ge=1)
    algorithm: str
    hyperparameters: dict[str, Any]
    metrics: ModelMetrics
    dataset_name: str
    features: list[str]
    classes: list[str] = Field(description="Empty for a regressor.")
    task: Literal["classification", "regression"] = "classification"
    target: str | None = Field(default=None, description="The column the model predicts.")
    input_schema: list[InputColumn] | None = Field(
        default=None,
        description="The columns `predict` takes (a DataFrame by these names); null for a "
        "model stored before pipelines, which takes a plain array.",
    )
    dataset_version: int | None = Field(default=None, description="Null for older models.")
    dataset_sha256: str | None = None
    preprocessing: dict[str, Any] | None = None
    job_id: str
    tuning_job_id: str | None = Field(
        default=None, description="The search that found this model, when a search made it."
    )
    file_id: str
    size: int = Field(ge=0, description="Size of the serialised model in bytes.")
    sha256: str
    format: str = "joblib"
    library_versions: dict[str, str]
    created_at: datetime
    importances: ModelImportances | None = Field(
        default=None, description="Null for a model stored before importances."
    )

    @classmethod
    def from_document(cls, document: dict[str, Any]) -> "ModelRead":
        fields = {key: value for key, value in document.items() if key != "_id"}
        return cls(id=str(document["_id"]), **fields | {"file_id": str(document["file_id"])})


class ModelSort(StrEnum):
    """What a model list is ordered by; ties are broken by id, so order is stable."""

    created_at = "created_at"
    version = "version"
    test_accuracy = "test_accuracy"


class SortOrder(StrEnum):
    asc = "asc"
    desc = "desc"


class ModelList(BaseModel):
    """One page of models."""

    items: list[ModelRead]
    total: int = Field(ge=0, description="Models matching the filters.")
    page: int = Field(ge=1, description="This page's number (1 when paging by cursor).")
    limit: int = Field(ge=1, description="Page size asked for.")
    pages: int = Field(ge=0, description="Pages of `limit` models matching the filters.")
    next_cursor: str | None = Field(
        default=None,
        description="Pass as `after` to get the next page; null on the last page.",
    )


class AlgorithmStatistics(BaseModel):
    algorithm: str
    count: int = Field(ge=0)
    mean_test_accuracy: float | None = Field(
        description="Mean of the models' test accuracy; null if none has one."
    )


class StatisticsRead(BaseModel):
    total_models: int = Field(ge=0)
    algorithms: list[AlgorithmStatistics]
    recent_models: list[ModelRead] = Field(description="The 5 most recent models, newest first.")
    jobs_by_status: dict[str, int]
    bytes_stored: int = Field(ge=0, description="Bytes of model files in GridFS.")
    files_stored: int = Field(ge=0, description="Model files in GridFS.")


class ModelDeleted(BaseModel):
    """What a forced delete did (`DELETE /api/v1/models/{id}?force=true`)."""

    id: str
    name: str
    version: int
    removed_aliases: list[str] = Field(
        description="Aliases that pointed at this version, removed with it."
    )


class SweepRead(BaseModel):
    """What an orphan sweep removed."""

    removed_file_ids: list[str]
    removed_count: int = Field(ge=0)
    removed_bytes: int = Field(ge=0)
    grace_seconds: int = Field(ge=0, description="Files younger than this were left alone.")
