"""From a predict request to the model's input, checking every row against its columns first.

Nothing reaches scikit-learn until each row has every column, no unknown one, and values of the
column's type (finite numbers where numbers are wanted). Each problem is reported with its
location as FastAPI reports body errors, `["body", <format>, <row>, <column>]`, so a client can
point at the cell; at most MAX_ERRORS are listed.
"""

import math
from typing import Any

import numpy as np

from app.inference.columns import Column, ModelInput
from app.inference.exceptions import InvalidPredictionInput
from tensorfleet.schemas.inference import PredictRequest

MAX_ERRORS = 20
FLOAT32_MAX = float(np.finfo(np.float32).max)
Rows = list[list[Any]]


def _error(loc: list[Any], message: str, kind: str = "value_error") -> dict[str, Any]:
    return {"type": kind, "loc": ["body", *loc], "msg": message}


def _aligned_records(records: list[dict[str, Any]], names: list[str], field: str) -> Rows:
    """Records as rows in the model's column order; missing and unknown columns are errors."""
    errors, rows, known = [], [], set(names)
    for number, record in enumerate(records):
        errors += [_error([field, number, n], "missing column") for n in names if n not in record]
        errors += [_error([field, number, k], "unknown column") for k in record if k not in known]
        rows.append([record.get(name) for name in names])
    if errors:
        raise InvalidPredictionInput(errors[:MAX_ERRORS])
    return rows


def _checked_rows(rows: list[list[Any]], width: int, field: str, columns: list[str]) -> Rows:
    """Rows by position: each must have one value per column."""
    errors = [
        _error([field, number], f"row has {len(row)} values; the model takes {width}: {columns}")
        for number, row in enumerate(rows)
        if len(row) != width
    ]
    if errors:
        raise InvalidPredictionInput(errors[:MAX_ERRORS])
    return rows


def _split_rows(split: dict[str, Any], names: list[str]) -> Rows:
    """MLflow's dataframe_split: its columns, in any order, must be the model's."""
    columns, data = split.get("columns"), split.get("data")
    if not isinstance(columns, list) or not all(isinstance(c, str) for c in columns):
        raise InvalidPredictionInput([_error(["dataframe_split", "columns"], "a list of names")])
    if not isinstance(data, list) or not all(isinstance(row, list) for row in data):
        raise InvalidPredictionInput([_error(["dataframe_split", "data"], "a list of rows")])
    problems = [_error(["dataframe_split", "columns", n], "missing column") for n in names]
    problems = [p for p in problems if p["loc"][-1] not in columns]
    problems += [
        _error(["dataframe_split", "columns", c], "unknown or repeated column")
        for i, c in enumerate(columns)
        if c not in names or c in columns[:i]
    ]
    if problems:
        raise InvalidPredictionInput(problems[:MAX_ERRORS])
    _checked_rows(data, len(columns), "dataframe_split", columns)
    order = [columns.index(name) for name in names]
    return [[row[i] for i in order] for row in data]


def request_rows(request: PredictRequest, model: ModelInput) -> Rows:
    """The request's rows, as lists of values in the model's column order."""
    names, field = model.names, request.format
    if field == "inputs":
        return _checked_rows(request.inputs or [], len(names), field, names)
    if field == "dataframe_split":
        return _split_rows(request.dataframe_split or {}, names)
    return _aligned_records(getattr(request, field), names, field)


def value_problem(column: Column, value: Any) -> str | None:
    """Why a value does not fit its column, or None when it does."""
    if value is None:
        return None if column.nullable else "a value is required (this model has no imputation)"
    if column.type == "numeric":
        if isinstance(value, bool) or not isinstance(value, int | float):
            return f"expected a number, got {type(value).__name__}"
        if not _finite(value):
            return "expected a finite number"
        # Trees compute in float32: a larger number was scikit-learn's error, naming no cell.
        return None if abs(value) <= FLOAT32_MAX else "expected a number within ±3.4e38"
    if column.type == "boolean":
        return None if isinstance(value, bool) else f"expected true or false, got {value!r:.40}"
    if isinstance(value, str) or (isinstance(value, int | float) and _finite(value)):
        return None
    return f"expected a category (a string), got {type(value).__name__}"


def _finite(value: int | float) -> bool:
    try:
        return math.isfinite(value)
    except OverflowError:  # an int too large for a double
        return False


def check_values(rows: Rows, model: ModelInput, field: str) -> None:
    errors = []
    for number, row in enumerate(rows):
        for column, value in zip(model.columns, row, strict=True):
            if (problem := value_problem(column, value)) is not None:
                errors.append(_error([field, number, column.name], problem, "type_error"))
                if len(errors) >= MAX_ERRORS:
                    raise InvalidPredictionInput(errors)
    if errors:
        raise InvalidPredictionInput(errors)


def _frame(rows: Rows, model: ModelInput) -> Any:
    # Only pipeline models (which need pandas to load at all) take a frame.
    import pandas as pd  # type: ignore[import-untyped,import-not-found,unused-ignore]

    data = {}
    for position, column in enumerate(model.columns):
        values = [row[position] for row in rows]
        if column.type == "numeric":
            data[column.name] = np.array(values, dtype=np.float64)
        elif column.type == "boolean":
            data[column.name] = np.array([np.nan if v is None else v for v in values], object)
        else:
            data[column.name] = np.array([np.nan if v is None else str(v) for v in values], object)
    return pd.DataFrame(data, columns=model.names)


def model_rows(request: PredictRequest, model: ModelInput, *, max_rows: int) -> Any:
    """The checked input for the model: a DataFrame or a float array."""
    rows = request_rows(request, model)
    if not rows:
        raise InvalidPredictionInput([_error([request.format], "no rows to predict")])
    if len(rows) > max_rows:
        message = f"{len(rows)} rows; at most {max_rows} per request (use a batch job)"
        raise InvalidPredictionInput([_error([request.format], message)])
    check_values(rows, model, request.format)
    if model.frame:
        return _frame(rows, model)
    return np.array(rows, dtype=np.float64).reshape(len(rows), len(model.columns))
