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
    file_id: str
    size: int = Field(ge=0, description="Size of the serialised model in bytes.")
    sha256: str
    format: str = "joblib"
    library_versions: dict[str, str]
    created_at: datetime

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


class SweepRead(BaseModel):
    """What an orphan sweep removed."""

    removed_file_ids: list[str]
    removed_count: int = Field(ge=0)
    removed_bytes: int = Field(ge=0)
    grace_seconds: int = Field(ge=0, description="Files younger than this were left alone.")
