"""Fitting and evaluating a model: a pure, synchronous function with no I/O.

The worker runs `fit_and_evaluate` in a process pool; everything it takes and returns pickles
cheaply (a DataFrame and an array in, the serialised pipeline as bytes out).
"""

import io
import platform
import time
import warnings
from dataclasses import dataclass, field, replace
from typing import Any

import joblib
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import sklearn
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline

from app.drift.profile import fitted_reference
from app.explanations.training import ImportanceOptions, importances, linear_baseline, residuals
from app.training.algorithms import ALGORITHMS, takes_random_state
from app.training.evaluation import cross_validation, evaluate, json_safe
from app.training.pipeline import NUMERIC, Preprocessing, build_pipeline, input_schema
from app.training.tasks import Task

MIN_IMPORTANCE_SECONDS = 1.0

__all__ = [
    "FitResult",
    "FitSpec",
    "feature_frame",
    "fit_and_evaluate",
    "fit_normalised",
    "json_safe",
    "library_versions",
]


@dataclass(frozen=True, slots=True)
class FitSpec:
    algorithm: str
    hyperparameters: dict[str, Any]
    test_size: float
    random_state: int
    task: Task = Task.classification
    columns: list[dict[str, Any]] | None = None  # the feature columns; all numeric when None
    preprocessing: Preprocessing = field(default_factory=Preprocessing)
    cv: int | None = None
    importances: ImportanceOptions = field(default_factory=ImportanceOptions)


@dataclass(slots=True)
class FitResult:
    payload: bytes
    hyperparameters: dict[str, Any]
    metrics: dict[str, Any]
    classes: list[str]
    warnings: list[str] = field(default_factory=list)
    input_schema: list[dict[str, Any]] = field(default_factory=list)
    importances: dict[str, Any] | None = None  # per original column (app/explanations)
    insights: dict[str, Any] = field(default_factory=dict)  # residual sample, linear baseline
    reference: dict[str, Any] | None = None  # the drift reference profile (app/drift/profile.py)


def library_versions() -> dict[str, str]:
    return {
        "scikit-learn": sklearn.__version__,
        "joblib": joblib.__version__,
        "numpy": np.__version__,
        "pandas": pd.__version__,
        "python": platform.python_version(),
    }


def effective_hyperparameters(spec: FitSpec) -> dict[str, Any]:
    algorithm = ALGORITHMS[spec.algorithm]
    params = dict(spec.hyperparameters)
    if takes_random_state(algorithm, spec.task) and "random_state" not in params:
        params["random_state"] = spec.random_state
    return params


def make_pipeline(spec: FitSpec, X: pd.DataFrame) -> Pipeline:
    algorithm = ALGORITHMS[spec.algorithm]
    estimator = algorithm.estimator(spec.task)(**effective_hyperparameters(spec))
    native = spec.algorithm == "gradient_boosting"
    return build_pipeline(
        estimator,
        feature_columns(spec, X),
        spec.preprocessing,
        scaled=algorithm.scaled,
        native=native,
    )


def feature_columns(spec: FitSpec, X: pd.DataFrame) -> list[dict[str, Any]]:
    return spec.columns or [{"name": str(name), "type": NUMERIC} for name in X.columns]


def split(spec: FitSpec, X: pd.DataFrame, y: np.ndarray) -> list[Any]:
    """X_train, X_test, y_train, y_test: stratified for classification."""
    stratify = y if spec.task is Task.classification else None
    return train_test_split(
        X, y, test_size=spec.test_size, random_state=spec.random_state, stratify=stratify
    )


def serialise(model: Any) -> bytes:
    buffer = io.BytesIO()
    joblib.dump(model, buffer)
    return buffer.getvalue()


def fit_and_evaluate(spec: FitSpec, X: pd.DataFrame, y: np.ndarray) -> FitResult:
    """Split (stratified for classification), fit the pipeline, evaluate on both splits and by
    cross-validation when asked, serialise with joblib."""
    model = make_pipeline(spec, X)
    X_train, X_test, y_train, y_test = split(spec, X, y)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        started = time.perf_counter()
        model.fit(X_train, y_train)
        fit_seconds = time.perf_counter() - started
        metrics = evaluate(spec.task, model, (X_train, y_train, X_test, y_test))
        if spec.cv:
            metrics["cv"] = cross_validation(spec.task, model, X, y, spec.cv, spec.random_state)
        data = (X_train, y_train, X_test, y_test)
        explained, insights = explain_fit(spec, model, data, fit_seconds)
    metrics["fit_seconds"] = round(fit_seconds, 6)
    if "residual_quantiles" in insights:
        metrics["residual_quantiles"] = insights.pop("residual_quantiles")
    classes = [str(c) for c in model.classes_] if spec.task is Task.classification else []
    messages = sorted({f"{w.category.__name__}: {_first_line(w.message)}" for w in caught})
    columns, classifier = feature_columns(spec, X), spec.task is Task.classification
    return FitResult(
        serialise(model),
        json_safe(model.named_steps["model"].get_params(deep=False)),
        metrics,
        classes,
        messages,
        input_schema(model, columns),
        explained,
        insights,
        fitted_reference(model, columns, [X_train, X_test], classifier),
    )


def explain_fit(
    spec: FitSpec, model: Pipeline, data: tuple[Any, ...], fit_seconds: float
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The importances (for the model record) and the insights (stored beside it): a
    regressor's residual sample and quantiles, a linear model's baseline.

    Permutation importance gets IMPORTANCE_SECONDS, but no more than half the time the fit took
    (at least MIN_IMPORTANCE_SECONDS): it adds at most about half to a job's fitting time, so
    a job that fitted well within JOB_TIMEOUT_SECONDS before importances still does."""
    X_train, _, X_test, y_test = data
    regression = spec.task is Task.regression
    budget = min(spec.importances.seconds, max(fit_seconds / 2, MIN_IMPORTANCE_SECONDS))
    options = replace(spec.importances, seconds=budget)
    explained = json_safe(importances(model, X_test, y_test, options, regression))
    insights: dict[str, Any] = {"linear_baseline": linear_baseline(model, X_train)}
    if regression:
        sample, quantiles = residuals(model, X_test, y_test, spec.random_state)
        insights |= {"residuals": sample, "residual_quantiles": quantiles}
    return explained, json_safe(insights)


def training_frame(payload: bytes, features: list[str], target: str) -> tuple[pd.DataFrame, Any]:
    """The features (a missing value is NaN in every column, as read_csv gives a user) and
    the target, from a dataset version's normalised copy."""
    table = pq.read_table(io.BytesIO(payload), columns=[*features, target])
    return feature_frame(table, features), table[target].to_numpy()


def feature_frame(table: pa.Table | pa.RecordBatch, features: list[str]) -> pd.DataFrame:
    """The features of a normalised copy (or a batch of its rows) as a model takes them: a
    missing value is NaN in every column, as read_csv gives a user. Batch predictions call this
    too, so a model sees its rows as it saw them in training."""
    X = table.select(features).to_pandas()
    for name in X.columns:
        if X[name].dtype == object:
            X[name] = X[name].where(X[name].notna(), np.nan)
    return X


def fit_normalised(spec: FitSpec, payload: bytes, features: list[str], target: str) -> FitResult:
    """fit_and_evaluate on a dataset version's normalised copy, parsed here (in the pool)."""
    X, y = training_frame(payload, features, target)
    return fit_and_evaluate(spec, X, y)


def _first_line(message: Warning | str) -> str:
    return str(message).strip().splitlines()[0][:300] if str(message).strip() else ""
