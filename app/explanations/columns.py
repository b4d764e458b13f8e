"""Which original column each column the estimator sees came from.

A model is a Pipeline whose preprocessing turns a raw column into one column (numbers, ordinal
codes) or several (one-hot categories). Importances and contributions are computed on the
estimator's columns and summed back onto the raw column that made them, so a user reads them
per column of their table, not per one-hot column.
"""

from typing import Any

import numpy as np
from sklearn.compose import ColumnTransformer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder


def estimator_of(model: Any) -> Any:
    """The fitted estimator: the pipeline's last step, or the model itself (older models)."""
    return model.steps[-1][1] if isinstance(model, Pipeline) else model


def preprocessed(model: Any, X: Any) -> np.ndarray:
    """The rows as the estimator sees them (a float array)."""
    if isinstance(model, Pipeline):
        X = model[:-1].transform(X)
    return np.asarray(X, dtype=np.float64)


def _widths(transformer: Any, columns: list[str]) -> list[int]:
    """How many output columns each input column makes."""
    if isinstance(transformer, OneHotEncoder):
        # sklearn's own count per input (it knows which categories were grouped as rare)
        return [int(n) for n in transformer._n_features_outs]
    return [1] * len(columns)


def output_owners(model: Any) -> np.ndarray | None:
    """For each estimator column, the position of its raw input column; None when the layout
    cannot be told for sure (a transformer that dropped a column, e.g. all missing)."""
    if not isinstance(model, Pipeline):
        return np.arange(int(estimator_of(model).n_features_in_))
    preprocess: ColumnTransformer = model.named_steps["preprocess"]
    names = [str(n) for n in preprocess.feature_names_in_]
    owners: list[int] = []
    for name, transformer, columns in preprocess.transformers_:
        if name == "remainder" or (isinstance(transformer, str) and transformer == "drop"):
            continue
        for column, width in zip(columns, _widths(transformer, list(columns)), strict=True):
            owners += [names.index(str(column))] * width
    width = int(estimator_of(model).n_features_in_)
    return np.array(owners) if len(owners) == width else None


def input_names(model: Any, fallback: list[str]) -> list[str]:
    """The raw columns the model takes, in order."""
    if isinstance(model, Pipeline):
        return [str(n) for n in model.named_steps["preprocess"].feature_names_in_]
    return fallback


def per_input(values: np.ndarray, owners: np.ndarray, n_inputs: int) -> np.ndarray:
    """Sum the last axis (estimator columns) onto the raw columns that made them."""
    indicator = np.zeros((len(owners), n_inputs))
    indicator[np.arange(len(owners)), owners] = 1.0
    return np.asarray(values) @ indicator
