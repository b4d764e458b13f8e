"""Batch predictions: a job that predicts every row of a dataset version with a model and
writes the predictions (CSV or Parquet) to the store for download.

The output has one row per row of the version, in its order: the `id_column` first when one
is asked for (passed through as stored), then `prediction`, then `proba_<class>` per class
when `probabilities` is true.
"""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from tensorfleet.schemas.bson_safe import StoredBody
from tensorfleet.schemas.inference import ModelAnswered
from tensorfleet.schemas.training import Identifier, JobError, JobStatus

OutputFormat = Literal["csv", "parquet"]
PREDICTION_COLUMN = "prediction"
PROBABILITY_PREFIX = "proba_"


class BatchPredictRequest(StoredBody):
    """Which rows to predict and how to write the predictions."""

    model_config = ConfigDict(
        extra="forbid",
        allow_inf_nan=False,
        json_schema_extra={
            "examples": [{"dataset_name": "customers", "format": "csv", "id_column": "id"}]
        },
    )

    dataset_name: Identifier = Field(description="A dataset from GET /datasets.")
    dataset_version: int | None = Field(
        default=None, ge=1, description="A version of the dataset; its latest ready one if null."
    )
    format: OutputFormat = Field(default="csv", description="The output file's format.")
    id_column: str | None = Field(
        default=None,
        min_length=1,
        max_length=1024,
        description="A column of the dataset copied into the output beside each prediction.",
    )
    probabilities: bool = Field(
        default=False, description="Also write each class's probability (classifiers)."
    )


class BatchProgress(BaseModel):
    stage: Literal["queued", "loading", "predicting", "done"]
    fraction: float = Field(ge=0, le=1)
    rows_done: int = Field(default=0, ge=0)
    rows_total: int | None = Field(default=None, description="The dataset version's rows.")


class BatchResult(BaseModel):
    format: OutputFormat
    rows: int
    size: int = Field(description="Bytes of the output file.")
    sha256: str
    columns: list[str]


class BatchPredictionRead(BaseModel):
    job_id: str
    status: JobStatus
    progress: BatchProgress
    model: ModelAnswered = Field(description="The model that predicts (pinned at submission).")
    request: BatchPredictRequest = Field(description="With the dataset version pinned.")
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    attempts: int = 0
    error: JobError | None = None
    result: BatchResult | None = None
    warnings: list[str] = Field(default_factory=list)
    location: str = Field(description="Poll this URL for the job's status.")
    download: str | None = Field(default=None, description="The output, once succeeded.")


class BatchPredictionList(BaseModel):
    items: list[BatchPredictionRead]
    total: int
    page: int
    limit: int
    pages: int
