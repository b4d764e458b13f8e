"""The reference profile of a model: pure numpy/pandas, no I/O, run in the fit process.

For a number: the deciles of the training split as bin edges and each bin's share (for the
population stability index), plus up to 101 percentile points and the empirical CDF at each
(the two-sample KS statistic is read at those points, so no raw training values are stored:
the error on the statistic is at most one percentile step, 0.01). For a category: the shares
of its TOP_CATEGORIES most frequent values, the rest pooled as "other". Both keep the share of
missing values as a bin of its own. The predictions get the same, from the hold-out split: a
classifier's as categories, a regressor's as numbers.

The same binning functions serve the report (app/drift/report.py), so a reference and a live
sample are always counted alike: bins are right-closed, `(edge[i-1], edge[i]]`, with open ends.
"""

from typing import Any

import numpy as np
import pandas as pd

DECILES = np.linspace(0.1, 0.9, 9)
PERCENTILES = np.linspace(0.0, 1.0, 101)
TOP_CATEGORIES = 50
NUMERIC = "numeric"
PREDICTION = "(prediction)"


def as_numbers(values: Any) -> np.ndarray:
    """Float64 with NaN for a missing or unreadable value."""
    if isinstance(values, np.ndarray) and values.dtype.kind in "fiu":
        return values.astype(np.float64, copy=False)
    return pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(np.float64, na_value=np.nan)


def as_labels(values: Any) -> pd.Series:
    """Strings (booleans as "True"/"False", as the predict path spells them), missing kept."""
    series = pd.Series(values, dtype=object)
    if pd.api.types.infer_dtype(series, skipna=True) in ("string", "empty"):
        return series  # already strings (the usual case): no copy, no conversion
    return series.where(series.isna(), series.astype(str))


def bin_counts(edges: np.ndarray, present: np.ndarray) -> np.ndarray:
    """How many values fall in each of the len(edges) + 1 right-closed bins."""
    return np.bincount(np.searchsorted(edges, present, side="left"), minlength=len(edges) + 1)


def cdf_at(grid: np.ndarray, present: np.ndarray) -> np.ndarray:
    """The share of values at or below each grid point."""
    if not len(present):
        return np.zeros(len(grid))
    return np.cumsum(bin_counts(grid, present))[: len(grid)] / len(present)


def numeric_profile(values: Any) -> dict[str, Any]:
    numbers = as_numbers(values)
    present = numbers[np.isfinite(numbers)]
    total = max(len(numbers), 1)
    if not len(present):
        edges = grid = np.array([])
    else:
        edges = np.unique(np.quantile(present, DECILES))
        grid = np.unique(np.quantile(present, PERCENTILES))
    return {
        "type": NUMERIC,
        "n": len(numbers),
        "edges": edges.tolist(),
        "shares": (bin_counts(edges, present) / total).tolist(),
        "missing": float((len(numbers) - len(present)) / total),
        "grid": grid.tolist(),
        "cdf": cdf_at(grid, present).tolist(),
        "n_present": len(present),
    }


def categorical_profile(values: Any, kind: str = "categorical") -> dict[str, Any]:
    labels = as_labels(values)
    total = max(len(labels), 1)
    missing = labels.isna()
    counts = labels[~missing].value_counts(sort=True).head(TOP_CATEGORIES)
    shares = counts / total
    return {
        "type": kind,
        "n": len(labels),
        "categories": [str(value) for value in counts.index],
        "shares": [float(share) for share in shares],
        "other": float(max(0.0, 1.0 - shares.sum() - missing.sum() / total)),
        "missing": float(missing.sum() / total),
    }


def column_profile(name: str, kind: str, values: Any) -> dict[str, Any]:
    profile = numeric_profile(values) if kind == NUMERIC else categorical_profile(values, kind)
    return {"name": name} | profile


def reference_profile(
    columns: list[dict[str, Any]], X_train: pd.DataFrame, predictions: Any, classifier: bool
) -> dict[str, Any]:
    """The profile of each feature column (typed as the dataset typed it) and of predictions
    (None: none)."""
    prediction_kind = "categorical" if classifier else NUMERIC
    return {
        "n_rows": len(X_train),
        "columns": [
            column_profile(str(c["name"]), c["type"], X_train[c["name"]].to_numpy())
            for c in columns
        ],
        "prediction": None
        if predictions is None
        else column_profile(PREDICTION, prediction_kind, np.asarray(predictions)),
    }


def fitted_reference(
    model: Any, columns: list[dict[str, Any]], split: list[Any], classifier: bool
) -> dict[str, Any]:
    """The reference of a fitted pipeline: inputs from the training split, predictions of the
    hold-out split (what a fresh row gets: an overfitted model's training predictions are the
    labels themselves)."""
    X_train, X_test = split[0], split[1]
    return reference_profile(columns, X_train, model.predict(X_test), classifier)
