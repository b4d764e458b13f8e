"""Metrics by task, on the hold-out split and, when asked, by k-fold cross-validation.

Classification keeps accuracy on both splits, macro precision/recall/F1 and the confusion
matrix (as a list of row objects: FerretDB stores no nested arrays), and adds ROC AUC where the
estimator gives probabilities. Regression reports R² on both splits, MAE and RMSE. A score
that cannot be computed (a NaN) is stored as null.
"""

import math
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.metrics import (
    accuracy_score,
    confusion_matrix,
    mean_absolute_error,
    precision_recall_fscore_support,
    r2_score,
    roc_auc_score,
    root_mean_squared_error,
)
from sklearn.model_selection import KFold, StratifiedKFold, cross_validate
from sklearn.pipeline import Pipeline

from app.training.tasks import Task

CV_SCORING = {
    Task.classification: {"accuracy": "accuracy", "f1_macro": "f1_macro"},
    Task.regression: {
        "r2": "r2",
        "mae": "neg_mean_absolute_error",
        "rmse": "neg_root_mean_squared_error",
    },
}


def json_safe(value: Any) -> Any:
    """Plain JSON values that MongoDB and FerretDB both store (no NaN, no numpy types)."""
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return repr(value)


Split = tuple[pd.DataFrame, np.ndarray, pd.DataFrame, np.ndarray]


def _predict_both(
    model: Pipeline, X_train: pd.DataFrame, X_test: pd.DataFrame
) -> tuple[np.ndarray, np.ndarray]:
    # One predict call for both splits: an ensemble pays its per-tree overhead once, not twice
    # (a 100-tree forest on Iris: 4.3 ms instead of 8.4).
    both = model.predict(pd.concat([X_train, X_test], ignore_index=True))
    return both[: len(X_train)], both[len(X_train) :]


def roc_auc(model: Pipeline, X_test: pd.DataFrame, y_test: np.ndarray) -> float | None:
    """ROC AUC (one-vs-rest, macro, for more than two classes); None without probabilities
    or when the test split lacks a class."""
    if not hasattr(model, "predict_proba"):
        return None
    probabilities = model.predict_proba(X_test)
    classes = list(model.classes_)
    try:
        if len(classes) == 2:
            return float(roc_auc_score(y_test == classes[1], probabilities[:, 1]))
        return float(roc_auc_score(y_test, probabilities, multi_class="ovr", labels=classes))
    except ValueError:
        return None


def classification_metrics(
    model: Pipeline,
    X_train: pd.DataFrame,
    y_train: np.ndarray,
    X_test: pd.DataFrame,
    y_test: np.ndarray,
) -> dict[str, Any]:
    classes = [str(c) for c in model.classes_]
    predicted_train, predicted = _predict_both(model, X_train, X_test)
    precision, recall, f1, _ = precision_recall_fscore_support(
        y_test, predicted, average="macro", zero_division=0
    )
    matrix = confusion_matrix(y_test, predicted, labels=list(model.classes_))
    return {
        "train_accuracy": accuracy_score(y_train, predicted_train),
        "test_accuracy": accuracy_score(y_test, predicted),
        "precision_macro": precision,
        "recall_macro": recall,
        "f1_macro": f1,
        "roc_auc": roc_auc(model, X_test, y_test),
        "confusion_matrix": [
            {"actual": label, "counts": row.tolist()}
            for label, row in zip(classes, matrix, strict=True)
        ],
    }


def regression_metrics(
    model: Pipeline,
    X_train: pd.DataFrame,
    y_train: np.ndarray,
    X_test: pd.DataFrame,
    y_test: np.ndarray,
) -> dict[str, Any]:
    predicted_train, predicted = _predict_both(model, X_train, X_test)
    return {
        "train_accuracy": None,
        "test_accuracy": None,
        "train_r2": r2_score(y_train, predicted_train),
        "test_r2": r2_score(y_test, predicted),
        "mae": mean_absolute_error(y_test, predicted),
        "rmse": root_mean_squared_error(y_test, predicted),
    }


def evaluate(task: Task, model: Pipeline, data: Split) -> dict[str, Any]:
    """The task's metrics of the fitted model on both splits (X_train, y_train, X_test, y_test)."""
    X_train, y_train, X_test, y_test = data
    measure = classification_metrics if task is Task.classification else regression_metrics
    metrics = measure(model, X_train, y_train, X_test, y_test)
    return json_safe(metrics | {"n_train": len(y_train), "n_test": len(y_test)})


def cross_validation(
    task: Task, model: Pipeline, X: pd.DataFrame, y: np.ndarray, folds: int, random_state: int
) -> dict[str, Any]:
    """Mean and standard deviation of each metric over `folds` folds of the whole dataset
    (stratified for classification), fitted on fresh copies of the unfitted pipeline."""
    splitter = (StratifiedKFold if task is Task.classification else KFold)(
        n_splits=folds, shuffle=True, random_state=random_state
    )
    scoring = CV_SCORING[task]
    scores = cross_validate(clone(model), X, y, cv=splitter, scoring=scoring, n_jobs=1)
    summary: dict[str, Any] = {"folds": folds}
    for name, scorer in scoring.items():
        values = scores[f"test_{name}"] * (-1 if scorer.startswith("neg_") else 1)
        summary[name] = {"mean": float(np.mean(values)), "std": float(np.std(values))}
    return json_safe(summary)
