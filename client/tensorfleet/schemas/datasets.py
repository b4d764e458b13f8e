"""Shapes of the dataset API: a name's summary, its versions, a version's schema and profile.

Here (pydantic only) so the server and the standalone client share one definition."""

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from tensorfleet.schemas.training import DatasetRead, Task

Status = Literal["ingesting", "ready", "failed"]


class ColumnProfile(BaseModel):
    name: str
    type: Literal["numeric", "categorical", "boolean", "unsupported"]
    missing: int = Field(ge=0, description="Rows without a value (after dropping missing targets).")
    excluded: bool = Field(description="Left out of the features.")
    reason: str | None = Field(default=None, description="Why it is excluded.")
    distinct: int | None = Field(default=None, description="Distinct values (text, booleans).")
    min: float | None = None
    mean: float | None = None
    max: float | None = None


class ClassCount(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    label: str = Field(alias="class")
    count: int = Field(ge=0)


class TargetSummary(BaseModel):
    min: float
    mean: float
    max: float


class IngestError(BaseModel):
    message: str
    row: int | None = Field(default=None, description="The file's line (the header is line 1).")
    column: str | None = None


class DatasetVersionRead(BaseModel):
    """One immutable version of a dataset; the schema and profile once it is ready."""

    name: str
    version: int = Field(ge=1)
    status: Status
    description: str = ""
    source: Literal["sample", "upload"]
    format: Literal["csv", "parquet"]
    size: int = Field(ge=0, description="Bytes of the file as uploaded.")
    sha256: str = Field(description="Of the file as uploaded; the same bytes are one version.")
    target_column: str | None = Field(
        description="Null for an unlabeled version (rows to predict; no training on it)."
    )
    requested_task: Task | None = Field(default=None, description="The upload's override.")
    task: Task | None = Field(default=None, description="Inferred from the target, or as asked.")
    n_samples: int | None = Field(default=None, description="Rows kept (target present).")
    n_features: int | None = None
    features: list[str] = Field(default_factory=list, description="Columns a model trains on.")
    rows_dropped: int | None = Field(default=None, description="Rows without a target value.")
    classes: list[str] = Field(default_factory=list)
    class_counts: list[ClassCount] = Field(default_factory=list)
    target_summary: TargetSummary | None = None
    columns: list[ColumnProfile] | None = Field(
        default=None, description="Every column but the target (null in lists)."
    )
    error: IngestError | None = None
    created_at: datetime
    finished_at: datetime | None = None

    @classmethod
    def from_document(cls, document: dict[str, Any]) -> "DatasetVersionRead":
        return cls(**{k: v for k, v in document.items() if k != "_id"})


class DatasetDetail(DatasetRead):
    versions: list[DatasetVersionRead] = Field(description="Newest first.")


class DatasetPreview(BaseModel):
    name: str
    version: int
    rows: list[dict[str, Any]] = Field(description="The file's first rows, every column.")


class DatasetVersionDeleted(BaseModel):
    name: str
    version: int
    models: list[str] = Field(description="Ids of models trained on it (deleted with force).")
