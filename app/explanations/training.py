"""What training stores to explain a model: importances per original column, a regression's
residual sample, and a linear model's baseline. Pure functions, run in the fit process.

- Permutation importance (scikit-learn's `permutation_importance`) on the hold-out split: the
  drop of the model's own score (accuracy, R²) when one raw column is shuffled. The pipeline
  takes raw columns, so shuffling one shuffles every one-hot column it makes: the importance is
  per original column by construction. Its cost is one scoring pass per column and repeat, so
  the repeats are chosen from the time one pass takes, to fit in the budget
  (IMPORTANCE_SECONDS); when not even one repeat fits, it is skipped and the reason stored.
- The estimator's own importances (`feature_importances_`, or the mean |coefficient| over
  classes), summed over the one-hot columns of each original column.
- For a regressor, at most RESIDUAL_SAMPLE (predicted, residual) points of the hold-out split
  and the residual quantiles, for a residual plot.
- For a linear model, each column's share of the mean training row's score, so that a
  prediction's contributions can be measured from that mean (app/explanations/local.py).
"""

import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.inspection import permutation_importance

from app.explanations.columns import estimator_of, output_owners, per_input, preprocessed

MAX_REPEATS = 5
MAX_ROWS = 2000  # hold-out rows permutation importance scores on (a seeded sample beyond)
RESIDUAL_SAMPLE = 200
QUANTILES = {"p05": 0.05, "p25": 0.25, "p50": 0.5, "p75": 0.75, "p95": 0.95}


@dataclass(frozen=True, slots=True)
class ImportanceOptions:
    seconds: float = 0.0  # permutation importance's budget; 0 turns it off
    max_columns: int = 100  # columns stored per kind (the most important ones)
    random_state: int = 0


def ranked(
    names: list[str], values: np.ndarray, cap: int, std: np.ndarray | None = None
) -> list[dict[str, Any]]:
    """The `cap` largest values, largest first, as {column, value[, std]} (column names go in
    values, never in keys: a name may hold a `.`, which a stored key may not)."""
    order = np.argsort(-values, kind="stable")[:cap]
    return [
        {"column": names[i], "value": float(values[i])}
        | ({"std": float(std[i])} if std is not None else {})
        for i in order
    ]


def model_importances(model: Any, names: list[str], cap: int) -> dict[str, Any] | None:
    """The estimator's own importances per original column, where it has any."""
    estimator, owners = estimator_of(model), output_owners(model)
    raw, kind = getattr(estimator, "feature_importances_", None), "feature_importances"
    if raw is None:
        coef = getattr(estimator, "coef_", None)
        if coef is None:
            return None
        raw, kind = np.abs(np.atleast_2d(coef)).mean(axis=0), "mean_abs_coefficient"
    if owners is None:
        return None
    values = per_input(np.asarray(raw, dtype=np.float64), owners, len(names))
    return {"kind": kind, "values": ranked(names, values, cap)}


def _sample(X: pd.DataFrame, y: Any, rows: int, random_state: int) -> tuple[pd.DataFrame, Any]:
    if len(X) <= rows:
        return X, y
    chosen = np.random.default_rng(random_state).choice(len(X), rows, replace=False)
    return X.iloc[chosen], np.asarray(y)[chosen]


def repeats_within(model: Any, X: pd.DataFrame, y: Any, seconds: float) -> int:
    """How many permutation repeats of every column fit in `seconds`, from one timed pass."""
    started = time.perf_counter()
    model.score(X, y)
    one_pass = max(time.perf_counter() - started, 1e-6)
    return min(MAX_REPEATS, int(seconds / (one_pass * X.shape[1])))


def permutation(
    model: Any, X: pd.DataFrame, y: Any, options: ImportanceOptions, regression: bool
) -> dict[str, Any]:
    """Permutation importance per original column, or why it was skipped."""
    if options.seconds <= 0:
        return {"skipped": "turned off"}
    X, y = _sample(X, y, MAX_ROWS, options.random_state)
    repeats = repeats_within(model, X, y, options.seconds)
    if repeats < 1:
        return {"skipped": f"one pass over {X.shape[1]} columns exceeds {options.seconds:g} s"}
    result = permutation_importance(
        model, X, y, n_repeats=repeats, random_state=options.random_state, n_jobs=1
    )
    names = [str(c) for c in X.columns]
    values = ranked(names, result.importances_mean, options.max_columns, result.importances_std)
    scoring = "r2" if regression else "accuracy"
    return {"scoring": scoring, "n_repeats": repeats, "n_rows": len(X), "values": values}


def importances(
    model: Any, X_test: pd.DataFrame, y_test: Any, options: ImportanceOptions, regression: bool
) -> dict[str, Any]:
    """What the model record keeps: both kinds, and how many columns there are in all."""
    names = [str(c) for c in X_test.columns]
    found = permutation(model, X_test, y_test, options, regression)
    return {
        "columns": len(names),
        "permutation": found.get("values"),
        "permutation_scoring": found.get("scoring"),
        "permutation_repeats": found.get("n_repeats"),
        "permutation_skipped": found.get("skipped"),
        "model": model_importances(model, names, options.max_columns),
    }


def residuals(
    model: Any, X_test: pd.DataFrame, y_test: Any, random_state: int
) -> tuple[list[dict[str, float]], dict[str, float]]:
    """A sample of (predicted, residual) points of the hold-out split and the quantiles of all
    its residuals (actual minus predicted)."""
    predicted = np.asarray(model.predict(X_test), dtype=np.float64)
    residual = np.asarray(y_test, dtype=np.float64) - predicted
    quantiles = {k: float(np.quantile(residual, q)) for k, q in QUANTILES.items()}
    keep = np.arange(len(residual))
    if len(keep) > RESIDUAL_SAMPLE:
        keep = np.sort(np.random.default_rng(random_state).choice(keep, RESIDUAL_SAMPLE, False))
    sample = [{"predicted": float(predicted[i]), "residual": float(residual[i])} for i in keep]
    return sample, quantiles


def linear_baseline(model: Any, X_train: pd.DataFrame) -> dict[str, Any] | None:
    """For a linear model: per score row (one per class, or one), its intercept and each raw
    column's share of the mean training row's score. None for any other model."""
    estimator, owners = estimator_of(model), output_owners(model)
    coef, intercept = getattr(estimator, "coef_", None), getattr(estimator, "intercept_", None)
    if coef is None or intercept is None or owners is None:
        return None
    mean = preprocessed(model, X_train).mean(axis=0)
    coef = np.atleast_2d(np.asarray(coef, dtype=np.float64))
    offsets = per_input(coef * mean, owners, X_train.shape[1])
    intercepts = np.atleast_1d(np.asarray(intercept, dtype=np.float64))
    return {
        "rows": [
            {"intercept": float(b), "offsets": [float(v) for v in row]}
            for b, row in zip(intercepts, offsets, strict=True)
        ]
    }
