"""Whether a model can predict a dataset version, checked from their metadata alone.

The API checks at submission (a 422 naming the field) and the worker checks again before any
work (the version or model may have changed in between): every column the model takes must be
in the version's normalised copy with a type the model accepts, the id column must be there,
and the version must have at most BATCH_PREDICT_MAX_ROWS rows.
"""

from dataclasses import dataclass
from typing import Any

from app.batch.exceptions import InvalidBatchRequest
from app.inference.columns import ModelInput, model_input
from tensorfleet.schemas.batch import PREDICTION_COLUMN, PROBABILITY_PREFIX, BatchPredictRequest

# The dataset column types a model's column type accepts (categories may be read from numbers).
ACCEPTS = {
    "numeric": {"numeric"},
    "boolean": {"boolean"},
    "categorical": {"categorical", "numeric"},
}
SHOWN_COLUMNS = 30


@dataclass(frozen=True, slots=True)
class BatchPlan:
    """What the worker reads (the model's columns, then the id column) and writes."""

    inputs: ModelInput
    id_column: str | None
    probabilities: bool
    regression: bool

    @property
    def read_columns(self) -> list[str]:
        names = self.inputs.names
        extra = [self.id_column] if self.id_column and self.id_column not in names else []
        return [*names, *extra]


def stored_columns(version: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The columns of the version's normalised copy, by name, with their type and gaps."""
    profiled = {c["name"]: c for c in version.get("columns") or []}
    target = version.get("target_column")  # None: an unlabeled version profiles every column
    if target is not None:
        target_type = "numeric" if version.get("task") == "regression" else "categorical"
        profiled[target] = {"name": target, "type": target_type, "missing": 0}
    labeled = [target] if target is not None else []
    names = version.get("normalised_columns") or [*version.get("features", []), *labeled]
    return {name: profiled.get(name, {"name": name, "type": "unsupported"}) for name in names}


def _listed(names: list[str]) -> str:
    shown = ", ".join(names[:SHOWN_COLUMNS])
    return shown + (f" and {len(names) - SHOWN_COLUMNS} more" if len(names) > SHOWN_COLUMNS else "")


def column_problems(inputs: ModelInput, stored: dict[str, dict[str, Any]]) -> list[str]:
    """Why each of the model's columns cannot be read from the version (empty when all can)."""
    problems = []
    for column in inputs.columns:
        found = stored.get(column.name)
        if found is None:
            problems.append(f"{column.name!r} is missing")
        elif found["type"] not in ACCEPTS[column.type]:
            problems.append(f"{column.name!r} is {found['type']}; the model takes {column.type}")
        elif not column.nullable and found.get("missing"):
            problems.append(f"{column.name!r} has {found['missing']} missing values")
    return problems


def check_columns(inputs: ModelInput, stored: dict[str, dict[str, Any]], name: str) -> None:
    problems = column_problems(inputs, stored)
    if problems:
        raise InvalidBatchRequest(
            ("body", "dataset_name"),
            f"the model cannot predict dataset {name!r}: {'; '.join(problems[:10])} "
            f"(the model takes {_listed(inputs.names)}; the version has {_listed(list(stored))})",
        )


def check_id_column(id_column: str | None, stored: dict[str, dict[str, Any]]) -> None:
    if id_column is None:
        return
    if id_column == PREDICTION_COLUMN or id_column.startswith(PROBABILITY_PREFIX):
        raise InvalidBatchRequest(
            ("body", "id_column"), f"{id_column!r} is a name the output uses for predictions"
        )
    found = stored.get(id_column)
    if found is None:
        raise InvalidBatchRequest(
            ("body", "id_column"),
            f"the dataset version has no column {id_column!r}; it has {_listed(list(stored))}",
        )
    if found["type"] == "unsupported":
        raise InvalidBatchRequest(
            ("body", "id_column"), f"column {id_column!r} is not numbers, text or booleans"
        )


def check_rows(version: dict[str, Any], max_rows: int) -> None:
    rows = int(version.get("n_samples") or 0)
    if rows > max_rows:
        raise InvalidBatchRequest(
            ("body", "dataset_version"),
            f"dataset {version['name']!r} version {version['version']} has {rows} rows; a batch "
            f"prediction may have at most {max_rows} (BATCH_PREDICT_MAX_ROWS)",
        )


def plan_batch(
    model: dict[str, Any], version: dict[str, Any], request: BatchPredictRequest, max_rows: int
) -> BatchPlan:
    """The plan for predicting `version` with `model`; InvalidBatchRequest when it cannot be."""
    inputs, stored = model_input(model), stored_columns(version)
    check_rows(version, max_rows)
    check_columns(inputs, stored, version["name"])
    check_id_column(request.id_column, stored)
    regression = model.get("task") == "regression"
    if request.probabilities and regression:
        raise InvalidBatchRequest(
            ("body", "probabilities"), "the model is a regressor: it has no class probabilities"
        )
    return BatchPlan(inputs, request.id_column, request.probabilities, regression)
