"""An evaluation's metrics: a pure function of the model and the rows, run in the fit pool.

Each score is scikit-learn's own function on the model's predictions (tests compare them); a
score that cannot be computed (a class missing from the rows, no probabilities) is null, never
an error. The confusion matrix is a list of row objects and the calibration table a list of bin
objects: FerretDB stores no nested arrays.
"""

import math
import warnings
from typing import Any

import numpy as np
from sklearn.metrics import (
    accuracy_score,
    average_precision_score,
    confusion_matrix,
    log_loss,
    mean_absolute_error,
    precision_recall_fscore_support,
    r2_score,
    roc_auc_score,
    root_mean_squared_error,
)

from app.explanations.training import QUANTILES
from app.inference import estimators
from app.training.evaluation import json_safe

CALIBRATION_BINS = 10


def _or_none(score: Any, *args: Any, **kwargs: Any) -> float | None:
    """The score, or None where it is undefined (e.g. only one class present: scikit-learn
    then refuses, or warns and returns NaN)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # UndefinedMetricWarning, "no positive class"
            value = float(score(*args, **kwargs))
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def calibration_table(hit: np.ndarray, probability: np.ndarray) -> list[dict[str, Any]]:
    """Equal-width bins of `probability` with how often each bin's rows were a hit; binned as
    sklearn.calibration.calibration_curve bins them."""
    edges = np.linspace(0.0, 1.0, CALIBRATION_BINS + 1)
    bins = np.searchsorted(edges[1:-1], probability)
    table = []
    for index in range(CALIBRATION_BINS):
        inside = bins == index
        count = int(inside.sum())
        table.append(
            {
                "low": float(edges[index]),
                "high": float(edges[index + 1]),
                "count": count,
                "mean_predicted": float(probability[inside].mean()) if count else None,
                "observed": float(hit[inside].mean()) if count else None,
            }
        )
    return table


def probability_scores(
    y: np.ndarray, predicted: np.ndarray, proba: np.ndarray, classes: list[Any]
) -> dict[str, Any]:
    """ROC AUC and PR AUC (binary, or one-vs-rest macro), per-class AUCs, log loss, calibration."""
    per_class = [
        (
            _or_none(roc_auc_score, y == c, proba[:, i]),
            _or_none(average_precision_score, y == c, proba[:, i]),
        )
        for i, c in enumerate(classes)
    ]
    if len(classes) == 2:
        roc, pr = per_class[1]
        calibration = calibration_table(y == classes[1], proba[:, 1])
    else:
        roc = _or_none(roc_auc_score, y, proba, multi_class="ovr", labels=classes)
        prs = [p for _, p in per_class if p is not None]
        pr = float(np.mean(prs)) if len(prs) == len(classes) else None
        calibration = calibration_table(predicted == y, proba.max(axis=1))
    loss = _or_none(log_loss, y, proba, labels=classes)
    return {
        "roc_auc": roc,
        "pr_auc": pr,
        "log_loss": loss,
        "calibration": calibration,
        "_per_class": per_class,
    }


def classification_report(model: Any, X: Any, y: np.ndarray) -> dict[str, Any]:
    classes = list(model.classes_)
    predicted, proba = estimators.predict(model, X, probabilities=True)  # a forest runs once
    precision, recall, f1, support = precision_recall_fscore_support(
        y, predicted, labels=classes, zero_division=0
    )
    macro = precision_recall_fscore_support(
        y, predicted, labels=classes, average="macro", zero_division=0
    )
    scores: dict[str, Any] = {
        "roc_auc": None,
        "pr_auc": None,
        "log_loss": None,
        "calibration": None,
    }
    aucs: list[tuple[float | None, float | None]] = [(None, None)] * len(classes)
    if proba is not None:
        scores = probability_scores(y, predicted, proba, classes)
        aucs = scores.pop("_per_class")
    matrix = confusion_matrix(y, predicted, labels=classes)
    return scores | {
        "n": len(y),
        "accuracy": accuracy_score(y, predicted),
        "precision_macro": macro[0],
        "recall_macro": macro[1],
        "f1_macro": macro[2],
        "per_class": [
            {
                "class": str(c),
                "precision": p,
                "recall": r,
                "f1": f,
                "support": int(s),
                "roc_auc": a,
                "pr_auc": b,
            }
            for c, p, r, f, s, (a, b) in zip(
                classes, precision, recall, f1, support, aucs, strict=True
            )
        ],
        "confusion_matrix": [
            {"actual": str(c), "counts": row.tolist()}
            for c, row in zip(classes, matrix, strict=True)
        ],
    }


def regression_report(model: Any, X: Any, y: np.ndarray) -> dict[str, Any]:
    predicted = np.asarray(model.predict(X), dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    residual = y - predicted
    return {
        "n": len(y),
        "r2": _or_none(r2_score, y, predicted),
        "mae": mean_absolute_error(y, predicted),
        "rmse": root_mean_squared_error(y, predicted),
        "residual_quantiles": {k: float(np.quantile(residual, q)) for k, q in QUANTILES.items()},
    }


def evaluation_metrics(task: str, model: Any, X: Any, y: np.ndarray) -> dict[str, Any]:
    """The task's metrics of the model on these rows, as storable JSON values."""
    report = classification_report if task == "classification" else regression_report
    return json_safe(report(model, X, y))
