"""The predict request and response, and the reference that names which model answers.

One request shape accepts the payloads users already send to other servers (exactly one per
request): `instances` (records, as KServe v1 and TF Serving), `inputs` (rows of values in the
model's column order), and MLflow's `dataframe_split` and `dataframe_records`. The schema has no
nested models, so the route can publish it inline while it parses the body itself (to time it).
"""

from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema, model_validator

Format = Literal["instances", "inputs", "dataframe_split", "dataframe_records"]
FORMATS: tuple[Format, ...] = ("instances", "inputs", "dataframe_split", "dataframe_records")
SPLIT_SCHEMA = {
    "type": "object",
    "properties": {
        "columns": {"type": "array", "items": {"type": "string"}},
        "data": {"type": "array", "items": {"type": "array", "items": {}}},
        "index": {"type": "array", "items": {}},
    },
    "required": ["columns", "data"],
}


@dataclass(frozen=True, slots=True)
class ModelRef:
    """Which model to ask: an id, or a name with a version or an alias (neither: the latest).

    Every route that serves or names a model builds one and hands it to the same resolver
    (app.registry.service.resolve_model), so every kind of reference gets the same checks.
    """

    model_id: str | None = None
    name: str | None = None
    version: int | None = None
    alias: str | None = None


class PredictRequest(BaseModel):
    """Rows to predict, in exactly one of the four formats."""

    model_config = ConfigDict(extra="forbid")

    instances: list[dict[str, Any]] | None = Field(
        default=None, description='Records: [{"column": value, ...}, ...] (KServe v1).'
    )
    inputs: list[list[Any]] | None = Field(
        default=None, description="Rows of values in the model's column order."
    )
    dataframe_split: Annotated[dict[str, Any], WithJsonSchema(SPLIT_SCHEMA)] | None = Field(
        default=None,
        description='MLflow: {"columns": [...], "data": [[...], ...]} (an `index` is ignored).',
    )
    dataframe_records: list[dict[str, Any]] | None = Field(
        default=None, description="MLflow: records, as `instances`."
    )
    probabilities: bool = Field(
        default=False,
        description="Also return each row's class probabilities (classifiers that have them).",
    )
    explain: bool = Field(
        default=False,
        description="Also return each row's contributions per column (tree, boosting and "
        "linear models; at most EXPLAIN_MAX_ROWS rows).",
    )

    @model_validator(mode="after")
    def _one_format(self) -> "PredictRequest":
        given = [name for name in FORMATS if getattr(self, name) is not None]
        if len(given) != 1:
            raise ValueError(
                f"give exactly one of {', '.join(FORMATS)}"
                + (f" (got {', '.join(given)})" if given else "")
            )
        return self

    @property
    def format(self) -> Format:
        return next(name for name in FORMATS if getattr(self, name) is not None)


class ModelAnswered(BaseModel):
    id: str
    name: str
    version: int
    alias: str | None = Field(
        default=None,
        exclude_if=lambda value: value is None,
        description="The alias the request named (absent otherwise): `version` is where it "
        "pointed when the request was served.",
    )


class RowExplanation(BaseModel):
    """Why one row got its prediction: base + the sum of the contributions is the explained
    output exactly (docs/inference.md)."""

    explained: str | None = Field(
        description="The class whose score is explained (the predicted one); null: regression."
    )
    base: float = Field(description="The output for the mean training row (the starting point).")
    contributions: dict[str, float] = Field(description="Each original column's share.")


class PredictResponse(BaseModel):
    """One shape whatever the request format: a prediction per row, in the rows' order."""

    model: ModelAnswered = Field(description="The model that answered.")
    endpoint: str | None = Field(
        default=None,
        exclude_if=lambda value: value is None,
        description="The A/B endpoint that routed the request (absent otherwise).",
    )
    predictions: list[Any] = Field(
        description="Class labels for a classifier, numbers for a regressor (null if not finite)."
    )
    probabilities: list[dict[str, float | None]] | None = Field(
        default=None,
        description="Per row, each class's probability, when asked for and the model has them.",
    )
    explanation_method: Literal["tree_path", "boosting_path", "linear"] | None = Field(
        default=None,
        description="tree_path: contributions to the predicted class's probability (or the "
        "prediction); boosting_path and linear: to the model's raw score (the predicted "
        "class's log-odds or logit, or the prediction). Null unless `explain` was asked.",
    )
    explanations: list[RowExplanation] | None = Field(
        default=None, description="Per row, when `explain` was asked."
    )
