"""Turning what a user holds into a predict request: which model, and the rows as a body.

Rows may be dicts (sent as `instances`), lists in the model's column order (`inputs`), or a
pandas DataFrame (`dataframe_split`, MLflow's format). pandas is never imported here: a
DataFrame is recognised by its shape, so the client installs and runs without it.
"""

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from tensorfleet.schemas.registry import ModelRead

OBJECT_ID = re.compile(r"^[0-9a-fA-F]{24}$")
MODELS = "/api/v1/models"


def predict_path(
    model: str | ModelRead, version: int | None, quote: Any, alias: str | None = None
) -> str:
    """By id (a ModelRead, or 24 hex digits); otherwise by name: an alias, a version, or its
    latest."""
    if isinstance(model, ModelRead):
        return f"{MODELS}/{quote(model.id)}/predict"
    if alias is not None:
        if version is not None:
            raise ValueError("give a version or an alias, not both")
        return f"{MODELS}/by-name/{quote(model)}/aliases/{quote(alias)}/predict"
    if version is not None:
        return f"{MODELS}/by-name/{quote(model)}/versions/{quote(version)}/predict"
    if OBJECT_ID.match(model):
        return f"{MODELS}/{quote(model)}/predict"
    return f"{MODELS}/by-name/{quote(model)}/latest/predict"


def _cell(value: Any) -> Any:
    """A JSON value: numpy scalars unwrapped, missing values (NaN, None) as null."""
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _is_frame(rows: Any) -> bool:
    return hasattr(rows, "columns") and hasattr(rows, "itertuples")


def predict_body(rows: Any, probabilities: bool, explain: bool = False) -> dict[str, Any]:
    """The request body for these rows."""
    if _is_frame(rows):
        columns = [str(c) for c in rows.columns]
        data = [[_cell(v) for v in row] for row in rows.itertuples(index=False, name=None)]
        body: dict[str, Any] = {"dataframe_split": {"columns": columns, "data": data}}
    else:
        records = list(rows) if isinstance(rows, Iterable) else []
        if records and all(isinstance(r, Mapping) for r in records):
            body = {"instances": [{str(k): _cell(v) for k, v in r.items()} for r in records]}
        elif all(isinstance(r, Sequence) and not isinstance(r, str) for r in records):
            body = {"inputs": [[_cell(v) for v in r] for r in records]}
        else:
            raise TypeError("rows must be dicts, lists of values, or a pandas DataFrame")
    if probabilities:
        body["probabilities"] = True
    if explain:
        body["explain"] = True
    return body
